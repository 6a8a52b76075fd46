"""The sizing's exact quoters give `quote`'s integers: every V2 and V3 pool of a seeded synthetic market
(V3 pools with several positions, so swaps cross ticks and run out of liquidity), both directions,
amounts from 1 wei to past the pool's depth. `V3Hop.local_quote` is `local` and the quote from one walk,
and the search's route runner (and the reported per-hop amounts) are the hop-by-hop quote."""

from __future__ import annotations

import contextlib
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
from mevcli.dex.uniswap_v3.state import V3PoolState
from mevcli.dex.uniswap_v3.steps import PIPS, Q96
from mevcli.dex.uniswap_v3.swap import quote_exact_input
from mevcli.dex.uniswap_v3.tick_math import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
)

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


_SPACINGS = {100: 1, 500: 10, 2500: 50, 3000: 60, 10000: 200}


def _adversarial_v3_state(rng: random.Random) -> V3PoolState:
    """A V3 pool built to stress the bounds: every fee tier (and odd fees up to 99.9999%), a price at a
    tick's boundary, a unit below the next, or near MIN/MAX_TICK, and 1-6 positions of liquidity from
    1 to ~2^100 over ranges of one tick spacing to the full range (often not covering the price)."""
    fee = rng.choice([*_SPACINGS, 0, 1, 999_999, rng.randrange(1, PIPS)])
    spacing = _SPACINGS.get(fee) or rng.choice([1, 10, 60, 200])
    lowest, highest = -(MAX_TICK // spacing) * spacing, MAX_TICK // spacing * spacing
    where = rng.random()
    if where < 0.15:
        tick = rng.choice([lowest + rng.randrange(3 * spacing), highest - rng.randrange(1, 3 * spacing)])
    else:
        tick = rng.randrange(lowest, highest) if where < 0.4 else rng.randrange(-300_000, 300_000)
    low, high = get_sqrt_ratio_at_tick(tick), get_sqrt_ratio_at_tick(min(tick + 1, MAX_TICK))
    where = rng.random()
    sqrt = low if where < 0.3 else high - 1 if where < 0.45 else rng.randrange(low, max(high, low + 1))
    sqrt = min(max(sqrt, MIN_SQRT_RATIO), MAX_SQRT_RATIO - 1)
    state = V3PoolState(
        address="0xpool", token0="0xt0", token1="0xt1", fee=fee, tick_spacing=spacing,
        sqrt_price_x96=sqrt, tick=get_tick_at_sqrt_ratio(sqrt), liquidity=0, ticks={}, bitmap={},
    )  # fmt: skip
    base = state.tick // spacing * spacing
    for _ in range(rng.randint(1, 6)):
        width = rng.choice([1, 1, 2, 5, 50, 1000, 30_000])
        lower = max(base + spacing * rng.randint(-width, width), lowest)
        upper = min(lower + spacing * rng.randint(1, width + 1), highest)
        thin, wide = rng.randrange(1, 1000), rng.randrange(1, 2**100)
        liquidity = rng.choice([1, thin, 10 ** rng.randint(3, 38) // rng.randint(1, 9), wide])
        if lower < upper:
            with contextlib.suppress(ArithmeticError, ValueError):  # past the per-tick maximum
                state = state.with_liquidity_change(lower, upper, liquidity, 0)
    return state


def _step_end_amounts(hop: V3Hop, rng: random.Random) -> list[int]:
    """Amounts that end exactly at, a unit below and a unit above each of the first steps' ends, and where
    the step's fee-less part is 0-3 units short of its `reach`; plus tiny and random ones."""
    amounts = [1, 2, 3, 999, PIPS, PIPS + 1] + [rng.randrange(1, 10 ** rng.randint(1, 40)) for _ in range(4)]
    complement, before = PIPS - hop.fee, 0
    for i in range(6):
        while len(hop._steps) <= i and hop._end is None and hop.usable:
            hop._extend()
        if len(hop._steps) <= i:
            break
        reach, reached = hop._steps[i][3:5]
        if complement:
            for short in range(min(reach, 3) + 1):
                at = -(-(reach - short) * PIPS // complement)
                amounts += [before + at - 1, before + at, before + at + 1]
        amounts.append(before + rng.randrange(1, 2 * reach + 2))
        if isinstance(reached, Exception):
            break
        before += reached[0]
        amounts += [before - 1, before, before + 1, before + 2]
    return [a for a in amounts if a > 0]


def _reference(state: V3PoolState, token_in: str, amount: int) -> int | str:
    """The pool's own swap loop (not `V3Hop`): its output, or "refused"."""
    return _outcome(quote_exact_input, state, token_in, amount)


def test_upper_bounds_hold_at_step_ends_of_adversarial_pools():
    """`V3Hop.upper_bound` (and the first step's V2-like form) is never below the pool loop's exact quote,
    and `V3Hop(amount)` is that quote, for amounts at, around and a few units short of the step ends of
    seeded random pools (see `_adversarial_v3_state`), both directions; and 2-4-hop routes of such pools
    and V2 pairs: `_output_upper` at or above the hop-by-hop quote, for amounts that put some later hop's
    input on its own step ends."""
    rng = random.Random(2024)
    hops, answered, crossed = [], 0, 0
    fees, directions = set(), set()
    for _ in range(260):
        state = _adversarial_v3_state(rng)
        for token_in in (state.token0, state.token1):
            hop = V3Hop(state, token_in)
            hops.append(hop)
            for amount in _step_end_amounts(hop, rng):
                bound = hop.upper_bound(amount)
                if bound is None:  # past the steps or the limit (the full swap's path): no bound
                    continue
                exact = _reference(state, token_in, amount)
                assert _outcome(hop, amount) == exact, (state, token_in, amount)
                assert exact != "refused" and bound >= exact, (state, token_in, amount, bound)
                first = hop.first_step_upper()
                if first is not None and amount < first[3]:
                    assert first[0] * amount // (first[1] + first[2] * amount) >= bound
                answered += 1
                crossed += hop._locate(amount)[0] > 0
                fees.add(state.fee)
                directions.add(hop.zero_for_one)
    assert answered > 15_000 and crossed > 3_000 and {100, 500, 3000, 10_000} <= fees and len(directions) == 2

    routes = 0
    for _ in range(400):
        route = [
            rng.choice(hops) if rng.random() < 0.75 else V2Hop(rng.randrange(1, 10**30) * PIPS,
            rng.randrange(1, 10**30), PIPS - rng.choice([0, 3000, 10_000]))
            for _ in range(rng.randint(2, 4))
        ]  # fmt: skip
        for amount in _route_step_end_amounts(route, rng):
            bound = _output_upper(route, amount)
            if bound is not None:
                exact = _run(route, amount)
                assert bound >= exact, (route, amount)
                routes += exact != INFEASIBLE
    assert routes > 1_000


def _route_step_end_amounts(route: list, rng: random.Random) -> list[int]:
    """Route inputs that put a later V3 hop's input at its step-end amounts (`_step_end_amounts`): the
    least input whose exact output through the hops before it reaches that amount, and its neighbours."""
    amounts = [rng.randrange(1, 10 ** rng.randint(1, 30)) for _ in range(3)]
    k = rng.randrange(1, len(route))
    if not isinstance(route[k], V3Hop):
        return amounts
    for wanted in rng.sample(_step_end_amounts(route[k], rng), 4):
        low, high = 1, 2**190  # below the quoters' full-swap path; a refusal counts as paying enough
        if not 0 <= _run(route[:k], high) < wanted:
            while low < high:  # each hop's output never falls as its input grows
                middle = (low + high) // 2
                paid = _run(route[:k], middle)
                low, high = (low, middle) if paid >= wanted or paid == INFEASIBLE else (middle + 1, high)
            amounts += [a for a in (low - 1, low, low + 1) if a > 0]
    return amounts


def test_upper_bound_through_a_thin_range_at_a_low_price():
    """A step whose range holds so little liquidity that its floored in-reserve is 0, entered with an
    amount whose fee-less part there is 0: the bound is what the step pays (nothing), not a division by
    zero (which `_output_upper` would raise out of the scan)."""
    sqrt = Q96 >> 40  # a price of 2^-80: token1's virtual reserve is liquidity / 2^40
    state = V3PoolState(
        address="0xpool", token0="0xt0", token1="0xt1", fee=10_000, tick_spacing=200,
        sqrt_price_x96=sqrt, tick=get_tick_at_sqrt_ratio(sqrt), liquidity=0, ticks={}, bitmap={},
    )  # fmt: skip
    boundary = (state.tick // 200 + 1) * 200
    state = state.with_liquidity_change(boundary - 2000, boundary, 10**30, 0)
    state = state.with_liquidity_change(boundary, boundary + 40_000, 2**39, 0)
    hop = V3Hop(state, state.token1)
    amount = _step_end_amounts(hop, random.Random(1)) and hop._steps[0][4][0] + 1  # 1 past the first step
    sqrt_next, _, liquidity, reach = hop._steps[1][:4]
    assert hop._upper_reserves(sqrt_next, liquidity)[0] == 0 and reach >= 2  # what this case is about
    exact = quote_exact_input(state, state.token1, amount)
    assert hop.upper_bound(amount) == exact == _output_upper([hop], amount)


def test_a_reused_hop_answers_near_its_last_step_as_a_fresh_one():
    """A V3 hop keeps the step past the first one that its last walk ended in (`_near`) and answers amounts
    inside it without the walk. On one hop, amounts on both sides of every step's ends in random order (so
    the kept step keeps changing and is often right next to the amount): each quote, `local_quote` and
    `upper_bound` is what a fresh hop (no step kept) gives, and the quote is the pool loop's."""
    rng = random.Random(77)
    answered = kept = 0
    for _ in range(40):
        state = _adversarial_v3_state(rng)
        for token_in in (state.token0, state.token1):
            hop = V3Hop(state, token_in)
            amounts = _step_end_amounts(V3Hop(state, token_in), rng) * 2
            rng.shuffle(amounts)
            for amount in amounts:
                near = hop._near
                kept += near is not None and near[0] < amount < near[1]
                expected = _reference(state, token_in, amount)
                assert _outcome(hop, amount) == expected, (state, token_in, amount)
                fresh = V3Hop(state, token_in)
                assert _outcome(hop.local_quote, amount) == _outcome(fresh.local_quote, amount)
                assert hop.upper_bound(amount) == V3Hop(state, token_in).upper_bound(amount)
                answered += expected != "refused"
    assert answered > 2_000 and kept > 500
