"""Balancer's FixedPoint library as the 2021 (v1) pools compile it: 18-decimal unsigned fixed point.

The 2021 version has no `y == 1/2/4` shortcuts in `pow_down`/`pow_up` (those arrived with the 2022
pools): every power goes through LogExpMath with the MAX_POW_RELATIVE_ERROR margin.
"""

from __future__ import annotations

from mevcli.dex.balancer import log_exp_math
from mevcli.dex.balancer.errors import BalancerMathError, Errors, require

ONE = 10**18
MAX_POW_RELATIVE_ERROR = 10_000  # 10^(-14)
MIN_POW_BASE_FREE_EXPONENT = 7 * 10**17
MAX_UINT256 = 2**256 - 1


def add(a: int, b: int) -> int:
    c = a + b
    require(c <= MAX_UINT256, Errors.ADD_OVERFLOW)
    return c


def sub(a: int, b: int) -> int:
    require(b <= a, Errors.SUB_OVERFLOW)
    return a - b


def mul_down(a: int, b: int) -> int:
    product = a * b
    require(product <= MAX_UINT256, Errors.MUL_OVERFLOW)
    return product // ONE


def mul_up(a: int, b: int) -> int:
    product = a * b
    require(product <= MAX_UINT256, Errors.MUL_OVERFLOW)
    return 0 if product == 0 else (product - 1) // ONE + 1


def div_down(a: int, b: int) -> int:
    require(b != 0, Errors.ZERO_DIVISION)
    if a == 0:
        return 0
    a_inflated = a * ONE
    require(a_inflated <= MAX_UINT256, Errors.DIV_INTERNAL)
    return a_inflated // b


def div_up(a: int, b: int) -> int:
    require(b != 0, Errors.ZERO_DIVISION)
    if a == 0:
        return 0
    a_inflated = a * ONE
    require(a_inflated <= MAX_UINT256, Errors.DIV_INTERNAL)
    return (a_inflated - 1) // b + 1


def pow_down(x: int, y: int) -> int:
    """x^y rounded down: never above the true value."""
    raw = log_exp_math.pow(x, y)
    max_error = _pow_error(raw)
    return 0 if raw < max_error else raw - max_error


def pow_up(x: int, y: int) -> int:
    """x^y rounded up: never below the true value."""
    raw = log_exp_math.pow(x, y)
    result = raw + _pow_error(raw)
    if result > MAX_UINT256:
        raise BalancerMathError(Errors.ADD_OVERFLOW)
    return result


def _pow_error(raw: int) -> int:
    """`add(mul_up(raw, MAX_POW_RELATIVE_ERROR), 1)`: the product is the one check that can fail (it is
    at most MAX_UINT256, so its quotient by ONE plus 2 cannot overflow)."""
    product = raw * MAX_POW_RELATIVE_ERROR
    if product > MAX_UINT256:
        raise BalancerMathError(Errors.MUL_OVERFLOW)
    return -(-product // ONE) + 1


def complement(x: int) -> int:
    """1 - x, floored at 0."""
    return ONE - x if x < ONE else 0
