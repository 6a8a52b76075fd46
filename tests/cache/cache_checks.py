"""Caches on tmp dirs and cached-versus-chain state comparison, shared by the cache and resilience tests."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

from cache_market import Market
from web3 import Web3
from web3.providers.rpc import HTTPProvider

from mevcli.cache import ReserveCache
from mevcli.dex.pools import read_states
from mevcli.dex.uniswap_v3.state import V3PoolState

CHAIN_ID = 31337


def open_cache(chain: Any, directory: Path, url: str | None = None, **kwargs: Any) -> ReserveCache:
    w3 = Web3(HTTPProvider(url or chain.rpc_url, request_kwargs={"timeout": 60}))
    market = Market(chain)
    return ReserveCache.open(directory, CHAIN_ID, w3, market.multicall(w3), **kwargs)


def _v3_common(cached: V3PoolState, fresh: V3PoolState) -> list[str]:
    """Differences between two V3 states over what both know (the bitmap words both loaded)."""
    problems = []
    for name in ("address", "token0", "token1", "fee", "tick_spacing", "sqrt_price_x96", "tick", "liquidity"):
        if getattr(cached, name) != getattr(fresh, name):
            problems.append(f"{name}: {getattr(cached, name)} != {getattr(fresh, name)}")

    def words(state: V3PoolState) -> range:
        low, high = state.word_range or (-(2**15), 2**15 - 1)
        return range(low, high + 1)

    common = set(words(cached)) & set(words(fresh))
    for word in common:
        if cached.bitmap.get(word, 0) != fresh.bitmap.get(word, 0):
            problems.append(f"bitmap word {word}")
    for tick in set(cached.ticks) | set(fresh.ticks):
        if (tick // cached.tick_spacing) >> 8 not in common:
            continue
        if cached.ticks.get(tick) != fresh.ticks.get(tick):
            problems.append(
                f"liquidityNet of tick {tick}: {cached.ticks.get(tick)} != {fresh.ticks.get(tick)}"
            )
        if tick in cached.gross and cached.gross.get(tick) != fresh.gross.get(tick):
            problems.append(f"liquidityGross of tick {tick}")
    return problems


def differences(cached: Any, fresh: Any) -> list[str]:
    if type(cached) is not type(fresh):
        return [f"type {type(cached).__name__} != {type(fresh).__name__}"]
    if isinstance(cached, V3PoolState):
        return _v3_common(cached, fresh)
    return [
        f"{f.name}: {getattr(cached, f.name)} != {getattr(fresh, f.name)}"
        for f in fields(cached)
        if getattr(cached, f.name) != getattr(fresh, f.name)
    ]


def assert_matches_chain(cache: ReserveCache, refs: list[Any], block: int | None = None) -> dict[str, Any]:
    """Every state the cache serves equals a fresh read of the chain at the same block."""
    snap = cache.snapshot(refs, block)
    fresh = read_states(cache.multicall, refs, snap.block)
    assert set(snap.states) == set(fresh)
    problems = {a: differences(s, fresh[a]) for a, s in snap.states.items()}
    problems = {a: p for a, p in problems.items() if p}
    assert not problems, problems
    return snap.states
