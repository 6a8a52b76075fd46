"""SwapMath of Uniswap V3 core: one swap step within a single tick range."""

from __future__ import annotations

from mevcli.dex.uniswap_v3.full_math import MAX_UINT256, mul_div, mul_div_rounding_up
from mevcli.dex.uniswap_v3.sqrt_price_math import (
    amount_in_delta,
    amount_out_delta,
    get_next_sqrt_price_from_input,
    get_next_sqrt_price_from_output,
)
from mevcli.errors import PoolMathError

FEE_DENOMINATOR = 1_000_000  # fees are in hundredths of a bip ("pips"): 3000 = 0.30%


def compute_swap_step(
    sqrt_ratio_current_x96: int,
    sqrt_ratio_target_x96: int,
    liquidity: int,
    amount_remaining: int,
    fee_pips: int,
) -> tuple[int, int, int, int]:
    """Swap from the current price toward the target price (SwapMath.computeSwapStep).

    `amount_remaining` is signed as in Solidity: >= 0 means exact input (amount still to pay in, fee
    included), < 0 exact output (amount still to receive). The direction is zero-for-one iff
    current >= target. Returns `(sqrt_ratio_next_x96, amount_in, amount_out, fee_amount)`; for exact
    input, `amount_in + fee_amount <= amount_remaining`.
    """
    if not 0 <= fee_pips < FEE_DENOMINATOR:
        # The factory only enables fees < 1e6; `1e6 - feePips` would wrap a uint24 otherwise.
        raise PoolMathError(f"fee_pips {fee_pips} outside [0, {FEE_DENOMINATOR})")
    zero_for_one = sqrt_ratio_current_x96 >= sqrt_ratio_target_x96
    exact_in = amount_remaining >= 0

    amount_in = 0
    amount_out = 0
    if exact_in:
        amount_remaining_less_fee = mul_div(amount_remaining, FEE_DENOMINATOR - fee_pips, FEE_DENOMINATOR)
        amount_in = amount_in_delta(zero_for_one, sqrt_ratio_target_x96, sqrt_ratio_current_x96, liquidity)
        if amount_remaining_less_fee >= amount_in:
            sqrt_ratio_next_x96 = sqrt_ratio_target_x96
        else:
            sqrt_ratio_next_x96 = get_next_sqrt_price_from_input(
                sqrt_ratio_current_x96, liquidity, amount_remaining_less_fee, zero_for_one
            )
    else:
        amount_out = amount_out_delta(zero_for_one, sqrt_ratio_target_x96, sqrt_ratio_current_x96, liquidity)
        if -amount_remaining >= amount_out:
            sqrt_ratio_next_x96 = sqrt_ratio_target_x96
        else:
            sqrt_ratio_next_x96 = get_next_sqrt_price_from_output(
                sqrt_ratio_current_x96, liquidity, -amount_remaining, zero_for_one
            )

    reached_target = sqrt_ratio_target_x96 == sqrt_ratio_next_x96  # the Solidity's `max`

    # get the input/output amounts
    if not (reached_target and exact_in):
        amount_in = amount_in_delta(zero_for_one, sqrt_ratio_next_x96, sqrt_ratio_current_x96, liquidity)
    if not (reached_target and not exact_in):
        amount_out = amount_out_delta(zero_for_one, sqrt_ratio_next_x96, sqrt_ratio_current_x96, liquidity)

    # cap the output amount to not exceed the remaining output amount
    if not exact_in and amount_out > -amount_remaining:
        amount_out = -amount_remaining

    if exact_in and sqrt_ratio_next_x96 != sqrt_ratio_target_x96:
        # we didn't reach the target, so take the remainder of the maximum input as fee
        # (unchecked uint256 subtraction in the Solidity; amount_in <= amount_remaining here)
        fee_amount = (amount_remaining - amount_in) & MAX_UINT256
    else:
        fee_amount = mul_div_rounding_up(amount_in, fee_pips, FEE_DENOMINATOR - fee_pips)

    return sqrt_ratio_next_x96, amount_in, amount_out, fee_amount
