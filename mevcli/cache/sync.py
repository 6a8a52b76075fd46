"""Catch-up: bring every tracked pool from the last processed block to a target block, reorg-safe.

1. Reorg check: the stored hash of the last processed block must still be the chain's. If not, the
   newest checkpoint (a processed block whose hash we kept) that still is becomes the fork point; every
   pool changed after it rolls back to its version at that block, or is invalidated when its bounded
   history does not reach back. No checkpoint left on the chain: everything is invalidated.
2. `eth_getLogs` over the tracked pools' emitters and topics (`LogFilter`), from the last processed
   block + 1 to the target; a single new block is asked by its hash. Logs with `removed: true`, or a
   target hash that changed meanwhile, mean a reorg is in flight: nothing is applied (`ChainMoved`) and
   the caller starts over at the new head, where step 1 rolls back what the reorg replaced. When the
   caller knows the target's parent hash (a new head's header), step 1 for the block before it reads
   nothing.
3. The logs are applied per pool in (block, logIndex) order, one version per block; a log a model cannot
   apply exactly invalidates its pool. The new last processed block and its hash are stored.

Writes are optimistic: everything slow (RPC) happens outside the store's lock; the commit re-checks the
store's sequence number and starts over if another process wrote in between, so no update is lost.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from itertools import groupby
from typing import TYPE_CHECKING, Any

from mevcli.cache.events import Invalidate, Log, model_for
from mevcli.cache.log_filter import LogFilter
from mevcli.cache.riders import Riders
from mevcli.cache.store import CHAIN_FACTS, ReserveStore, SyncPoint, Version
from mevcli.chain.logs import _hex, _int, as_bytes
from mevcli.dex.registry import DexInfo
from mevcli.errors import MevcliError

if TYPE_CHECKING:
    from web3 import Web3

MAX_ATTEMPTS = 8
DEFAULT_MAX_GAP = 20_000  # blocks: a cache further behind than this is dropped and re-read


class ChainMoved(MevcliError):
    """The target block was replaced while we read it (a reorg in flight): start again."""


@dataclass(slots=True)
class Reorg:
    fork_block: int  # newest processed block still on the chain (-1: none)
    depth: int  # processed blocks that were replaced
    rolled_back: int = 0
    invalidated: int = 0

    def to_json(self) -> dict[str, int]:
        return asdict(self)


@dataclass(slots=True)
class SyncReport:
    """What one catch-up did: per block, the pools updated by events and the pools invalidated."""

    target: int
    from_block: int | None = None
    updated: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    invalidated: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    reorgs: list[Reorg] = field(default_factory=list)
    logs: int = 0
    event_updates: int = 0

    def merge(self, later: SyncReport) -> SyncReport:
        """This report followed by `later` (a second catch-up of the same run)."""
        for block, pools in later.updated.items():
            self.updated[block] |= pools
        for block, pools in later.invalidated.items():
            self.invalidated[block] |= pools
        self.reorgs += later.reorgs
        self.logs += later.logs
        self.event_updates += later.event_updates
        self.target = later.target
        return self

    def changed(self) -> set[str]:
        return set().union(*self.updated.values(), *self.invalidated.values())


@dataclass(frozen=True, slots=True)
class BlockHead:
    """What a catch-up needs of its target block: the hash, the parent's hash and the timestamp (a
    `newHeads` message or a polled header carries them, sparing a block read)."""

    number: int
    hash: str
    timestamp: int
    parent_hash: str | None = None
    logs_bloom: bytes | None = None  # None: unknown, or not to be trusted (every tracked log is asked)

    @classmethod
    def of(cls, header: Any) -> BlockHead:
        """From a header as a node sends it (hex strings) or as web3 formats it."""
        parent, bloom = header.get("parentHash"), header.get("logsBloom")
        if bloom is not None:
            bloom = as_bytes(bloom)
        if bloom is not None and (len(bloom) != 256 or not (any(bloom) or _no_transactions(header))):
            # an all-zero bloom is trusted only for a block without transactions: some nodes send one
            # for blocks with logs (it would hide every event of the block)
            bloom = None
        return cls(
            _int(header["number"]),
            _hex(header["hash"]),
            _int(header["timestamp"]),
            None if parent is None else _hex(parent),
            bloom,
        )


EMPTY_TRIE_ROOT = "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421"


def _no_transactions(header: Any) -> bool:
    """Whether the header says its block has no transaction (its transactions root is the empty trie's)."""
    root = header.get("transactionsRoot")
    return root is not None and _hex(root) == EMPTY_TRIE_ROOT


class ChainView:
    """The few chain reads the cache needs, over a web3 client."""

    def __init__(self, w3: Web3) -> None:
        self.w3 = w3

    def head(self) -> int:
        return int(self.w3.eth.block_number)

    def block_hash(self, number: int) -> str | None:
        """The canonical hash of block `number`, None when the chain has no such block (yet)."""
        found = self.header(number)
        return found.hash if found else None

    def header(self, number: int) -> BlockHead | None:
        """Canonical block `number`'s head, None when the chain has no such block (yet). Asked straight
        through the provider: web3's block formatters would convert every field of it."""
        response = self.w3.provider.make_request("eth_getBlockByNumber", [hex(number), False])
        if "error" in response:
            raise ValueError(response["error"])
        block = response.get("result")
        return None if block is None else BlockHead.of(block)


def index_row(state: Any, dex: DexInfo | None = None) -> dict[str, Any]:
    """What the index keeps of a pool: its event model, log routes and DEX (to rebuild its PoolRef)."""
    model = model_for(state)
    row: dict[str, Any] = {"model": model.name, "routes": [[e, t] for e, t in model.routes(state)]}
    if dex is not None:
        row["dex"] = asdict(dex)
    return row


def apply_pool_logs(state: Any, logs: Sequence[Log]) -> tuple[list[Version], int]:
    """One version per block after applying `logs` (chain order) to `state`, and how many applied.

    Raises Invalidate when a log cannot be applied exactly.
    """
    model = model_for(state)
    versions: list[Version] = []
    applied = 0
    for block, group in groupby(logs, key=lambda log: log["blockNumber"]):
        block_hash = ""
        for log in group:
            state = model.apply(state, log)
            applied += 1
            block_hash = log["blockHash"]
        versions.append(Version(block, block_hash, state))
    return versions, applied


class Syncer:
    def __init__(
        self,
        store: ReserveStore,
        chain: ChainView,
        max_gap: int = DEFAULT_MAX_GAP,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.chain = chain
        self.max_gap = max_gap
        self.clock = clock
        self._filter: tuple[int, dict[str, dict[str, Any]], LogFilter] | None = None  # (seq, index, filter)

    def _index(self, seq: int) -> tuple[dict[str, dict[str, Any]], LogFilter]:
        """The store's index and its log filter as of sequence number `seq`, decoded once per change."""
        if self._filter is None or self._filter[0] != seq:
            index = self.store.index()
            self._filter = (seq, index, LogFilter.of(index))
        return self._filter[1], self._filter[2]

    def may_change(self, head: BlockHead) -> bool:
        """Whether block `head` may hold a log of a tracked pool (False only when its logs bloom says
        none, as of the tracked pools last seen)."""
        return head.logs_bloom is None or self._filter is None or self._filter[2].may_match(head.logs_bloom)

    def catch_up(
        self,
        target: int,
        target_hash: str,
        parent_hash: str | None = None,
        bloom: bytes | None = None,
        riders: Riders | None = None,
    ) -> SyncReport:
        """Bring the store to `target` (whose hash, and maybe its parent's and its logs bloom, the caller
        read), or leave it ahead if it already is. `riders`: requests to send with the target's logs, pinned
        to `target_hash`.

        On return the last processed block is >= target and on the chain whose block `target` has
        `target_hash`. Raises ChainMoved if that hash stops being canonical meanwhile.
        """
        parent = (target - 1, parent_hash) if parent_hash else None
        report = SyncReport(target)
        if riders is not None:
            riders.pin(target, target_hash)  # their reads of the target: of this block
        for _ in range(MAX_ATTEMPTS):
            seq = self.store.seq()
            point = self.store.sync()
            if point is None:
                if self._initialise(seq, target, target_hash, report):
                    return report
                continue
            if report.from_block is None:
                report.from_block = point.block
            fork = self._fork_point(point, target, target_hash, parent)
            if fork is not None:
                self._rollback(seq, point, fork, report)
                continue
            if point.block >= target:
                return report
            if target - point.block > self.max_gap:
                self._drop_all(seq, report, point.block + 1)
                continue
            index, log_filter = self._index(seq)
            start = point.block + 1
            asked = bool(index) and (start < target or bloom is None or log_filter.may_match(bloom))
            try:
                logs = log_filter.fetch(self.chain.w3, start, target, target_hash, riders) if asked else []
            except (ValueError, MevcliError):  # e.g. no block with that hash any more
                if self.chain.block_hash(target) != target_hash:
                    raise ChainMoved(f"block {target} changed while its logs were read") from None
                raise
            if riders is not None and riders.replaced:
                raise ChainMoved(f"block {target} was replaced while read")
            # Removed logs, a log of another block `target`, or a new hash at `target`: the range was
            # read while a reorg happened. Nothing was applied yet; the caller starts again. (One block
            # asked by its hash needs no second look: its logs are that block's.)
            if any(log["removed"] for log in logs) or any(
                log["blockNumber"] == target and log["blockHash"] != target_hash for log in logs
            ):
                raise ChainMoved(f"blocks up to {target} changed while their logs were read")
            if (start < target or not index) and self.chain.block_hash(target) != target_hash:
                # (one block whose bloom rules out every tracked log: the caller's header is its hash)
                raise ChainMoved(f"block {target} changed while its logs were read")
            if self._commit(seq, point, index, log_filter, logs, target, target_hash, report):
                return report
        raise ChainMoved("the reserve cache kept changing under this process; try again")

    # -- steps ---------------------------------------------------------------------------------
    def _initialise(self, seq: int, target: int, target_hash: str, report: SyncReport) -> bool:
        with self.store.transact():
            if self.store.seq() != seq:
                return False
            dropped = self._delete_all()  # records without a sync point cannot be trusted
            self.store.set_sync(SyncPoint(target, target_hash, ((target, target_hash),)))
            self.store.bump_seq()
        if dropped:
            report.invalidated[target].update(dropped)
            self.store.bump_stats({"invalidations": len(dropped)})
        return True

    def _fork_point(
        self, point: SyncPoint, target: int, target_hash: str, parent: tuple[int, str] | None
    ) -> int | None:
        """None when the last processed block is still on the chain, else the newest checkpoint that is
        (`parent`: the target's parent's number and hash, when known)."""
        if self._canonical(point.block, point.block_hash, target, target_hash, parent):
            return None
        return self._newest_canonical(point, point.block, target, target_hash, parent)

    def _canonical(
        self, block: int, block_hash: str, target: int, target_hash: str, parent: tuple[int, str] | None
    ) -> bool:
        if block == target:
            return block_hash == target_hash
        if parent is not None and parent[0] == block:  # the target's parent: its hash is known
            return parent[1] == block_hash
        return self.chain.block_hash(block) == block_hash

    def _newest_canonical(
        self, point: SyncPoint, at_most: int, target: int, target_hash: str, parent: tuple[int, str] | None
    ) -> int:
        """Binary search of the checkpoints (a prefix of them is canonical); -1 when none is."""
        points = [p for p in point.checkpoints if p[0] <= at_most]
        low, high, found = 0, len(points) - 1, -1
        while low <= high:
            middle = (low + high) // 2
            block, block_hash = points[middle]
            if self._canonical(block, block_hash, target, target_hash, parent):
                found, low = block, middle + 1
            else:
                high = middle - 1
        return found

    def _rollback(self, seq: int, point: SyncPoint, fork: int, report: SyncReport) -> None:
        reorg = Reorg(fork_block=fork, depth=point.block - fork if fork >= 0 else len(point.checkpoints))
        with self.store.transact():
            if self.store.seq() != seq:
                return
            if fork < 0:  # not one processed block left on this chain: another chain, forget it all
                dropped = self._delete_all()
                for key in CHAIN_FACTS:
                    self.store.kv.delete(key)
                reorg.invalidated = len(dropped)
                self.store.set_sync(None)
            else:
                index = self.store.index()
                for address in list(index):
                    record = self.store.record(address)
                    if record is None:
                        index.pop(address)
                        self.store.delete_pool(address)
                        reorg.invalidated += 1
                    elif record.head.block > fork:
                        if self.store.rollback(record, fork) is None:
                            index.pop(address)
                            reorg.invalidated += 1
                            report.invalidated[fork].add(address)
                        else:
                            reorg.rolled_back += 1
                self.store.set_index(index)
                self.store.set_sync(point.rolled_back(fork))
            self.store.bump_seq()
        report.reorgs.append(reorg)
        self.store.bump_stats(
            {"reorgs": 1, "reorg_rollbacks": reorg.rolled_back, "invalidations": reorg.invalidated}
        )

    def _drop_all(self, seq: int, report: SyncReport, block: int) -> None:
        with self.store.transact():
            if self.store.seq() != seq:
                return
            dropped = self._delete_all()
            self.store.set_sync(None)
            self.store.bump_seq()
        report.invalidated[block].update(dropped)
        self.store.bump_stats({"invalidations": len(dropped)})

    def _delete_all(self) -> list[str]:
        index = self.store.index()
        for address in index:
            self.store.delete_pool(address)
        self.store.set_index({})
        return list(index)

    def _commit(
        self,
        seq: int,
        point: SyncPoint,
        index: dict[str, dict[str, Any]],
        log_filter: LogFilter,
        logs: list[Log],
        target: int,
        target_hash: str,
        report: SyncReport,
    ) -> bool:
        by_pool = log_filter.route(logs)
        now = self.clock()
        updated: dict[int, set[str]] = defaultdict(set)
        invalidated: dict[int, set[str]] = defaultdict(set)
        applied_total = 0
        with self.store.transact():
            if self.store.seq() != seq:
                return False
            changed_index = False
            for address, pool_logs in by_pool.items():
                record = self.store.record(address)
                pool_logs = [log for log in pool_logs if record and log["blockNumber"] > record.head.block]
                if record is None or not pool_logs:
                    continue
                try:
                    versions, applied = apply_pool_logs(record.head.state, pool_logs)
                except Invalidate:
                    self.store.delete_pool(address, record)
                    index.pop(address, None)
                    changed_index = True
                    invalidated[pool_logs[0]["blockNumber"]].add(address)
                    continue
                self.store.push_versions(address, record, versions, now)
                applied_total += applied
                for version in versions:
                    updated[version.block].add(address)
            if changed_index:
                self.store.set_index(index)
            self.store.set_sync(point.advanced(target, target_hash, self.store.max_checkpoints))
            self.store.bump_seq()
        # The index this commit leaves is the one decoded (unless a pool was dropped): keep its filter.
        self._filter = None if changed_index else (seq + 1, index, log_filter)
        for block, pools in updated.items():
            report.updated[block] |= pools
        for block, pools in invalidated.items():
            report.invalidated[block] |= pools
        report.logs += len(logs)
        report.event_updates += applied_total
        self.store.bump_stats(
            {
                "event_updates": applied_total,
                "invalidations": sum(len(p) for p in invalidated.values()),
            }
        )
        return True


def catch_up_states(
    chain: ChainView, states: dict[str, Any], start: int, end: int, end_hash: str
) -> tuple[dict[str, list[Version]], set[str]]:
    """Bring freshly read `states` (valid at start - 1) to block `end` (whose hash is `end_hash`) with
    their logs: versions per pool, and the pools whose logs could not be applied."""
    log_filter = LogFilter.of({address: index_row(state) for address, state in states.items()})
    logs = log_filter.fetch(chain.w3, start, end)
    if any(log["removed"] or (log["blockNumber"] == end and log["blockHash"] != end_hash) for log in logs):
        raise ChainMoved(f"blocks up to {end} changed while their logs were read")
    by_pool = log_filter.route(logs)
    versions: dict[str, list[Version]] = {}
    failed: set[str] = set()
    for address, pool_logs in by_pool.items():
        try:
            versions[address] = apply_pool_logs(states[address], pool_logs)[0]
        except Invalidate:
            failed.add(address)
    return versions, failed
