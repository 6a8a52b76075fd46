"""An upper bound on what a route can make at any size, without sizing it: `watch`'s way to its top.

Each hop's exact output lies below a map that holds for every amount:
- a Möbius map a·y/(b + c·y) (`PoolKind.upper_mobius`): a V2 pair's own; a concentrated-liquidity pool's
  at the highest liquidity the swap can meet (`dex/uniswap_v3/ceiling.py`);
- else the linear map of its marginal rate at zero, fee included (`bounds.rate_bound`, Curve and
  Balancer), which holds up to `bounds.ROUNDING_UNITS` of the output token.
These maps are increasing and concave, so composed they lie above the route: K·x/(M + N·x) plus a few
units, those of each linear hop carried through the later hops at most at their rates at zero. The
route's output less its input is therefore at most

    max over x of K·x/(M + N·x) − x  =  (√K − √M)² / N        (0 when K ≤ M)

plus those units, whatever the amount, the lender (a fee only lowers it) or the rounding. A route all of
whose hops are linear (N = 0) has no such bound, nor one whose units would meet a map with b = 0 (an
infinite rate at zero).
"""

from __future__ import annotations

from collections.abc import Sequence
from math import isqrt

from mevcli.arbitrage.bounds import ROUNDING_UNITS, rate_bound
from mevcli.dex.kinds import kind_of

# A hop's map: (a, b, c) Möbius, or (num, den) linear with ROUNDING_UNITS on top; None: unbounded.
Ceiling = tuple[int, ...] | None


def hop_ceiling(state: object, token_in: str, token_out: str) -> Ceiling:
    """The map above the hop's exact output for every amount (see the module docstring), or None."""
    try:
        form = kind_of(state).upper_mobius(state, token_in)
    except (LookupError, ValueError, ArithmeticError):
        form = None
    if form is not None:
        return form
    return rate_bound(state, token_in, token_out)


def profit_ceiling(ceilings: Sequence[Ceiling]) -> int | None:
    """An integer at least out − in for every amount in through hops with these maps (in units of the
    route's start token, which it ends in), or None when there is none."""
    k, m, n = 1, 1, 0
    units = 0  # additive rounding units so far, in the current token
    for ceiling in ceilings:
        if ceiling is None:
            return None
        if len(ceiling) == 3:
            a, b, c = ceiling
            if units and b == 0:
                return None  # no input reserve (a V2 pair holding none of it): no rate at zero to carry them
            k, m, n = a * k, b * m, b * n + c * k
            units = -(-units * a // b) if units else 0  # carried at most at the rate at zero, a/b
        else:
            num, den = ceiling
            k, m, n = num * k, den * m, den * n
            units = -(-units * num // den) + ROUNDING_UNITS
    if k <= m:
        return units
    if n == 0:
        return None
    # (√K − √M)² / N with √K rounded up and √M down: never below the real maximum
    return (isqrt(k) + 1 - isqrt(m)) ** 2 // n + 1 + units
