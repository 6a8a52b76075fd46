"""Pool depth and the scan's `--min-liquidity` filter.

A pool's depth in each of its tokens is what a trade can draw on near the current price: a V2 pair's
reserves, a Balancer or Curve pool's balances, and for a V3 pool the virtual reserves of the active range
(x = L·2^96 / √P, y = L·√P / 2^96), since liquidity outside the range is not there at this price.

Its liquidity is that depth valued in the native token (wei of WETH) through the market's own prices
(`finder.native_rates`), summed over the tokens that have a price. A pool none of whose tokens has a
price cannot be valued, so a minimum drops it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from mevcli.arbitrage.finder import best_rate
from mevcli.dex.kinds import kind_of
from mevcli.dex.pools import PoolState, pool_tokens


def pool_depth(state: PoolState) -> dict[str, int]:
    """Token -> base units a trade can draw on near the current price (`PoolKind.depth`)."""
    return kind_of(state).depth(state)


def liquidity_in_native(state: PoolState, rates: Mapping[str, tuple[int, int] | None]) -> int | None:
    """Depth valued in wei of the native token, or None when no token of the pool has a price.

    `rates[token] = (units, per_wei)`: `units` base units of the token buy `per_wei` wei of native.
    """
    total = 0
    priced = False
    for token, depth in pool_depth(state).items():
        rate = rates.get(token)
        if not rate or rate[0] <= 0:
            continue
        units, per_wei = rate
        total += depth * per_wei // units
        priced = True
    return total if priced else None


def native_prices(states: Mapping[str, PoolState], native: str) -> dict[str, tuple[int, int] | None]:
    """Each token's rate against the native token, from the pools that pair the two directly."""
    paired: dict[str, list[PoolState]] = defaultdict(list)
    for state in states.values():
        tokens = pool_tokens(state)
        if native in tokens:
            for token in tokens:
                if token != native:
                    paired[token].append(state)
    rates: dict[str, tuple[int, int] | None] = {native: (1, 1)}
    for token, pools in paired.items():
        rates[token] = best_rate(pools, native, token)
    return rates


def deepest(
    states: Mapping[str, PoolState], rates: Mapping[str, tuple[int, int] | None], limit: int
) -> dict[str, PoolState]:
    """The `limit` pools worth the most native wei (pools that cannot be valued come last), in that
    order; ties by address, so the choice is the same every run."""
    worth = {address: liquidity_in_native(state, rates) for address, state in states.items()}
    ranked = sorted(states, key=lambda a: (worth[a] is None, -(worth[a] or 0), a))
    return {address: states[address] for address in ranked[:limit]}


def filter_min_liquidity(
    states: Mapping[str, PoolState], rates: Mapping[str, tuple[int, int] | None], minimum: int
) -> dict[str, PoolState]:
    """The pools worth at least `minimum` wei of the native token (all of them when minimum is 0)."""
    if minimum <= 0:
        return dict(states)
    kept = {}
    for address, state in states.items():
        value = liquidity_in_native(state, rates)
        if value is not None and value >= minimum:
            kept[address] = state
    return kept
