"""Curve StableSwap math against curvesim's reference StableSwap (an outside implementation of Curve's
classic pool), plus the state's quoting and event application, without a chain."""

from __future__ import annotations

import pytest
from curvesim.pool.stableswap.pool import CurvePool
from hypothesis import given, settings
from hypothesis import strategies as st

from mevcli.dex.curve.math import (
    MAX_UINT256,
    PRECISION,
    StableSwapRevert,
    exchange,
    get_D,
    get_dy,
    get_y,
    rate_multiplier,
    xp_mem,
)
from mevcli.dex.curve.state import CurvePoolState
from mevcli.errors import NoLiquidity, StaleState, UnknownToken, UsageError

COINS = tuple(f"0x{k:040x}" for k in range(1, 5))


def reference_exchange(
    balances, rates, amp: int, fee: int, admin_fee: int, i: int, j: int, dx: int
) -> tuple[int, list[int]] | None:
    """curvesim's (dy, balances after) for the same pool; None where its dy is negative."""
    pool = CurvePool(A=amp, D=1, n=len(balances), rates=list(rates), fee=fee, admin_fee=admin_fee)
    pool.balances = list(balances)  # (D=balances would make curvesim compute D, unbounded, first)
    try:
        dy, _ = pool.exchange(i, j, dx)
    except AssertionError:  # curvesim asserts dy >= 0
        return None
    return int(dy), [int(b) for b in pool.balances]


