"""`ReserveCache`: pool states read through a cache (on disk, or a shared Redis) that events keep exact.

    cache = ctx.reserve_cache
    states = cache.get_states(refs, block)   # {address: state}, every state at `block` (default: head)
    snap = cache.snapshot(refs)              # the same plus the block, its hash and what changed

A call first catches the cache up to the block (logs of every tracked pool since the last processed
block, reorgs rolled back; see `sync`), then serves each pool from disk, and reads the rest from the
chain in one batched `read_states` and stores them. A pool is read again when it is not cached, was
invalidated, has no version at an older block asked for, was last confirmed by the chain (read or
event) more than `ttl` seconds ago, or no longer holds at the block's time (a Balancer amplification
ramp, an expired token rate cache). Served states carry `block` = the block asked for.

A shared backend lost mid-run is said once; the rest of the run keeps its cache in memory, so every pool is
read from the chain again and nothing reaches the shared one (`backend.fallback`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mevcli.backend.base import Backend, BackendUnavailable
from mevcli.cache.riders import Riders
from mevcli.cache.stats import CacheStats, read_cost
from mevcli.cache.store import DEFAULT_CHECKPOINTS, DEFAULT_HISTORY, ReserveStore, Version, cache_directory
from mevcli.cache.sync import (
    DEFAULT_MAX_GAP,
    MAX_ATTEMPTS,
    BlockHead,
    ChainMoved,
    ChainView,
    Syncer,
    SyncReport,
    catch_up_states,
    index_row,
)
from mevcli.chain.multicall import Multicall
from mevcli.dex.pools import PoolState, read_states
from mevcli.dex.registry import DexInfo, PoolRef, canonical_pool
from mevcli.errors import RpcError

if TYPE_CHECKING:
    from web3 import Web3

Reader = Callable[[Multicall, Sequence[PoolRef], int], dict[str, PoolState]]


@dataclass(slots=True)
class Snapshot:
    block: int
    block_hash: str
    states: dict[str, PoolState]
    report: SyncReport
    hits: int = 0
    misses: int = 0
    expired: int = 0
    read: tuple[str, ...] = ()  # pools read from the chain this time


class ReserveCache:
    def __init__(
        self,
        store: ReserveStore,
        w3: Web3,
        multicall: Multicall,
        *,
        chain_id: int,
        ttl: float = 900.0,
        max_gap: int = DEFAULT_MAX_GAP,
        clock: Callable[[], float] = time.time,
        reader: Reader = read_states,
    ) -> None:
        self.store = store
        self.chain = ChainView(w3)
        self.multicall = multicall
        self.chain_id = chain_id
        self.ttl = ttl
        self.clock = clock
        self.reader = reader
        self.syncer = Syncer(store, self.chain, max_gap, clock)

    @classmethod
    def open(
        cls,
        where: Path | Backend,
        chain_id: int,
        w3: Web3,
        multicall: Multicall,
        *,
        ttl: float = 900.0,
        history: int = DEFAULT_HISTORY,
        checkpoints: int = DEFAULT_CHECKPOINTS,
        **kwargs: Any,
    ) -> ReserveCache:
        """The chain's cache in a backend, or (a path) under that cache dir."""
        if isinstance(where, Path):
            store = ReserveStore(cache_directory(where, chain_id), history, checkpoints)
        else:
            kv = where.reserve_kv(chain_id)
            assert kv is not None
            store = ReserveStore(kv, history, checkpoints)
        return cls(store, w3, multicall, chain_id=chain_id, ttl=ttl, **kwargs)

    def close(self) -> None:
        self.store.close()

    # -- the API -------------------------------------------------------------------------------
    def get_states(self, refs: Sequence[PoolRef], block: int | None = None) -> dict[str, PoolState]:
        return self.snapshot(refs, block).states

    def snapshot(
        self,
        refs: Sequence[PoolRef],
        block: int | None = None,
        more: Callable[[SyncReport], Sequence[PoolRef]] | None = None,
        head: BlockHead | None = None,
        riders: Riders | None = None,
    ) -> Snapshot:
        """States of `refs` at `block` (default: the chain head), all on one chain; with `more`, also
        of the refs it names once the cache has caught up (given what the catch-up changed). `head`:
        the block's header when the caller has it (a new head's), read otherwise; `riders`: requests
        to send with the block's logs."""
        unique = list({canonical_pool(r.address): r for r in refs}.items())
        last_error: ChainMoved | BackendUnavailable | None = None
        for _ in range(MAX_ATTEMPTS):
            target = self.chain.head() if block is None else block
            found = head if head is not None and head.number == target else self.chain.header(target)
            head = None  # a second attempt reads the block again
            if found is None:
                raise RpcError(f"block {target} is not on the chain")
            try:
                return self._snapshot(unique, found, more, riders)
            except ChainMoved as exc:
                last_error = exc
            except BackendUnavailable as exc:  # the shared backend was lost: now in memory (said once)
                last_error = exc
        raise last_error or ChainMoved("the chain kept reorganising")

    def sync(self, block: int | None = None) -> SyncReport:
        """Catch the tracked pools up to `block` (default: the head) without serving any."""
        return self.snapshot([], block).report

    def tracked_refs(self) -> dict[str, PoolRef]:
        """PoolRefs of the pools the cache follows (as identified when they were first stored)."""
        refs = {}
        for address, row in self.store.index().items():
            try:
                data = dict(row["dex"])
                data["pools"] = tuple(data.get("pools") or ())
                refs[address] = PoolRef(address, DexInfo(**data))
            except (KeyError, TypeError):
                continue
        return refs

    def stats(self) -> CacheStats:
        return store_stats(self.store, self.chain_id)

    def clear(self) -> int:
        return self.store.clear()

    # -- steps ---------------------------------------------------------------------------------
    def _snapshot(
        self,
        refs: list[tuple[str, PoolRef]],
        head: BlockHead,
        more: Callable[[SyncReport], Sequence[PoolRef]] | None = None,
        riders: Riders | None = None,
    ) -> Snapshot:
        target, target_hash, timestamp = head.number, head.hash, head.timestamp
        report = self.syncer.catch_up(target, target_hash, head.parent_hash, head.logs_bloom, riders)
        if more is not None:
            named = dict(refs)
            for ref in more(report):
                named.setdefault(canonical_pool(ref.address), ref)
            refs = list(named.items())
        states, missing, expired = self._load(refs, target, timestamp)
        snap = Snapshot(target, target_hash, states, report, len(states), len(missing), expired)
        rpc, calls = read_cost(states.values())
        if missing:
            fresh = self.reader(self.multicall, [ref for _, ref in missing], target)
            if self.chain.block_hash(target) != target_hash:
                raise ChainMoved(f"block {target} changed while pools were read")
            self._insert(fresh, target, target_hash, dict(missing))
            states.update(fresh)
            snap.read = tuple(fresh)
        self.store.bump_stats(
            {
                "hits": snap.hits,
                "misses": snap.misses,
                "ttl_expiries": expired,
                "rpc_calls_saved": rpc,
                "calls_saved": calls,
            }
        )
        snap.states = {a: s if s.block == target else replace(s, block=target) for a, s in states.items()}
        return snap

    def _load(
        self, refs: list[tuple[str, PoolRef]], target: int, timestamp: int
    ) -> tuple[dict[str, PoolState], list[tuple[str, PoolRef]], int]:
        """Cached states at `target`, the refs to read, and how many of those had expired.

        Optimistic: the view is consistent when the store's sequence number did not move meanwhile;
        after a few tries the read is done under the store's lock.
        """
        for attempt in range(MAX_ATTEMPTS):
            seq = self.store.seq()
            if attempt < MAX_ATTEMPTS - 1:
                result = self._read_view(refs, target, timestamp)
                if self.store.seq() == seq:
                    return result
                continue
            with self.store.transact():
                return self._read_view(refs, target, timestamp)
        raise AssertionError("unreachable")

    def _read_view(
        self, refs: list[tuple[str, PoolRef]], target: int, timestamp: int
    ) -> tuple[dict[str, PoolState], list[tuple[str, PoolRef]], int]:
        point = self.store.sync()
        if point is None or point.block < target:
            return {}, list(refs), 0
        now = self.clock()
        states: dict[str, PoolState] = {}
        missing: list[tuple[str, PoolRef]] = []
        expired = 0
        records = self.store.records([address for address, _ in refs])
        for address, ref in refs:
            record = records[address]
            if record is not None and now - record.touched > self.ttl:
                expired += 1
                record = None
            state = self.store.state_at(record, target) if record is not None else None
            # A composable stable pool's amplification under a ramp, or a token rate once its cache has
            # expired, moves with the block time, not with logs: such a state is read again.
            holds_at = getattr(state, "holds_at", None)
            if state is None or (holds_at is not None and not holds_at(timestamp)):
                missing.append((address, ref))
            else:
                states[address] = state
        return states, missing, expired

    def _insert(
        self, fresh: dict[str, PoolState], target: int, target_hash: str, refs: dict[str, PoolRef]
    ) -> None:
        """Store states read at `target`, brought up to the last processed block if that is newer."""
        for _ in range(MAX_ATTEMPTS):
            seq = self.store.seq()
            point = self.store.sync()
            if point is None or point.block < target:
                return  # cleared or rolled back by another process meanwhile: serve, do not store
            versions = {a: [Version(target, target_hash, s)] for a, s in fresh.items()}
            if point.block > target:
                try:
                    later, failed = catch_up_states(
                        self.chain, fresh, target + 1, point.block, point.block_hash
                    )
                except ChainMoved:
                    return
                for address in failed:
                    versions.pop(address, None)
                for address, extra in later.items():
                    if address in versions:
                        versions[address].extend(extra)
            now = self.clock()
            with self.store.transact():
                if self.store.seq() != seq:
                    continue
                index = self.store.index()
                for address, pool_versions in versions.items():
                    self.store.push_versions(address, self.store.record(address), pool_versions, now)
                    ref = refs.get(address)
                    index[address] = index_row(fresh[address], ref.dex if ref else None)
                self.store.set_index(index)
                self.store.bump_seq()
            return


def store_stats(store: ReserveStore, chain_id: int) -> CacheStats:
    """Statistics of one chain's cache, read from the cache itself (no RPC)."""
    point = store.sync()
    return CacheStats(
        chain_id=chain_id,
        **store.counters(),
        entries=len(store.index()),
        size_bytes=store.volume(),
        last_block=point.block if point else None,
        last_block_hash=point.block_hash if point else None,
        directory=store.location,
    )


def existing_stats(backend: Backend, chain_id: int) -> CacheStats | None:
    """The chain's cache statistics when the backend holds a cache for it (nothing is created)."""
    kv = backend.reserve_kv(chain_id, create=False)
    if kv is None:
        return None
    store = ReserveStore(kv)
    try:
        return store_stats(store, chain_id)
    finally:
        store.close()
