"""Optimal input for a cycle: a closed-form start from the Möbius composition, then an exact search.

Each constant-product-like hop (a V2 pair, or a V3 pool inside its current tick range, through its
virtual reserves) maps an input y to `a·y / (b + c·y)`. Hops compose into one map `K·x / (M + N·x)`:
    K' = a·K,  M' = b·M,  N' = b·N + c·K.
The cycle is profitable at all iff K > M (the marginal rate at zero exceeds one), and the real optimum
of `K·x/(M+N·x) − x` is `(√(K·M) − M) / N`. Where a hop crosses ticks, or is a Curve or Balancer pool,
that is only a starting point: the final amount always comes from a golden-section search over the exact
integer pool math, so the profit reported is what the contracts would pay.
"""

from __future__ import annotations

from collections.abc import Callable
from math import isqrt

from mevcli.arbitrage.cycles import Cycle
from mevcli.dex.pools import PoolState, quote
from mevcli.dex.uniswap_v2.state import V2PairState
from mevcli.dex.uniswap_v3.state import V3PoolState
from mevcli.errors import MevcliError

Q96 = 2**96
PIPS = 1_000_000
# Golden-section ratio as integers: 0.618 ≈ 1_000_000 / 1_618_034.
_PHI_NUM, _PHI_DEN = 1_000_000, 1_618_034


def mobius_hop(state: PoolState, token_in: str) -> tuple[int, int, int] | None:
    """(a, b, c) with out ≈ a·y / (b + c·y) near the current price; None for non-CPMM pools."""
    if isinstance(state, V2PairState):
        reserve_in, reserve_out = state.reserves_for(token_in)
        gamma = PIPS - state.fee_pips
        return gamma * reserve_out, reserve_in * PIPS, gamma
    if isinstance(state, V3PoolState):
        if state.liquidity == 0:
            return None
        # Virtual reserves of the active range: x = L·2^96/√P (token0), y = L·√P/2^96 (token1).
        virtual0 = state.liquidity * Q96 // state.sqrt_price_x96
        virtual1 = state.liquidity * state.sqrt_price_x96 // Q96
        reserve_in, reserve_out = (virtual0, virtual1) if token_in == state.token0 else (virtual1, virtual0)
        gamma = PIPS - state.fee
        return gamma * reserve_out, reserve_in * PIPS, gamma
    return None


def compose(cycle: Cycle, states: dict[str, PoolState]) -> tuple[int, int, int] | None:
    """(K, M, N) of the whole cycle, or None when some hop has no Möbius form."""
    k, m, n = 1, 1, 0
    for edge in cycle.edges:
        hop = mobius_hop(states[edge.pool], edge.token_in)
        if hop is None:
            return None
        a, b, c = hop
        k, m, n = a * k, b * m, b * n + c * k
    return k, m, n


def mobius_optimum(k: int, m: int, n: int) -> int:
    """argmax of K·x/(M+N·x) − x over the reals, floored; 0 when unprofitable."""
    if k <= m or n == 0:
        return 0
    return max((isqrt(k * m) - m) // n, 0)


def cycle_output(cycle: Cycle, states: dict[str, PoolState], amount_in: int) -> tuple[int, list[int]]:
    """Exact output of running `amount_in` through the cycle, and the amount after each hop."""
    amounts = []
    amount = amount_in
    for edge in cycle.edges:
        amount = quote(states[edge.pool], edge.token_in, amount, edge.token_out)
        amounts.append(amount)
        if amount == 0:
            break
    return amount, amounts


def maximize(objective: Callable[[int], int], guess: int, upper: int) -> tuple[int, int]:
    """(x, objective(x)) maximising a concave integer objective on [1, upper], starting near `guess`.

    The objective may return None-like very negative values where infeasible; it must be concave
    enough for golden-section search (exact pool math is, up to wei rounding).
    """
    cache: dict[int, int] = {}

    def f(x: int) -> int:
        if x not in cache:
            cache[x] = objective(x)
        return cache[x]

    guess = min(max(guess, 1), upper)
    lo, hi = max(guess // 2, 1), min(guess * 2, upper)
    # Widen until the bracket's interior beats both ends (or the ends are the domain's ends).
    while lo > 1 and f(lo) >= f(guess):
        guess, lo = lo, max(lo // 2, 1)
    while hi < upper and f(hi) >= f(guess):
        guess, hi = hi, min(hi * 2, upper)
    a, b = lo, hi
    while b - a > 3 and b - a > (b >> 26):
        step = (b - a) * _PHI_NUM // _PHI_DEN
        x1, x2 = b - step, a + step
        if x1 >= x2:
            x1, x2 = (a + b) // 2, (a + b) // 2 + 1
        if f(x1) < f(x2):
            a = x1
        else:
            b = x2
    best = max(range(a, b + 1), key=f) if b - a <= 64 else max((a, (a + b) // 2, b), key=f)
    return best, f(best)


INFEASIBLE = -(2**255)


def size_cycle(
    cycle: Cycle, states: dict[str, PoolState], fee_of: Callable[[int], int], upper: int
) -> tuple[int, int] | None:
    """(amount_in, amount_out) maximising out − in − fee_of(in), or None when nothing is profitable."""

    def profit(x: int) -> int:
        try:
            out, _ = cycle_output(cycle, states, x)
        except (MevcliError, ArithmeticError, ValueError):
            return INFEASIBLE
        return out - x - fee_of(x)

    coefficients = compose(cycle, states)
    if coefficients is not None:
        k, m, n = coefficients
        if k <= m:
            return None  # marginal rate below one: no size makes money
        guess = mobius_optimum(k, m, n)
    else:
        guess = max(upper // 1000, 1)
    amount, best = maximize(profit, guess, upper)
    if best <= 0:
        return None
    out, _ = cycle_output(cycle, states, amount)
    return amount, out
