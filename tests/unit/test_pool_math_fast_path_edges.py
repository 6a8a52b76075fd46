"""The per-state fast paths at the edges of the ranges they are proven for: each shortcut's own bound
and the amounts one either side of it, balances from 1 wei to where the invariant's square leaves
uint256, A and amp at their extremes, fees at 0 and 100 %. Every fast answer is held to the plain,
contract-order function: the same integer, or the same exception class and message.
(tests/unit/test_pool_math_fast_paths.py draws the random states; this file builds the edge ones.)"""

from __future__ import annotations

import itertools
from functools import partial

import pytest
from test_pool_math_fast_paths import _outcome, _pow_literal, _pow_rounded_literal

from mevcli.dex.balancer import fixed_point as fp
from mevcli.dex.balancer import log_exp_math as lem
from mevcli.dex.balancer import stable_math as stable
from mevcli.dex.balancer.hop import exact_hop
from mevcli.dex.balancer.state import MAX_VAULT_BALANCE, ComposableStablePoolState
from mevcli.dex.curve import math as curve
from mevcli.dex.curve.state import CurvePoolState
from mevcli.dex.pools import quote
from mevcli.dex.uniswap_v3 import full_math
from mevcli.dex.uniswap_v3.tick_math import MAX_SQRT_RATIO, MIN_SQRT_RATIO
from mevcli.dex.uniswap_v4.fees import MAX_SWAP_FEE
from mevcli.dex.uniswap_v4.swap_math import ExactInputStep, compute_swap_step

