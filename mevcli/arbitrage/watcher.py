"""The engine of `mevcli watch`: per new head, catch the cache up and report what each block changed.

`Watcher.process(head)` catches the cache up to `head` (applying the logs since the last processed
block, rolling back reorgs, re-reading invalidated pools), loads the states of the pools that changed
(every known pool on the first head, every pool refresh, after a reorg or a failure) and returns one
`BlockUpdate` per block that changed something, the head's always last. When pools changed, the
ranker re-ranks opportunities from the snapshot's states, told which pools changed (`LiveRanker`: only
the cycles through those; `FullRanker`: a whole `scan` per block, the reference). The head's update
carries when the head arrived and `latency_ms`, from its arrival to the ranking being ready.
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from mevcli.arbitrage.known import known_refs
from mevcli.cache.reserves import ReserveCache, Snapshot
from mevcli.cache.riders import Riders
from mevcli.cache.sync import BlockHead, SyncReport
from mevcli.context import AppContext
from mevcli.dex.pools import PoolState, pool_tokens
from mevcli.dex.registry import PoolRef
from mevcli.errors import MevcliError

REFRESH_POOLS_EVERY = 100  # heads between looks for new pools (discovery is incremental)


class Ranker(Protocol):
    def refresh_pools(self, block: int) -> Sequence[PoolRef]:
        """New pools may have appeared (the watcher looked for them at `block`): the pools it ranks
        (the watcher follows them too)."""
        ...

    def rank(self, block: int, states: Mapping[str, PoolState], changed: Collection[str] | None) -> list[Any]:
        """The ranking at `block` from the watcher's states; `changed`: pools that changed since the last
        call (None: any, e.g. after a reorg)."""
        ...

    def prefetch(self, block: int, riders: Riders) -> None:
        """Ask what the ranking at `block` needs regardless of the pools through `riders` (the requests
        go with the block's logs)."""

    def settle(self) -> None:
        """The head's line is out: finish what the ranking left for later (the routes that could not
        reach the shown head) before the next head."""

    def close(self) -> None:
        """The watch is over: stop background work (what must not be lost is finished)."""


@dataclass(frozen=True, slots=True)
class Arrival:
    """When a head arrived: wall-clock time (shown) and a monotonic clock reading (for the latency)."""

    wall: float
    clock: float

    @classmethod
    def now(cls) -> Arrival:
        return cls(time.time(), time.perf_counter())


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
    arrived: float | None = None  # unix time the head arrived (subscription message or poll answer)
    latency_ms: float | None = None  # from its arrival to the ranking (or the cache update) being ready

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
            data.update(arrived=self.arrived, latency_ms=self.latency_ms)
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
    latencies: list[float] = field(default_factory=list)  # ms per head that was ranked
    idle_latencies: list[float] = field(default_factory=list)  # ms per head that ranked nothing

    def add(self, updates: list[BlockUpdate]) -> None:
        for update in updates:
            if update.head and update.latency_ms is not None:
                ranked = update.opportunities is not None or update.error is not None
                (self.latencies if ranked else self.idle_latencies).append(update.latency_ms)
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
            "latency_ms": latency_quantiles(self.latencies),
            "idle_latency_ms": latency_quantiles(self.idle_latencies),
        }


QUANTILES = (0.5, 0.9, 0.99)


