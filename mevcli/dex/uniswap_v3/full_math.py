"""FullMath (and UnsafeMath) of Uniswap V3 core: 512-bit-safe multiply-then-divide on uint256.

Python ints are unbounded, so the 512-bit product the Solidity assembles from two words is just `a * b`;
what has to be kept are the reverts: a zero denominator, and a quotient that does not fit in a uint256.
The exceptions below are the Python faces of those `require`s and are shared by the whole package.
"""

from __future__ import annotations

from mevcli.errors import PoolMathError

MAX_UINT256 = (1 << 256) - 1
MAX_UINT160 = (1 << 160) - 1
MAX_UINT128 = (1 << 128) - 1
MAX_INT256 = (1 << 255) - 1
MIN_INT256 = -(1 << 255)
MAX_INT128 = (1 << 127) - 1
MIN_INT128 = -(1 << 127)


class MathOverflow(PoolMathError, OverflowError):
    """A checked Solidity operation would revert because its result leaves the type's range."""


class MathUnderflow(PoolMathError, ArithmeticError):
    """A checked Solidity subtraction (or a `require(a > b)` guarding one) would revert."""


class ZeroDenominator(PoolMathError, ZeroDivisionError):
    """`mulDiv` / `mulDivRoundingUp` called with `denominator == 0` (the Solidity reverts)."""


def _check_uint256(*values: int) -> None:
    for value in values:
        if not 0 <= value <= MAX_UINT256:
            raise PoolMathError(f"{value} is not a uint256")


def mul_div(a: int, b: int, denominator: int) -> int:
    """floor(a * b / denominator) with full precision (FullMath.mulDiv).

    Reverts (raises) when `denominator == 0` or the result does not fit in a uint256.
    """
    if not (0 <= a <= MAX_UINT256 and 0 <= b <= MAX_UINT256 and 0 < denominator <= MAX_UINT256):
        _refuse(a, b, denominator)
    result = a * b // denominator
    if result > MAX_UINT256:
        # The Solidity's `require(denominator > prod1)` is exactly "the quotient fits in 256 bits".
        raise MathOverflow("FullMath.mulDiv: result overflows uint256")
    return result


def mul_div_rounding_up(a: int, b: int, denominator: int) -> int:
    """ceil(a * b / denominator) with full precision (FullMath.mulDivRoundingUp).

    Reverts (raises) like `mul_div`, and also when rounding up would step past `2**256 - 1`.
    """
    if not (0 <= a <= MAX_UINT256 and 0 <= b <= MAX_UINT256 and 0 < denominator <= MAX_UINT256):
        _refuse(a, b, denominator)
    result, remainder = divmod(a * b, denominator)
    if result > MAX_UINT256:
        raise MathOverflow("FullMath.mulDiv: result overflows uint256")
    if remainder:
        if result == MAX_UINT256:
            raise MathOverflow("FullMath.mulDivRoundingUp: result overflows uint256")
        result += 1
    return result


def _refuse(a: int, b: int, denominator: int) -> None:
    """What `mul_div` raises for operands that are not all uint256, or a zero denominator."""
    _check_uint256(a, b, denominator)
    raise ZeroDenominator("FullMath.mulDiv: denominator is 0")


def div_rounding_up(x: int, y: int) -> int:
    """ceil(x / y) for uint256 operands (UnsafeMath.divRoundingUp).

    Like the EVM `div`/`mod` opcodes the Solidity assembly uses, a zero divisor yields 0 instead of
    reverting; callers guarantee `y > 0` wherever it matters.
    """
    if y == 0:
        return 0
    quotient, remainder = divmod(x, y)
    return quotient + (1 if remainder > 0 else 0)
