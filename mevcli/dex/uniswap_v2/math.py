"""Uniswap V2 pair math as UniswapV2Library computes it (ints only, floor division like Solidity).

`fee_pips` is the swap fee in millionths (3000 = 0.30%); the canonical pair hard-codes 997/1000, which
is exactly fee_pips=3000. Forks with other fees use the same formula with their own fee.
"""

from __future__ import annotations

from mevcli.errors import PoolMathError

FEE_DENOMINATOR = 1_000_000


def get_amount_out(amount_in: int, reserve_in: int, reserve_out: int, fee_pips: int = 3000) -> int:
    """Largest output the pair's K check accepts for `amount_in` (UniswapV2Library.getAmountOut)."""
    if amount_in <= 0:
        raise PoolMathError("INSUFFICIENT_INPUT_AMOUNT")
    if reserve_in <= 0 or reserve_out <= 0:
        raise PoolMathError("INSUFFICIENT_LIQUIDITY")
    amount_in_with_fee = amount_in * (FEE_DENOMINATOR - fee_pips)
    return (amount_in_with_fee * reserve_out) // (reserve_in * FEE_DENOMINATOR + amount_in_with_fee)


def get_amount_in(amount_out: int, reserve_in: int, reserve_out: int, fee_pips: int = 3000) -> int:
    """Smallest input that buys `amount_out` (UniswapV2Library.getAmountIn, rounds up by +1)."""
    if amount_out <= 0:
        raise PoolMathError("INSUFFICIENT_OUTPUT_AMOUNT")
    if reserve_in <= 0 or reserve_out <= 0 or amount_out >= reserve_out:
        raise PoolMathError("INSUFFICIENT_LIQUIDITY")
    numerator = reserve_in * amount_out * FEE_DENOMINATOR
    denominator = (reserve_out - amount_out) * (FEE_DENOMINATOR - fee_pips)
    return numerator // denominator + 1
