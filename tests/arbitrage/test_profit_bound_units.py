"""`profit_bound.profit_ceiling` composed by hand and against brute force (no chain): linear hops carry
ROUNDING_UNITS through the later hops, a route with no Möbius hop has no bound, and on small V2 routes
(and V2 routes with a worst-case linear hop) the ceiling is at least the best out − in of every amount,
and within a few units of it where every hop is V2."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from fractions import Fraction
from math import isqrt

import pytest

from mevcli.arbitrage.bounds import ROUNDING_UNITS
from mevcli.arbitrage.profit_bound import Ceiling, hop_ceiling, profit_ceiling
from mevcli.dex.kinds import kind_of
from mevcli.dex.uniswap_v2.state import V2PairState
from mevcli.errors import MevcliError

R = ROUNDING_UNITS
TOKENS = [f"0x{i:040x}" for i in range(1, 6)]
Quoter = Callable[[int], int]


def test_linear_hops_carry_their_rounding_units():
    assert profit_ceiling([(1, 1)]) == R  # k <= m: no gain but the units
    assert profit_ceiling([(1, 2), (1, 2)]) == -(-R // 2) + R  # the first hop's units halved by the second
    assert profit_ceiling([(3, 1), (1, 3)]) == -(-R // 3) + R  # R at 1/3, plus the second hop's own
    assert profit_ceiling([(2, 1, 1), (1, 3)]) == R  # Möbius first: no units before the linear hop
    assert profit_ceiling([(1, 3), (2, 1, 1)]) == 2 * R  # carried at the Möbius hop's rate at zero, a/b
    assert profit_ceiling([(1, 4), (7, 2, 1)]) == -(-R * 7 // 2)  # rounded up


def test_routes_without_a_mobius_hop_or_with_an_unbounded_hop_have_no_bound():
    assert profit_ceiling([(3, 2)]) is None  # n == 0 with k > m
    assert profit_ceiling([(3, 2), (5, 4)]) is None
    assert profit_ceiling([(1, 2, 1), None]) is None
    assert profit_ceiling([None]) is None


def test_mobius_routes_that_cannot_gain_are_bounded_by_zero():
    assert profit_ceiling([(1, 1, 1)]) == 0
    assert profit_ceiling([(997, 1000, 1), (1000, 997, 3)]) == 0  # k = m
    assert profit_ceiling([(1, 1, 1), (1, 1, 0)]) == 0


def test_the_closed_form_is_at_the_real_maximum_rounded_up():
    """K·x/(M + N·x) − x peaks at x* = (√(KM) − M)/N with (√K − √M)²/N: the ceiling is at or above the
    real map at the integers around x*, and within its square-root rounding of it."""
    rng = random.Random(3)
    for _ in range(300):
        m, n = rng.randrange(1, 10 ** rng.randrange(1, 40)), rng.randrange(1, 10 ** rng.randrange(1, 30))
        k = m + rng.randrange(1, 10 ** rng.randrange(1, 45))
        bound = profit_ceiling([(k, m, n)])
        peak = (isqrt(k * m) - m) // n
        best = max(Fraction(k * x, m + n * x) - x for x in range(max(1, peak - 2), peak + 3))
        assert best <= bound, (k, m, n)
        # √K up and √M down by at most one each: (s + 2)² − s² = 4s + 4 over N, s = √K − √M
        slack = (4 * (isqrt(k) + 1 - isqrt(m)) + 4) // n + 2
        assert bound <= best + slack, (k, m, n, bound, best)


def _v2_route(rng: random.Random, hops: int) -> list[V2PairState]:
    """A cycle TOKENS[0] → … → TOKENS[0] of small pairs, priced so that some routes gain."""
    pairs = []
    for i in range(hops):
        token_in, token_out = TOKENS[i], TOKENS[(i + 1) % hops]
        reserve_in = rng.randrange(50, 3000)
        reserve_out = reserve_in * rng.randrange(80, 130) // 100 + rng.randrange(0, 20)
        token0, token1 = sorted((token_in, token_out))
        reserves = (reserve_in, reserve_out) if token0 == token_in else (reserve_out, reserve_in)
        pairs.append(
            V2PairState(
                address=f"0x{rng.randrange(2**160):040x}",
                token0=token0,
                token1=token1,
                reserve0=reserves[0],
                reserve1=reserves[1],
                fee_pips=rng.choice((0, 1, 500, 3000, 10_000, rng.randrange(100_000))),
            )
        )
    return pairs


def _best_gain(quoters: Sequence[Quoter], upto: int) -> int:
    """max over x in 1..upto of the route's out − x, every amount tried (a hop that raises pays nothing)."""
    best = -(2**256)
    for x in range(1, upto + 1):
        amount = x
        try:
            for quoter in quoters:
                amount = quoter(amount)
        except MevcliError:
            continue
        best = max(best, amount - x)
    return best


