"""The native kernel's bigint library (mevcli/native/bigint.c) gives what Python's own ints give, through
the extension's `_bigint_eval(op, a, b, into)` hook: every operation against the Python expression, on
hypothesis' values and on seeded edge cases (limb boundaries, signs, the width limit, Knuth's "add back"
step, perfect squares), with the result written to a fresh value and over either operand (outputs that
alias inputs). A result wider than the library's width is an OverflowError, never a truncated value."""

from __future__ import annotations

import itertools
import math
import operator
import random
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
HEADER = ROOT / "mevcli" / "native" / "bigint.h"
LIMB = 1 << 64
MASK = LIMB - 1


def _width_limbs() -> int:
    found = re.search(r"#define BIG_LIMBS (\d+)", HEADER.read_text())
    assert found, "BIG_LIMBS not found in bigint.h"
    return int(found.group(1))


LIMBS = _width_limbs()
LIMIT = 1 << (64 * LIMBS)  # the first magnitude the library cannot hold
OVERFLOW = "overflow"
INTO = (0, 1, 2)  # a fresh result, the result over a, the result over b

BINARY: dict[str, Callable[[int, int], int]] = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "floordiv": operator.floordiv,
    "mod": operator.mod,
}


@pytest.fixture(scope="module")
def ev():
    return pytest.importorskip("mevcli.native._kernel")._bigint_eval


def test_the_extension_is_built_in_a_checkout():
    """Where the build (setup.py) is there, the extension must be: otherwise every test below skips."""
    if not (ROOT / "setup.py").exists():
        pytest.skip("no setup.py: an installed copy, not a checkout")
    try:
        import mevcli.native._kernel  # noqa: F401
    except ImportError as exc:
        pytest.fail(f"mevcli.native._kernel is not built ({exc}): run scripts/setup.sh")


def _fits(v: int) -> bool:
    return abs(v) < LIMIT


def _expected(op: str, a: int, b: int) -> int | str:
    """What the hook must give for `a op b`: Python's value, or OVERFLOW when it is too wide."""
    v = BINARY[op](a, b)
    return v if _fits(v) else OVERFLOW


def _got(ev, *args) -> int | tuple[int, int] | str:
    try:
        return ev(*args)
    except OverflowError:
        return OVERFLOW


def _check_binary(ev, a: int, b: int) -> None:
    for op in BINARY:
        if op in ("floordiv", "mod") and b == 0:
            continue
        want = _expected(op, a, b)
        for into in INTO:
            assert _got(ev, op, a, b, into) == want, (op, a, b, into)
    if b:
        for into in INTO:
            assert ev("divmod", a, b, into) == divmod(a, b), (a, b, into)


def _check_unary(ev, a: int) -> None:
    for into in INTO:
        assert ev("roundtrip", a, 0, into) == a
    assert ev("sign", a) == (a > 0) - (a < 0)
    assert ev("bit_length", a) == a.bit_length()
    if a >= 0:
        for into in INTO:
            assert ev("isqrt", a, 0, into) == math.isqrt(a), a


def _check_shifts(ev, a: int, bits: int) -> None:
    for into in INTO:
        assert ev("shr", a, bits, into) == a >> bits, (a, bits, into)
        want = a << bits if _fits(a << bits) else OVERFLOW
        assert _got(ev, "shl", a, bits, into) == want, (a, bits, into)


def _check_u64(ev, a: int, small: int) -> None:
    for into in (0, 1):
        want = a + small if _fits(a + small) else OVERFLOW
        assert _got(ev, "add_u64", a, small, into) == want, (a, small, into)
        want = a * small if _fits(a * small) else OVERFLOW
        assert _got(ev, "mul_u64", a, small, into) == want, (a, small, into)
    assert ev("cmp_u64", a, small) == (a > small) - (a < small)


# ---- hypothesis: values built from limbs that sit on the edges -------------------------------------

_EDGE_LIMBS = [0, 1, 2, MASK, MASK - 1, 1 << 63, (1 << 63) - 1, (1 << 63) + 1]
_limb = st.one_of(st.sampled_from(_EDGE_LIMBS), st.integers(0, MASK))


