"""Cache statistics: counters kept in the cache itself (per chain), and the RPC a hit saves."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from mevcli.chain.multicall import DEFAULT_BATCH_SIZE
from mevcli.dex.kinds import find_kind

COUNTERS = (
    "hits",  # pools served from the cache
    "misses",  # pools read from the chain (absent, expired, invalidated, or no version at the block)
    "ttl_expiries",  # misses because the entry was older than the TTL
    "event_updates",  # logs applied to a cached state without RPC
    "invalidations",  # entries dropped (an event without enough state, a reorg deeper than history)
    "reorgs",  # reorganisations detected (stored block hash gone, or removed logs)
    "reorg_rollbacks",  # entries rolled back to an earlier version after a reorg
    "rpc_calls_saved",  # eth_call round trips a direct read of the served pools would have cost
    "calls_saved",  # Multicall3 sub-calls inside those round trips
)


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheStats:
    chain_id: int
    hits: int = 0
    misses: int = 0
    ttl_expiries: int = 0
    event_updates: int = 0
    invalidations: int = 0
    reorgs: int = 0
    reorg_rollbacks: int = 0
    rpc_calls_saved: int = 0
    calls_saved: int = 0
    entries: int = 0
    size_bytes: int = 0
    last_block: int | None = None
    last_block_hash: str | None = None
    directory: str = ""

    @property
    def hit_rate(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["hit_rate"] = round(self.hit_rate, 4)
        return data


def _read_rounds(state: Any) -> tuple[str, list[int]]:
    """(reader, Multicall3 sub-calls per round trip) that reading `state` from the chain costs."""
    kind = find_kind(state)
    if kind is None:  # a state no kind reads (kept by the cache's generic model): a header and its tokens
        tokens = len(getattr(state, "tokens", ()) or ())
        return type(state).__name__, [6 + 2 * tokens, tokens]
    return f"{kind.name}:{type(state).__name__}", kind.read_rounds(state)


def read_cost(states: Iterable[Any]) -> tuple[int, int]:
    """(eth_call round trips, sub-calls) a batched read of `states` costs, batched as the readers do."""
    rounds: dict[tuple[str, int], int] = defaultdict(int)
    for state in states:
        name, per_round = _read_rounds(state)
        for i, calls in enumerate(per_round):
            rounds[(name, i)] += calls
    rpc = sum(-(-calls // DEFAULT_BATCH_SIZE) for calls in rounds.values() if calls)
    return rpc, sum(rounds.values())