def _route(pairs: list[V2PairState]) -> tuple[list[Ceiling], list[Quoter]]:
    hops = len(pairs)
    ceilings, quoters = [], []
    for i, pair in enumerate(pairs):
        token_in, token_out = TOKENS[i], TOKENS[(i + 1) % hops]
        ceilings.append(hop_ceiling(pair, token_in, token_out))
        quoters.append(lambda x, p=pair, t=token_in: kind_of(p).quote(p, t, x, None))
    return ceilings, quoters


@pytest.mark.parametrize("hops", [2, 3, 4])
def test_v2_routes_against_brute_force(hops):
    """Every amount up to past what the last pair holds (beyond it out − in < 0): the ceiling is above
    the best gain, and within a few units of it (V2's own map is the ceiling; the rest is flooring)."""
    rng = random.Random(hops)
    gaining = 0
    for _ in range(40):
        pairs = _v2_route(rng, hops)
        ceilings, quoters = _route(pairs)
        bound = profit_ceiling(ceilings)
        best = _best_gain(quoters, max(max(p.reserve0, p.reserve1) for p in pairs) + 1)
        assert bound is not None
        assert bound >= best, (pairs, bound, best)
        if best > 0:
            gaining += 1
            assert bound <= best + 2 * hops + 2, (pairs, bound, best)
        else:
            assert bound <= 2 * hops + 2, (pairs, bound, best)
    assert gaining >= 5, gaining


@pytest.mark.parametrize("hops", [2, 3])
def test_a_worst_case_linear_hop_stays_below(hops):
    """One hop replaced by the most a linearly bounded hop may pay (rate·y + ROUNDING_UNITS, floored): the
    units it adds are carried through the later V2 hops at most at their rates at zero."""
    rng = random.Random(10 + hops)
    for _ in range(25):
        pairs = _v2_route(rng, hops)
        ceilings, quoters = _route(pairs)
        linear = rng.randrange(hops)
        num, den = rng.randrange(80, 130), 100
        ceilings[linear] = (num, den)
        quoters[linear] = lambda y, num=num, den=den: num * y // den + R
        bound = profit_ceiling(ceilings)
        assert bound is not None
        upto = max(max(p.reserve0, p.reserve1) for p in pairs) + R + 1
        assert bound >= _best_gain(quoters, upto), (pairs, linear, num, bound)


def test_a_pair_with_an_empty_input_reserve_after_rounding_units():
    """A V2 pair holding none of its input token (its map is a·y/(0 + c·y): the rate at zero is infinite)
    cannot carry a linear hop's rounding units at a finite rate: the route has no bound, and no error."""
    drained = V2PairState(address=TOKENS[4], token0=TOKENS[0], token1=TOKENS[1], reserve0=0, reserve1=10**18)
    ceiling = hop_ceiling(drained, TOKENS[0], TOKENS[1])
    assert ceiling is not None and ceiling[1] == 0
    assert profit_ceiling([(1, 1), ceiling]) is None
    assert profit_ceiling([(2, 1, 1), (1, 1), ceiling, (1, 1, 1)]) is None
    # without units before it, the map alone bounds the route: out ≤ a/c whatever goes in
    bound = profit_ceiling([ceiling, (1, 1)])
    assert bound is not None and bound >= drained.reserve1
