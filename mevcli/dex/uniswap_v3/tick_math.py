"""TickMath of Uniswap V3 core: tick <-> sqrt price (Q64.96), bit-exact with the Solidity.

`get_sqrt_ratio_at_tick` multiplies the Q128.128 constants for each set bit of |tick| exactly as the
Solidity does. `get_tick_at_sqrt_ratio` is a line-for-line port of the Solidity's fixed-point log2
(14 fractional bits by repeated squaring) and its tickLow / tickHi disambiguation, so it returns the
same tick for every input. That tick is also "the greatest tick whose `get_sqrt_ratio_at_tick` is
<= the price": we checked this over the whole domain (both sides of every tick boundary).
"""

from __future__ import annotations

from mevcli.dex.uniswap_v3.full_math import MAX_UINT256
from mevcli.errors import PoolMathError

MIN_TICK = -887272
MAX_TICK = -MIN_TICK

MIN_SQRT_RATIO = 4295128739
MAX_SQRT_RATIO = 1461446703485210103287273052203988822378723970342

# (bit of |tick|, Q128.128 value of 1/sqrt(1.0001)**bit), in the order the Solidity applies them.
_RATIO_FACTORS: tuple[tuple[int, int], ...] = (
    (0x2, 0xFFF97272373D413259A46990580E213A),
    (0x4, 0xFFF2E50F5F656932EF12357CF3C7FDCC),
    (0x8, 0xFFE5CACA7E10E4E61C3624EAA0941CD0),
    (0x10, 0xFFCB9843D60F6159C9DB58835C926644),
    (0x20, 0xFF973B41FA98C081472E6896DFB254C0),
    (0x40, 0xFF2EA16466C96A3843EC78B326B52861),
    (0x80, 0xFE5DEE046A99A2A811C461F1969C3053),
    (0x100, 0xFCBE86C7900A88AEDCFFC83B479AA3A4),
    (0x200, 0xF987A7253AC413176F2B074CF7815E54),
    (0x400, 0xF3392B0822B70005940C7A398E4B70F3),
    (0x800, 0xE7159475A2C29B7443B29C7FA6E889D9),
    (0x1000, 0xD097F3BDFD2022B8845AD8F792AA5825),
    (0x2000, 0xA9F746462D870FDF8A65DC1F90E061E5),
    (0x4000, 0x70D869A156D2A1B890BB3DF62BAF32F7),
    (0x8000, 0x31BE135F97D08FD981231505542FCFA6),
    (0x10000, 0x9AA508B5B7A84E1C677DE54F3E99BC9),
    (0x20000, 0x5D6AF8DEDB81196699C329225EE604),
    (0x40000, 0x2216E584F5FA1EA926041BEDFE98),
    (0x80000, 0x48A170391F7DC42444E8FA2),
)

# log2(sqrt(1.0001)) inverse as a Q128.128 multiplier, and the error bounds of the log approximation.
_LOG_SQRT10001_FACTOR = 255738958999603826347141
_TICK_LOW_OFFSET = 3402992956809132418596140100660247210
_TICK_HI_OFFSET = 291339464771989622907027621153398088495


class TickOutOfRange(PoolMathError):
    """|tick| > MAX_TICK: the Solidity reverts with 'T'."""


class SqrtPriceOutOfRange(PoolMathError):
    """sqrt price outside [MIN_SQRT_RATIO, MAX_SQRT_RATIO): the Solidity reverts with 'R'."""


def get_sqrt_ratio_at_tick(tick: int) -> int:
    """sqrt(1.0001**tick) * 2**96, rounded up from Q128.128 (TickMath.getSqrtRatioAtTick)."""
    abs_tick = -tick if tick < 0 else tick
    if abs_tick > MAX_TICK:
        raise TickOutOfRange(f"tick {tick} outside [{MIN_TICK}, {MAX_TICK}]")

    ratio = 0xFFFCB933BD6FAD37AA2D162D1A594001 if abs_tick & 0x1 else 0x100000000000000000000000000000000
    for bit, factor in _RATIO_FACTORS:
        if abs_tick & bit:
            # ratio <= 2**128 and factor < 2**128: the product never wraps a uint256.
            ratio = (ratio * factor) >> 128

    if tick > 0:
        ratio = MAX_UINT256 // ratio

    # Q128.128 -> Q128.96 rounding up, so get_tick_at_sqrt_ratio of the result is consistent.
    return (ratio >> 32) + (0 if ratio % (1 << 32) == 0 else 1)


def get_tick_at_sqrt_ratio(sqrt_price_x96: int) -> int:
    """Greatest tick whose sqrt ratio is <= `sqrt_price_x96` (TickMath.getTickAtSqrtRatio).

    Raises `SqrtPriceOutOfRange` unless MIN_SQRT_RATIO <= sqrt_price_x96 < MAX_SQRT_RATIO.
    """
    if not MIN_SQRT_RATIO <= sqrt_price_x96 < MAX_SQRT_RATIO:
        raise SqrtPriceOutOfRange(f"sqrt price {sqrt_price_x96} outside [MIN_SQRT_RATIO, MAX_SQRT_RATIO)")
    ratio = sqrt_price_x96 << 32

    msb = ratio.bit_length() - 1  # the assembly's 8-step binary search for the most significant bit

    # Normalise to r in [2**127, 2**128): a Q1.127 mantissa.
    r = ratio >> (msb - 127) if msb >= 128 else ratio << (127 - msb)

    log_2 = (msb - 128) << 64  # signed Q64.64 integer part
    for shift in range(63, 49, -1):  # 14 fractional bits, 63 down to 50
        r = (r * r) >> 127
        f = r >> 128
        log_2 |= f << shift
        r >>= f

    log_sqrt10001 = log_2 * _LOG_SQRT10001_FACTOR  # Q128.128

    tick_low = (log_sqrt10001 - _TICK_LOW_OFFSET) >> 128
    tick_hi = (log_sqrt10001 + _TICK_HI_OFFSET) >> 128

    if tick_low == tick_hi:
        return tick_low
    return tick_hi if get_sqrt_ratio_at_tick(tick_hi) <= sqrt_price_x96 else tick_low