def _signed(magnitudes: st.SearchStrategy[int]) -> st.SearchStrategy[int]:
    return st.builds(lambda m, neg: -m if neg else m, magnitudes, st.booleans())


def _from_limbs(limbs: list[int]) -> int:
    return sum(limb << (64 * i) for i, limb in enumerate(limbs))


def _ints(max_limbs: int = LIMBS) -> st.SearchStrategy[int]:
    return _signed(
        st.one_of(
            st.lists(_limb, max_size=max_limbs).map(_from_limbs),
            st.integers(0, 64 * max_limbs).flatmap(lambda bits: st.integers(0, (1 << bits) - 1)),
        )
    )


# values that fit, and values a little beyond the width for the overflow paths
any_int = st.one_of(_ints(), _ints(LIMBS + 1))
small_int = _ints(10)  # the sizing path's widths


@settings(max_examples=250, deadline=None)
@given(a=_ints(), b=_ints())
def test_binary_ops_match_python(ev, a, b):
    _check_binary(ev, a, b)


@settings(max_examples=250, deadline=None)
@given(a=small_int, b=small_int)
def test_binary_ops_match_python_at_sizing_widths(ev, a, b):
    _check_binary(ev, a, b)


@settings(max_examples=150, deadline=None)
@given(a=_ints(), b=_signed(st.lists(_limb, min_size=1, max_size=3).map(_from_limbs)))
def test_division_by_short_divisors_matches_python(ev, a, b):
    """Divisors of one to three limbs: the single-limb path and Algorithm D's smallest cases."""
    if b:
        _check_binary(ev, a, b)


@settings(max_examples=150, deadline=None)
@given(a=any_int)
def test_unary_ops_match_python(ev, a):
    if not _fits(a):
        with pytest.raises(OverflowError):
            ev("roundtrip", a)
        return
    _check_unary(ev, a)


@settings(max_examples=150, deadline=None)
@given(a=_ints(), bits=st.one_of(st.integers(0, 200), st.integers(0, 64 * LIMBS + 130)))
def test_shifts_match_python(ev, a, bits):
    _check_shifts(ev, a, bits)


@settings(max_examples=150, deadline=None)
@given(a=_ints(), small=_limb)
def test_single_limb_ops_match_python(ev, a, small):
    _check_u64(ev, a, small)


@settings(max_examples=150, deadline=None)
@given(a=_ints(), b=_ints())
def test_comparison_matches_python(ev, a, b):
    assert ev("cmp", a, b) == (a > b) - (a < b)
    assert ev("cmp", a, a) == 0


# ---- seeded edge cases ------------------------------------------------------------------------------


