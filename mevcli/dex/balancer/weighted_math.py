"""WeightedMath of the 2021 (v1) weighted pools: swap amounts on upscaled (18-decimal) balances.

Out-given-in rounds the output down; in-given-out rounds the input up. Both refuse to move more than
30% of a balance (BAL#304 / BAL#305), exactly where the contract reverts.
"""

from __future__ import annotations

from mevcli.dex.balancer import fixed_point as fp
from mevcli.dex.balancer.errors import Errors, require

MIN_WEIGHT = 10**16  # 1%
MAX_IN_RATIO = 3 * 10**17  # _MAX_IN_RATIO, 0.3
MAX_OUT_RATIO = 3 * 10**17  # _MAX_OUT_RATIO, 0.3


def calc_out_given_in(
    balance_in: int, weight_in: int, balance_out: int, weight_out: int, amount_in: int
) -> int:
    """aO = bO * (1 - (bI / (bI + aI)) ^ (wI / wO))  (WeightedMath._calcOutGivenIn)."""
    require(amount_in <= fp.mul_down(balance_in, MAX_IN_RATIO), Errors.MAX_IN_RATIO)
    denominator = fp.add(balance_in, amount_in)
    base = fp.div_up(balance_in, denominator)
    exponent = fp.div_down(weight_in, weight_out)
    power = fp.pow_up(base, exponent)
    return fp.mul_down(balance_out, fp.complement(power))


def calc_in_given_out(
    balance_in: int, weight_in: int, balance_out: int, weight_out: int, amount_out: int
) -> int:
    """aI = bI * ((bO / (bO - aO)) ^ (wO / wI) - 1)  (WeightedMath._calcInGivenOut)."""
    require(amount_out <= fp.mul_down(balance_out, MAX_OUT_RATIO), Errors.MAX_OUT_RATIO)
    base = fp.div_up(balance_out, fp.sub(balance_out, amount_out))
    exponent = fp.div_up(weight_out, weight_in)
    power = fp.pow_up(base, exponent)
    ratio = fp.sub(power, fp.ONE)
    return fp.mul_up(balance_in, ratio)


def marginal_rate(balance_in: int, weight_in: int, balance_out: int, weight_out: int) -> tuple[int, int]:
    """(num, den): units out per unit in for an infinitesimal trade (no fee): bO·wI / (bI·wO), the slope
    at zero of bO·(1 − (bI/(bI + a))^(wI/wO)), which is concave in a, so no amount does better."""
    return balance_out * weight_in, balance_in * weight_out
