"""A head's reads that ride in the JSON-RPC batch of its logs: one round trip for the lot.

`watch` reads, per head, more than the logs: the flash lenders' balances and the gas price. Asked with
`Riders.ask` before the catch-up (each an `Answer`, the node's raw response once sent), they travel in
the batch the catch-up sends for the head's logs (`LogFilter.fetch` boards them). What has not ridden
when its answer is wanted (the logs were not asked, or asked over a range) goes in one batch of its own
(`flush`); a request asked once the batch has left goes alone. Everything happens on the caller's thread.

A request whose block parameter is `AT_HEAD` is asked of the head's block by its hash once the catch-up
has `pin`ned it (EIP-1898, `requireCanonical`), so every read of a head's ranking is of the block whose
logs were read; before that, or on a provider that refuses such objects (found once, then the number is
asked), by its number. A pinned read the node answers with an error while the hash is no longer the
chain's at that height marks the head `replaced`; pinning another hash asks everything sent again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from weakref import WeakKeyDictionary

from mevcli.chain.batch import rpc_batch
from mevcli.chain.multicall import BlockParam, Call, CallResult, Multicall

Request = tuple[str, list[Any]]


class _AtHead:
    def __repr__(self) -> str:
        return "AT_HEAD"


AT_HEAD: Any = _AtHead()  # a request's block parameter: the head, by hash once pinned, else by number

# Providers found to refuse an EIP-1898 block object (asked by number from then on).
_REFUSE_PINS: WeakKeyDictionary[Any, bool] = WeakKeyDictionary()
# How nodes say a parameter is malformed: JSON-RPC's "invalid params" code, or its words (geth: "invalid
# argument 1: hex string without 0x prefix"). An unknown or replaced block is said otherwise.
_INVALID_PARAMS = -32602
_REFUSAL = re.compile(r"invalid (argument|param)|unmarshal|hex string|eip-?1898", re.IGNORECASE)


def _refuses_pin(response: Any) -> bool:
    error = response.get("error") if isinstance(response, dict) else response
    if isinstance(error, dict) and error.get("code") == _INVALID_PARAMS:
        return True
    return bool(_REFUSAL.search(str(error)))


class Answer:
    """The node's response to one request (a dict with `result` or `error`), once it was sent."""

    __slots__ = ("_error", "_response", "_sent")

    def __init__(self) -> None:
        self._response: Any = None
        self._error: BaseException | None = None
        self._sent = False

    def reset(self) -> None:
        """Not sent (to be asked again)."""
        self._response, self._error, self._sent = None, None, False

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
    """The requests of the head `block` waiting to ride with its logs."""

    def __init__(self, w3: Any, block: int) -> None:
        self.w3 = w3
        self.block = block
        self.hash: str | None = None
        self.replaced = False  # a pinned read found the pinned hash gone from the chain
        self._waiting: Boarded = []
        self._sent: Boarded = []  # sent while pinned: asked again if another hash is pinned
        self._open = True  # False once a batch took the waiting requests

    def pin(self, number: int, block_hash: str) -> None:
        """The head's hash (the catch-up's target); a new one re-asks what was sent."""
        if number != self.block or block_hash == self.hash:
            return
        if self.hash is not None and self._sent:
            for _, answer in self._sent:
                answer.reset()
            self._waiting[:0], self._sent = self._sent, []
            self._open = True
        self.hash, self.replaced = block_hash, False

    def block_param(self) -> Any:
        """The head's block parameter: its hash (EIP-1898) once pinned and taken, else its number."""
        if self.hash is None or _REFUSE_PINS.get(self.w3.provider):
            return hex(self.block)
        return {"blockHash": self.hash, "requireCanonical": True}

    def resolved(self, boarded: Boarded) -> list[Request]:
        """The requests as sent: `AT_HEAD` replaced by the head's block parameter."""
        at = self.block_param()
        return [(m, [at if p is AT_HEAD else p for p in params]) for (m, params), _ in boarded]

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

    def settle(self, boarded: Boarded, sent: Sequence[Request], responses: Sequence[Any]) -> None:
        """Answer `boarded` (sent as `sent`); a pinned read refused as malformed is asked again by
        number (the provider is then asked by number), a pinned read's error checks the head."""
        for (_, answer), response in zip(boarded, responses, strict=True):
            answer.set(response)
        pinned = [
            (entry, response)
            for entry, request, response in zip(boarded, sent, responses, strict=True)
            if any(isinstance(p, dict) and "blockHash" in p for p in request[1])
        ]
        failed = [(entry, r) for entry, r in pinned if not isinstance(r, dict) or "error" in r]
        refused = [entry for entry, _ in failed] if any(_refuses_pin(r) for _, r in failed) else []
        if self.hash is not None:
            again = {id(answer) for _, answer in refused}
            self._sent += [entry for entry in boarded if id(entry[1]) not in again]
        if refused:
            _REFUSE_PINS[self.w3.provider] = True
            self._send(refused)
        elif failed:
            self.replaced = self._canonical_hash() != self.hash

    def _canonical_hash(self) -> str | None:
        """The chain's hash at the head's height now (None: no such block); the pinned one when the node
        does not say."""
        try:
            found = self.w3.provider.make_request("eth_getBlockByNumber", [hex(self.block), False])
        except Exception:  # no answer: nothing known to be replaced
            return self.hash
        if not isinstance(found, dict) or "error" in found:
            return self.hash
        block = found.get("result")
        return str(block["hash"]) if isinstance(block, dict) else None

    def flush(self) -> None:
        """Send what still waits, in one batch."""
        boarded = self.board()
        if boarded:
            self._send(boarded)

    def cancel(self) -> None:
        """Nobody wants the answers: whatever waits is dropped unsent."""
        self.board()

    def _send(self, boarded: Boarded) -> None:
        sent = self.resolved(boarded)
        try:
            responses = rpc_batch(self.w3, sent, "head reads")
        except Exception as exc:  # raised by whoever wants an answer
            for _, answer in boarded:
                answer.set(error=exc)
            return
        self.settle(boarded, sent, responses)


