"""The Curve variants' math against curvesim, where curvesim models them, without a chain.

curvesim's `CurvePool` is a classic pool (A without precision, D_P = D_P·D // (x·n)) with an optional
dynamic fee (`fee_mul`, stableswap-ng's formula at the same mean balances). So:
- the dynamic fee equals curvesim's to the unit;
- a classic pool with A_PRECISION (A_precise = A·100, e.g. Arbitrum's 2pool) equals curvesim with A to the
  wei: Ann·S/100, (Ann − 100)·D/100, c·D·100/(Ann·n) and D·100/Ann are then the same integers;
- stableswap-ng computes D_P as D_P·D // x then // n^n, whose rounding curvesim does not share: where the
  two D agree, ng's exchange (dynamic fee and admin share included) equals curvesim's to the wei; where
  they differ the comparison is not made (our Vyper ng pool on anvil is the exact reference there).
"""

from __future__ import annotations

from curvesim.pool.stableswap.pool import CurvePool
from hypothesis import event, given, settings
from hypothesis import strategies as st

from mevcli.dex.curve.math import (
    FEE_DENOMINATOR,
    PRECISION,
    StableSwapRevert,
    dynamic_fee,
    exchange,
    get_D,
    get_dy,
    rate_multiplier,
    xp_mem,
)

A_PRECISION = 100


def _curvesim(balances, rates, amp, fee, admin_fee, fee_mul=None) -> CurvePool:
    pool = CurvePool(
        A=amp, D=1, n=len(balances), rates=list(rates), fee=fee, admin_fee=admin_fee, fee_mul=fee_mul
    )
    pool.balances = list(balances)
    return pool


def _reference(pool: CurvePool, i: int, j: int, dx: int) -> tuple[int, list[int]] | None:
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
    xp = draw(st.lists(st.integers(10**12, 10**33), min_size=n, max_size=n), label="xp")
    balances = [max(1, x * PRECISION // r) for x, r in zip(xp, rates, strict=True)]
    amp = draw(st.integers(1, 10**6 - 1), label="A")
    fee = draw(st.integers(0, 10**8), label="fee")
    return balances, rates, amp, fee


def _trade(draw, balances):
    n = len(balances)
    i = draw(st.integers(0, n - 1), label="i")
    j = (i + draw(st.integers(1, n - 1), label="j - i")) % n
    e = draw(st.integers(0, balances[i].bit_length() + 8), label="dx bits")
    return i, j, draw(st.integers(1, 2**e), label="dx")


@settings(max_examples=500, deadline=None)
@given(
    xpi=st.integers(0, 10**33),
    xpj=st.integers(0, 10**33),
    fee=st.integers(0, 10**8),
    mult=st.integers(0, 10**12),
)
def test_dynamic_fee_equals_curvesim(xpi, xpj, fee, mult):
    if xpi + xpj == 0 and mult > FEE_DENOMINATOR:
        return  # both divide by zero: the pool reverts
    ours = dynamic_fee(xpi, xpj, fee, mult)
    if mult <= FEE_DENOMINATOR:
        assert ours == fee  # curvesim has no multiplier at or below 1 (`fee_mul=None` there)
    else:
        assert ours == _curvesim([1, 1], [PRECISION] * 2, 1, fee, 0, mult).dynamic_fee(xpi, xpj)
    assert fee <= ours <= max(fee, fee * mult // FEE_DENOMINATOR)


@settings(max_examples=300, deadline=None)
@given(pool=pools(), data=st.data())
def test_classic_with_a_precision_equals_curvesim(pool, data):
    balances, rates, amp, fee = pool
    admin_fee = data.draw(st.sampled_from([0, 5 * 10**9]), label="admin fee")
    i, j, dx = _trade(data.draw, balances)
    try:
        ours = exchange(i, j, dx, balances, rates, amp * A_PRECISION, fee, admin_fee, a_precision=A_PRECISION)
    except StableSwapRevert:
        event("reverts")
        return
    plain = exchange(i, j, dx, balances, rates, amp, fee, admin_fee)
    assert ours == plain
    reference = _reference(_curvesim(balances, rates, amp, fee, admin_fee), i, j, dx)
    assert reference == (ours[0], ours[1])
    event("equal")


@settings(max_examples=300, deadline=None)
@given(
    pool=pools(),
    mult=st.sampled_from([2 * 10**10, 5 * 10**10]) | st.integers(10**10 + 1, 10**11),
    data=st.data(),
)
def test_ng_exchange_equals_curvesim_where_their_D_agree(pool, mult, data):
    balances, rates, amp, fee = pool
    i, j, dx = _trade(data.draw, balances)
    xp = xp_mem(rates, balances)
    kwargs = {"a_precision": A_PRECISION, "ng": True, "offpeg": mult}
    try:
        d_ng = get_D(xp, amp * A_PRECISION, A_PRECISION, ng=True)
        d_classic = get_D(xp, amp)
        ours = exchange(i, j, dx, balances, rates, amp * A_PRECISION, fee, 5 * 10**9, **kwargs)
    except StableSwapRevert:
        event("reverts")
        return
    assert get_dy(i, j, dx, balances, rates, amp * A_PRECISION, fee, **kwargs) == ours[0]
    if d_ng != d_classic:
        event("D rounds differently: not compared")
        return
    event("D equal: compared")
    reference = _reference(_curvesim(balances, rates, amp, fee, 5 * 10**9, mult), i, j, dx)
    assert reference == (ours[0], ours[1])