MAX = 2**256 - 1
MAX_UINT128 = 2**128 - 1
MAX_UINT160 = 2**160 - 1
TOKENS = tuple(f"0x{k:040x}" for k in range(1, 5))
# xp magnitudes: dust, ordinary, where a 3-coin c chain (≈ D^4) nears 2^256, where D² nears 2^256
CURVE_SCALES = (1, 3, 10**18, 10**24, 2**63, 2**84, 2**85, 2**127 // 3, 2**127)


def _around(*values: int) -> list[int]:
    return [v + d for v in values for d in (-1, 0, 1)]


def _dx_edges(xp_i: int, rate_i: int, n: int, scale: int) -> list[int]:
    """dx at 0, dust, the balance's size, and one either side of dx·rate and x·n leaving uint256."""
    dx_max = MAX // rate_i
    x_edge = MAX // n - xp_i  # x = xp_i + dx·rate // 1e18 reaches MAX // n
    dx_x = x_edge * curve.PRECISION // rate_i
    return [0, 1, 2, 3, scale, scale * 1000, *_around(dx_max, dx_x), 2**128, 2**255, MAX, MAX + 1, -1]


def _curve_states() -> list[CurvePoolState]:
    states = []
    variants = ((1, False, 0), (100, False, 0), (100, True, 0), (100, True, 2 * 10**10), (100, True, 10**11))
    for n, decimals in ((2, (18, 18)), (2, (6, 18)), (3, (8, 6, 18)), (3, (18, 18, 18))):
        rates = [curve.rate_multiplier(d) for d in decimals]
        for scale, shape, (ap, ng, offpeg), a in itertools.product(
            CURVE_SCALES, ("even", "low", "high"), variants, (1, 10**6)
        ):
            xp = [scale] * n
            if shape == "low":
                xp[0] = 1
            elif shape == "high":
                xp[-1] = scale * 1000
            balances = [max(1, x * curve.PRECISION // r) for x, r in zip(xp, rates, strict=True)]
            fee = 5 * 10**9 if scale % 2 else 4 * 10**6
            states.append(
                CurvePoolState(
                    address="0x" + "c" * 40,
                    coins=TOKENS[:n],
                    balances=tuple(balances),
                    rates=tuple(rates),
                    A=a * ap,
                    fee=0 if scale == 10**24 else fee,
                    a_precision=ap,
                    ng=ng,
                    offpeg_fee_multiplier=offpeg,
                )
            )
    return states


CURVE_STATES = _curve_states()


@pytest.mark.parametrize("chunk", range(4))
def test_curve_quoters_at_the_edges_equal_the_plain_quote(chunk: int) -> None:
    """`dy_quoter` against `get_dy`, and the state's quoter against `pools.quote` (the worded refusal)."""
    checked = 0
    for state in CURVE_STATES[chunk::4]:
        outcome = _outcome(
            curve.get_D, curve.xp_mem(state.rates, state.balances), state.A, state.a_precision, state.ng
        )
        if outcome[0] != "ok":
            assert state.quoter(state.coins[0], state.coins[1]) is None
            continue
        xp, D = tuple(curve.xp_mem(state.rates, state.balances)), outcome[1]
        n = len(xp)
        kwargs = state.math_kwargs()
        given = {"rates": state.rates, "amp": state.A, "fee": state.fee, "xp": xp, "D": D, **kwargs}
        for i, j in itertools.product(range(-1, n + 1), repeat=2):  # i == j and out-of-range indices too
            fast = curve.dy_quoter(i, j, xp, state.rates, state.A, state.fee, D, **kwargs)
            plain = partial(curve.get_dy, i, j, balances=state.balances, **given)
            if not (0 <= i < n and 0 <= j < n):
                for dx in (0, 1, 10**18):
                    assert _outcome(fast, dx) == _outcome(plain, dx), (state, i, j, dx)
                continue
            rate_i = state.rates[i]
            amounts = _dx_edges(xp[i], rate_i, n, state.balances[i])
            stateful = state.quoter(state.coins[i], state.coins[j]) if i != j else None
            for dx in amounts:
                assert _outcome(fast, dx) == _outcome(plain, dx), (state, i, j, dx)
                if stateful is not None:
                    expected = _outcome(quote, state, state.coins[i], dx, state.coins[j])
                    assert _outcome(stateful, dx) == expected, (state, i, j, dx)
                checked += 1
    assert checked > 1000


@pytest.mark.parametrize("n", (2, 3, 4))
def test_curve_dy_quoter_on_any_invariant_equals_get_dy(n: int) -> None:
    """`dy_quoter` answers `get_dy` on the xp and D it is given, whatever D: invariants from 1 to past
    2^128 put every one of its overflow checks (the c chain before and after coin i, c·D·Ap, the
    Newton step, the fee product) on both sides of its bound."""
    checked = 0
    rates = [curve.rate_multiplier(18)] * (n - 1) + [curve.rate_multiplier(6)]
    xps = ([1] * n, [2**64] * n, [1] + [2**100] * (n - 1), [2**90] * (n - 1) + [3], [2**127] * n)
    xps += ([MAX // n - 2**150] + [2**60] * (n - 1),)  # x = xp_i + dx·rate past MAX // n
    invariants = (1, 2, 2**64, 2**85, 2**100, 2**127, 2**128 - 1, 2**128, 2**200)
    for xp, D, amp, fee, offpeg in itertools.product(
        xps, invariants, (1, 10**8), (0, 10**10, 10**10 + 1, 2**190, 2**200), (0, 10**11)
    ):
        kwargs = {"a_precision": 100, "ng": bool(offpeg), "offpeg": offpeg}
        for i, j in ((0, n - 1), (n - 1, 0), (n - 2, 1), (1, 0)):
            if i == j:
                continue
            fast = curve.dy_quoter(i, j, xp, rates, amp, fee, D, **kwargs)
            plain = partial(
                curve.get_dy, i, j, balances=(), rates=rates, amp=amp, fee=fee, xp=xp, D=D, **kwargs
            )
            for dx in (
                0,
                1,
                10**6,
                10**18,
                2**64,
                2**100,
                2**128,
                2**180,
                MAX // rates[i],
                MAX // rates[i] + 1,
            ):
                assert _outcome(fast, dx) == _outcome(plain, dx), (xp, D, amp, fee, offpeg, i, j, dx)
                checked += 1
    assert checked > 5000


def _stable_cases() -> list[tuple[int, list[int]]]:
    """(amp, upscaled balances): amp at 0, 1, MAX_AMP (times 1e3), balances from 1 to where the
    invariant's square or the P_D chain leaves uint256."""
    cases = []
    for amp in (stable.MIN_AMP * stable.AMP_PRECISION, stable.MAX_AMP * stable.AMP_PRECISION, 1):
        for n in (2, 3, 5):
            for scale in (1, 2, 10**18, 10**30, 2**60, 2**85, 2**127 // n, 2**128 // n):
                cases.append((amp, [scale] * n))
                cases.append((amp, [1] + [scale] * (n - 1)))
                cases.append((amp, [scale] * (n - 1) + [scale * 7]))
    return cases


@pytest.mark.parametrize("chunk", range(3))
def test_balancer_stable_quoter_at_the_edges_equals_calc_out_given_in(chunk: int) -> None:
    checked = 0
    for amp, balances in _stable_cases()[chunk::3]:
        outcome = _outcome(stable.calculate_invariant, amp, balances)
        invariants = [outcome[1]] if outcome[0] == "ok" else []
        invariants += [0, 1, 2**128 - 1, 2**128]  # a stale or impossible invariant: refused alike
        n = len(balances)
        for invariant, i, o in itertools.product(invariants, range(n), range(n)):
            fast = stable.out_given_in_quoter(amp, balances, i, o, invariant)
            plain = partial(stable.calc_out_given_in, amp, balances, i, o, invariant=invariant)
            others = sum(balances) - balances[i]
            x_edges = _around(MAX // n, MAX - others)  # the quoter's x_max, both of its terms
            amounts = [0, 1, 2, balances[i], balances[i] * 1000, 2**112, 2**128, 2**255, MAX, -1]
            amounts += [x - balances[i] for x in x_edges]
            for amount in amounts:
                assert _outcome(fast, amount) == _outcome(plain, amount), (
                    amp,
                    balances,
                    invariant,
                    i,
                    o,
                    amount,
                )
                checked += 1
    assert checked > 1000


def _balancer_state(
    balances: tuple[int, ...], factors: tuple[int, ...], amp: int, fee: int
) -> ComposableStablePoolState:
    n = len(balances)
    return ComposableStablePoolState(
        address="0x" + "d" * 40,
        pool_id="0x" + "00" * 32,
        vault="0x" + "ba" * 20,
        tokens=TOKENS[:n],
        balances=balances,
        swap_fee=fee,
        scaling_factors=factors,
        amp=amp,
        bpt_index=n,
    )


def test_balancer_stable_hop_at_the_vault_balance_limit_equals_the_pool_quote() -> None:
    """The exact hop at the Vault's 112-bit balance limit, one either side of the room left."""
    checked = 0
    for balance, decimals, amp, fee in itertools.product(
        (1, 10**6, 10**18, 2**100, MAX_VAULT_BALANCE - 1), (6, 18), (1000, 5_000_000), (0, 10**12, 10**17)
    ):
        factors = (10 ** (36 - decimals), 10**18)
        state = _balancer_state((balance, balance // 3 + 1), factors, amp, fee)
        hop = exact_hop(state, TOKENS[0], TOKENS[1])
        if hop is None:
            continue
        room = MAX_VAULT_BALANCE - balance
        for amount in (1, 2, balance, *_around(room), 2**128 - 1, 2**128, MAX):
            if amount > 0:
                assert _outcome(hop, amount) == _outcome(quote, state, TOKENS[0], amount, TOKENS[1]), (
                    balance,
                    decimals,
                    amp,
                    fee,
                    amount,
                )
                checked += 1
    assert checked > 100


def _reach_edges(step: ExactInputStep, fee: int) -> list[int]:
    """The smallest amount whose input less the fee reaches the target, and one either side."""
    if step.reach is None or fee >= MAX_SWAP_FEE or fee < 0:
        return []
    need = step.reach[0]
    amount = -(-need * MAX_SWAP_FEE // (MAX_SWAP_FEE - fee))  # least a with a·(1e6 − fee) // 1e6 ≥ need
    return _around(amount) + _around(step.reach[0] + step.reach[2])


def _short_edges(current: int, liquidity: int, fee: int, zero_for_one: bool) -> list[int]:
    """Amounts whose input less the fee puts the written-out short step at its own bounds: the token0
    denominator L·2^96 + a·P at 2^256, the token1 amount at 2^160 and its next price at 2^160."""
    keep = MAX_SWAP_FEE - fee
    if keep <= 0:
        return []
    if zero_for_one:
        edges = [(MAX - (liquidity << 96)) // current]
    else:
        edges = [MAX_UINT160, (MAX_UINT160 - current) * liquidity >> 96]
    return [-(-a * MAX_SWAP_FEE // keep) + d for a in edges if a > 0 for d in (-1, 0, 1)]


def test_v4_exact_input_step_at_the_edges_equals_compute_swap_step() -> None:
    prices = (
        MIN_SQRT_RATIO,
        MIN_SQRT_RATIO + 1,
        2**96,
        2**130,
        MAX_SQRT_RATIO - 1,
        MAX_SQRT_RATIO,
        MAX_UINT160,
    )
    checked = 0
    for current, target, liquidity, fee in itertools.product(
        prices,
        prices,
        (0, 1, 2, 2**64, MAX_UINT128 - 1, MAX_UINT128, MAX_UINT128 + 1),
        (-1, 0, 1, 3000, MAX_SWAP_FEE - 1, MAX_SWAP_FEE, MAX_SWAP_FEE + 1),
    ):
        step = ExactInputStep(current, target, liquidity, fee)
        amounts = [1, 2, 10**18, 2**128, 2**160, 2**255 - 1, 2**255, MAX]
        amounts += _reach_edges(step, fee) + _short_edges(current, liquidity, fee, current >= target)
        for amount in amounts:
            if amount > 0:
                expected = _outcome(compute_swap_step, current, target, liquidity, -amount, fee)
                assert _outcome(step, amount) == expected, (current, target, liquidity, fee, amount)
                checked += 1
    assert checked > 10_000


def _mul_div_literal(a: int, b: int, d: int, up: bool) -> tuple[str, object]:
    """What FullMath's mulDiv / mulDivRoundingUp answer, stated without the module: operands that are
    not uint256 refused first, then a zero denominator, then a quotient past 2^256 − 1."""
    for v in (a, b, d):
        if not 0 <= v <= MAX:
            return "PoolMathError", f"{v} is not a uint256"
    if d == 0:
        return "ZeroDenominator", "FullMath.mulDiv: denominator is 0"
    q, r = divmod(a * b, d)
    if q > MAX:
        return "MathOverflow", "FullMath.mulDiv: result overflows uint256"
    if up and r:
        if q == MAX:
            return "MathOverflow", "FullMath.mulDivRoundingUp: result overflows uint256"
        q += 1
    return "ok", q


def test_full_math_at_denominator_one_and_results_at_two_to_the_256() -> None:
    cases = []
    for d in (1, 2, 3, MAX - 1, MAX, 0, MAX + 1, -1):
        for a in (0, 1, 2, 2**128, MAX - 1, MAX, MAX + 1, -1):
            cases.append((a, 1, d))
            cases.append((a, MAX, d))
            cases.append((a, a, d))
    # quotients exactly 2^256 − 1 and 2^256, with and without a remainder
    cases += [(MAX, MAX, MAX), (MAX, 2, 2), (2**255, 2, 1), (2**128, 2**128, 1), (2**128, 2**128 - 1, 1)]
    cases += [(MAX, 3, 3), (MAX, MAX - 1, MAX - 2), (MAX - 1, MAX, MAX - 1), (MAX, MAX, MAX - 1)]
    cases += [(2**255 + 1, 2, 2), (MAX, 2**255, 2**255 - 1)]
    for a, b, d in cases:
        assert _outcome(full_math.mul_div, a, b, d) == _mul_div_literal(a, b, d, False), (a, b, d)
        assert _outcome(full_math.mul_div_rounding_up, a, b, d) == _mul_div_literal(a, b, d, True), (a, b, d)


def _pow_edges() -> list[tuple[int, int]]:
    """x at its bounds, and for several x the y that puts ln(x)·y one either side of the natural
    exponent bounds (MAX_NATURAL_EXPONENT above, MIN_NATURAL_EXPONENT below)."""
    one = 10**18
    pairs = []
    xs = [1, 2, one // 10**6, one - 1, one + 1, 3 * one, 10**30, 2**200, 2**255 - 1]
    for x in xs:
        ln_x = lem._ln(x)
        if ln_x == 0:
            continue
        bound = lem.MAX_NATURAL_EXPONENT if ln_x > 0 else -lem.MIN_NATURAL_EXPONENT
        y = -(-bound * one // abs(ln_x))  # about where |ln_x|·y // 1e18 crosses the bound
        pairs += [(x, y + d) for d in range(-3, 4) if y + d > 0]
    for x in (lem.LN_36_LOWER_BOUND + 1, lem.LN_36_UPPER_BOUND - 1, one - 10**10, one + 10**10):
        pairs += [(x, y) for y in (1, one, lem.MILD_EXPONENT_BOUND - 1, lem.MILD_EXPONENT_BOUND)]
    pairs += [(2**255, one), (2**255 - 1, lem.MILD_EXPONENT_BOUND - 1), (0, 0), (0, 1), (5, 0)]
    return pairs


def test_balancer_pow_at_its_bounds_equals_the_literal_transcription() -> None:
    pairs = _pow_edges()
    for x, y in pairs:
        assert _outcome(lem.pow, x, y) == _outcome(_pow_literal, x, y), (x, y)
        assert _outcome(fp.pow_up, x, y) == _outcome(_pow_rounded_literal, x, y, True), (x, y)
        assert _outcome(fp.pow_down, x, y) == _outcome(_pow_rounded_literal, x, y, False), (x, y)
    assert len(pairs) > 60
