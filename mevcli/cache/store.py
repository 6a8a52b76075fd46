"""The reserve cache's layout over a key-value space per chain id (`mevcli.backend`): on disk one
`diskcache.Cache` (SQLite, WAL), or a Redis several hosts share.

Keys:
- `pool:<address>` -> the pool's newest state (its "head" version: state, the block it is valid from and
  that block's hash), the (block, hash) of its older versions, and when the chain last confirmed it.
- `ver:<address>:<block>` -> an older version's state (a bounded history per pool, for reorg rollback
  and for serving a block a little behind the newest processed one).
- `meta:sync` -> the last processed block, its hash and recent checkpoints (block, hash) for reorgs.
- `meta:index` -> tracked pools and the (emitter, topic 1) routes of the logs that change them.
- `meta:identity` -> which DEX vouches for each address seen, or why none does (`identity.py`).
- `meta:lenders` -> where flash lenders' liquidity is read (the Vault's fee collector, Aave aTokens).
- `meta:seq` -> bumped by every write transaction: readers that see it unchanged read a consistent view.
- `stat:<counter>` -> statistics.

Every change is made inside `transact()` (SQLite BEGIN IMMEDIATE on disk; a lease lock and one Lua script
on Redis): several processes (or hosts) may share the space, and a process killed at any point leaves the
last committed, consistent cache. Values are JSON bytes, so a write is all or nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from mevcli.backend.base import KeyValue
from mevcli.backend.local import DiskKeyValue
from mevcli.cache import codec
from mevcli.cache.codec import CodecError
from mevcli.cache.stats import COUNTERS

KEY_SYNC = "meta:sync"
KEY_INDEX = "meta:index"
KEY_SEQ = "meta:seq"
KEY_IDENTITY = "meta:identity"
KEY_LENDERS = "meta:lenders"
CHAIN_FACTS = (KEY_IDENTITY, KEY_LENDERS)  # immutable facts of this chain, kept across reorgs
DEFAULT_HISTORY = 16  # versions kept per pool
DEFAULT_CHECKPOINTS = 256  # processed blocks whose hash is kept


def cache_directory(cache_dir: Path, chain_id: int) -> Path:
    return Path(cache_dir) / "reserves" / str(chain_id)


@dataclass(frozen=True, slots=True)
class Version:
    block: int  # the state is valid from this block (a read's block, or the block of its last event)
    block_hash: str
    state: Any


@dataclass(frozen=True, slots=True)
class PoolRecord:
    address: str
    head: Version
    older: tuple[tuple[int, str], ...]  # (block, hash) of stored older versions, ascending
    touched: float  # wall time the chain last confirmed the state (a read or an applied event)


@dataclass(frozen=True, slots=True)
class SyncPoint:
    block: int
    block_hash: str
    checkpoints: tuple[tuple[int, str], ...]  # processed (block, hash), ascending, ending with this one

    def advanced(self, block: int, block_hash: str, keep: int) -> SyncPoint:
        points = [p for p in self.checkpoints if p[0] < block] + [(block, block_hash)]
        return SyncPoint(block, block_hash, tuple(points[-keep:]))

    def rolled_back(self, block: int) -> SyncPoint:
        points = tuple(p for p in self.checkpoints if p[0] <= block)
        return SyncPoint(points[-1][0], points[-1][1], points)


def _pool_key(address: str) -> str:
    return f"pool:{address}"


def _ver_key(address: str, block: int) -> str:
    return f"ver:{address}:{block}"


class ReserveStore:
    def __init__(
        self,
        where: Path | KeyValue,
        history: int = DEFAULT_HISTORY,
        checkpoints: int = DEFAULT_CHECKPOINTS,
    ) -> None:
        """`where`: a directory (a diskcache there) or a backend's key-value space."""
        if history < 1 or checkpoints < 1:
            raise ValueError("history and checkpoints must be at least 1")
        self.kv: KeyValue = DiskKeyValue(Path(where)) if isinstance(where, str | Path) else where
        self.location = self.kv.location
        self.history = history
        self.max_checkpoints = checkpoints

    def close(self) -> None:
        self.kv.close()

    @contextmanager
    def transact(self) -> Iterator[None]:
        with self.kv.transact():
            yield

    # -- meta ----------------------------------------------------------------------------------
    def seq(self) -> int:
        return int(self.kv.get(KEY_SEQ) or 0)

    def bump_seq(self) -> None:
        self.kv.incr(KEY_SEQ, 1)

    def sync(self) -> SyncPoint | None:
        data = self._json(KEY_SYNC)
        if data is None:
            return None
        return SyncPoint(data["block"], data["hash"], tuple((b, h) for b, h in data["checkpoints"]))

    def set_sync(self, point: SyncPoint | None) -> None:
        if point is None:
            self.kv.delete(KEY_SYNC)
            return
        data = {"block": point.block, "hash": point.block_hash, "checkpoints": point.checkpoints}
        self.kv.set(KEY_SYNC, codec.dumps(data))

    def index(self) -> dict[str, dict[str, Any]]:
        """address -> {"model": name, "routes": [[emitter, topic1 or None], ...]}."""
        return self._json(KEY_INDEX) or {}

    def set_index(self, index: dict[str, dict[str, Any]]) -> None:
        self.kv.set(KEY_INDEX, codec.dumps(index))

    # -- statistics ----------------------------------------------------------------------------
    def bump_stats(self, counts: dict[str, int]) -> None:
        with self.transact():
            for name, value in counts.items():
                if value:
                    self.kv.incr(f"stat:{name}", value)

    def counters(self) -> dict[str, int]:
        names = [f"stat:{name}" for name in COUNTERS]
        return {name: int(v or 0) for name, v in zip(COUNTERS, self.kv.get_many(names), strict=True)}

    def volume(self) -> int:
        return self.kv.volume()

    # -- pool records --------------------------------------------------------------------------
    def record(self, address: str) -> PoolRecord | None:
        """The pool's record, or None when absent or undecodable (then it is simply re-read)."""
        return _decode_record(address, self._json(_pool_key(address)))

    def records(self, addresses: list[str]) -> dict[str, PoolRecord | None]:
        """Several pools' records in one read (one round trip on Redis)."""
        raws = self.kv.get_many([_pool_key(a) for a in addresses])
        return {a: _decode_record(a, _loads(raw)) for a, raw in zip(addresses, raws, strict=True)}

    def _put_record(self, record: PoolRecord) -> None:
        head = record.head
        data = {
            "head": [head.block, head.block_hash, codec.state_to_json(head.state)],
            "older": record.older,
            "touched": record.touched,
        }
        self.kv.set(_pool_key(record.address), codec.dumps(data))

    def _version_state(self, address: str, block: int) -> Any | None:
        data = self._json(_ver_key(address, block))
        try:
            return None if data is None else codec.state_from_json(data)
        except CodecError:
            return None

    def state_at(self, record: PoolRecord, block: int) -> Any | None:
        """The pool's state at `block` (<= the last processed block), if its history reaches back."""
        if record.head.block <= block:
            return record.head.state
        older = [b for b, _ in record.older if b <= block]
        return self._version_state(record.address, older[-1]) if older else None

    def push_versions(
        self, address: str, record: PoolRecord | None, versions: list[Version], now: float | None = None
    ) -> PoolRecord:
        """Append `versions` (ascending blocks) to the pool's history; the last becomes the head.

        A version at the head's block (or earlier) replaces what the record had from that block on.
        Only the newest `history` versions are kept. Call inside `transact()`.
        """
        if not versions:
            raise ValueError("no version to push")
        # (block, hash, state or None when already stored under a ver: key)
        old: list[tuple[int, str, Any | None]] = []
        if record is not None:
            old = [(b, h, None) for b, h in record.older]
            old.append((record.head.block, record.head.block_hash, record.head.state))
        first = versions[0].block
        replaced = [v for v in old if v[0] >= first]
        old = [v for v in old if v[0] < first]
        merged = old + [(v.block, v.block_hash, v.state) for v in versions]
        kept, dropped = merged[-self.history :], merged[: -self.history]
        for block, _, state in dropped + replaced:
            if state is None:
                self.kv.delete(_ver_key(address, block))
        for block, _, state in kept[:-1]:
            if state is not None:
                self.kv.set(_ver_key(address, block), codec.dumps(codec.state_to_json(state)))
        block, block_hash, state = kept[-1]
        new = PoolRecord(
            address=address,
            head=Version(block, block_hash, state),
            older=tuple((b, h) for b, h, _ in kept[:-1]),
            touched=time.time() if now is None else now,
        )
        self._put_record(new)
        return new

    def rollback(self, record: PoolRecord, block: int) -> PoolRecord | None:
        """The record as it was at `block`, or None (and deleted) when its history does not reach back."""
        if record.head.block <= block:
            return record
        for b, _ in record.older:
            if b > block:
                self.kv.delete(_ver_key(record.address, b))
        older = [(b, h) for b, h in record.older if b <= block]
        state = self._version_state(record.address, older[-1][0]) if older else None
        if state is None:
            self.delete_pool(record.address, replace(record, older=tuple(older)))
            return None
        b, h = older[-1]
        self.kv.delete(_ver_key(record.address, b))
        new = PoolRecord(record.address, Version(b, h, state), tuple(older[:-1]), record.touched)
        self._put_record(new)
        return new

    def delete_pool(self, address: str, record: PoolRecord | None = None) -> None:
        record = record or self.record(address)
        for b, _ in record.older if record else ():
            self.kv.delete(_ver_key(address, b))
        self.kv.delete(_pool_key(address))

    def clear(self) -> int:
        return self.kv.clear()

    def verify(self) -> list[str]:
        """Keys whose value does not decode (should always be empty)."""
        bad = []
        for key in list(self.kv.iter_keys()):
            try:
                if key.startswith("pool:"):
                    if self.record(key[5:]) is None and self.kv.get(key) is not None:
                        bad.append(key)
                elif key.startswith("ver:"):
                    codec.state_from_json(codec.loads(self.kv.get(key) or b""))
                elif key in (KEY_SYNC, KEY_INDEX, *CHAIN_FACTS):
                    codec.loads(self.kv.get(key) or b"")
            except (CodecError, TypeError):
                bad.append(key)
        return bad

    def read_json(self, key: str) -> Any | None:
        """A `meta:` value written with `write_json` (None when absent or undecodable)."""
        return self._json(key)

    def write_json(self, key: str, value: Any) -> None:
        self.kv.set(key, codec.dumps(value))

    def _json(self, key: str) -> Any | None:
        return _loads(self.kv.get(key))


def _loads(raw: bytes | None) -> Any | None:
    if raw is None:
        return None
    try:
        return codec.loads(raw)
    except CodecError:
        return None


def _decode_record(address: str, data: Any | None) -> PoolRecord | None:
    if data is None:
        return None
    try:
        block, block_hash, state = data["head"]
        return PoolRecord(
            address=address,
            head=Version(block, block_hash, codec.state_from_json(state)),
            older=tuple((b, h) for b, h in data["older"]),
            touched=float(data["touched"]),
        )
    except (CodecError, KeyError, TypeError, ValueError):
        return None
