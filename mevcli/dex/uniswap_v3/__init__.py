"""Uniswap V3: an exact integer port of the core math and the pool's swap loop.

Each module mirrors the Solidity library of the same name (FullMath -> full_math, TickMath ->
tick_math, ...), with the same rounding and the same reverts, so quotes are bit-exact with the pool.
"""

from mevcli.dex.uniswap_v3.bit_math import least_significant_bit, most_significant_bit
from mevcli.dex.uniswap_v3.full_math import (
    MathOverflow,
    MathUnderflow,
    ZeroDenominator,
    mul_div,
    mul_div_rounding_up,
)
from mevcli.dex.uniswap_v3.liquidity_math import add_delta
from mevcli.dex.uniswap_v3.sqrt_price_math import (
    get_amount0_delta,
    get_amount0_delta_signed,
    get_amount1_delta,
    get_amount1_delta_signed,
    get_next_sqrt_price_from_input,
    get_next_sqrt_price_from_output,
)
from mevcli.dex.uniswap_v3.state import V3PoolState
from mevcli.dex.uniswap_v3.swap import (
    IncompletePoolState,
    InsufficientLiquidity,
    InvalidPriceLimit,
    SwapResult,
    count_initialized_ticks_crossed,
    quote_exact_input,
    quote_exact_output,
    swap,
)
from mevcli.dex.uniswap_v3.swap_math import compute_swap_step
from mevcli.dex.uniswap_v3.tick_bitmap import next_initialized_tick_within_one_word, position
from mevcli.dex.uniswap_v3.tick_math import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    SqrtPriceOutOfRange,
    TickOutOfRange,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
)

__all__ = [
    "MAX_SQRT_RATIO",
    "MAX_TICK",
    "MIN_SQRT_RATIO",
    "MIN_TICK",
    "IncompletePoolState",
    "InsufficientLiquidity",
    "InvalidPriceLimit",
    "MathOverflow",
    "MathUnderflow",
    "SqrtPriceOutOfRange",
    "SwapResult",
    "TickOutOfRange",
    "V3PoolState",
    "ZeroDenominator",
    "add_delta",
    "compute_swap_step",
    "count_initialized_ticks_crossed",
    "get_amount0_delta",
    "get_amount0_delta_signed",
    "get_amount1_delta",
    "get_amount1_delta_signed",
    "get_next_sqrt_price_from_input",
    "get_next_sqrt_price_from_output",
    "get_sqrt_ratio_at_tick",
    "get_tick_at_sqrt_ratio",
    "least_significant_bit",
    "most_significant_bit",
    "mul_div",
    "mul_div_rounding_up",
    "next_initialized_tick_within_one_word",
    "position",
    "quote_exact_input",
    "quote_exact_output",
    "swap",
]
