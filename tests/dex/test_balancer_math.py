"""Balancer FixedPoint / LogExpMath / WeightedMath: pure properties (the chain tests prove the wei)."""

from __future__ import annotations

from decimal import Decimal, getcontext
from fractions import Fraction

import pytest
from eth_utils import to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from mevcli.dex.balancer import base_pool
from mevcli.dex.balancer import fixed_point as fp
from mevcli.dex.balancer import log_exp_math as lem
from mevcli.dex.balancer.errors import BalancerMathError, Errors, SwapRatioExceeded
from mevcli.dex.balancer.events import SWAP, apply_log
from mevcli.dex.balancer.state import WeightedPoolState
from mevcli.dex.balancer.weighted_math import calc_out_given_in

getcontext().prec = 80
ONE = 10**18
A, B, C = (to_checksum_address(f"0x{i:040x}") for i in (0xA, 0xB, 0xC))


def _real(x: int) -> Decimal:
    return Decimal(x) / ONE


def test_solidity_signed_division_truncates_toward_zero():
    assert lem._sdiv(-7, 2) == -3 and lem._sdiv(7, -2) == -3 and lem._sdiv(-7, -2) == 3
    assert lem._smod(-7, 2) == -1 and lem._smod(7, -2) == 1


@given(st.integers(1, 2**200), st.integers(1, 4 * ONE))
def test_pow_is_within_the_relative_error_pow_down_and_pow_up_bracket(x, y):
    try:
        raw = lem.pow(x, y)
    except BalancerMathError as exc:
        assert exc.code == Errors.PRODUCT_OUT_OF_BOUNDS
        return
    exact = (_real(x).ln() * _real(y)).exp() * ONE
    # Relative error below 1e-14, or within one unit where the 18-decimal grid dominates.
    assert abs(Decimal(raw) - exact) <= max(exact * Decimal("1e-14"), Decimal(1))
    assert fp.pow_down(x, y) <= exact + 1 and fp.pow_up(x, y) >= exact - 1


@given(st.integers(lem.LN_36_LOWER_BOUND + 1, lem.LN_36_UPPER_BOUND - 1))
def test_ln_36_path_is_accurate_near_one(x):
    assert abs(Decimal(lem.ln(x)) - _real(x).ln() * ONE) <= 1


def _ln_36_literal(x: int) -> int:
    """_ln_36 transcribed term by term with Solidity's truncating division (no sign shortcut)."""
    x *= ONE
    z = lem._sdiv((x - 10**36) * 10**36, x + 10**36)
    z_squared = lem._sdiv(z * z, 10**36)
    num = series_sum = z
    for n in (3, 5, 7, 9, 11, 13, 15):
        num = lem._sdiv(num * z_squared, 10**36)
        series_sum += lem._sdiv(num, n)
    return series_sum * 2


@given(st.integers(lem.LN_36_LOWER_BOUND + 1, lem.LN_36_UPPER_BOUND - 1))
def test_ln_36_sign_shortcut_equals_the_literal_transcription(x):
    assert lem._ln_36(x) == _ln_36_literal(x)


@given(st.integers(1, 2**255 - 1))
def test_ln_matches_the_real_logarithm_over_the_whole_domain(x):
    assert abs(Decimal(lem.ln(x)) - _real(x).ln() * ONE) <= 2


@given(st.integers(-41 * ONE, 130 * ONE))
def test_exp_matches_the_real_exponential(x):
    exact = _real(x).exp() * ONE
    assert abs(Decimal(lem.exp(x)) - exact) <= max(exact * Decimal("1e-17"), Decimal(2))


def test_out_of_domain_inputs_revert_like_the_library():
    with pytest.raises(BalancerMathError) as raised:
        lem.exp(131 * ONE)
    assert raised.value.code == Errors.INVALID_EXPONENT
    with pytest.raises(BalancerMathError, match="BAL#006"):
        lem.pow(2**255, ONE)
    with pytest.raises(BalancerMathError, match="BAL#007"):
        lem.pow(ONE, 2**254)
    with pytest.raises(BalancerMathError, match="BAL#003"):
        fp.mul_down(2**200, 2**60)
    with pytest.raises(BalancerMathError, match="BAL#004"):
        fp.div_up(1, 0)
    with pytest.raises(BalancerMathError, match="BAL#001"):
        fp.sub(1, 2)
    assert lem.pow(0, 0) == ONE and lem.pow(0, ONE) == 0


@given(st.integers(0, 2**127), st.integers(0, 2**127))
def test_fixed_point_rounding(a, b):
    exact = Fraction(a * b, ONE)
    assert fp.mul_down(a, b) == exact.__floor__() and fp.mul_up(a, b) == exact.__ceil__()
    if b:
        exact = Fraction(a * ONE, b)
        assert fp.div_down(a, b) == exact.__floor__() and fp.div_up(a, b) == exact.__ceil__()
    assert fp.complement(a) == max(ONE - a, 0)


