"""Run several batched readers side by side so that their rounds travel together.

Each reader (V2, V3, Balancer, Curve ...) reads in a few dependent rounds of Multicall3 calls. Run one
after another, their rounds add up; run through `merged_rounds`, round k of every reader goes out as one
`Multicall.call` (one JSON-RPC batch), so the round trips are those of the reader with the most rounds.

    results = merged_rounds(mc, [lambda m: read_pairs(m, ...), lambda m: read_pools(m, ...)])

Each job gets a stand-in for the Multicall whose `call` waits until every job still running has asked
for its next round (or finished), then sends all of them at once. The readers are unchanged: plain code
that calls `mc.call(calls, block)` in sequence.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from mevcli.chain.multicall import Call, CallResult, Multicall


class _Round:
    """The shared side: pending requests of the current round, and how many jobs still run. The calling
    thread sends every round (web3 keeps per-thread request caches, e.g. of eth_chainId)."""

    def __init__(self, mc: Multicall, jobs: int) -> None:
        self.mc = mc
        self.active = jobs
        self.pending: list[tuple[list[Call], int | str, dict[str, Any]]] = []
        self.cond = threading.Condition()

    def ask(self, calls: Sequence[Call], block: int | str) -> list[CallResult]:
        """From a job's thread: join the current round and wait for its answers."""
        box: dict[str, Any] = {}
        with self.cond:
            self.pending.append((list(calls), block, box))
            self.cond.notify_all()
            while not box:
                self.cond.wait()
        if "error" in box:
            raise box["error"]
        return box["result"]

    def leave(self) -> None:
        with self.cond:
            self.active -= 1
            self.cond.notify_all()

    def serve(self) -> None:
        """On the calling thread: send each round once every running job waits in it, until all left."""
        while True:
            with self.cond:
                while not (self.active == 0 or (self.pending and len(self.pending) >= self.active)):
                    self.cond.wait()
                if not self.pending:
                    return
                pending, self.pending = self.pending, []
            self._send(pending)
            with self.cond:
                self.cond.notify_all()

    def _send(self, pending: list[tuple[list[Call], int | str, dict[str, Any]]]) -> None:
        by_block: dict[int | str, list[tuple[list[Call], dict[str, Any]]]] = {}
        for calls, block, box in pending:
            by_block.setdefault(block, []).append((calls, box))
        for block, requests in by_block.items():
            try:
                results = self.mc.call([c for calls, _ in requests for c in calls], block)
            except Exception as exc:  # every job of the round sees the failure
                for _, box in requests:
                    box["error"] = exc
                continue
            offset = 0
            for calls, box in requests:
                box["result"] = results[offset : offset + len(calls)]
                offset += len(calls)


class _JobMulticall:
    """What one job sees: a Multicall whose `call` joins the current round."""

    def __init__(self, shared: _Round) -> None:
        self._shared = shared
        self.w3 = shared.mc.w3
        self.address = shared.mc.address
        self.batch_size = shared.mc.batch_size

    def call(self, calls: Sequence[Call], block: int | str = "latest") -> list[CallResult]:
        return self._shared.ask(calls, block)


def merged_rounds(mc: Multicall, jobs: Sequence[Callable[[Any], Any]]) -> list[Any]:
    """Each job's result, in order; the first job's exception (in order) is raised after all finished."""
    if len(jobs) <= 1:
        return [job(mc) for job in jobs]
    shared = _Round(mc, len(jobs))
    outcomes: list[tuple[bool, Any]] = [(False, None)] * len(jobs)

    def run(index: int) -> None:
        try:
            outcomes[index] = (True, jobs[index](_JobMulticall(shared)))
        except BaseException as exc:  # handed to the caller below
            outcomes[index] = (False, exc)
        finally:
            shared.leave()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    shared.serve()
    for thread in threads:
        thread.join()
    for ok, value in outcomes:
        if not ok:
            raise value
    return [value for _, value in outcomes]
