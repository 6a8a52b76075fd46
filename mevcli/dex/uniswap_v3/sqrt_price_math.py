"""SqrtPriceMath of Uniswap V3 core: next sqrt price after a token delta, and token deltas between prices.

Prices are uint160 Q64.96 sqrt prices, liquidity is uint128, amounts are uint256. The Solidity is
pre-0.8 (unchecked arithmetic), so each overflow it guards against by hand is reproduced here as the
same test on the exact Python value, and its checked helpers (`LowGasSafeMath.add`, `SafeCast`) raise
`MathOverflow` / `MathUnderflow`.
"""

from __future__ import annotations

from mevcli.dex.uniswap_v3.full_math import (
    MAX_INT256,
    MAX_UINT160,
    MAX_UINT256,
    MathOverflow,
    MathUnderflow,
    ZeroDenominator,
    div_rounding_up,
    mul_div,
    mul_div_rounding_up,
)
from mevcli.errors import PoolMathError

RESOLUTION = 96
Q96 = 1 << RESOLUTION


class ZeroPriceOrLiquidity(PoolMathError):
    """`require(sqrtPX96 > 0)` / `require(liquidity > 0)` / `require(sqrtRatioAX96 > 0)` failed."""


def _to_uint160(value: int) -> int:
    """SafeCast.toUint160."""
    if value > MAX_UINT160:
        raise MathOverflow("SafeCast.toUint160: value does not fit in uint160")
    return value


def _to_int256(value: int) -> int:
    """SafeCast.toInt256 (of a uint256)."""
    if value > MAX_INT256:
        raise MathOverflow("SafeCast.toInt256: value does not fit in int256")
    return value


def get_next_sqrt_price_from_amount0_rounding_up(
    sqrt_px96: int, liquidity: int, amount: int, add: bool
) -> int:
    """Price after adding / removing `amount` of token0, rounded up.

    SqrtPriceMath.getNextSqrtPriceFromAmount0RoundingUp.

    Uses liquidity * sqrtP / (liquidity +- amount * sqrtP) when that fits in 256 bits, otherwise the
    Solidity's fallback liquidity / (liquidity / sqrtP + amount).
    """
    # Short circuit: otherwise the result is not guaranteed to equal the input price.
    if amount == 0:
        return sqrt_px96
    numerator1 = liquidity << RESOLUTION

    product = amount * sqrt_px96  # the Solidity detects the uint256 wrap via product / amount == sqrtP
    if add:
        if product <= MAX_UINT256:
            denominator = numerator1 + product
            if denominator <= MAX_UINT256:  # the Solidity's `denominator >= numerator1` (no wrap)
                # always fits in 160 bits
                return mul_div_rounding_up(numerator1, sqrt_px96, denominator)
        divisor = numerator1 // sqrt_px96 + amount  # LowGasSafeMath.add
        if divisor > MAX_UINT256:
            raise MathOverflow("getNextSqrtPriceFromAmount0RoundingUp: numerator1 / sqrtP + amount overflows")
        # always fits in 160 bits, so the Solidity's unchecked uint160() cast is a no-op
        return div_rounding_up(numerator1, divisor)

    # If the product overflows, the denominator underflows; the denominator must not underflow either.
    if product > MAX_UINT256 or numerator1 <= product:
        raise MathUnderflow("getNextSqrtPriceFromAmount0RoundingUp: amount * sqrtP >= liquidity << 96")
    denominator = numerator1 - product
    return _to_uint160(mul_div_rounding_up(numerator1, sqrt_px96, denominator))


def get_next_sqrt_price_from_amount1_rounding_down(
    sqrt_px96: int, liquidity: int, amount: int, add: bool
) -> int:
    """Price after adding / removing `amount` of token1, rounded down.

    SqrtPriceMath.getNextSqrtPriceFromAmount1RoundingDown.

    Computes sqrtP +- amount / liquidity, with the quotient rounded down when adding, up when removing.
    """
    if add:
        if amount <= MAX_UINT160:
            if liquidity == 0:  # a checked Solidity `/` by zero reverts
                raise ZeroDenominator("getNextSqrtPriceFromAmount1RoundingDown: liquidity is 0")
            quotient = (amount << RESOLUTION) // liquidity
        else:
            quotient = mul_div(amount, Q96, liquidity)
        result = sqrt_px96 + quotient  # LowGasSafeMath.add, then SafeCast.toUint160
        if result > MAX_UINT256:
            raise MathOverflow("getNextSqrtPriceFromAmount1RoundingDown: sqrtP + quotient overflows")
        return _to_uint160(result)

    if amount <= MAX_UINT160:
        quotient = div_rounding_up(amount << RESOLUTION, liquidity)  # EVM div: liquidity 0 gives 0
    else:
        quotient = mul_div_rounding_up(amount, Q96, liquidity)
    if sqrt_px96 <= quotient:
        raise MathUnderflow("getNextSqrtPriceFromAmount1RoundingDown: quotient >= sqrtP")
    # always fits 160 bits
    return sqrt_px96 - quotient


def _next_sqrt_price(where: str, sqrt_px96: int, liquidity: int, amount: int, token0: bool, add: bool) -> int:
    if sqrt_px96 <= 0:
        raise ZeroPriceOrLiquidity(f"{where}: sqrtPX96 is 0")
    if liquidity <= 0:
        raise ZeroPriceOrLiquidity(f"{where}: liquidity is 0")
    if token0:
        return get_next_sqrt_price_from_amount0_rounding_up(sqrt_px96, liquidity, amount, add)
    return get_next_sqrt_price_from_amount1_rounding_down(sqrt_px96, liquidity, amount, add)


