"""StableMath of Balancer's composable stable pools (2022+): Curve's StableSwap invariant on upscaled
(18-decimal) balances, with the amplification parameter kept times AMP_PRECISION.

Every division truncates, as the contract's `Math.divDown` does, except where the contract rounds up
(`Math.divUp`): the `c` term and each Newton step of the balance solve. The swap helpers round in the
pool's favour: one wei less out, one wei more in. Checked operations raise the contract's BAL# code.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from mevcli.dex.balancer.errors import BalancerMathError, Errors, require
from mevcli.dex.balancer.fixed_point import MAX_UINT256
from mevcli.dex.stable_newton import solve_balance

AMP_PRECISION = 1_000
MIN_AMP = 1
MAX_AMP = 5_000
MAX_ITERATIONS = 255


def _mul(a: int, b: int) -> int:
    """Math.mul: checked product."""
    product = a * b
    require(product <= MAX_UINT256, Errors.MUL_OVERFLOW)
    return product


def _add(a: int, b: int) -> int:
    c = a + b
    require(c <= MAX_UINT256, Errors.ADD_OVERFLOW)
    return c


def _sub(a: int, b: int) -> int:
    require(b <= a, Errors.SUB_OVERFLOW)
    return a - b


def _div_down(a: int, b: int) -> int:
    require(b != 0, Errors.ZERO_DIVISION)
    return a // b


def _div_up(a: int, b: int) -> int:
    require(b != 0, Errors.ZERO_DIVISION)
    return 0 if a == 0 else (a - 1) // b + 1


def _converged(new: int, old: int) -> bool:
    return abs(new - old) <= 1


def calculate_invariant(amp: int, balances: Sequence[int]) -> int:
    """D solving A·n^n·S + D = A·D·n^n + D^(n+1) / (n^n·P), by Newton's method from D = S.

    `amp` is A·n^(n-1) times AMP_PRECISION (what `getAmplificationParameter` returns).
    Each step: D_P = D^(n+1) / (n^n·P) built one balance at a time, then
    D' = (Ann·S / AP + n·D_P)·D / ((Ann − AP)·D / AP + (n + 1)·D_P), every division truncated.
    """
    total = 0
    for balance in balances:
        total = _add(total, balance)
    if total == 0:
        return 0
    n = len(balances)
    amp_times_total = amp * n
    invariant = total
    for _ in range(MAX_ITERATIONS):
        d_p = invariant
        for balance in balances:
            d_p = _div_down(_mul(d_p, invariant), _mul(balance, n))
        previous = invariant
        numerator = _mul(
            _add(_div_down(_mul(amp_times_total, total), AMP_PRECISION), _mul(d_p, n)), invariant
        )
        denominator = _add(
            _div_down(_mul(amp_times_total - AMP_PRECISION, invariant), AMP_PRECISION), _mul(n + 1, d_p)
        )
        invariant = _div_down(numerator, denominator)
        if _converged(invariant, previous):
            return invariant
    raise BalancerMathError(Errors.STABLE_INVARIANT_DIDNT_CONVERGE)


def get_token_balance_given_invariant_and_all_other_balances(
    amp: int, balances: Sequence[int], invariant: int, token_index: int
) -> int:
    """The balance of `token_index` that keeps the invariant, the others fixed (rounded up overall).

    Solves y² + (b − D)·y = c with b = S' + D·AP / Ann and c = D² / (Ann·P_D)·AP·x (P_D built with
    every balance, the solved one's own `x` cancelling it), by Newton steps y' = (y² + c) / (2y + b − D),
    each rounded up.
    """
    # Sizing solves this many times per state: the checked operations are inlined, each raising the
    # code the contract's would, in the contract's order.
    n = len(balances)
    amp_times_total = amp * n
    total = balances[0]
    p_d = (balances[0] * n) % (MAX_UINT256 + 1)  # unchecked in the contract: balances fit 172 bits
    for balance in balances[1:]:
        p_d *= balance
        if p_d > MAX_UINT256:
            raise BalancerMathError(Errors.MUL_OVERFLOW)
        p_d *= n
        if p_d > MAX_UINT256:
            raise BalancerMathError(Errors.MUL_OVERFLOW)
        if invariant == 0:
            raise BalancerMathError(Errors.ZERO_DIVISION)
        p_d //= invariant
        total += balance
        if total > MAX_UINT256:
            raise BalancerMathError(Errors.ADD_OVERFLOW)
    total -= balances[token_index]
    inv2 = _mul(invariant, invariant)
    c = _mul(_mul(_div_up(inv2, _mul(amp_times_total, p_d)), AMP_PRECISION), balances[token_index])
    b = _add(total, _mul(_div_down(invariant, amp_times_total), AMP_PRECISION))
    token_balance = _div_up(_add(inv2, c), _add(invariant, b))
    for _ in range(MAX_ITERATIONS):
        previous = token_balance
        square = token_balance * token_balance
        if square > MAX_UINT256:
            raise BalancerMathError(Errors.MUL_OVERFLOW)
        numerator = square + c
        if numerator > MAX_UINT256:
            raise BalancerMathError(Errors.ADD_OVERFLOW)
        twice = token_balance * 2
        if twice > MAX_UINT256:
            raise BalancerMathError(Errors.MUL_OVERFLOW)
        twice += b
        if twice > MAX_UINT256:
            raise BalancerMathError(Errors.ADD_OVERFLOW)
        if invariant > twice:
            raise BalancerMathError(Errors.SUB_OVERFLOW)
        denominator = twice - invariant
        if denominator == 0:
            raise BalancerMathError(Errors.ZERO_DIVISION)
        token_balance = 0 if numerator == 0 else (numerator - 1) // denominator + 1
        if -1 <= token_balance - previous <= 1:
            return token_balance
    raise BalancerMathError(Errors.STABLE_GET_BALANCE_DIDNT_CONVERGE)


def calc_out_given_in(
    amp: int, balances: Sequence[int], index_in: int, index_out: int, amount_in: int, invariant: int
) -> int:
    """Amount out (upscaled) for `amount_in` (upscaled, fee already taken): one wei short of the
    balance change that keeps the invariant."""
    new_balances = list(balances)
    new_balances[index_in] = _add(new_balances[index_in], amount_in)
    final_out = get_token_balance_given_invariant_and_all_other_balances(
        amp, new_balances, invariant, index_out
    )
    return _sub(_sub(balances[index_out], final_out), 1)


def out_given_in_quoter(
    amp: int, balances: Sequence[int], index_in: int, index_out: int, invariant: int
) -> Callable[[int], int]:
    """amount_in -> `calc_out_given_in(amp, balances, index_in, index_out, amount_in, invariant)`, the same
    integer or the same BAL# revert, for the many quotes of one state in one direction (the plain
    function itself where the state is outside the range the shortcuts below are proven for).

    Done once: Ann, invariant² (≤ MAX, so D < 2^128), the P_D chain before the token in (exact: it
    divides in token order), the other balances' sum, (D // Ann)·AP. Per quote, a few checks stand for
    the per-operation ones, each implying those it replaces (all operands non-negative): x ≤ MAX − the
    others' sum and x·n ≤ MAX cover the new balance, the total and x·n; the final P_D, c and b cover
    their partial products and sums; with b ≤ MAX − 2^129, D + b fits, and in a Newton step y² + c ≤ MAX
    gives y < 2^128, so 2y + b cannot overflow and 2y + b − D ≤ 0 is the underflow or the zero division.
    Any quote failing one is handed to the plain function, which raises the contract's code.
    """
    n = len(balances)
    plain = partial(calc_out_given_in, amp, balances, index_in, index_out, invariant=invariant)
    att = amp * n
    if (
        index_in == index_out
        or not (0 <= index_in < n and 0 <= index_out < n)
        or att <= 0
        or invariant <= 0
        or balances[index_out] <= 0
        or max(balances) * n > MAX_UINT256
        or sum(balances) > MAX_UINT256
    ):
        return plain
    balance_out = balances[index_out]
    p_d = balances[0] * n  # every balance fits its x·n: the contract's unchecked first product is exact
    for balance in balances[1:index_in]:
        p_d = p_d * balance * n
        if p_d > MAX_UINT256:
            return plain
        p_d //= invariant
    tail = tuple(balances[index_in + 1 :])
    inv2 = invariant * invariant
    b_rest = sum(balances) - balances[index_in] - balance_out + invariant // att * AMP_PRECISION
    if inv2 > MAX_UINT256 or invariant // att * AMP_PRECISION > MAX_UINT256:
        return plain
    first = index_in == 0
    balance_in = balances[index_in]
    b_max = MAX_UINT256 - 2**129
    c_max = MAX_UINT256 - inv2
    x_max = min(MAX_UINT256 // n, MAX_UINT256 - (sum(balances) - balance_in))  # x·n and every sum fit

    def quote(amount_in: int) -> int:
        x = balance_in + amount_in
        if amount_in < 0 or x > x_max:
            return plain(amount_in)
        if first:
            d = x * n
        else:
            d = p_d * x * n
            if d > MAX_UINT256:
                return plain(amount_in)
            d //= invariant
        for balance in tail:
            d = d * balance * n
            if d > MAX_UINT256:
                return plain(amount_in)
            d //= invariant
        d *= att
        if d > MAX_UINT256 or d == 0:
            return plain(amount_in)
        c = (-(-inv2 // d)) * AMP_PRECISION * balance_out
        b = b_rest + x
        if c > c_max or b > b_max:
            return plain(amount_in)
        b -= invariant
        y = -(-(inv2 + c) // (b + invariant + invariant))
        y = solve_balance(y, c, b, True)
        if y is None:
            return plain(amount_in)
        out = balance_out - y - 1
        return out if out >= 0 else plain(amount_in)

    return quote


def calc_in_given_out(
    amp: int, balances: Sequence[int], index_in: int, index_out: int, amount_out: int, invariant: int
) -> int:
    """Amount in (upscaled, before the fee) that buys `amount_out` (upscaled): one wei over."""
    new_balances = list(balances)
    new_balances[index_out] = _sub(new_balances[index_out], amount_out)
    final_in = get_token_balance_given_invariant_and_all_other_balances(
        amp, new_balances, invariant, index_in
    )
    return _add(_sub(final_in, balances[index_in]), 1)


def marginal_rate(
    amp: int, balances: Sequence[int], index_in: int, index_out: int, invariant: int
) -> tuple[int, int]:
    """(num, den): upscaled units out per upscaled unit in for an infinitesimal trade (no fee).

    On A·n^n·S + D = A·D·n^n + D^(n+1)/(n^n·P) with D held, dy/dx = (A·n^n + c/x_in) / (A·n^n + c/x_out),
    c = D^(n+1)/(n^n·P); A·n^n is amp·n / AMP_PRECISION. The curve is convex: no amount does better.
    """
    n = len(balances)
    product = 1
    for balance in balances:
        product *= balance
    scaled = amp * n * n**n * product  # AMP_PRECISION · A·n^n · n^n·P
    d_power = AMP_PRECISION * invariant ** (n + 1)
    num = (scaled * balances[index_in] + d_power) * balances[index_out]
    den = (scaled * balances[index_out] + d_power) * balances[index_in]
    return num, den
