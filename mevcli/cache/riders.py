"""A head's reads that ride in the JSON-RPC batch of its logs: one round trip for the lot.

`watch` reads, per head, more than the logs: the flash lenders' balances and the gas price. Asked with
`Riders.ask` before the catch-up (each a `Future` of the node's raw response), they travel in the batch
the catch-up sends for the head's logs (`LogFilter.fetch` boards them). What has not ridden when its
answer is wanted (the logs were not asked, or asked over a range) goes in one batch of its own
(`flush`); a request asked once the batch has left goes alone.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any

from mevcli.chain.batch import BatchRefused, rpc_batch
from mevcli.chain.multicall import Multicall
from mevcli.errors import RpcError

Request = tuple[str, list[Any]]
Boarded = list[tuple[Request, Future]]


class Riders:
    def __init__(self, w3: Any) -> None:
        self.w3 = w3
        self._lock = threading.Condition()
        self._waiting: Boarded = []
        self._open = True  # False once a batch took the waiting requests

    def ask(self, method: str, params: list[Any]) -> Future:
        """The node's response to `method(params)` (a dict with `result` or `error`), once sent."""
        future: Future = Future()
        with self._lock:
            if self._open:
                self._waiting.append(((method, params), future))
                self._lock.notify_all()
                return future
        self._send([((method, params), future)])
        return future

    def batch(self, requests: Sequence[Request]) -> list[Any]:
        """The responses to `requests`, waited for (`chain.batch.rpc_batch`'s shape)."""
        futures = [self.ask(method, params) for method, params in requests]
        return [f.result() for f in futures]

    def wait_for(self, count: int, done: Future, timeout: float = 1.0) -> None:
        """Wait until `count` requests wait to ride, `done` finished (it asks no more), or `timeout`."""
        done.add_done_callback(lambda _f: self._notify())
        with self._lock:
            self._lock.wait_for(lambda: len(self._waiting) >= count or done.done() or not self._open, timeout)

    def _notify(self) -> None:
        with self._lock:
            self._lock.notify_all()

    def board(self) -> Boarded:
        """The waiting requests, taken for a batch about to be sent; later ones go on their own."""
        with self._lock:
            boarded, self._waiting = self._waiting, []
            self._open = False
        return boarded

    def unboard(self, boarded: Boarded) -> None:
        """Requests a batch took but could not send: they wait again (for `flush`)."""
        with self._lock:
            self._waiting[:0] = boarded

    @staticmethod
    def settle(boarded: Boarded, responses: Sequence[Any]) -> None:
        for (_, future), response in zip(boarded, responses, strict=True):
            future.set_result(response)

    def flush(self) -> None:
        """Send what still waits, in one batch."""
        boarded = self.board()
        if boarded:
            self._send(boarded)

    def cancel(self) -> None:
        """Nobody wants the answers: whatever waits is cancelled (its askers get CancelledError)."""
        for _, future in self.board():
            future.cancel()

    def _send(self, boarded: Boarded) -> None:
        try:
            responses = rpc_batch(self.w3, [request for request, _ in boarded], "head reads")
        except BaseException as exc:  # handed to whoever waits for an answer
            for _, future in boarded:
                future.set_exception(exc)
            return
        self.settle(boarded, responses)


class RidingMulticall(Multicall):
    """`mc`'s calls as raw `eth_call` requests that ride (`Riders`) instead of going on their own."""

    def __init__(self, mc: Multicall, riders: Riders) -> None:
        super().__init__(mc.w3, mc.address, mc.batch_size, mc.chunks_per_request, mc.bytes_per_request)
        self.riders = riders

    def _send(self, payload: bytes, block: int | str) -> bytes:
        return self._send_batch([(True, payload)], block)[0] or b""

    def _rpc(self, requests: list[tuple[str, list[object]]]) -> list[object]:
        try:
            return self.riders.batch(requests)  # type: ignore[arg-type]
        except BatchRefused as exc:  # not tried again in halves: this is the head's one batch
            raise RpcError(str(exc)) from None
