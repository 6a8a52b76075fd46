"""Balancer's LogExpMath: ln, exp and pow on 18-decimal fixed point, with the same 20- and 36-decimal
intermediate paths, so results match the contracts to the last unit.

Signed division in Solidity truncates toward zero (and `%` takes the dividend's sign); `_sdiv` /
`_smod` do that wherever a value can be negative. Everywhere else operands are non-negative and `//`
is the same thing.
"""

from __future__ import annotations

from mevcli.dex.balancer.errors import BalancerMathError, Errors, require

ONE_18 = 10**18
ONE_20 = 10**20
ONE_36 = 10**36

# exp's domain: results stored with 20 decimals in an int256.
MAX_NATURAL_EXPONENT = 130 * ONE_18
MIN_NATURAL_EXPONENT = -41 * ONE_18

# ln_36 is used for arguments in (0.9, 1.1).
LN_36_LOWER_BOUND = ONE_18 - 10**17
LN_36_UPPER_BOUND = ONE_18 + 10**17

MILD_EXPONENT_BOUND = 2**254 // ONE_20

# 18-decimal constants; a0 and a1 are plain integers (no decimals).
x0 = 128_000_000_000_000_000_000  # 2^7
a0 = 38_877_084_059_945_950_922_200_000_000_000_000_000_000_000_000_000_000_000  # e^(x0)
x1 = 64_000_000_000_000_000_000  # 2^6
a1 = 6_235_149_080_811_616_882_910_000_000  # e^(x1)

# 20-decimal constants.
x2 = 3_200_000_000_000_000_000_000  # 2^5
a2 = 7_896_296_018_268_069_516_100_000_000_000_000  # e^(x2)
x3 = 1_600_000_000_000_000_000_000  # 2^4
a3 = 888_611_052_050_787_263_676_000_000  # e^(x3)
x4 = 800_000_000_000_000_000_000  # 2^3
a4 = 298_095_798_704_172_827_474_000  # e^(x4)
x5 = 400_000_000_000_000_000_000  # 2^2
a5 = 5_459_815_003_314_423_907_810  # e^(x5)
x6 = 200_000_000_000_000_000_000  # 2^1
a6 = 738_905_609_893_065_022_723  # e^(x6)
x7 = 100_000_000_000_000_000_000  # 2^0
a7 = 271_828_182_845_904_523_536  # e^(x7)
x8 = 50_000_000_000_000_000_000  # 2^-1
a8 = 164_872_127_070_012_814_685  # e^(x8)
x9 = 25_000_000_000_000_000_000  # 2^-2
a9 = 128_402_541_668_774_148_407  # e^(x9)
x10 = 12_500_000_000_000_000_000  # 2^-3
a10 = 113_314_845_306_682_631_683  # e^(x10)
x11 = 6_250_000_000_000_000_000  # 2^-4
a11 = 106_449_445_891_785_942_956  # e^(x11)

# (x_n, a_n) pairs of the 20-decimal decomposition steps.
_EXP_STEPS = ((x2, a2), (x3, a3), (x4, a4), (x5, a5), (x6, a6), (x7, a7), (x8, a8), (x9, a9))
_LN_STEPS = (*_EXP_STEPS, (x10, a10), (x11, a11))
_TAYLOR_DIVISORS = tuple(range(2, 13))


def _sdiv(a: int, b: int) -> int:
    """Solidity int256 division: truncates toward zero."""
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def _smod(a: int, b: int) -> int:
    """Solidity int256 remainder: has the sign of the dividend."""
    r = abs(a) % abs(b)
    return -r if a < 0 else r