def get_next_sqrt_price_from_input(sqrt_px96: int, liquidity: int, amount_in: int, zero_for_one: bool) -> int:
    """Price after `amount_in` of token0 (zero_for_one) or token1 comes in (getNextSqrtPriceFromInput).

    Rounds so the target price is never passed. Raises if price or liquidity is 0 or the result is out
    of bounds.
    """
    return _next_sqrt_price("getNextSqrtPriceFromInput", sqrt_px96, liquidity, amount_in, zero_for_one, True)


def get_next_sqrt_price_from_output(
    sqrt_px96: int, liquidity: int, amount_out: int, zero_for_one: bool
) -> int:
    """Price after `amount_out` of token1 (zero_for_one) or token0 goes out (getNextSqrtPriceFromOutput).

    Rounds so the target price is always reached. Raises if price or liquidity is 0 or the result is
    out of bounds.
    """
    return _next_sqrt_price(
        "getNextSqrtPriceFromOutput", sqrt_px96, liquidity, amount_out, not zero_for_one, False
    )


def get_amount0_delta(sqrt_ratio_a_x96: int, sqrt_ratio_b_x96: int, liquidity: int, round_up: bool) -> int:
    """Token0 between two prices, L * (sqrtB - sqrtA) / (sqrtB * sqrtA) (SqrtPriceMath.getAmount0Delta)."""
    if sqrt_ratio_a_x96 > sqrt_ratio_b_x96:
        sqrt_ratio_a_x96, sqrt_ratio_b_x96 = sqrt_ratio_b_x96, sqrt_ratio_a_x96

    numerator1 = liquidity << RESOLUTION
    numerator2 = sqrt_ratio_b_x96 - sqrt_ratio_a_x96

    if sqrt_ratio_a_x96 <= 0:
        raise ZeroPriceOrLiquidity("getAmount0Delta: sqrtRatioAX96 is 0")

    if round_up:
        return div_rounding_up(
            mul_div_rounding_up(numerator1, numerator2, sqrt_ratio_b_x96), sqrt_ratio_a_x96
        )
    return mul_div(numerator1, numerator2, sqrt_ratio_b_x96) // sqrt_ratio_a_x96


def get_amount1_delta(sqrt_ratio_a_x96: int, sqrt_ratio_b_x96: int, liquidity: int, round_up: bool) -> int:
    """Token1 between two prices: liquidity * (sqrtB - sqrtA) / 2**96 (SqrtPriceMath.getAmount1Delta)."""
    if sqrt_ratio_a_x96 > sqrt_ratio_b_x96:
        sqrt_ratio_a_x96, sqrt_ratio_b_x96 = sqrt_ratio_b_x96, sqrt_ratio_a_x96

    if round_up:
        return mul_div_rounding_up(liquidity, sqrt_ratio_b_x96 - sqrt_ratio_a_x96, Q96)
    return mul_div(liquidity, sqrt_ratio_b_x96 - sqrt_ratio_a_x96, Q96)


def amount_in_delta(zero_for_one: bool, sqrt_ratio_a_x96: int, sqrt_ratio_b_x96: int, liquidity: int) -> int:
    """What a swap pays in between two prices, rounded up: token0 when `zero_for_one`, else token1."""
    if zero_for_one:
        return get_amount0_delta(sqrt_ratio_a_x96, sqrt_ratio_b_x96, liquidity, True)
    return get_amount1_delta(sqrt_ratio_a_x96, sqrt_ratio_b_x96, liquidity, True)


def amount_out_delta(zero_for_one: bool, sqrt_ratio_a_x96: int, sqrt_ratio_b_x96: int, liquidity: int) -> int:
    """What a swap pays out between two prices, rounded down: token1 when `zero_for_one`, else token0."""
    if zero_for_one:
        return get_amount1_delta(sqrt_ratio_a_x96, sqrt_ratio_b_x96, liquidity, False)
    return get_amount0_delta(sqrt_ratio_a_x96, sqrt_ratio_b_x96, liquidity, False)


def get_amount0_delta_signed(sqrt_ratio_a_x96: int, sqrt_ratio_b_x96: int, liquidity: int) -> int:
    """Signed token0 delta for an int128 liquidity change (the 3-argument SqrtPriceMath.getAmount0Delta).

    Positive liquidity rounds up (owed to the pool), negative rounds down (paid by the pool).
    """
    if liquidity < 0:
        return -_to_int256(get_amount0_delta(sqrt_ratio_a_x96, sqrt_ratio_b_x96, -liquidity, False))
    return _to_int256(get_amount0_delta(sqrt_ratio_a_x96, sqrt_ratio_b_x96, liquidity, True))


def get_amount1_delta_signed(sqrt_ratio_a_x96: int, sqrt_ratio_b_x96: int, liquidity: int) -> int:
    """Signed token1 delta for an int128 liquidity change (the 3-argument SqrtPriceMath.getAmount1Delta).

    Positive liquidity rounds up (owed to the pool), negative rounds down (paid by the pool).
    """
    if liquidity < 0:
        return -_to_int256(get_amount1_delta(sqrt_ratio_a_x96, sqrt_ratio_b_x96, -liquidity, False))
    return _to_int256(get_amount1_delta(sqrt_ratio_a_x96, sqrt_ratio_b_x96, liquidity, True))