def latency_quantiles(values: list[float]) -> dict[str, float | int | None]:
    """count, median, p90, p99 and max of latencies in ms (nearest rank; None without any)."""
    ordered = sorted(values)
    data: dict[str, float | int | None] = {"count": len(ordered)}
    for q in QUANTILES:
        key = "median" if q == 0.5 else f"p{round(q * 100)}"
        data[key] = ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else None
    data["max"] = ordered[-1] if ordered else None
    return data


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
        self.ref_of: dict[str, PoolRef] = {}
        self.labels: dict[str, str] = {}
        self.fees: dict[str, int] = {}  # Uniswap V3 fee tier per pool, for labels
        self._heads_since_refresh = REFRESH_POOLS_EVERY
        self._ranked = False  # the first processed head is always ranked, even with a warm cache
        # Every pool's state, as of the last block it was loaded at (its `block`; it holds at the last
        # head). Between full snapshots (the first head, every pool refresh, after a reorg or a failed
        # head, and once half the cache's TTL has passed) a head loads only the pools its logs touched,
        # those not loaded yet, and those whose state moves with time (`timed`), and updates this map
        # in place: nothing per head walks every pool.
        self.states: dict[str, PoolState] = {}
        self.timed: list[PoolRef] = []
        self.unloaded: set[str] = set()  # known pools with no state yet (each head tries them again)
        self._full_due = True
        self._last_full = 0.0

    def process(
        self, head: int | None = None, arrived: Arrival | None = None, header: BlockHead | None = None
    ) -> list[BlockUpdate]:
        """The updates up to `head` (default: the chain's); `header`: its header when the caller has it
        (a `newHeads` message), which spares reading it.

        The cyclic collector is paused until the ranking is ready (its walks are not the head's work);
        after a ranking from scratch what it built is frozen like the states (see `_snapshot`)."""
        arrived = arrived or Arrival.now()
        collecting = gc.isenabled()
        gc.disable()
        try:
            updates, rebuilt = self._process(head, arrived, header)
        finally:
            if collecting:
                gc.enable()
        if rebuilt:
            gc.freeze()
        return updates

    def _process(
        self, head: int | None, arrived: Arrival, header: BlockHead | None
    ) -> tuple[list[BlockUpdate], bool]:
        block = (header.number if header else self.cache.chain.head()) if head is None else head
        first = None
        if self._heads_since_refresh >= REFRESH_POOLS_EVERY:
            first = self.cache.sync(block)
            refs = {r.address: r for r in known_refs(self.ctx, self.cache, block, self.progress)}
            if self.ranker is not None:
                for ref in self.ranker.refresh_pools(block):
                    refs.setdefault(ref.address, ref)
            self.refs = sorted(refs.values(), key=lambda r: r.address)
            self.ref_of = refs
            self._heads_since_refresh = 0
        self._heads_since_refresh += 1
        full = self._full_due or first is not None
        riders = Riders(self.cache.chain.w3, block)
        if self.ranker is not None and (header is None or self.cache.syncer.may_change(header)):
            self.ranker.prefetch(block, riders)  # what the ranking reads regardless of the pools
        self._full_due = True  # until this head is processed: a failure reloads every pool next time
        snap, loaded = self._snapshot(block, full, header, riders)
        if first is not None:
            snap.report = first.merge(snap.report)
        self._label(loaded)
        updates = self._updates(snap)
        last = updates[-1]
        changed: set[str] | None = {p for u in updates for p in (*u.updated, *u.invalidated, *u.read)}
        if snap.report.reorgs or not self._ranked:
            changed = None  # rolled back (or nothing ranked yet): every pool may differ
        if self.ranker is not None and (changed is None or changed):
            self._ranked = False  # until it succeeds: a failed ranking re-ranks every pool next time
            try:
                last.opportunities = self.ranker.rank(block, snap.states, changed)
                self._ranked = True
            except MevcliError as exc:
                last.error = str(exc)
        last.arrived = round(arrived.wall, 3)
        last.latency_ms = round((time.perf_counter() - arrived.clock) * 1000, 2)
        self._full_due = time.monotonic() - self._last_full >= self.cache.ttl / 2
        return updates, changed is None and last.opportunities is not None

    def _snapshot(
        self, block: int, full: bool, header: BlockHead | None, riders: Riders
    ) -> tuple[Snapshot, dict[str, PoolState]]:
        """The cache caught up to `block`, with every known pool's state (`snap.states`, this watcher's
        map), and the states loaded this time; `riders` go with the block's logs."""
        if not full:
            # Catch every tracked pool up; load (or re-read) only the pools whose state holds for a
            # time, then, in the same snapshot, those the logs since the last head touched.
            def touched(report: SyncReport) -> list[PoolRef]:
                if report.reorgs:
                    return []
                named = report.changed() | self.unloaded
                return [self.ref_of[a] for a in named if a in self.ref_of]

            snap = self.cache.snapshot(self.timed, block, more=touched, head=header, riders=riders)
            if not snap.report.reorgs:
                loaded = snap.states
                fresh = self.unloaded & loaded.keys()
                self.unloaded -= fresh
                self.timed += [self.ref_of[a] for a in fresh if hasattr(loaded[a], "holds_at")]
                self.states.update(loaded)
                snap.states = self.states
                return snap, loaded
            reorg = snap.report
        else:
            reorg = None
        snap = self.cache.snapshot(self.refs, block, head=header, riders=riders)
        if reorg is not None:
            snap.report = reorg.merge(snap.report)
        loaded = snap.states
        self.states = dict(loaded)
        self.timed = [r for r in self.refs if hasattr(self.states.get(r.address), "holds_at")]
        self.unloaded = self.ref_of.keys() - self.states.keys()
        self._last_full = time.monotonic()
        # Every known pool's state (tick maps and all) lives on until the next full snapshot: kept out of
        # the cyclic collector's walks, which would otherwise cross the whole market on every head. They
        # are still freed by their reference counts when replaced (states hold no reference cycles). What
        # the last freeze kept is handed back to the collector first, so a long watch frees its cycles.
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        snap.states = self.states
        return snap, loaded

    def settle(self) -> None:
        """Let the ranker finish what it left for after the head's line (`Ranker.settle`). The line is
        out: an error of ours is reported, as `process` reports a ranking's, and the ranker settles
        again before its next ranking."""
        if self.ranker is None:
            return
        try:
            self.ranker.settle()
        except BaseException as exc:
            self._ranked = False  # what it left may be half done: the next head ranks every pool again
            if not isinstance(exc, MevcliError):
                raise
            if self.progress is not None:
                self.progress(f"settling the last ranking: {exc}")

    def label(self, address: str) -> str:
        return self.labels.get(address, address)

    def _label(self, states: Mapping[str, PoolState]) -> None:
        for address, state in states.items():
            if address not in self.labels:
                symbols = "/".join(self.ctx.symbol_of(t) for t in pool_tokens(state))
                ref = self.ref_of.get(address)
                self.labels[address] = f"{ref.dex.name if ref else '?'} {symbols}"
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