def pow(x: int, y: int) -> int:
    """x^y for unsigned 18-decimal x and y, as exp(y * ln(x)).

    The signed steps are taken on magnitudes with the sign kept apart: truncating a quotient toward
    zero, as Solidity's int256 `/` and `%` do, is flooring its magnitude.
    """
    if y == 0:
        return ONE_18  # 0^0 is defined as 1
    if x == 0:
        return 0
    if x >> 255:
        raise BalancerMathError(Errors.X_OUT_OF_BOUNDS)
    if y >= MILD_EXPONENT_BOUND:
        raise BalancerMathError(Errors.Y_OUT_OF_BOUNDS)
    if LN_36_LOWER_BOUND < x < LN_36_UPPER_BOUND:
        ln_36_x = _ln_36(x)
        # Two 18-decimal multiplications: the top 18 decimals of ln_36_x, then the (downscaled) rest.
        whole, rest = divmod(abs(ln_36_x), ONE_18)
        magnitude = (whole * y + rest * y // ONE_18) // ONE_18
        negative = ln_36_x < 0
    else:
        ln_x = _ln(x)
        magnitude = abs(ln_x) * y // ONE_18
        negative = ln_x < 0
    if negative:  # exp(-m) = 1 / exp(m), as `exp` computes it
        if magnitude > -MIN_NATURAL_EXPONENT:
            raise BalancerMathError(Errors.PRODUCT_OUT_OF_BOUNDS)
        return ONE_36 // _exp(magnitude)
    if magnitude > MAX_NATURAL_EXPONENT:
        raise BalancerMathError(Errors.PRODUCT_OUT_OF_BOUNDS)
    return _exp(magnitude)


def exp(x: int) -> int:
    """e^x for signed 18-decimal x in [MIN_NATURAL_EXPONENT, MAX_NATURAL_EXPONENT]."""
    require(MIN_NATURAL_EXPONENT <= x <= MAX_NATURAL_EXPONENT, Errors.INVALID_EXPONENT)
    if x < 0:
        return ONE_36 // _exp(-x)
    return _exp(x)


def _exp(x: int) -> int:
    """e^x for 18-decimal x in [0, MAX_NATURAL_EXPONENT]."""
    # e^x = e^(x0 or x1) * prod(e^x_n present) * e^(remainder), the last by Taylor series.
    if x >= x0:
        x -= x0
        first_an = a0
    elif x >= x1:
        x -= x1
        first_an = a1
    else:
        first_an = 1
    x *= 100  # to 20 decimals
    product = ONE_20
    for x_n, a_n in _EXP_STEPS:
        if x >= x_n:
            x -= x_n
            product = (product * a_n) // ONE_20
    series_sum = ONE_20 + x
    term = x
    for n in _TAYLOR_DIVISORS:  # 12 Taylor terms
        term = ((term * x) // ONE_20) // n
        series_sum += term
    return (((product * series_sum) // ONE_20) * first_an) // 100


def ln(a: int) -> int:
    """Natural logarithm of signed 18-decimal a > 0."""
    require(a > 0, Errors.OUT_OF_BOUNDS)
    if LN_36_LOWER_BOUND < a < LN_36_UPPER_BOUND:
        return _sdiv(_ln_36(a), ONE_18)
    return _ln(a)


def _ln(a: int) -> int:
    """ln(a) by decomposition into the x_n = ln(a_n), then a 6-term series on the remainder."""
    if a < ONE_18:
        return -_ln((ONE_18 * ONE_18) // a)
    total = 0
    if a >= a0 * ONE_18:
        a //= a0
        total += x0
    if a >= a1 * ONE_18:
        a //= a1
        total += x1
    total *= 100  # to 20 decimals
    a *= 100
    for x_n, a_n in _LN_STEPS:
        if a >= a_n:
            a = (a * ONE_20) // a_n
            total += x_n
    # ln(a) = 2 * (z + z^3/3 + z^5/5 + ...), z = (a - 1) / (a + 1); here a >= 1 so z >= 0.
    z = ((a - ONE_20) * ONE_20) // (a + ONE_20)
    z_squared = (z * z) // ONE_20
    num = series_sum = z
    for n in (3, 5, 7, 9, 11):
        num = (num * z_squared) // ONE_20
        series_sum += num // n
    series_sum *= 2
    return (total + series_sum) // 100


def _ln_36(x: int) -> int:
    """ln(x) with 36 decimals, for 18-decimal x in (LN_36_LOWER_BOUND, LN_36_UPPER_BOUND)."""
    x *= ONE_18
    # z = (x - 1) / (x + 1) truncated toward zero; every term of the series is an odd power of z, so it
    # has z's sign: flooring magnitudes and restoring the sign at the end is the signed arithmetic.
    difference = x - ONE_36
    z = abs(difference) * ONE_36 // (x + ONE_36)
    z_squared = (z * z) // ONE_36
    num = series_sum = z
    for n in (3, 5, 7, 9, 11, 13, 15):
        num = (num * z_squared) // ONE_36
        series_sum += num // n
    return series_sum * 2 if difference >= 0 else -series_sum * 2