@st.composite
def pools(draw, max_coins: int = 4):
    n = draw(st.integers(2, max_coins), label="n")
    decimals = draw(st.lists(st.integers(0, 18), min_size=n, max_size=n), label="decimals")
    rates = [rate_multiplier(d) for d in decimals]
    # Balances worth 1e-6 to 1e15 whole tokens each, independently (deep imbalance included).
    xp = draw(st.lists(st.integers(10**12, 10**33), min_size=n, max_size=n), label="xp")
    balances = [max(1, x * PRECISION // r) for x, r in zip(xp, rates, strict=True)]
    amp = draw(st.integers(1, 10**6), label="A")
    fee = draw(st.integers(0, 5 * 10**9), label="fee")
    admin_fee = draw(st.sampled_from([0, 5 * 10**9, 10**10]) | st.integers(0, 10**10), label="admin fee")
    return balances, rates, amp, fee, admin_fee


def amounts(balance: int):
    """From dust to far more than the pool holds (output then approaches the whole balance)."""
    return st.integers(0, balance.bit_length() + 24).flatmap(lambda e: st.integers(0, 2**e))


@settings(max_examples=400, deadline=None)
@given(pool=pools(), data=st.data())
def test_get_dy_equals_curvesim(pool, data):
    balances, rates, amp, fee, admin_fee = pool
    n = len(balances)
    i = data.draw(st.integers(0, n - 1), label="i")
    j = data.draw(st.integers(0, n - 1).filter(lambda k: k != i), label="j")
    dx = data.draw(amounts(balances[i]), label="dx")
    try:
        ours = get_dy(i, j, dx, balances, rates, amp, fee)
    except StableSwapRevert as exc:
        # Where an intermediate exceeds uint256 (deep imbalance, huge dx) the contract reverts while
        # curvesim's unbounded ints go on (or its unbounded loops never settle): the chain tests check
        # those reverts against the contract itself. Where the output underflows curvesim pays nothing.
        assert any(r in str(exc) for r in ("overflow", "underflow in dy", "converge", "division by zero"))
        if "underflow in dy" in str(exc):
            reference = reference_exchange(balances, rates, amp, fee, admin_fee, i, j, dx)
            assert reference is None or reference[0] == 0
        return
    # Our loops settled within the contract's 255 iterations, so curvesim's identical ones settle too.
    reference = reference_exchange(balances, rates, amp, fee, admin_fee, i, j, dx)
    assert reference is not None
    assert ours == reference[0]
    assert ours < balances[j]
    paid, after = exchange(i, j, dx, balances, rates, amp, fee, admin_fee)
    assert (paid, after) == reference


@settings(max_examples=200, deadline=None)
@given(pool=pools(), data=st.data())
def test_get_D_and_get_y_equal_curvesim(pool, data):
    balances, rates, amp, fee, _ = pool
    n = len(balances)
    xp = xp_mem(rates, balances)
    i = data.draw(st.integers(0, n - 1), label="i")
    j = data.draw(st.integers(0, n - 1).filter(lambda k: k != i), label="j")
    x = xp[i] + data.draw(st.integers(0, 10 * xp[i]), label="x increase")
    try:
        d_ours, y = get_D(xp, amp), get_y(i, j, x, xp, amp)
    except StableSwapRevert as exc:
        # The contract reverts; curvesim has no uint256 bound, and no iteration cap where integer
        # rounding makes Newton's method cycle (e.g. A=1 with a 1e5 imbalance).
        assert "overflow" in str(exc) or "did not converge" in str(exc)
        return
    reference = CurvePool(A=amp, D=list(balances), n=n, rates=list(rates), fee=fee)
    assert d_ours == reference.get_D(xp, amp)
    assert y == reference.get_y(i, j, x, xp)


def test_balanced_pool_has_D_equal_to_its_sum_and_pays_fee_on_output():
    xp = [10**24, 10**24, 10**24]
    assert get_D(xp, 200) == 3 * 10**24
    rates = [rate_multiplier(6), rate_multiplier(6), rate_multiplier(18)]
    balances = [10**12, 10**12, 10**24]  # a million of each: 6, 6 and 18 decimals
    no_fee = get_dy(0, 2, 10**6, balances, rates, 200, 0)
    assert 10**18 * 9999 // 10000 < no_fee < 10**18  # one USDC buys just under one DAI
    # The fee is taken on the output (in 18-decimal units, which DAI already is).
    assert get_dy(0, 2, 10**6, balances, rates, 200, 4 * 10**6) == no_fee - no_fee * 4 * 10**6 // 10**10


def test_reverting_inputs_raise_not_return():
    rates = [rate_multiplier(18), rate_multiplier(18)]
    with pytest.raises(StableSwapRevert, match="underflow"):
        get_dy(0, 1, 0, [10**24, 10**24], rates, 100, 4 * 10**6)
    with pytest.raises(StableSwapRevert, match="empty"):
        get_dy(0, 1, 10**18, [10**24, 0], rates, 100, 4 * 10**6)
    with pytest.raises(StableSwapRevert, match="overflow"):
        get_dy(0, 1, MAX_UINT256, [10**24, 10**24], [rate_multiplier(6)] * 2, 100, 0)
    with pytest.raises(StableSwapRevert, match="same coin"):
        get_dy(1, 1, 10**18, [10**24, 10**24], rates, 100, 0)


def _state(n: int = 3, admin_fee: int = 0) -> CurvePoolState:
    decimals = [6, 6, 18, 8][:n]
    return CurvePoolState(
        address="0x" + "ab" * 20,
        coins=COINS[:n],
        balances=tuple(10**6 * 10**d for d in decimals),
        rates=tuple(rate_multiplier(d) for d in decimals),
        A=200,
        fee=4 * 10**6,
        admin_fee=admin_fee,
        block=7,
    )


def test_state_quotes_by_token_and_names_its_errors():
    state = _state()
    assert state.tokens == COINS[:3] and state.fee_pips == 400
    assert state.quote(COINS[0], 10**6, COINS[2]) == get_dy(
        0, 2, 10**6, state.balances, state.rates, 200, state.fee
    )
    with pytest.raises(UsageError, match="name the output token"):
        state.quote(COINS[0], 10**6)
    with pytest.raises(UnknownToken):
        state.quote(COINS[3], 10**6, COINS[0])
    with pytest.raises(UnknownToken):
        state.quote(COINS[0], 10**6, COINS[0])
    with pytest.raises(NoLiquidity, match="reverts"):
        state.quote(COINS[0], 0, COINS[1])
    two = _state(2)
    assert two.quote(COINS[1], 10**6) == two.quote(COINS[1], 10**6, COINS[0])


@pytest.mark.parametrize("admin_fee", [0, 5 * 10**9])
def test_state_events_move_balances_like_the_pool(admin_fee):
    state = _state(admin_fee=admin_fee)
    dy, after = exchange(0, 2, 10**9, state.balances, state.rates, state.A, state.fee, admin_fee)
    moved = state.with_exchange(0, 10**9, 2, dy, block=8)
    assert moved.balances == tuple(after) and moved.block == 8
    assert state.balances == _state(admin_fee=admin_fee).balances  # a new state, the old one intact
    added = moved.with_add_liquidity([10**6, 0, 5 * 10**18], [300, 20, 4 * 10**14], block=9)
    assert added.balances == tuple(
        b + a - f * admin_fee // 10**10
        for b, a, f in zip(moved.balances, [10**6, 0, 5 * 10**18], [300, 20, 4 * 10**14], strict=True)
    )
    removed = added.with_remove_liquidity([1, 2, 3], block=10)
    assert removed.balances == tuple(b - k for b, k in zip(added.balances, [1, 2, 3], strict=True))
    with pytest.raises(StaleState):
        removed.with_remove_liquidity([10**30, 0, 0], block=11)


def test_exchange_event_that_the_state_cannot_explain_is_stale():
    state = _state(admin_fee=5 * 10**9)
    dy = state.quote(COINS[0], 10**9, COINS[1])
    with pytest.raises(StaleState, match="predicts"):
        state.with_exchange(0, 10**9, 1, dy + 1, block=8)
