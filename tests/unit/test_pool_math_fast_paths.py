"""The per-state fast paths of the exact pool math answer what the plain, contract-order computation
answers — the same integer, or the same revert — on seeded random states and amounts from zero to past
uint256, states at the edge of the proven ranges included. The plain computations are held to the
contracts by tests/dex/ (Curve, Balancer, V3 and V4 differential tests)."""

from __future__ import annotations

import random
from collections.abc import Callable
from functools import partial

import pytest

from mevcli.dex.balancer import fixed_point as fp
from mevcli.dex.balancer import log_exp_math as lem
from mevcli.dex.balancer import stable_math as stable
from mevcli.dex.curve import math as curve
from mevcli.dex.uniswap_v3.tick_math import MAX_SQRT_RATIO as MAX_SQRT_PRICE
from mevcli.dex.uniswap_v3.tick_math import MIN_SQRT_RATIO as MIN_SQRT_PRICE
from mevcli.dex.uniswap_v4.fees import MAX_SWAP_FEE
from mevcli.dex.uniswap_v4.swap_math import ExactInputStep, compute_swap_step

MAX_UINT256 = 2**256 - 1
SEEDS = range(40)


def _outcome(call: Callable[..., int], *args: object) -> tuple[str, object]:
    """A result, or the class and message of what was raised (so revert reasons are compared too)."""
    try:
        return "ok", call(*args)
    except Exception as exc:
        return type(exc).__name__, str(exc)


def _amounts(rng: random.Random, scale: int) -> list[int]:
    """Dust, amounts around the balance scale, huge and out-of-range ones."""
    picks = [0, 1, 2, 10, scale, 2**255, MAX_UINT256, MAX_UINT256 + 1, -1]
    picks += [rng.randint(1, scale * 10) for _ in range(12)]
    picks += [rng.randint(1, 2 ** rng.randint(1, 256)) for _ in range(8)]
    return picks


def _curve_state(rng: random.Random) -> dict:
    n = rng.choice((2, 2, 3, 4))
    decimals = [rng.choice((6, 8, 18)) for _ in range(n)]
    rates = [curve.rate_multiplier(d) for d in decimals]
    top = rng.choice((10**3, 10**9, 10**12, 2**100))  # 2**100 whole units: near the proven ranges' edge
    balances = [rng.randint(0 if rng.random() < 0.03 else 1, top) * 10**d for d in decimals]
    ng = rng.random() < 0.4
    return {
        "rates": rates,
        "balances": balances,
        "amp": rng.choice((1, 10, 100, 2000, 10**6)) * (100 if ng or rng.random() < 0.5 else 1),
        "fee": rng.choice((0, 4 * 10**6, 10**8, 10**10)),
        "a_precision": 100 if ng else rng.choice((1, 100)),
        "ng": ng,
        "offpeg": rng.choice((0, 2 * 10**10, 10**11)) if ng else 0,
    }


@pytest.mark.parametrize("seed", SEEDS)
def test_curve_dy_quoter_equals_get_dy(seed: int) -> None:
    rng = random.Random(seed)
    s = _curve_state(rng)
    kwargs = {"a_precision": s["a_precision"], "ng": s["ng"], "offpeg": s["offpeg"]}
    xp = curve.xp_mem(s["rates"], s["balances"])
    outcome = _outcome(curve.get_D, xp, s["amp"], s["a_precision"], s["ng"])
    if outcome[0] != "ok":
        return  # a state whose D reverts has no quoter
    D = outcome[1]
    n = len(xp)
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            fast = curve.dy_quoter(i, j, xp, s["rates"], s["amp"], s["fee"], D, **kwargs)
            plain = partial(
                curve.get_dy,
                i,
                j,
                balances=s["balances"],
                rates=s["rates"],
                amp=s["amp"],
                fee=s["fee"],
                xp=xp,
                D=D,
                **kwargs,
            )
            for dx in _amounts(rng, max(s["balances"][i], 1)):
                assert _outcome(fast, dx) == _outcome(plain, dx), (seed, i, j, dx)


