"""TickBitmap of Uniswap V3 core: one bit per spaced tick, packed in uint256 words keyed by int16.

The bitmap is passed in as a read-only `Mapping[int, int]` (word position -> word); a missing word
reads as 0, like unset Solidity storage.
"""

from __future__ import annotations

from collections.abc import Mapping

from mevcli.dex.uniswap_v3.bit_math import least_significant_bit, most_significant_bit
from mevcli.dex.uniswap_v3.full_math import MAX_UINT256
from mevcli.errors import PoolMathError


def sdiv(a: int, b: int) -> int:
    """Solidity signed `/`: truncates toward zero (Python's `//` floors)."""
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def smod(a: int, b: int) -> int:
    """Solidity signed `%`: the result has the sign of the dividend."""
    return a - b * sdiv(a, b)


def compress(tick: int, tick_spacing: int) -> int:
    """tick / tickSpacing rounded toward negative infinity, as nextInitializedTickWithinOneWord does it."""
    compressed = sdiv(tick, tick_spacing)
    if tick < 0 and smod(tick, tick_spacing) != 0:
        compressed -= 1  # round towards negative infinity
    return compressed


def position(tick: int) -> tuple[int, int]:
    """(word_pos, bit_pos) of a compressed tick (TickBitmap.position).

    `int16(tick >> 8)` is an arithmetic shift and `uint8(tick % 256)` keeps the low 8 bits of the
    two's-complement remainder, which is Python's non-negative `% 256`.
    """
    return tick >> 8, tick % 256


def flip_tick(bitmap: dict[int, int], tick: int, tick_spacing: int) -> None:
    """Flip the initialized bit of `tick` in a mutable bitmap (TickBitmap.flipTick).

    Removes the word when it becomes 0 so that "missing" and "zero" stay the same thing.
    """
    if smod(tick, tick_spacing) != 0:
        raise PoolMathError(f"tick {tick} is not a multiple of tick spacing {tick_spacing}")
    word_pos, bit_pos = position(sdiv(tick, tick_spacing))
    word = bitmap.get(word_pos, 0) ^ (1 << bit_pos)
    if word:
        bitmap[word_pos] = word
    else:
        bitmap.pop(word_pos, None)


def is_initialized(bitmap: Mapping[int, int], tick: int, tick_spacing: int) -> bool:
    """Whether the bit of a spaced `tick` is set (what the pool's tickBitmap says about it)."""
    if smod(tick, tick_spacing) != 0:
        return False
    word_pos, bit_pos = position(sdiv(tick, tick_spacing))
    return bool(bitmap.get(word_pos, 0) >> bit_pos & 1)


def next_initialized_tick_within_one_word(
    bitmap: Mapping[int, int], tick: int, tick_spacing: int, lte: bool
) -> tuple[int, bool]:
    """Next initialized tick within one bitmap word (TickBitmap.nextInitializedTickWithinOneWord).

    With `lte` it searches at or left of `tick`, otherwise strictly right of it. Returns
    `(next_tick, initialized)`; when nothing is set the result is the last tick of the word in the
    search direction, with `initialized=False`.
    """
    compressed = compress(tick, tick_spacing)

    if lte:
        word_pos, bit_pos = position(compressed)
        # all the 1s at or to the right of the current bit_pos
        mask = (1 << bit_pos) - 1 + (1 << bit_pos)
        masked = bitmap.get(word_pos, 0) & mask

        initialized = masked != 0
        if initialized:
            return (compressed - (bit_pos - most_significant_bit(masked))) * tick_spacing, True
        return (compressed - bit_pos) * tick_spacing, False

    # start from the word of the next tick, since the current tick state doesn't matter
    word_pos, bit_pos = position(compressed + 1)
    # all the 1s at or to the left of the bit_pos
    mask = MAX_UINT256 ^ ((1 << bit_pos) - 1)
    masked = bitmap.get(word_pos, 0) & mask

    initialized = masked != 0
    if initialized:
        return (compressed + 1 + (least_significant_bit(masked) - bit_pos)) * tick_spacing, True
    return (compressed + 1 + (255 - bit_pos)) * tick_spacing, False
