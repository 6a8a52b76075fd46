"""The marginal-rate bound of Curve and Balancer hops (`arbitrage/bounds.py`) is a true upper bound:
on random pool states, no amount, tiny or large, gets more out per unit than the bound says (up to the
contract's rounding unit or two on dust-sized outputs, as the module states)."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from mevcli.arbitrage.bounds import MARGIN, ROUNDING_UNITS, rate_bound
from mevcli.dex.balancer.state import ComposableStablePoolState, WeightedPoolState
from mevcli.dex.curve.math import rate_multiplier
from mevcli.dex.curve.state import CurvePoolState
from mevcli.dex.pools import quote
from mevcli.errors import MevcliError

TOKENS = tuple(f"0x{i:040x}" for i in range(1, 5))
DECIMALS = st.sampled_from((6, 8, 18))
AMOUNTS = st.integers(1, 10**3) | st.integers(1, 10**12) | st.integers(1, 10**30)


def _balance(draw, decimals: int) -> int:
    return draw(st.integers(10**3, 10**9)) * 10**decimals // draw(st.sampled_from((1, 7, 1000)))


@st.composite
def curve_pools(draw) -> CurvePoolState:
    n = draw(st.integers(2, 4))
    decimals = [draw(DECIMALS) for _ in range(n)]
    return CurvePoolState(
        address="0x" + "c" * 40,
        coins=TOKENS[:n],
        balances=tuple(_balance(draw, d) for d in decimals),
        rates=tuple(rate_multiplier(d) for d in decimals),
        A=draw(st.integers(1, 5000)),
        fee=draw(st.integers(0, 5 * 10**7)),
    )


@st.composite
def weighted_pools(draw) -> WeightedPoolState:
    n = draw(st.integers(2, 4))
    decimals = [draw(DECIMALS) for _ in range(n)]
    raw = [draw(st.integers(1, 98)) for _ in range(n)]
    weights = [w * 10**18 // sum(raw) for w in raw]
    weights[-1] += 10**18 - sum(weights)
    return WeightedPoolState(
        address="0x" + "b" * 40,
        pool_id="0x" + "00" * 32,
        vault="0x" + "ba" * 20,
        tokens=TOKENS[:n],
        balances=tuple(_balance(draw, d) for d in decimals),
        swap_fee=draw(st.integers(10**12, 10**17)),
        scaling_factors=tuple(10 ** (18 - d) for d in decimals),
        weights=tuple(weights),
    )


@st.composite
def stable_pools(draw) -> ComposableStablePoolState:
    n = draw(st.integers(2, 4))
    decimals = [draw(DECIMALS) for _ in range(n)]
    # 18-decimal scaling factors: decimals times a token rate near one
    factors = [10 ** (36 - d) * draw(st.integers(10**18, 12 * 10**17)) // 10**18 for d in decimals]
    return ComposableStablePoolState(
        address="0x" + "d" * 40,
        pool_id="0x" + "00" * 32,
        vault="0x" + "ba" * 20,
        tokens=TOKENS[:n],
        balances=tuple(_balance(draw, d) for d in decimals),
        swap_fee=draw(st.integers(10**12, 10**17)),
        scaling_factors=tuple(factors),
        amp=draw(st.integers(1, 5000)) * 1000,
        bpt_index=n,
    )


def _check(state, data) -> None:
    n = len(state.tokens)
    i = data.draw(st.integers(0, n - 1))
    j = data.draw(st.sampled_from([k for k in range(n) if k != i]))
    token_in, token_out = state.tokens[i], state.tokens[j]
    bound = rate_bound(state, token_in, token_out)
    assert bound is not None
    rate = Fraction(*bound)
    exact = 0
    for amount in (1, 2, 10**3, data.draw(AMOUNTS), state.balances[i] // 1000, state.balances[i] // 4):
        if amount <= 0:
            continue
        try:
            out = quote(state, token_in, amount, token_out)
        except MevcliError:
            continue  # the pool refuses the amount: nothing to bound
        assert out <= rate * amount + ROUNDING_UNITS, (amount, out, float(rate * amount))
        if out >= ROUNDING_UNITS * MARGIN:
            assert out <= rate * amount, (amount, out, float(rate * amount))
            exact += 1
    if bound == (0, 1):  # the pool cannot swap: every quote fails
        assert exact == 0


@settings(max_examples=150, deadline=None)
@given(curve_pools(), st.data())
def test_curve_bound_covers_every_amount(state, data):
    _check(state, data)


@settings(max_examples=150, deadline=None)
@given(weighted_pools(), st.data())
def test_weighted_bound_covers_every_amount(state, data):
    _check(state, data)


@settings(max_examples=150, deadline=None)
@given(stable_pools(), st.data())
def test_composable_stable_bound_covers_every_amount(state, data):
    _check(state, data)


def test_bound_is_tight_at_small_amounts():
    """Not just any upper bound: within a part per million of what a small trade really gets."""
    state = CurvePoolState(
        address="0x" + "c" * 40,
        coins=TOKENS[:2],
        balances=(10**24, 2 * 10**24),
        rates=(rate_multiplier(18), rate_multiplier(18)),
        A=100,
        fee=4 * 10**6,
    )
    rate = Fraction(*rate_bound(state, TOKENS[0], TOKENS[1]))
    amount = 10**15
    assert (
        rate * amount * (1 - Fraction(1, 10**6)) < quote(state, TOKENS[0], amount, TOKENS[1]) <= rate * amount
    )