@st.composite
def pools(draw) -> WeightedPoolState:
    n = draw(st.integers(2, 4))
    raw = [draw(st.integers(1, 1000)) for _ in range(n)]
    weights = [10**16 + (ONE - n * 10**16) * r // sum(raw) for r in raw]
    weights[-1] += ONE - sum(weights)
    decimals = [draw(st.sampled_from([0, 6, 8, 18])) for _ in range(n)]
    return WeightedPoolState(
        address=C,
        pool_id="0x" + "11" * 32,
        vault=B,
        tokens=tuple(to_checksum_address(f"0x{i + 1:040x}") for i in range(n)),
        balances=tuple(draw(st.integers(1, 10 ** (d + 12))) for d in decimals),
        weights=tuple(weights),
        swap_fee=draw(st.integers(10**12, 10**17)),
        scaling_factors=tuple(10 ** (18 - d) for d in decimals),
        block=1,
    )


@settings(max_examples=300)
@given(pools(), st.data())
def test_in_ratio_limit_is_exact_and_quotes_favour_the_pool(state, data):
    i, o = data.draw(st.permutations(range(len(state.tokens))))[:2]
    t_in, t_out = state.tokens[i], state.tokens[o]
    limit = base_pool.max_amount_in(state.balances[i], state.scaling_factors[i], state.swap_fee)
    with pytest.raises(SwapRatioExceeded) as raised:
        state.quote(t_in, limit + 1, t_out)
    assert raised.value.limit == limit and raised.value.pool == state.address
    if limit == 0:
        return
    amount = data.draw(st.integers(1, limit))
    out = state.quote(t_in, amount, t_out)
    # Never more than the exact curve gives for the fee-reduced input.
    net = Decimal(amount) * (1 - _real(state.swap_fee)) * state.scaling_factors[i]
    b_in = Decimal(state.balances[i] * state.scaling_factors[i])
    b_out = Decimal(state.balances[o] * state.scaling_factors[o])
    exact = b_out * (1 - (b_in / (b_in + net)) ** (_real(state.weights[i]) / _real(state.weights[o])))
    assert out * state.scaling_factors[o] <= exact + 1
    assert state.quote(t_in, limit, t_out) >= out  # monotone up to the limit
    # Given out is capped at 30% of the balance out, exactly where the contract reverts.
    out_limit = base_pool.max_amount_out(state.balances[o], state.scaling_factors[o])
    with pytest.raises(SwapRatioExceeded):
        state.quote_in(t_in, t_out, out_limit + 1)


def test_zero_amount_after_fee_quotes_zero():
    state = WeightedPoolState(
        address=C,
        pool_id="0x" + "11" * 32,
        vault=B,
        tokens=(A, B),
        balances=(10**24, 10**24),
        weights=(ONE // 2, ONE // 2),
        swap_fee=10**16,
        scaling_factors=(1, 1),
    )
    assert state.quote(A, 1, B) == 0  # the whole wei goes to the fee
    assert calc_out_given_in(10**24, ONE // 2, 10**24, ONE // 2, 0) == 0


def test_events_update_balances_and_refuse_what_cannot_be():
    state = WeightedPoolState(
        address=C,
        pool_id="0x" + "22" * 32,
        vault=B,
        tokens=(A, C),
        balances=(100, 200),
        weights=(ONE // 2, ONE // 2),
        swap_fee=10**15,
        scaling_factors=(1, 1),
        block=5,
    )
    after = state.with_swap(A, C, 10, 20, 6)
    assert after.balances == (110, 180) and after.block == 6 and state.balances == (100, 200)
    assert state.with_balance_change([5, -10], [1, 2], 7).balances == (104, 188)
    assert state.with_managed_balance(C, -5, 8, 8).balances == (100, 203)
    with pytest.raises(ValueError, match="negative"):
        state.with_swap(A, C, 1, 201, 6)
    with pytest.raises(ValueError, match="not those"):
        state.with_balance_change([0, 0], [0, 0], 7, tokens=[C, A])
    topics = [
        SWAP,
        bytes.fromhex(state.pool_id[2:]),
        bytes(12) + bytes.fromhex(A[2:]),
        bytes(12) + bytes.fromhex(C[2:]),
    ]
    data = (10).to_bytes(32, "big") + (20).to_bytes(32, "big")
    log = {"address": B, "topics": topics, "data": data, "blockNumber": 9, "logIndex": 0}
    assert apply_log(state, log).balances == (110, 180)
    assert apply_log(state, {**log, "address": A}) is state  # not from the Vault: not ours
    other = {**log, "topics": [SWAP, b"\x33" * 32, *topics[2:]]}
    assert apply_log(state, other) is state  # another pool's swap
    with pytest.raises(ValueError, match="removed"):
        apply_log(state, {**log, "removed": True})
