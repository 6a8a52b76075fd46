"""An exact upper bound on the marginal rate of a hop with no Möbius form (Curve, Balancer).

The rate at an infinitesimal amount, fee included, is the derivative at zero of the pool's output; AMM
output is concave in the amount, so that rate times any amount bounds what the pool pays for it. The
search (`CycleIndex.search`) and the finder's exact test then treat these hops like V2/V3 ones: a cycle
whose bounded rates multiply to at most one cannot profit and is never sized.

The rate comes from the invariant through the state's integer balances (`marginal_rate` next to each
pool's math), times 1 + 1/`MARGIN`. The contract's integer steps can hand back a rounding unit the real
curve would not (D and y converge to within a unit of xp or of an upscaled balance; the −1 after the
solve takes one back), so what holds for every amount x is

    quote(x) ≤ bound·x + ROUNDING_UNITS        (units of the output token),

and quote(x) ≤ bound·x outright once the output reaches ROUNDING_UNITS·MARGIN units (the margin
covers the units): a cycle the bound prunes could only have paid ROUNDING_UNITS of dust at most, on trades
far smaller than any gas cost (`tests/unit/test_rate_bounds.py` checks both on random states).
"""

from __future__ import annotations

from mevcli.dex.kinds import find_kind
from mevcli.errors import MevcliError

# The bound is the rate times (1 + 1/MARGIN): 1e-5 of a basis point, below anything a scan ranks.
MARGIN = 10**9
ROUNDING_UNITS = 10**4  # generous: a few units in practice; ~1,000 seen at A = 1, coins 10^8 apart in value


def rate_bound(state: object, token_in: str, token_out: str) -> tuple[int, int] | None:
    """(num, den) ≥ quote(state, token_in, x, token_out) / x for every x; (0, 1) when the pool cannot
    swap at all (paused, an empty balance, an invariant the contract cannot compute); None for a kind
    this module does not bound. Exact up to the rounding units in the module's docstring."""
    kind = find_kind(state)
    if kind is None:
        return None
    try:
        rate = kind.marginal_rate(state, token_in, token_out)
    except (MevcliError, ArithmeticError, ValueError):  # the kind's own math, unconverted
        return None  # not a swap this pool makes: leave the hop unbounded
    if rate is None:
        return None
    num, den = rate
    if den <= 0 or num < 0:
        return None
    return num * (MARGIN + 1), den * MARGIN
