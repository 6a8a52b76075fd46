"""LiquidityMath of Uniswap V3 core: add a signed int128 delta to a uint128 liquidity, checked."""

from __future__ import annotations

from mevcli.dex.uniswap_v3.full_math import MAX_UINT128, MathOverflow, MathUnderflow


def add_delta(x: int, y: int) -> int:
    """x + y for uint128 x and int128 y (LiquidityMath.addDelta).

    Raises `MathUnderflow` ('LS') if the result would be negative and `MathOverflow` ('LA') if it
    would exceed 2**128 - 1, which is exactly when the Solidity's wrap checks fail.
    """
    z = x + y
    if z < 0:
        raise MathUnderflow(f"LiquidityMath.addDelta: {x} + ({y}) underflows (LS)")
    if z > MAX_UINT128:
        raise MathOverflow(f"LiquidityMath.addDelta: {x} + {y} overflows uint128 (LA)")
    return z
