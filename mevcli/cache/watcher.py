"""The engine of `mevcli watch`: per new head, catch the cache up and report what each block changed.

`Watcher.process(head)` runs one cache snapshot of every known pool at `head` (applying the logs since
the last processed block, rolling back reorgs, re-reading invalidated pools) and returns one
`BlockUpdate` per block that changed something, the head's always last. Opportunities are re-ranked
with the scanner (which reads through the same, now warm, cache) when a pool changed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mevcli.arbitrage.known import known_refs
from mevcli.cache.reserves import ReserveCache, Snapshot
from mevcli.context import AppContext
from mevcli.dex.pools import pool_tokens
from mevcli.dex.registry import PoolRef
from mevcli.errors import MevcliError

REFRESH_POOLS_EVERY = 100  # heads between looks for new pools (discovery is incremental)
Ranker = Callable[[AppContext], list[Any]]


@dataclass(slots=True)
class BlockUpdate:
    block: int
    updated: list[str]
    invalidated: list[str]
    head: bool = True  # False: an earlier block of a catch-up range
    block_hash: str | None = None
    read: list[str] = field(default_factory=list)
    reorgs: list[dict[str, int]] = field(default_factory=list)
    opportunities: list[Any] | None = None
    error: str | None = None
    execution: dict[str, Any] | None = None  # `watch --execute`: the chokepoint's outcome for the best

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "block": self.block,
            "updated": self.updated,
            "invalidated": self.invalidated,
        }
        if self.head:
            data.update(
                hash=self.block_hash,
                read=self.read,
                reorgs=self.reorgs,
                opportunities=None
                if self.opportunities is None
                else [o.to_json() if hasattr(o, "to_json") else o for o in self.opportunities],
            )
            if self.error:
                data["error"] = self.error
            if self.execution is not None:
                data["execution"] = self.execution
        return data


@dataclass(slots=True)
class WatchSummary:
    first_block: int | None = None
    last_block: int | None = None
    heads: int = 0
    pool_updates: int = 0
    invalidations: int = 0
    reads: int = 0
    reorgs: int = 0
    started: float = field(default_factory=time.monotonic)

    def add(self, updates: list[BlockUpdate]) -> None:
        for update in updates:
            if self.first_block is None:
                self.first_block = update.block
            self.last_block = update.block if self.last_block is None else max(self.last_block, update.block)
            self.pool_updates += len(update.updated)
            self.invalidations += len(update.invalidated)
            if update.head:
                self.heads += 1
                self.reads += len(update.read)
                self.reorgs += len(update.reorgs)

    def to_json(self) -> dict[str, Any]:
        return {
            "first_block": self.first_block,
            "last_block": self.last_block,
            "heads": self.heads,
            "pool_updates": self.pool_updates,
            "invalidations": self.invalidations,
            "reads": self.reads,
            "reorgs": self.reorgs,
            "seconds": round(time.monotonic() - self.started, 3),
        }


class Watcher:
    def __init__(
        self,
        ctx: AppContext,
        cache: ReserveCache,
        ranker: Ranker | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.ctx = ctx
        self.cache = cache
        self.ranker = ranker
        self.progress = progress
        self.refs: list[PoolRef] = []
        self.labels: dict[str, str] = {}
        self.fees: dict[str, int] = {}  # Uniswap V3 fee tier per pool, for labels
        self._heads_since_refresh = REFRESH_POOLS_EVERY
        self._ranked = False  # the first processed head is always ranked, even with a warm cache

    def process(self, head: int | None = None) -> list[BlockUpdate]:
        block = self.cache.chain.head() if head is None else head
        first = None
        if self._heads_since_refresh >= REFRESH_POOLS_EVERY:
            first = self.cache.sync(block)
            self.refs = known_refs(self.ctx, self.cache, block, self.progress)
            self._heads_since_refresh = 0
        self._heads_since_refresh += 1
        snap = self.cache.snapshot(self.refs, block)
        if first is not None:
            snap.report = first.merge(snap.report)
        self._label(snap)
        updates = self._updates(snap)
        last = updates[-1]
        changed = last.updated or last.invalidated or last.read or len(updates) > 1
        if self.ranker is not None and (changed or not self._ranked):
            self._ranked = True
            try:
                last.opportunities = self.ranker(self.ctx)
            except MevcliError as exc:
                last.error = str(exc)
        return updates

    def label(self, address: str) -> str:
        return self.labels.get(address, address)

    def _label(self, snap: Snapshot) -> None:
        dex_of = {r.address: r.dex.name for r in self.refs}
        for address, state in snap.states.items():
            if address not in self.labels:
                symbols = "/".join(self.ctx.symbol_of(t) for t in pool_tokens(state))
                self.labels[address] = f"{dex_of.get(address, '?')} {symbols}"
                if hasattr(state, "tick"):  # a V3 pool: its fee tier tells it from its siblings
                    self.fees[address] = int(state.fee)

    def _updates(self, snap: Snapshot) -> list[BlockUpdate]:
        report = snap.report
        blocks = sorted(b for b in set(report.updated) | set(report.invalidated) if b < snap.block)
        updates = [
            BlockUpdate(
                block=b,
                updated=sorted(report.updated.get(b, ())),
                invalidated=sorted(report.invalidated.get(b, ())),
                head=False,
            )
            for b in blocks
        ]
        updates.append(
            BlockUpdate(
                block=snap.block,
                block_hash=snap.block_hash,
                updated=sorted(report.updated.get(snap.block, ())),
                invalidated=sorted(report.invalidated.get(snap.block, ())),
                read=sorted(snap.read),
                reorgs=[r.to_json() for r in report.reorgs],
            )
        )
        return updates


def scanner_ranker(top: int) -> Ranker:
    """Re-rank opportunities with `mevcli scan`'s engine (it reads through the same cache)."""

    def rank(ctx: AppContext) -> list[Any]:
        from mevcli.arbitrage.scanner import ScanOptions, scan

        return scan(ctx, ScanOptions(top=top), lambda _message: None).opportunities

    return rank