def _stable_balances(rng: random.Random) -> list[int]:
    n = rng.choice((2, 3, 4, 5))
    top = rng.choice((10**20, 10**27, 10**33, 2**120, 2**200))  # up to far past the proven ranges
    return [rng.randint(0 if rng.random() < 0.03 else 1, top) for _ in range(n)]


@pytest.mark.parametrize("seed", SEEDS)
def test_balancer_stable_out_given_in_quoter_equals_calc_out_given_in(seed: int) -> None:
    rng = random.Random(seed)
    balances = _stable_balances(rng)
    amp = rng.choice((0, 1, 50, 200, 5000)) * stable.AMP_PRECISION
    outcome = _outcome(stable.calculate_invariant, amp, balances)
    invariant = outcome[1] if outcome[0] == "ok" else rng.randint(0, 10**30)
    n = len(balances)
    for i in range(n):
        for o in range(n):
            if i == o:
                continue
            fast = stable.out_given_in_quoter(amp, balances, i, o, invariant)
            plain = partial(stable.calc_out_given_in, amp, balances, i, o, invariant=invariant)
            for amount in _amounts(rng, max(balances[i], 1)):
                assert _outcome(fast, amount) == _outcome(plain, amount), (seed, i, o, amount)


@pytest.mark.parametrize("seed", SEEDS)
def test_v4_exact_input_step_equals_compute_swap_step(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(20):
        current = rng.choice((rng.randint(MIN_SQRT_PRICE, MAX_SQRT_PRICE), rng.randint(2**80, 2**110)))
        near = (current * 9 // 10, min(current * 11 // 10, MAX_SQRT_PRICE))  # a pool's next tick or two
        target = rng.choice((rng.randint(MIN_SQRT_PRICE, MAX_SQRT_PRICE), current, current + 1, *near, *near))
        liquidity = rng.choice(
            (0, 1, rng.randint(1, 2**64), rng.randint(2**60, 2**90), rng.randint(1, 2**128 - 1))
        )
        fee = rng.choice((0, 1, 500, 3000, 10**5, MAX_SWAP_FEE - 1, MAX_SWAP_FEE, MAX_SWAP_FEE + 1, -1))
        step = ExactInputStep(current, target, liquidity, fee)
        plain = partial(_exact_input, current, target, liquidity, fee)
        amounts = [*_amounts(rng, max(liquidity, 1)), 2**255 - 1, 2**255]
        if step.reach is not None:  # both sides of the amount that just reaches the target
            edge = step.reach[0] + step.reach[2]
            amounts += [edge - 1, edge, edge + 1]
        for amount in amounts:
            if amount > 0:
                assert _outcome(step, amount) == _outcome(plain, amount), (seed, current, target, fee, amount)


def _exact_input(current: int, target: int, liquidity: int, fee: int, amount: int) -> tuple[int, ...]:
    return compute_swap_step(current, target, liquidity, -amount, fee)


def _pow_literal(x: int, y: int) -> int:
    """LogExpMath.pow transcribed line for line with Solidity's signed division and remainder."""
    if y == 0:
        return 10**18
    if x == 0:
        return 0
    lem.require(x >> 255 == 0, lem.Errors.X_OUT_OF_BOUNDS)
    lem.require(y < lem.MILD_EXPONENT_BOUND, lem.Errors.Y_OUT_OF_BOUNDS)
    if lem.LN_36_LOWER_BOUND < x < lem.LN_36_UPPER_BOUND:
        ln_36_x = lem._ln_36(x)
        logx_times_y = lem._sdiv(ln_36_x, 10**18) * y + lem._sdiv(lem._smod(ln_36_x, 10**18) * y, 10**18)
    else:
        logx_times_y = lem._ln(x) * y
    logx_times_y = lem._sdiv(logx_times_y, 10**18)
    lem.require(
        lem.MIN_NATURAL_EXPONENT <= logx_times_y <= lem.MAX_NATURAL_EXPONENT, lem.Errors.PRODUCT_OUT_OF_BOUNDS
    )
    return lem.exp(logx_times_y)


@pytest.mark.parametrize("seed", SEEDS)
def test_balancer_pow_equals_the_literal_transcription(seed: int) -> None:
    rng = random.Random(seed)
    one = 10**18
    xs = [0, 1, one, one - 1, one + 1, lem.LN_36_LOWER_BOUND, lem.LN_36_UPPER_BOUND, 2**255 - 1, 2**255]
    xs += [rng.randint(one * 9 // 10, one * 11 // 10) for _ in range(10)]  # the ln_36 path
    xs += [rng.randint(1, 2 ** rng.randint(1, 255)) for _ in range(10)]
    ys = [0, 1, one, one // 3, 4 * one, lem.MILD_EXPONENT_BOUND - 1, lem.MILD_EXPONENT_BOUND]
    ys += [rng.randint(1, 50 * one) for _ in range(5)]
    for x in xs:
        for y in ys:
            assert _outcome(lem.pow, x, y) == _outcome(_pow_literal, x, y), (x, y)
            assert _outcome(fp.pow_up, x, y) == _outcome(_pow_rounded_literal, x, y, True), (x, y)
            assert _outcome(fp.pow_down, x, y) == _outcome(_pow_rounded_literal, x, y, False), (x, y)


def _pow_rounded_literal(x: int, y: int, up: bool) -> int:
    """FixedPoint.powUp / powDown of the 2021 pools, each checked operation as the library's."""
    raw = _pow_literal(x, y)
    max_error = fp.add(fp.mul_up(raw, fp.MAX_POW_RELATIVE_ERROR), 1)
    if up:
        return fp.add(raw, max_error)
    return 0 if raw < max_error else fp.sub(raw, max_error)


# the library's (x_n, a_n) decomposition steps, in its order: exp uses x2..x9, ln x2..x11
_LN_STEPS = tuple((getattr(lem, f"x{k}"), getattr(lem, f"a{k}")) for k in range(2, 12))
_EXP_STEPS = _LN_STEPS[:8]


def _exp_literal(x: int) -> int:
    """LogExpMath.exp's positive branch with the library's loops (12 Taylor terms)."""
    if x >= lem.x0:
        x, first_an = x - lem.x0, lem.a0
    elif x >= lem.x1:
        x, first_an = x - lem.x1, lem.a1
    else:
        first_an = 1
    x *= 100
    product = series_sum = term = 10**20
    for x_n, a_n in _EXP_STEPS:
        if x >= x_n:
            x -= x_n
            product = product * a_n // 10**20
    term = x
    series_sum += term
    for n in range(2, 13):
        term = term * x // 10**20 // n
        series_sum += term
    return product * series_sum // 10**20 * first_an // 100


def _ln_literal(a: int) -> int:
    """LogExpMath._ln with the library's loops (the 18-decimal path)."""
    if a < 10**18:
        return -_ln_literal(10**36 // a)
    total = 0
    for x_n, a_n in ((lem.x0, lem.a0), (lem.x1, lem.a1)):
        if a >= a_n * 10**18:
            a //= a_n
            total += x_n
    total *= 100
    a *= 100
    for x_n, a_n in _LN_STEPS:
        if a >= a_n:
            a = a * 10**20 // a_n
            total += x_n
    z = (a - 10**20) * 10**20 // (a + 10**20)
    z_squared = z * z // 10**20
    num = series_sum = z
    for n in (3, 5, 7, 9, 11):
        num = num * z_squared // 10**20
        series_sum += num // n
    return (total + series_sum * 2) // 100


@pytest.mark.parametrize("seed", SEEDS)
def test_balancer_exp_and_ln_equal_their_literal_loops(seed: int) -> None:
    rng = random.Random(seed)
    for x in [0, 1, lem.x1, lem.x0, lem.MAX_NATURAL_EXPONENT] + [
        rng.randint(0, 2 ** rng.randint(1, 137)) % (lem.MAX_NATURAL_EXPONENT + 1) for _ in range(40)
    ]:
        assert lem._exp(x) == _exp_literal(x), x
    for a in [1, 10**18, 10**18 - 1, 2**255 - 1] + [
        rng.randint(1, 2 ** rng.randint(1, 255)) for _ in range(40)
    ]:
        assert lem._ln(a) == _ln_literal(a), a
