"""A head's reads that ride in the JSON-RPC batch of its logs: one round trip for the lot.

`watch` reads, per head, more than the logs: the flash lenders' balances and the gas price. Asked with
`Riders.ask` before the catch-up (each an `Answer`, the node's raw response once sent), they travel in
the batch the catch-up sends for the head's logs (`LogFilter.fetch` boards them). What has not ridden
when its answer is wanted (the logs were not asked, or asked over a range) goes in one batch of its own
(`flush`); a request asked once the batch has left goes alone. Everything happens on the caller's thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mevcli.chain.batch import rpc_batch
from mevcli.chain.multicall import Call, CallResult, Multicall

Request = tuple[str, list[Any]]


class Answer:
    """The node's response to one request (a dict with `result` or `error`), once it was sent."""

    __slots__ = ("_error", "_response", "_sent")

    def __init__(self) -> None:
        self._response: Any = None
        self._error: BaseException | None = None
        self._sent = False

    def set(self, response: Any = None, error: BaseException | None = None) -> None:
        self._response, self._error, self._sent = response, error, True

    def get(self) -> Any:
        if not self._sent:
            raise RuntimeError("this request was not sent (cancelled, or not flushed)")
        if self._error is not None:
            raise self._error
        return self._response


Boarded = list[tuple[Request, Answer]]


class Riders:
    def __init__(self, w3: Any) -> None:
        self.w3 = w3
        self._waiting: Boarded = []
        self._open = True  # False once a batch took the waiting requests

    def ask(self, method: str, params: list[Any]) -> Answer:
        answer = Answer()
        if self._open:
            self._waiting.append(((method, params), answer))
        else:
            self._send([((method, params), answer)])
        return answer

    def board(self) -> Boarded:
        """The waiting requests, taken for a batch about to be sent; later ones go on their own."""
        boarded, self._waiting = self._waiting, []
        self._open = False
        return boarded

    def unboard(self, boarded: Boarded) -> None:
        """Requests a batch took but could not send: they wait again (for `flush`)."""
        self._waiting[:0] = boarded

    @staticmethod
    def settle(boarded: Boarded, responses: Sequence[Any]) -> None:
        for (_, answer), response in zip(boarded, responses, strict=True):
            answer.set(response)

    def flush(self) -> None:
        """Send what still waits, in one batch."""
        boarded = self.board()
        if boarded:
            self._send(boarded)

    def cancel(self) -> None:
        """Nobody wants the answers: whatever waits is dropped unsent."""
        self.board()

    def _send(self, boarded: Boarded) -> None:
        try:
            responses = rpc_batch(self.w3, [request for request, _ in boarded], "head reads")
        except Exception as exc:  # raised by whoever wants an answer
            for _, answer in boarded:
                answer.set(error=exc)
            return
        self.settle(boarded, responses)


class CallRecorder(Multicall):
    """Answers every call as failed, keeping the calls of the first `call`: a dry run of a reader tells
    which calls its first round asks (give it copies of whatever it fills in from answers)."""

    def __init__(self, mc: Multicall) -> None:
        super().__init__(mc.w3, mc.address, mc.batch_size, mc.chunks_per_request, mc.bytes_per_request)
        self.calls: list[Call] | None = None

    def call(
        self, calls: Sequence[Call], block: int | str = "latest", *, fresh: bool = False
    ) -> list[CallResult]:
        if self.calls is None:
            self.calls = list(calls)
        return [CallResult(False, b"") for _ in calls]


class PrefetchedMulticall(Multicall):
    """`mc` with the answers to one list of calls at one block asked ahead through `riders`: a `call` of
    exactly those calls at that block takes them (once); any other call is asked as `mc` asks it."""

    def __init__(self, mc: Multicall, calls: Sequence[Call], block: int, riders: Riders) -> None:
        super().__init__(mc.w3, mc.address, mc.batch_size, mc.chunks_per_request, mc.bytes_per_request)
        self.calls, self.block = list(calls), block
        self._payloads = self.payloads(self.calls)
        self._answers: list[Answer] | None = [riders.ask(*self.request(p, block)) for p in self._payloads]

    def call(
        self, calls: Sequence[Call], block: int | str = "latest", *, fresh: bool = False
    ) -> list[CallResult]:
        answers = self._answers
        if answers is None or block != self.block or list(calls) != self.calls:
            return super().call(calls, block, fresh=fresh)
        self._answers = None
        payloads = self._payloads
        raws = [self.raw_answer(p[0], a.get()) for p, a in zip(payloads, answers, strict=True)]
        return self.results(calls, payloads, raws)