class CallRecorder(Multicall):
    """Answers every call as failed, keeping the calls of the first `call`: a dry run of a reader tells
    which calls its first round asks (give it copies of whatever it fills in from answers)."""

    def __init__(self, mc: Multicall) -> None:
        super().__init__(mc.w3, mc.address, mc.batch_size, mc.chunks_per_request, mc.bytes_per_request)
        self.calls: list[Call] | None = None

    def call(
        self, calls: Sequence[Call], block: BlockParam = "latest", *, fresh: bool = False
    ) -> list[CallResult]:
        if self.calls is None:
            self.calls = list(calls)
        return [CallResult(False, b"") for _ in calls]


class PrefetchedMulticall(Multicall):
    """`mc` with the answers to one list of calls at one block asked ahead through `riders` (at the head
    they pin): a `call` of exactly those calls at that block takes them (once); any other call is asked
    as `mc` asks it, at that block by the riders' block parameter."""

    def __init__(self, mc: Multicall, calls: Sequence[Call], block: int, riders: Riders) -> None:
        super().__init__(mc.w3, mc.address, mc.batch_size, mc.chunks_per_request, mc.bytes_per_request)
        self.calls, self.block, self.riders = list(calls), block, riders
        self._payloads = self.payloads(self.calls)
        self._answers: list[Answer] | None = [riders.ask(*self.request(p, AT_HEAD)) for p in self._payloads]

    def call(
        self, calls: Sequence[Call], block: BlockParam = "latest", *, fresh: bool = False
    ) -> list[CallResult]:
        answers = self._answers
        if answers is None or block != self.block or list(calls) != self.calls:
            at = self.riders.block_param() if block == self.block else block
            return super().call(calls, at, fresh=fresh)
        self._answers = None
        payloads = self._payloads
        raws = [self.raw_answer(p[0], a.get()) for p, a in zip(payloads, answers, strict=True)]
        return self.results(calls, payloads, raws)