class LiveRanker:
    """`scan`'s ranking kept across blocks: only the cycles through changed pools are re-evaluated."""

    def __init__(self, ctx: AppContext, top: int) -> None:
        from mevcli.arbitrage.live import LiveScan
        from mevcli.arbitrage.scanner import ScanOptions

        self.live = LiveScan(ctx, ScanOptions(top=top), lambda _message: None)

    def refresh_pools(self, block: int) -> Sequence[PoolRef]:
        return self.live.refresh_pools(block)

    def prefetch(self, block: int, riders: Riders) -> None:
        self.live.prefetch(block, riders)

    def settle(self) -> None:
        self.live.settle()

    def close(self) -> None:
        self.live.close()

    def rank(self, block: int, states: Mapping[str, PoolState], changed: Collection[str] | None) -> list[Any]:
        return self.live.rank(block, states, changed)


class FullRanker:
    """A whole `mevcli scan` per block (it reads through the same, now warm, cache): the reference."""

    def __init__(self, ctx: AppContext, top: int) -> None:
        self.ctx = ctx
        self.top = top

    def refresh_pools(self, block: int) -> Sequence[PoolRef]:
        return ()

    def prefetch(self, block: int, riders: Riders) -> None:
        pass  # a whole scan reads everything itself

    def settle(self) -> None:
        pass  # a whole scan leaves nothing for later

    def close(self) -> None:
        pass

    def rank(self, block: int, states: Mapping[str, PoolState], changed: Collection[str] | None) -> list[Any]:
        from mevcli.arbitrage.scanner import ScanOptions, scan

        return scan(self.ctx, ScanOptions(top=self.top), lambda _message: None).opportunities
