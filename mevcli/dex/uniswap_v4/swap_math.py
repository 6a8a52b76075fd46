"""SwapMath of v4-core: one step of the swap loop.

Unlike V3's, exact input is a negative amount; a step that stops short of its target takes all the
remaining input (less the fee) as `amount_in` rather than recomputing it from the new price, and an
exact-output step pays exactly the remaining output. The fee may be up to 100 % for exact input.
"""

from __future__ import annotations

from mevcli.dex.uniswap_v3.full_math import mul_div, mul_div_rounding_up
from mevcli.dex.uniswap_v3.sqrt_price_math import (
    get_amount0_delta,
    get_amount1_delta,
    get_next_sqrt_price_from_input,
    get_next_sqrt_price_from_output,
)
from mevcli.dex.uniswap_v4.fees import MAX_SWAP_FEE


def get_sqrt_price_target(zero_for_one: bool, sqrt_price_next_x96: int, sqrt_price_limit_x96: int) -> int:
    """The next tick's price, unless the limit comes first."""
    if zero_for_one:
        return max(sqrt_price_next_x96, sqrt_price_limit_x96)
    return min(sqrt_price_next_x96, sqrt_price_limit_x96)


def compute_swap_step(
    sqrt_price_current_x96: int,
    sqrt_price_target_x96: int,
    liquidity: int,
    amount_remaining: int,
    fee_pips: int,
) -> tuple[int, int, int, int]:
    """(sqrt price after, amount in, amount out, fee amount) of one step toward the target price."""
    zero_for_one = sqrt_price_current_x96 >= sqrt_price_target_x96
    if amount_remaining < 0:  # exact input
        remaining_less_fee = mul_div(-amount_remaining, MAX_SWAP_FEE - fee_pips, MAX_SWAP_FEE)
        if zero_for_one:
            amount_in = get_amount0_delta(sqrt_price_target_x96, sqrt_price_current_x96, liquidity, True)
        else:
            amount_in = get_amount1_delta(sqrt_price_current_x96, sqrt_price_target_x96, liquidity, True)
        if remaining_less_fee >= amount_in:
            sqrt_price_next_x96 = sqrt_price_target_x96
            if fee_pips == MAX_SWAP_FEE:
                fee_amount = amount_in
            else:
                fee_amount = mul_div_rounding_up(amount_in, fee_pips, MAX_SWAP_FEE - fee_pips)
        else:
            amount_in = remaining_less_fee
            sqrt_price_next_x96 = get_next_sqrt_price_from_input(
                sqrt_price_current_x96, liquidity, remaining_less_fee, zero_for_one
            )
            fee_amount = -amount_remaining - amount_in
        if zero_for_one:
            amount_out = get_amount1_delta(sqrt_price_next_x96, sqrt_price_current_x96, liquidity, False)
        else:
            amount_out = get_amount0_delta(sqrt_price_current_x96, sqrt_price_next_x96, liquidity, False)
        return sqrt_price_next_x96, amount_in, amount_out, fee_amount

    if zero_for_one:
        amount_out = get_amount1_delta(sqrt_price_target_x96, sqrt_price_current_x96, liquidity, False)
    else:
        amount_out = get_amount0_delta(sqrt_price_current_x96, sqrt_price_target_x96, liquidity, False)
    if amount_remaining >= amount_out:
        sqrt_price_next_x96 = sqrt_price_target_x96
    else:
        amount_out = amount_remaining
        sqrt_price_next_x96 = get_next_sqrt_price_from_output(
            sqrt_price_current_x96, liquidity, amount_out, zero_for_one
        )
    if zero_for_one:
        amount_in = get_amount0_delta(sqrt_price_next_x96, sqrt_price_current_x96, liquidity, True)
    else:
        amount_in = get_amount1_delta(sqrt_price_current_x96, sqrt_price_next_x96, liquidity, True)
    fee_amount = mul_div_rounding_up(amount_in, fee_pips, MAX_SWAP_FEE - fee_pips)
    return sqrt_price_next_x96, amount_in, amount_out, fee_amount
