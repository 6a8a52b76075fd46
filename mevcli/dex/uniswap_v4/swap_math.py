"""SwapMath of v4-core: one step of the swap loop.

Unlike V3's, exact input is a negative amount; a step that stops short of its target takes all the
remaining input (less the fee) as `amount_in` rather than recomputing it from the new price, and an
exact-output step pays exactly the remaining output. The fee may be up to 100 % for exact input.
"""

from __future__ import annotations

from mevcli.dex.uniswap_v3.full_math import mul_div, mul_div_rounding_up
from mevcli.dex.uniswap_v3.sqrt_price_math import (
    amount_in_delta,
    amount_out_delta,
    get_next_sqrt_price_from_input,
    get_next_sqrt_price_from_output,
)
from mevcli.dex.uniswap_v4.fees import MAX_SWAP_FEE


def compute_swap_step(
    sqrt_price_current_x96: int,
    sqrt_price_target_x96: int,
    liquidity: int,
    amount_remaining: int,
    fee_pips: int,
) -> tuple[int, int, int, int]:
    """(sqrt price after, amount in, amount out, fee amount) of one step toward the target price."""
    current, target = sqrt_price_current_x96, sqrt_price_target_x96
    zero_for_one = current >= target
    if amount_remaining < 0:  # exact input
        remaining_less_fee = mul_div(-amount_remaining, MAX_SWAP_FEE - fee_pips, MAX_SWAP_FEE)
        amount_in = amount_in_delta(zero_for_one, target, current, liquidity)
        if remaining_less_fee >= amount_in:
            sqrt_price_next_x96 = target
            if fee_pips == MAX_SWAP_FEE:
                fee_amount = amount_in
            else:
                fee_amount = mul_div_rounding_up(amount_in, fee_pips, MAX_SWAP_FEE - fee_pips)
        else:
            amount_in = remaining_less_fee
            sqrt_price_next_x96 = get_next_sqrt_price_from_input(
                current, liquidity, remaining_less_fee, zero_for_one
            )
            fee_amount = -amount_remaining - amount_in
        amount_out = amount_out_delta(zero_for_one, sqrt_price_next_x96, current, liquidity)
        return sqrt_price_next_x96, amount_in, amount_out, fee_amount

    amount_out = amount_out_delta(zero_for_one, target, current, liquidity)
    if amount_remaining >= amount_out:
        sqrt_price_next_x96 = target
    else:
        amount_out = amount_remaining
        sqrt_price_next_x96 = get_next_sqrt_price_from_output(current, liquidity, amount_out, zero_for_one)
    amount_in = amount_in_delta(zero_for_one, sqrt_price_next_x96, current, liquidity)
    fee_amount = mul_div_rounding_up(amount_in, fee_pips, MAX_SWAP_FEE - fee_pips)
    return sqrt_price_next_x96, amount_in, amount_out, fee_amount
