"""What a pool does around its math in `onSwap` (BasePool + BaseMinimalSwapInfoPool for the 2021
weighted pools, BaseGeneralPool for composable stable pools): decimal scaling and the swap fee, in the
contract's order and rounding.

Given in: fee off the raw amount in (rounded up), upscale, math, downscale the output down.
Given out: upscale, math, downscale the input up, then add the fee (amount / (1 - fee), rounded up).
Scaling factors are plain integers 10**(18 - decimals) in v1; 2022+ pools use 18-decimal factors
(10**(36 - decimals), times the token's rate) and scale with FixedPoint (`*_fp` below).
"""

from __future__ import annotations

from mevcli.dex.balancer import fixed_point as fp
from mevcli.dex.balancer.weighted_math import (
    MAX_IN_RATIO,
    MAX_OUT_RATIO,
    calc_in_given_out,
    calc_out_given_in,
)
from mevcli.dex.balancer.weighted_math import marginal_rate as weighted_marginal_rate


def scaling_factor(decimals: int) -> int:
    """BasePool._computeScalingFactor: tokens with more than 18 decimals are not supported."""
    if not 0 <= decimals <= 18:
        raise ValueError(f"token decimals {decimals} outside 0..18: not supported by Balancer pools")
    return 10 ** (18 - decimals)


def upscale(amount: int, factor: int) -> int:
    return amount * factor


def downscale_down(amount: int, factor: int) -> int:
    return amount // factor


def downscale_up(amount: int, factor: int) -> int:
    return 0 if amount == 0 else (amount - 1) // factor + 1


def subtract_swap_fee_amount(amount: int, swap_fee: int) -> int:
    """amount - fee, the fee rounded up."""
    return fp.sub(amount, fp.mul_up(amount, swap_fee))


def add_swap_fee_amount(amount: int, swap_fee: int) -> int:
    """amount / (1 - fee), rounded up."""
    return fp.div_up(amount, fp.complement(swap_fee))


def marginal_rate(
    balance_in: int, balance_out: int, weight_in: int, weight_out: int, swap_fee: int
) -> tuple[int, int]:
    """(num, den): raw units out per raw unit in for an infinitesimal `on_swap_given_in` on a weighted
    pool, fee included (v1 scaling factors are exact integer multiples: they cancel)."""
    num, den = weighted_marginal_rate(balance_in, weight_in, balance_out, weight_out)
    return num * (fp.ONE - swap_fee), den * fp.ONE


def on_swap_given_in(
    amount_in: int,
    balance_in: int,
    balance_out: int,
    weight_in: int,
    weight_out: int,
    scaling_in: int,
    scaling_out: int,
    swap_fee: int,
) -> int:
    """Amount out (raw units) for a raw `amount_in` against raw balances."""
    amount = upscale(subtract_swap_fee_amount(amount_in, swap_fee), scaling_in)
    amount_out = calc_out_given_in(
        upscale(balance_in, scaling_in), weight_in, upscale(balance_out, scaling_out), weight_out, amount
    )
    return downscale_down(amount_out, scaling_out)


def on_swap_given_out(
    amount_out: int,
    balance_in: int,
    balance_out: int,
    weight_in: int,
    weight_out: int,
    scaling_in: int,
    scaling_out: int,
    swap_fee: int,
) -> int:
    """Amount in (raw units, fee included) that buys a raw `amount_out`."""
    amount_in = calc_in_given_out(
        upscale(balance_in, scaling_in),
        weight_in,
        upscale(balance_out, scaling_out),
        weight_out,
        upscale(amount_out, scaling_out),
    )
    return add_swap_fee_amount(downscale_up(amount_in, scaling_in), swap_fee)


def max_amount_in(balance_in: int, scaling_in: int, swap_fee: int) -> int:
    """Largest raw amount in that passes the MAX_IN_RATIO check (it applies after the fee)."""
    limit = fp.mul_down(upscale(balance_in, scaling_in), MAX_IN_RATIO) // scaling_in
    # a - mulUp(a, fee) is non-decreasing in a and within 1 of a(1 - fee): step from the estimate.
    amount = limit * fp.ONE // fp.complement(swap_fee)
    while subtract_swap_fee_amount(amount + 1, swap_fee) <= limit:
        amount += 1
    while amount > 0 and subtract_swap_fee_amount(amount, swap_fee) > limit:
        amount -= 1
    return amount


def max_amount_out(balance_out: int, scaling_out: int) -> int:
    """Largest raw amount out that passes the MAX_OUT_RATIO check."""
    return fp.mul_down(upscale(balance_out, scaling_out), MAX_OUT_RATIO) // scaling_out


# -- 2022+ pools (BaseGeneralPool, ScalingHelpers): 18-decimal scaling factors that fold in token rates --


def upscale_fp(amount: int, factor: int) -> int:
    """ScalingHelpers._upscale: amount × factor, rounded down (factors are 1e18-based)."""
    return fp.mul_down(amount, factor)


def downscale_down_fp(amount: int, factor: int) -> int:
    """ScalingHelpers._downscaleDown: amounts leaving the pool round down."""
    return fp.div_down(amount, factor)


def downscale_up_fp(amount: int, factor: int) -> int:
    """ScalingHelpers._downscaleUp: amounts entering the pool round up."""
    return fp.div_up(amount, factor)
