"""SwapMath of v4-core: one step of the swap loop.

Unlike V3's, exact input is a negative amount; a step that stops short of its target takes all the
remaining input (less the fee) as `amount_in` rather than recomputing it from the new price, and an
exact-output step pays exactly the remaining output. The fee may be up to 100 % for exact input.
"""

from __future__ import annotations

from mevcli.dex.uniswap_v3.full_math import (
    MAX_UINT128,
    MAX_UINT160,
    MAX_UINT256,
    mul_div,
    mul_div_rounding_up,
)
from mevcli.dex.uniswap_v3.sqrt_price_math import (
    RESOLUTION,
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
    `amount`, for the many quotes that run the same step.

    What reaching the target takes and gives (the input, its fee, the output) does not depend on the
    amount and is found once: an amount whose input less the fee reaches the target gets those. One that
    stops short gets SqrtPriceMath's next price and output written out for this step: for token0 in,
    ceil(L·2^96·P / (L·2^96 + a·P)) where a·P and the sum fit in 256 bits (the library's first branch),
    and L·(P − P') / 2^96 out; for token1 in, P + floor(a·2^96 / L) where a fits in 160 bits and the
    result does too, and floor(floor(L·2^96·(P' − P) / P') / P) out. Those quotients cannot overflow (each
    is at most one of its uint256 operands) and P, L > 0 is checked once, so these are all the checks
    the library makes on them. Anything else (an amount past 2^255, the library's other branches, a
    state where reaching the target reverts) is handed to `compute_swap_step` itself.
    """

    __slots__ = ("current", "fee_pips", "liquidity", "reach", "short", "target", "zero_for_one")

    def __init__(self, current: int, target: int, liquidity: int, fee_pips: int) -> None:
        self.current, self.target, self.liquidity, self.fee_pips = current, target, liquidity, fee_pips
        self.zero_for_one = zero_for_one = current >= target
        # (input to the target, output there, fee on the input); None where computing one would revert, or
        # the fee is outside [0, 100 %] (`compute_swap_step` then decides)
        self.reach: tuple[int, int, int] | None = None
        # L·2^96, and for token0 in L·2^96·P, for a step that stops short; None: `compute_swap_step` decides
        self.short: tuple[int, int] | None = None
        if not 0 <= fee_pips <= MAX_SWAP_FEE:
            return
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
        if 0 < current <= MAX_UINT160 and 0 < liquidity <= MAX_UINT128:
            numerator1 = liquidity << RESOLUTION
            self.short = (numerator1, numerator1 * current)

    def __call__(self, amount: int) -> tuple[int, int, int, int]:
        """(sqrt price after, amount in, amount out, fee amount) for `amount` (> 0) of exact input."""
        reach = self.reach
        # mul_div of an amount below 2**255 by (1e6 - fee) / 1e6 neither reverts nor exceeds the amount
        if reach is not None and 0 < amount < 1 << 255:
            less_fee = amount * (MAX_SWAP_FEE - self.fee_pips) // MAX_SWAP_FEE
            if less_fee >= reach[0]:
                return self.target, *reach
            short = self.short
            if short is not None and less_fee:
                current = self.current
                numerator1, numerator_price = short
                if self.zero_for_one:
                    denominator = numerator1 + less_fee * current  # < 2^256 also rules out a·P's
                    if denominator <= MAX_UINT256:
                        after = -(-numerator_price // denominator)
                        return (
                            after,
                            less_fee,
                            self.liquidity * (current - after) >> RESOLUTION,
                            amount - less_fee,
                        )
                elif less_fee <= MAX_UINT160:
                    after = current + (less_fee << RESOLUTION) // self.liquidity
                    if after <= MAX_UINT160:
                        out = numerator1 * (after - current) // after // current
                        return after, less_fee, out, amount - less_fee
        return compute_swap_step(self.current, self.target, self.liquidity, -amount, self.fee_pips)