def _edge_magnitudes() -> list[int]:
    values = {0, 1, 2, 3, (1 << 63) - 1, 1 << 63, (1 << 63) + 1, LIMIT - 1, LIMIT >> 1, (LIMIT >> 1) - 1}
    for k in (1, 2, 3, 4, 5, 8, LIMBS // 2, LIMBS - 1, LIMBS):
        top = 1 << (64 * k)
        values |= {top - 1, top - 2, (top >> 1) + 1, (top >> 64) * MASK}
        if k < LIMBS:
            values |= {top, top + 1}
    return sorted(values)


EDGES = sorted({s * m for m in _edge_magnitudes() for s in (1, -1)})


def test_edge_values_match_python(ev):
    """Every pair of edge values (0, ±1, limb boundaries, the width's boundary) through every operation."""
    for a, b in itertools.product(EDGES, repeat=2):
        _check_binary(ev, a, b)
        assert ev("cmp", a, b) == (a > b) - (a < b)
    for a in EDGES:
        _check_unary(ev, a)
        for bits in (0, 1, 63, 64, 65, 127, 128, 64 * LIMBS - 1, 64 * LIMBS, 64 * LIMBS + 1):
            _check_shifts(ev, a, bits)
        for small in (0, 1, 2, MASK, 1 << 63):
            _check_u64(ev, a, small)


def test_negative_operands_floor_as_python(ev):
    """Floor division, the remainder's sign (the divisor's) and `>>` of negatives, with and without a
    remainder, at one, two and many limbs."""
    rng = random.Random(11)
    for bits_a, bits_b in [(10, 3), (64, 64), (128, 64), (192, 128), (700, 300), (2000, 1000), (5, 70)]:
        for _ in range(30):
            a, b = rng.getrandbits(bits_a) | 1, rng.getrandbits(bits_b) | 1
            for sa, sb in itertools.product((1, -1), repeat=2):
                _check_binary(ev, sa * a, sb * b)
                _check_binary(ev, sa * a * b, sb * b)  # exact: no floor step
            assert ev("shr", -a, 1) == -a >> 1
            assert ev("shr", -(a << 70), 70) == -a
            assert ev("shr", -(a << 70) - 1, 70) == -a - 1
            assert ev("shr", -a, bits_a + 5) == -1


def test_width_boundary_overflows_instead_of_truncating(ev):
    """Results one past the width raise OverflowError; results that just fit are exact."""
    top = LIMIT - 1
    assert ev("roundtrip", top) == top
    assert ev("roundtrip", -top) == -top
    for v in (LIMIT, -LIMIT, LIMIT + 1, 1 << (64 * LIMBS + 300)):
        with pytest.raises(OverflowError):
            ev("roundtrip", v)
    cases = [
        ("add", top, 1),
        ("add", -top, -1),
        ("sub", top, -1),
        ("sub", -top, 1),
        ("mul", 1 << (64 * (LIMBS // 2)), 1 << (64 * (LIMBS - LIMBS // 2))),
        ("mul", -(LIMIT >> 1), 2),
        ("mul", (1 << (64 * LIMBS // 2)) + 1, (1 << (64 * LIMBS // 2)) - 1),  # just fits
        ("mul", 1 << (64 * LIMBS // 2), 1 << (64 * LIMBS // 2)),  # just does not
        ("mul", MASK, (LIMIT - 1) // MASK),
        ("mul", MASK, (LIMIT - 1) // MASK + 1),
        ("mul", 3, (LIMIT - 1) // 3),
        ("mul", -3, (LIMIT - 1) // 3 + 1),
        ("floordiv", top, -1),
        ("floordiv", -top, 1),
        ("mod", -top, top),
    ]
    for op, a, b in cases:
        want = _expected(op, a, b)
        for into in INTO:
            assert _got(ev, op, a, b, into) == want, (op, a, b, into)
    for a, small in [(top, 1), ((LIMIT - 1) // MASK, MASK), (LIMIT >> 1, 2), ((LIMIT >> 1) - 1, 2)]:
        _check_u64(ev, a, small)
    for a, bits in [(1, 64 * LIMBS - 1), (1, 64 * LIMBS), (MASK, 64 * (LIMBS - 1)), (MASK, 64 * LIMBS - 63)]:
        _check_shifts(ev, a, bits)
        _check_shifts(ev, -a, bits)
    with pytest.raises(OverflowError):  # a negative count goes back to Python (which raises ValueError)
        ev("shl", 1, -1 % LIMB)


def _algorithm_d_rare_steps(a: int, b: int) -> tuple[int, int]:
    """(digits whose estimate needed two corrections, digits that needed the "add back") of Algorithm D's
    a // b for b of two limbs or more: the estimate from the top three limbs of the running remainder,
    corrected against the divisor's top two limbs, can still be one too high."""
    n = (b.bit_length() + 63) // 64
    shift = 64 * n - b.bit_length()
    v, u = b << shift, a << shift
    v1, v0 = v >> (64 * (n - 1)), (v >> (64 * (n - 2))) & MASK
    twice = add_back = 0
    for j in range(max((u.bit_length() + 63) // 64 - n, 0), -1, -1):
        window = u >> (64 * j)
        u2, u1, u0 = window >> (64 * n), (window >> (64 * (n - 1))) & MASK, (window >> (64 * (n - 2))) & MASK
        qhat = min((u2 * LIMB + u1) // v1, MASK)
        rhat = u2 * LIMB + u1 - qhat * v1
        corrections = 0
        while rhat < LIMB and qhat * v0 > rhat * LIMB + u0:
            qhat -= 1
            rhat += v1
            corrections += 1
        twice += corrections == 2
        if qhat * v > window:
            add_back += 1
            qhat -= 1
        u -= (qhat * v) << (64 * j)
    assert u >> shift == a % b  # the model divides correctly
    return twice, add_back


def _rare_division(rng: random.Random) -> tuple[int, int]:
    """A divisor whose limbs sit on the edges (half the time with its normalized top limbs near 2^63 and
    2^64, shifted by up to 63 bits) and a numerator near a multiple of it."""

    def limb() -> int:
        return rng.choice([*_EDGE_LIMBS, rng.getrandbits(64)])

    n = rng.randint(2, 8)
    limbs = [limb() for _ in range(n)]
    if rng.random() < 0.5:
        limbs[-2] = rng.choice([MASK, MASK - 1, rng.getrandbits(64)])
        limbs[-1] = (1 << 63) + rng.choice([0, 1, rng.getrandbits(8)])
        b = _from_limbs(limbs) >> rng.randint(0, 63)
    else:
        limbs[-1] = limbs[-1] or 1
        b = _from_limbs(limbs)
    q = _from_limbs([limb() for _ in range(rng.randint(1, 4))])
    a = q * b + rng.randint(0, b - 1) if rng.random() < 0.5 else q * b - rng.randint(1, 3)
    return a, b


def test_algorithm_d_rare_steps_match_python(ev):
    """Quotient digits whose estimate needs a second correction, and the rarer ones that need the
    "add back" (checked with a model of the estimate), through floor division and modulo of all signs."""
    rng = random.Random(2026)
    twice = add_back = 0
    for _ in range(2500):
        a, b = _rare_division(rng)
        if a <= 0 or b.bit_length() <= 64:
            continue
        steps = _algorithm_d_rare_steps(a, b)
        if not any(steps):
            continue
        twice += steps[0] > 0
        add_back += steps[1] > 0
        for sa, sb in itertools.product((1, -1), repeat=2):
            _check_binary(ev, sa * a, sb * b)
    assert twice >= 50 and add_back >= 50, (twice, add_back)


def test_isqrt_of_squares_and_their_neighbours(ev):
    """Perfect squares and squares ±1 at every width, and the largest values of each limb count."""
    rng = random.Random(5)
    roots = [1, 2, 3, MASK, 1 << 32, (1 << 64) - 1, 1 << 64, (1 << 64) + 1]
    # two-limb values (the root from a double's, then one Newton step): roots near 2^32, 2^63, 2^64
    for centre in (1 << 32, 1 << 63, 1 << 64):
        roots += [centre + d for d in range(-20, 21)]
    roots += [rng.getrandbits(rng.choice([32, 48, 63, 64, 65])) for _ in range(300)]
    for bits in range(1, 32 * LIMBS + 1, 7):
        roots += [rng.getrandbits(bits) | (1 << (bits - 1)), (1 << bits) - 1, 1 << (bits - 1)]
    for r in roots:
        for v in (r * r - 1, r * r, r * r + 1, (r + 1) * (r + 1) - 1):
            if 0 <= v < LIMIT:
                for into in INTO:
                    assert ev("isqrt", v, 0, into) == math.isqrt(v), v
    # just below 2^128, where a double's root can fall below the value's top limb
    near_top = [LIMB * LIMB - (1 << k) + d for k in range(60, 100) for d in (-1, 0, 1)]
    near_top += [LIMB * LIMB - j * (1 << 75) - (1 << 74) + d for j in range(1, 12) for d in (-1, 0, 1)]
    for v in near_top:
        assert ev("isqrt", v) == math.isqrt(v), v
    for k in range(1, LIMBS + 1):
        v = (1 << (64 * k)) - 1
        assert ev("isqrt", v) == math.isqrt(v)
        assert ev("isqrt", v >> 1) == math.isqrt(v >> 1)


def test_isqrt_of_a_negative_value_is_a_value_error(ev):
    for v in (-1, -2, -LIMB, -(LIMIT - 1)):
        with pytest.raises(ValueError):
            ev("isqrt", v)


def test_division_by_zero_is_a_zero_division_error(ev):
    for a in (0, 1, -1, LIMB, -(LIMIT - 1)):
        for op in ("floordiv", "mod", "divmod"):
            with pytest.raises(ZeroDivisionError):
                ev(op, a, 0)
