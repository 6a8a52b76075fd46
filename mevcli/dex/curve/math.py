"""Curve StableSwap math, step for step as Curve's plain pools compute it: ints only, floor division like
Vyper's `//`. Three variants differ in small, documented ways (`a_precision`, `ng`, `offpeg`):

- classic, first generation (3pool; `contracts/curve/CurveStableSwap.vy`): `amp` is A itself
  (`a_precision` 1), D_P = D_P·D // (x·n) coin by coin, a fixed fee;
- classic with A_PRECISION (the later plain pools, e.g. Arbitrum's 2pool): `amp` is `A_precise()` = A·100
  (`a_precision` 100), otherwise as above;
- stableswap-ng (`contracts/curve/CurveStableSwapNG.vy`): `amp` = A·100, D_P = D_P·D // x coin by coin
  then // n^n (`ng`), and the dynamic fee of `offpeg_fee_multiplier` (`offpeg`) at the mean of each
  swapped coin's balance before and after.

Conventions as on chain: A is Curve's A (the whitepaper's A·n^(n-1), so `Ann = amp·n / a_precision` is
the whitepaper's A·n^n); balances are scaled to 18 decimals by rates (10**(36 - decimals) for a plain
coin) into `xp`; fees have 1e10 precision. Wherever the contract would revert (uint256 underflow or
overflow, division by zero, no convergence) these functions raise `StableSwapRevert` instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from mevcli.dex.stable_newton import solve_balance
from mevcli.errors import PoolMathError

PRECISION = 10**18
FEE_DENOMINATOR = 10**10
MAX_ITERATIONS = 255
MAX_UINT256 = 2**256 - 1


class StableSwapRevert(PoolMathError):
    """The pool contract reverts for these inputs (the reason says where)."""


def _u256(value: int, where: str) -> int:
    if value > MAX_UINT256:
        raise StableSwapRevert(f"uint256 overflow in {where}")
    return value


def rate_multiplier(decimals: int) -> int:
    """The factor that scales a balance of a `decimals`-decimal coin to 18 decimals, times 1e18."""
    if not 0 <= decimals <= 18:
        raise ValueError(f"a StableSwap coin has 0 to 18 decimals, not {decimals}")
    return 10 ** (36 - decimals)


def xp_mem(rates: Sequence[int], balances: Sequence[int]) -> list[int]:
    """Balances in 18-decimal units (`_xp_mem`)."""
    return [_u256(r * b, "xp") // PRECISION for r, b in zip(rates, balances, strict=True)]


def get_D(xp: Sequence[int], amp: int, a_precision: int = 1, ng: bool = False) -> int:
    """The invariant D by Newton's method:
    D' = (Ann·S/Ap + n·D_P)·D / ((Ann - Ap)·D/Ap + (n + 1)·D_P), Ap = `a_precision`."""
    n = len(xp)
    S = _u256(sum(xp), "get_D sum")
    if S == 0:
        return 0
    if 0 in xp:
        raise StableSwapRevert("division by zero in get_D (a balance is empty)")
    divisors = list(xp) if ng else [_u256(x * n, "get_D x * n") for x in xp]
    n_n = n**n
    D = S
    Ann = amp * n
    for _ in range(MAX_ITERATIONS):
        D_P = D
        for divisor in divisors:
            D_P *= D
            if D_P > MAX_UINT256:
                raise StableSwapRevert("uint256 overflow in get_D D_P")
            D_P //= divisor
        if ng:
            D_P //= n_n
        D_prev = D
        numerator = _u256((_u256(Ann * S, "get_D Ann * S") // a_precision + D_P * n) * D, "get_D numerator")
        denominator = _u256(
            _u256((Ann - a_precision) * D, "get_D denominator") // a_precision + (n + 1) * D_P,
            "get_D denominator",
        )
        if denominator == 0:
            raise StableSwapRevert("division by zero in get_D")
        D = numerator // denominator
        if -1 <= D - D_prev <= 1:
            return D
    raise StableSwapRevert("D did not converge")


def get_y(
    i: int,
    j: int,
    x: int,
    xp: Sequence[int],
    amp: int,
    D: int | None = None,
    a_precision: int = 1,
    ng: bool = False,
) -> int:
    """Balance of coin j (xp units) that keeps D when coin i's balance becomes `x`: Newton's method on
    y² + (S' + D·Ap/Ann - D)·y = D^(n+1)·Ap / (n^n·Π'·Ann·n), i.e. y' = (y² + c) / (2y + b - D).

    `D` may be passed when already known for `xp` (the contract computes it here, with the same result).
    """
    n = len(xp)
    if i == j:
        raise StableSwapRevert("same coin")
    if not (0 <= i < n and 0 <= j < n):
        raise StableSwapRevert("coin index out of range")
    if D is None:
        D = get_D(xp, amp, a_precision, ng)
    Ann = amp * n
    c = D
    S_ = 0
    for k in range(n):
        if k == i:
            x_k = x
        elif k != j:
            x_k = xp[k]
        else:
            continue
        S_ += x_k
        if x_k == 0:
            raise StableSwapRevert("division by zero in get_y (a balance is empty)")
        c = _u256(c * D, "get_y c") // _u256(x_k * n, "get_y x * n")
    c = _u256(c * D * a_precision, "get_y c") // _u256(Ann * n, "get_y Ann * n")
    b = _u256(S_ + _u256(D * a_precision, "get_y b") // Ann, "get_y b")
    y = D
    for _ in range(MAX_ITERATIONS):
        y_prev = y
        numerator = y * y + c
        denominator = 2 * y + b
        if numerator > MAX_UINT256 or denominator > MAX_UINT256:
            raise StableSwapRevert("uint256 overflow in get_y")
        denominator -= D
        if denominator <= 0:
            raise StableSwapRevert("uint256 underflow or division by zero in get_y")
        y = numerator // denominator
        if -1 <= y - y_prev <= 1:
            return y
    raise StableSwapRevert("y did not converge")


def dynamic_fee(xpi: int, xpj: int, fee: int, offpeg: int) -> int:
    """stableswap-ng's fee between two coins at xp balances `xpi`, `xpj` (`_dynamic_fee`): the base fee
    while `offpeg` (the 1e10-based offpeg_fee_multiplier) is at most 1, otherwise
    fee·m / ((m - 1)·4·xpi·xpj/(xpi + xpj)² + 1), which reaches fee·m as the pair leaves its peg."""
    if offpeg <= FEE_DENOMINATOR:
        return fee
    xps2 = _u256((xpi + xpj) ** 2, "dynamic fee xps2")
    if xps2 == 0:
        raise StableSwapRevert("division by zero in the dynamic fee")
    spread = _u256((offpeg - FEE_DENOMINATOR) * 4 * xpi * xpj, "dynamic fee") // xps2
    return (offpeg * fee) // (spread + FEE_DENOMINATOR)


def dy_and_fee(
    i: int,
    j: int,
    dx: int,
    xp: Sequence[int],
    rates: Sequence[int],
    amp: int,
    fee: int,
    D: int | None = None,
    *,
    a_precision: int = 1,
    ng: bool = False,
    offpeg: int = 0,
) -> tuple[int, int]:
    """Output of coin j before the fee, and the fee, both in xp units (`_dy_and_fee`; ng: `__exchange`,
    whose fee is the dynamic fee at the mean of coin i's and coin j's xp before and after)."""
    if not 0 <= dx <= MAX_UINT256:
        raise PoolMathError(f"dx {dx} is not a uint256")
    x = _u256(xp[i] + _u256(dx * rates[i], "dx * rate") // PRECISION, "x")
    y = get_y(i, j, x, xp, amp, D, a_precision, ng)
    dy = xp[j] - y - 1  # -1: any rounding error goes to the pool
    if dy < 0:
        raise StableSwapRevert("uint256 underflow in dy (the amount is too small to buy anything)")
    if offpeg > FEE_DENOMINATOR:
        fee = dynamic_fee((xp[i] + x) // 2, (xp[j] + y) // 2, fee, offpeg)
    return dy, _u256(dy * fee, "fee") // FEE_DENOMINATOR


def get_dy(
    i: int,
    j: int,
    dx: int,
    balances: Sequence[int],
    rates: Sequence[int],
    amp: int,
    fee: int,
    *,
    xp: Sequence[int] | None = None,
    D: int | None = None,
    a_precision: int = 1,
    ng: bool = False,
    offpeg: int = 0,
) -> int:
    """Amount of coin j the pool pays for `dx` of coin i (`get_dy`, equal to what `exchange` pays).

    `xp` and `D` may be passed when already known for these balances (a state computes them once);
    `a_precision`, `ng` and `offpeg` select the variant (module docstring).
    """
    if xp is None:
        xp = xp_mem(rates, balances)
    dy, dy_fee = dy_and_fee(i, j, dx, xp, rates, amp, fee, D, a_precision=a_precision, ng=ng, offpeg=offpeg)
    return out_after_fee(dy, dy_fee, rates[j])


def out_after_fee(dy: int, dy_fee: int, rate: int) -> int:
    """xp units after the fee back to coin units."""
    if dy_fee > dy:
        raise StableSwapRevert("uint256 underflow: fee above the output")
    return _u256((dy - dy_fee) * PRECISION, "dy") // rate


def exchange(
    i: int,
    j: int,
    dx: int,
    balances: Sequence[int],
    rates: Sequence[int],
    amp: int,
    fee: int,
    admin_fee: int,
    *,
    a_precision: int = 1,
    ng: bool = False,
    offpeg: int = 0,
) -> tuple[int, list[int]]:
    """(amount of coin j paid, balances after) of `exchange(i, j, dx)`: coin j's balance also loses the
    admin's share of the fee, which the pool keeps outside `balances` (ng: in `admin_balances`)."""
    dy, dy_fee = dy_and_fee(
        i, j, dx, xp_mem(rates, balances), rates, amp, fee, a_precision=a_precision, ng=ng, offpeg=offpeg
    )
    dy_out = out_after_fee(dy, dy_fee, rates[j])
    dy_admin_fee = _u256(_u256(dy_fee * admin_fee, "admin fee") // FEE_DENOMINATOR * PRECISION, "admin fee")
    dy_admin_fee //= rates[j]
    after = list(balances)
    after[i] = _u256(balances[i] + dx, "balance in")
    after[j] = balances[j] - dy_out - dy_admin_fee
    if after[j] < 0:
        raise StableSwapRevert("uint256 underflow in balance out")
    return dy_out, after


def marginal_rate(
    i: int, j: int, xp: Sequence[int], rates: Sequence[int], amp: int, fee: int, D: int, a_precision: int = 1
) -> tuple[int, int]:
    """(num, den): coin-j units out per coin-i unit in for an infinitesimal trade, fee included.

    On the invariant Ann·S + D = Ann·D + D^(n+1)/(n^n·P) through `xp` (D held), ∂/∂x_k of the left minus
    the right is Ann + D^(n+1)/(n^n·P·x_k), so dy/dx = (Ann + c/x_i) / (Ann + c/x_j), c = D^(n+1)/(n^n·P).
    Scaled by rate_i / rate_j (coin units to xp and back) and (1 − fee). The curve is convex, so the
    output of any amount is at most this rate times it (the contract's roundings only take away, up to
    a unit or two of xp on tiny trades, as its −1 and the convergence of D and y allow). With
    `a_precision` Ap the whitepaper's A·n^n is amp·n/Ap: numerator and denominator are taken times Ap.
    stableswap-ng's dynamic fee is never below its base fee, so the base fee keeps this a bound there.
    """
    n = len(xp)
    ann = amp * n
    product = 1
    for x in xp:
        product *= x
    scaled = ann * n**n * product  # Ann·n^n·P; c·n^n·P = D^(n+1)
    d_power = D ** (n + 1) * a_precision
    num = (scaled * xp[i] + d_power) * xp[j] * rates[i] * (FEE_DENOMINATOR - fee)
    den = (scaled * xp[j] + d_power) * xp[i] * rates[j] * FEE_DENOMINATOR
    return num, den


def dy_quoter(
    i: int,
    j: int,
    xp: Sequence[int],
    rates: Sequence[int],
    amp: int,
    fee: int,
    D: int,
    *,
    a_precision: int = 1,
    ng: bool = False,
    offpeg: int = 0,
    fallback: Callable[[int], int] | None = None,
) -> Callable[[int], int]:
    """dx -> `get_dy(i, j, dx, …)` on this xp and D, the same integer or the same StableSwapRevert, for
    the many quotes of one state in one direction (`get_dy` itself where the state is outside the range
    the shortcuts below are proven for). `fallback`, which must answer what `get_dy` answers (it may
    word a revert otherwise), takes `get_dy`'s place for the amounts the shortcuts do not decide.

    What does not depend on dx is computed once: Ann, the part of `get_y`'s c chain before coin i (it
    divides in coin order, so the prefix is exact), the other coins' sum and D·Ap // Ann. Per-operation
    uint256 checks become a few per quote, each implying the ones it replaces (all operands are
    non-negative): dx ≤ MAX // rate_i and x ≤ MAX // n cover dx·rate, x and x·n; the final c and b
    cover their partial products and sums; in the Newton step y² + c ≤ MAX gives y < 2^128, so with b ≤
    MAX − 2^129 (checked per quote) 2y + b cannot overflow and 2y + b − D ≤ 0 is the underflow or the
    zero division. Where any of these is not met the quote is handed to `get_dy`, which raises.
    """
    variant = {"a_precision": a_precision, "ng": ng, "offpeg": offpeg}
    plain = fallback or partial(
        get_dy, i, j, balances=(), rates=rates, amp=amp, fee=fee, xp=xp, D=D, **variant
    )
    n = len(xp)
    Ann = amp * n
    if i == j or not (0 <= i < n and 0 <= j < n) or D <= 0 or Ann <= 0 or 0 in xp:
        return plain
    Ann_n = Ann * n
    xp_i, xp_j, rate_i, rate_j = xp[i], xp[j], rates[i], rates[j]
    D_ap = D * a_precision
    c_prefix = D
    for k in range(i):
        if k != j:
            if c_prefix * D > MAX_UINT256 or xp[k] * n > MAX_UINT256:
                return plain
            c_prefix = c_prefix * D // (xp[k] * n)
    c_D = c_prefix * D  # the step at coin i, times D
    tail = tuple(xp[k] * n for k in range(i + 1, n) if k != j)  # later divisors, in coin order
    others = sum(xp) - xp_i - xp_j
    b_rest = others + D_ap // Ann
    if max(c_D, Ann_n, D_ap, *tail, xp_j * max(fee, 1), xp_j * PRECISION) > MAX_UINT256 or min(rates) <= 0:
        return plain
    dx_max = MAX_UINT256 // rate_i
    x_max = MAX_UINT256 // n
    b_max = MAX_UINT256 - 2**129
    dynamic = offpeg > FEE_DENOMINATOR

    def quote(dx: int) -> int:
        if not 0 <= dx <= dx_max:
            return plain(dx)
        x = xp_i + dx * rate_i // PRECISION
        if x > x_max:
            return plain(dx)
        c = c_D // (x * n)
        for divisor in tail:
            c *= D
            if c > MAX_UINT256:
                return plain(dx)
            c //= divisor
        c *= D_ap
        b = b_rest + x
        if c > MAX_UINT256 or b > b_max:
            return plain(dx)
        c //= Ann_n
        b -= D
        y = solve_balance(D, c, b, False)
        if y is None:
            return plain(dx)
        dy = xp_j - y - 1
        if dy < 0:
            return plain(dx)
        swap_fee = fee
        if dynamic:
            try:
                swap_fee = dynamic_fee((xp_i + x) // 2, (xp_j + y) // 2, fee, offpeg)
            except StableSwapRevert:
                return plain(dx)
            if dy * swap_fee > MAX_UINT256:
                return plain(dx)
        dy_fee = dy * swap_fee // FEE_DENOMINATOR
        if dy_fee > dy:
            return plain(dx)
        return (dy - dy_fee) * PRECISION // rate_j

    return quote
