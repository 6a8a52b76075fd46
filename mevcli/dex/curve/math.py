"""Curve StableSwap math, step for step as `contracts/curve/CurveStableSwap.vy` (Curve's classic plain
pool) computes it: ints only, floor division like Vyper's `//`.

Conventions as on chain: `amp` is Curve's A (the whitepaper's A·n^(n-1), so `Ann = amp * n` is the
whitepaper's A·n^n); balances are scaled to 18 decimals by rate multipliers 10**(36 - decimals) (`xp`);
fees have 1e10 precision. Wherever the contract would revert (uint256 underflow or overflow, division by
zero, no convergence) these functions raise `StableSwapRevert` instead of returning a number.
"""

from __future__ import annotations

from collections.abc import Sequence

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


def get_D(xp: Sequence[int], amp: int) -> int:
    """The invariant D by Newton's method: D' = (Ann·S + n·D_P)·D / ((Ann - 1)·D + (n + 1)·D_P)."""
    n = len(xp)
    S = _u256(sum(xp), "get_D sum")
    if S == 0:
        return 0
    if 0 in xp:
        raise StableSwapRevert("division by zero in get_D (a balance is empty)")
    xn = [_u256(x * n, "get_D x * n") for x in xp]
    D = S
    Ann = amp * n
    for _ in range(MAX_ITERATIONS):
        D_P = D
        for x_n in xn:
            D_P *= D
            if D_P > MAX_UINT256:
                raise StableSwapRevert("uint256 overflow in get_D D_P")
            D_P //= x_n
        D_prev = D
        numerator = _u256((Ann * S + D_P * n) * D, "get_D numerator")
        denominator = _u256((Ann - 1) * D + (n + 1) * D_P, "get_D denominator")
        if denominator == 0:
            raise StableSwapRevert("division by zero in get_D")
        D = numerator // denominator
        if -1 <= D - D_prev <= 1:
            return D
    raise StableSwapRevert("D did not converge")


def get_y(i: int, j: int, x: int, xp: Sequence[int], amp: int, D: int | None = None) -> int:
    """Balance of coin j (xp units) that keeps D when coin i's balance becomes `x`: Newton's method on
    y² + (S' + D/Ann - D)·y = D^(n+1) / (n^n·Π'·Ann·n), i.e. y' = (y² + c) / (2y + b - D).

    `D` may be passed when already known for `xp` (the contract computes it here, with the same result).
    """
    n = len(xp)
    if i == j:
        raise StableSwapRevert("same coin")
    if not (0 <= i < n and 0 <= j < n):
        raise StableSwapRevert("coin index out of range")
    if D is None:
        D = get_D(xp, amp)
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
    c = _u256(c * D, "get_y c") // _u256(Ann * n, "get_y Ann * n")
    b = _u256(S_ + D // Ann, "get_y b")
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


def dy_and_fee(
    i: int, j: int, dx: int, xp: Sequence[int], rates: Sequence[int], amp: int, fee: int, D: int | None = None
) -> tuple[int, int]:
    """Output of coin j before the fee, and the fee, both in xp units (`_dy_and_fee`)."""
    if not 0 <= dx <= MAX_UINT256:
        raise PoolMathError(f"dx {dx} is not a uint256")
    x = _u256(xp[i] + _u256(dx * rates[i], "dx * rate") // PRECISION, "x")
    y = get_y(i, j, x, xp, amp, D)
    dy = xp[j] - y - 1  # -1: any rounding error goes to the pool
    if dy < 0:
        raise StableSwapRevert("uint256 underflow in dy (the amount is too small to buy anything)")
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
) -> int:
    """Amount of coin j the pool pays for `dx` of coin i (`get_dy`, equal to what `exchange` pays).

    `xp` and `D` may be passed when already known for these balances (a state computes them once).
    """
    if xp is None:
        xp = xp_mem(rates, balances)
    dy, dy_fee = dy_and_fee(i, j, dx, xp, rates, amp, fee, D)
    return _out(dy, dy_fee, rates[j])


def _out(dy: int, dy_fee: int, rate: int) -> int:
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
) -> tuple[int, list[int]]:
    """(amount of coin j paid, balances after) of `exchange(i, j, dx)`: coin j's balance also loses the
    admin's share of the fee, which the pool keeps outside `balances`."""
    dy, dy_fee = dy_and_fee(i, j, dx, xp_mem(rates, balances), rates, amp, fee)
    dy_out = _out(dy, dy_fee, rates[j])
    dy_admin_fee = _u256(_u256(dy_fee * admin_fee, "admin fee") // FEE_DENOMINATOR * PRECISION, "admin fee")
    dy_admin_fee //= rates[j]
    after = list(balances)
    after[i] = _u256(balances[i] + dx, "balance in")
    after[j] = balances[j] - dy_out - dy_admin_fee
    if after[j] < 0:
        raise StableSwapRevert("uint256 underflow in balance out")
    return dy_out, after


def marginal_rate(
    i: int, j: int, xp: Sequence[int], rates: Sequence[int], amp: int, fee: int, D: int
) -> tuple[int, int]:
    """(num, den): coin-j units out per coin-i unit in for an infinitesimal trade, fee included.

    On the invariant Ann·S + D = Ann·D + D^(n+1)/(n^n·P) through `xp` (D held), ∂/∂x_k of the left minus
    the right is Ann + D^(n+1)/(n^n·P·x_k), so dy/dx = (Ann + c/x_i) / (Ann + c/x_j), c = D^(n+1)/(n^n·P).
    Scaled by rate_i / rate_j (coin units to xp and back) and (1 − fee). The curve is convex, so the
    output of any amount is at most this rate times it (the contract's roundings only take away, up to
    a unit or two of xp on tiny trades, as its −1 and the convergence of D and y allow).
    """
    n = len(xp)
    ann = amp * n
    product = 1
    for x in xp:
        product *= x
    scaled = ann * n**n * product  # Ann·n^n·P; c·n^n·P = D^(n+1)
    d_power = D ** (n + 1)
    num = (scaled * xp[i] + d_power) * xp[j] * rates[i] * (FEE_DENOMINATOR - fee)
    den = (scaled * xp[j] + d_power) * xp[i] * rates[j] * FEE_DENOMINATOR
    return num, den
