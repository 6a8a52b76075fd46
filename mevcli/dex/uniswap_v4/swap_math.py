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


class ExactInputStep:
    """`compute_swap_step(current, target, liquidity, -amount, fee_pips)` as a function of the exact input
    `amount`, for the many quotes that run the same step: what reaching the target takes and gives (the
    input, its fee, the output) does not depend on the amount and is found once. An amount whose input
    less the fee reaches the target gets those; any other (the step stops short of the target, or a
    part of it would revert) is handed to `compute_swap_step` itself."""

    __slots__ = ("current", "fee_pips", "liquidity", "reach", "target")

    def __init__(self, current: int, target: int, liquidity: int, fee_pips: int) -> None:
        self.current, self.target, self.liquidity, self.fee_pips = current, target, liquidity, fee_pips
        # (input to the target, output there, fee on the input); None where computing one would revert, or the
        # fee is outside [0, 100 %] (`compute_swap_step` then decides)
        self.reach: tuple[int, int, int] | None = None
        if not 0 <= fee_pips <= MAX_SWAP_FEE:
            return
        zero_for_one = current >= target
        try:
            amount_in = amount_in_delta(zero_for_one, target, current, liquidity)
            if fee_pips == MAX_SWAP_FEE:
                fee_amount = amount_in
            else:
                fee_amount = mul_div_rounding_up(amount_in, fee_pips, MAX_SWAP_FEE - fee_pips)
            amount_out = amount_out_delta(zero_for_one, target, current, liquidity)
        except (ArithmeticError, ValueError):  # the Solidity reverts: so does `compute_swap_step`
            return
        self.reach = (amount_in, amount_out, fee_amount)

    def __call__(self, amount: int) -> tuple[int, int, int, int]:
        """(sqrt price after, amount in, amount out, fee amount) for `amount` (> 0) of exact input."""
        reach = self.reach
        # mul_div of an amount below 2**255 by (1e6 - fee) / 1e6 neither reverts nor exceeds the amount
        if (
            reach is not None
            and 0 < amount < 1 << 255
            and amount * (MAX_SWAP_FEE - self.fee_pips) // MAX_SWAP_FEE >= reach[0]
        ):
            return self.target, *reach
        return compute_swap_step(self.current, self.target, self.liquidity, -amount, self.fee_pips)
