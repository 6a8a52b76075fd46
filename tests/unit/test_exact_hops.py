"""The sizing's exact quoters give `quote`'s integers: every V2 and V3 pool of a seeded synthetic market
(V3 pools with several positions, so swaps cross ticks and run out of liquidity), both directions,
amounts from 1 wei to past the pool's depth. `V3Hop.local_quote` is `local` and the quote from one walk,
and the search's route runner (and the reported per-hop amounts) are the hop-by-hop quote."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from mevcli.arbitrage.sizing import (
    INFEASIBLE,
    QUOTE_ERRORS,
    V2Hop,
    V3Hop,
    _output_upper,
    _run,
    exact_hop,
    hop_trail,
    route_output,
)
from mevcli.dex.pools import pool_tokens, quote

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import bench_scan


def _outcome(fn, *args):
    """fn's value, or the family of what it raises (quoters may raise a different member of it)."""
    try:
        return fn(*args)
    except QUOTE_ERRORS:
        return "refused"


def _amounts(rng: random.Random) -> list[int]:
    amounts = [1, 999] + [10**e for e in range(4, 29, 3)]
    return amounts + [rng.randrange(1, 10 ** rng.randint(2, 28)) for _ in range(10)]


def _random_route(rng: random.Random, states: list) -> list[tuple]:
    """Three random pools chained token to token where they share one: (state, token in, token out)."""
    route, token = [], None
    for state in rng.sample(states, 3):
        tokens = pool_tokens(state)
        token_in = token if token in tokens else tokens[0]
        token_out = tokens[1] if token_in == tokens[0] else tokens[0]
        route.append((state, token_in, token_out))
        token = token_out
    return route


@pytest.fixture(scope="module")
def market():
    return bench_scan.build_market(300, 5)


def test_quoters_give_quote_integers(market):
    rng = random.Random(11)
    v2 = v3 = crossed = refused = 0
    for state in list(market.states.values())[:80]:
        token0, token1 = pool_tokens(state)
        for token_in, token_out in ((token0, token1), (token1, token0)):
            hop = exact_hop(state, token_in, token_out)
            v2 += isinstance(hop, V2Hop)
            v3 += isinstance(hop, V3Hop)
            for amount in _amounts(rng):
                expected = _outcome(quote, state, token_in, amount, token_out)
                assert _outcome(hop, amount) == expected, (state.address, token_in, amount)
                refused += expected == "refused"
                if isinstance(hop, V3Hop):
                    both = _outcome(hop.local_quote, amount)
                    local = hop.local(amount)
                    if local is None:
                        assert both is None
                        continue
                    assert both == ("refused" if expected == "refused" else (local, expected))
                    crossed += local[4] > 0  # the amount ends past the first step
    assert v2 > 50 and v3 > 50 and crossed > 30 and refused > 100


def test_route_runner_is_the_hop_by_hop_quote(market):
    rng = random.Random(3)
    states = list(market.states.values())
    trails = 0
    for _ in range(60):
        route = _random_route(rng, states)
        hops = [exact_hop(*hop) for hop in route]
        for amount in _amounts(rng)[:12]:
            expected = amount
            try:
                for state, token_in, token_out in route:
                    expected = quote(state, token_in, expected, token_out)
                    if expected == 0:
                        break
            except QUOTE_ERRORS:
                expected = INFEASIBLE
            assert _run(hops, amount) == expected
            if expected > 0:
                trails += 1
                assert hop_trail(hops, amount, expected) == route_output(hops, amount)[1]
    assert trails > 100


def test_upper_bounds_never_fall_below_the_quote(market):
    """`V3Hop.upper_bound` (and the route's `_output_upper`, which lets sizing skip exact evaluations that
    cannot win) is at or above the exact quote for every amount it answers, inside the first step and past
    crossed ticks, and close to it (a few wei, or a part in 10^12)."""
    rng = random.Random(7)
    answered = crossed = tight = 0
    for state in list(market.states.values())[:120]:
        token0, token1 = pool_tokens(state)
        for token_in, token_out in ((token0, token1), (token1, token0)):
            hop = exact_hop(state, token_in, token_out)
            if not isinstance(hop, V3Hop):
                continue
            for amount in _amounts(rng) + [rng.randrange(1, 10**24) for _ in range(20)]:
                bound = hop.upper_bound(amount)
                exact = _outcome(hop, amount)
                if bound is None:
                    continue
                assert exact != "refused", (state.address, token_in, amount)
                assert bound >= exact, (state.address, token_in, amount)
                a, b, c, end = hop.first_step_upper()
                if amount < end:
                    assert a * amount // (b + c * amount) >= bound
                answered += 1
                tight += bound - exact <= 2 + exact // 10**12
                local = hop.local(amount)
                crossed += local is not None and local[4] > 0
    assert answered > 500 and crossed > 50 and tight > answered * 0.9

    states = list(market.states.values())
    routes = 0
    for _ in range(200):
        route = [exact_hop(*hop) for hop in _random_route(rng, states)]
        for amount in _amounts(rng):
            bound = _output_upper(route, amount)
            if bound is not None:
                routes += 1
                assert bound >= _run(route, amount)
    assert routes > 300
