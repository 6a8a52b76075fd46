"""A V3 hop that has answered before (its kept steps, the step past the first its last walk ended in, its
pieces) answers every later call as a fresh hop does and, for quotes, as the pool's own swap loop does:
seeded pools with liquidity from 1 to ~2^127 over ranges with empty gaps between them, prices and ranges
at MIN/MAX_TICK, fees 0 to 999_999 pips, both directions; amounts around every step's ends, past the
last liquidity, at the full-swap threshold and below 1; calls in random orders and in scripted ones (a
large amount, then one inside the kept step, one just past its end, a tiny one in the first step)."""

from __future__ import annotations

import contextlib
import random
from itertools import pairwise

from mevcli.dex.uniswap_v3.state import V3PoolState
from mevcli.dex.uniswap_v3.steps import _LARGE, PIPS, QUOTE_ERRORS, V3Hop
from mevcli.dex.uniswap_v3.swap import quote_exact_input
from mevcli.dex.uniswap_v3.tick_bitmap import compress, flip_tick, position
from mevcli.dex.uniswap_v3.tick_math import MAX_SQRT_RATIO, MAX_TICK, MIN_SQRT_RATIO, MIN_TICK
from mevcli.dex.uniswap_v3.tick_math import get_sqrt_ratio_at_tick as sqrt_at
from mevcli.dex.uniswap_v3.tick_math import get_tick_at_sqrt_ratio as tick_at

_MAX_LIQUIDITY = 2**128 - 1
POOLS, STEPS, RANDOM_CALLS = 36, 8, 80  # per direction: scripted orders for up to STEPS steps
_OPS = ("call", "local_quote", "local_only", "local", "upper_bound", "first_step_upper")


def _outcome(fn, *args):
    """fn's value, or "refused" for what a quote raises (a fresh hop may raise another of the family)."""
    try:
        return fn(*args)
    except QUOTE_ERRORS:
        return "refused"


def _ask(hop: V3Hop, op: str, amount: int):
    if op == "call":
        return _outcome(hop, amount)
    if op == "local_quote":
        return _outcome(hop.local_quote, amount)
    if op == "local_only":
        return _outcome(hop.local_quote, amount, False)
    if op == "local":
        return _outcome(hop.local, amount)
    if op == "upper_bound":
        return _outcome(hop.upper_bound, amount)
    if not hop._steps and hop._end is None:
        hop._extend()  # its first step known (None before, by design)
    return hop.first_step_upper()


_EDGES = (MIN_SQRT_RATIO, MIN_SQRT_RATIO + 1, MIN_SQRT_RATIO + 2, MAX_SQRT_RATIO - 1, MAX_SQRT_RATIO - 2)


def _state(rng: random.Random, sqrt: int | None = None) -> V3PoolState:
    """A pool built by hand (ticks, bitmap and liquidity from 1-7 positions, not capped per tick, so the
    active liquidity reaches ~2^127): ranges often apart (empty gaps the swap crosses), at MIN/MAX_TICK,
    the price at a tick, a unit below the next, random, or at the price range's ends (or `sqrt`); some
    with only a few bitmap words loaded."""
    fee = rng.choice([0, 0, 1, 100, 500, 3000, 10_000, 999_999, 999_000, rng.randrange(PIPS)])
    spacing = rng.choice([1, 10, 60, 200, 16_384])
    lowest, highest = -(MAX_TICK // spacing) * spacing, MAX_TICK // spacing * spacing
    where = rng.random()
    if where < 0.2:
        tick = rng.choice([lowest + rng.randrange(3 * spacing), highest - rng.randrange(1, 3 * spacing)])
    elif where < 0.3:
        tick = rng.choice([MIN_TICK, MAX_TICK - 1])
    else:
        tick = rng.randrange(lowest, highest) if where < 0.5 else rng.randrange(-200_000, 200_000)
    low, high = sqrt_at(tick), sqrt_at(min(tick + 1, MAX_TICK))
    if sqrt is None:
        where = rng.random()
        sqrt = low if where < 0.3 else high - 1 if where < 0.45 else rng.randrange(low, max(high, low + 1))
        sqrt = min(max(sqrt, MIN_SQRT_RATIO), MAX_SQRT_RATIO - 1)
    tick = tick_at(sqrt)
    base = tick // spacing * spacing
    net: dict[int, int] = {}
    liquidity = 0
    for _ in range(rng.randint(1, 7)):
        width = rng.choice([1, 1, 2, 3, 20, 400, 50_000])
        lower = max(base + spacing * rng.randint(-2 * width, 2 * width), lowest)
        far = spacing > 1 and rng.random() < 0.2  # (at spacing 1 the pool loop's walk there is slow)
        if far and rng.random() < 0.5:
            lower = lowest
        upper = min(lower + spacing * rng.randint(1, width + 1), highest)
        if far and rng.random() < 0.5:
            upper = highest
        amount = rng.choice([1, 2, rng.randrange(1, 1000), 10 ** rng.randint(3, 38), rng.randrange(1, 2**100),
                             2**127 - rng.randrange(1, 2**64), rng.randrange(2**120, 2**126)])  # fmt: skip
        covers = lower <= tick < upper
        if lower >= upper or (covers and liquidity + amount > _MAX_LIQUIDITY):
            continue
        if net.get(lower, 0) + amount >= 2**127 or net.get(upper, 0) - amount < -(2**127):
            continue
        net[lower] = net.get(lower, 0) + amount
        net[upper] = net.get(upper, 0) - amount
        liquidity += amount if covers else 0
    bitmap: dict[int, int] = {}
    for t in net:
        flip_tick(bitmap, t, spacing)
    words = None  # the whole bitmap, or a window of words around the price (past it: IncompletePoolState)
    if rng.random() < 0.15:
        word, reach = position(compress(tick, spacing))[0], rng.choice([0, 1, 3])
        words = (word - reach, word + reach)
        bitmap = {w: bits for w, bits in bitmap.items() if words[0] <= w <= words[1]}
    return V3PoolState(
        address="0xpool", token0="0xt0", token1="0xt1", fee=fee, tick_spacing=spacing, sqrt_price_x96=sqrt,
        tick=tick, liquidity=liquidity, ticks=net, bitmap=bitmap, word_range=words,
    )  # fmt: skip


def _amounts(state: V3PoolState, token_in: str, rng: random.Random) -> tuple[list[int], list[tuple], bool]:
    """Amounts around the ends of every step (up to 30) and past the last one; per step, (a point inside
    it, its last amount, the first amount of the next): the scripted orders; whether the steps skip a
    range without liquidity."""
    probe = V3Hop(state, token_in)
    with contextlib.suppress(*QUOTE_ERRORS):
        probe(_LARGE - 1)  # computes (and keeps) every step up to where the pool stops
    complement = PIPS - probe.fee
    amounts = [-1, 0, 1, 2, 3, 999, PIPS, PIPS + 1, _LARGE - 1, _LARGE, _LARGE + 1]
    amounts += [rng.randrange(1, 10 ** rng.randint(1, 60)) for _ in range(6)]
    steps, before = [], 0
    for _, _, _, reach, reached, _, _ in probe._steps[:30]:
        end = before - (-reach * PIPS // complement)  # the least amount that completes this step
        for short in range(min(reach, 3) + 1):  # the fee-less part 0-3 units short of the step's reach
            at = before - (-(reach - short) * PIPS // complement)
            amounts += [at - 1, at, at + 1]
        inside = before + rng.randrange(1, max(2, end - before))
        amounts += [inside, before + 1, end - 1]
        if isinstance(reached, Exception):
            break
        steps.append((inside, end - 1, before + reached[0] + 1))
        before += reached[0]
        amounts += [before - 1, before, before + 1, before + 2, 2 * before]
        amounts.append(before + rng.randrange(1, before + 2))
    amounts += [before * 2 + 1, before * 10**6]
    gap = any(step[1] != after[0] for step, after in pairwise(probe._steps))  # a range skipped between
    return [a for a in amounts if a < 2**256], steps, gap


def test_a_used_hop_answers_every_call_order_as_a_fresh_hop_and_the_pool_loop():
    rng = random.Random(20261206)
    asked = kept = refused = quoted = scripted = 0
    walked_past_first = hops = 0
    fee_set, spacings, directions = set(), set(), set()
    big = gaps = unusable = windowed = 0
    for k in range(POOLS):
        state = _state(rng, _EDGES[k] if k < len(_EDGES) else None)
        big += state.liquidity >= 2**120
        windowed += state.word_range is not None
        for token_in in (state.token0, state.token1):
            amounts, steps, gap = _amounts(state, token_in, rng)
            gaps += gap
            hop, probe = V3Hop(state, token_in), V3Hop(state, token_in)
            unusable += not hop.usable
            orders = []
            for inside, last, past in steps[1:STEPS]:
                orders += [("call", 2**199), ("call", inside), ("call", last), ("call", past), ("call", 1),
                           ("upper_bound", inside), ("call", inside), ("local_quote", last),
                           ("call", past + 1), ("local", inside), ("call", inside - 1)]  # fmt: skip
                scripted += 1
            orders += [(rng.choice(_OPS), rng.choice(amounts)) for _ in range(RANDOM_CALLS)]
            fresh: dict[tuple[str, int], object] = {}  # a fresh hop's answers (the same every time)
            for op, amount in orders:
                near = hop._near
                kept += near is not None and near[0] < amount < near[1]
                got = _ask(hop, op, amount)
                if (op, amount) not in fresh:
                    fresh[op, amount] = _ask(V3Hop(state, token_in), op, amount)
                assert got == fresh[op, amount], (state, token_in, op, amount)
                if op == "call":
                    if ("pool loop", amount) not in fresh:
                        fresh["pool loop", amount] = _outcome(quote_exact_input, state, token_in, amount)
                    expected = fresh["pool loop", amount]
                    assert got == expected, (state, token_in, amount)
                    refused += expected == "refused"
                    quoted += expected != "refused"
                asked += 1
                located = probe._locate(amount)
                walked_past_first += located is not None and located[0] > 0
            fee_set.add(state.fee)
            spacings.add(state.tick_spacing)
            directions.add(hop.zero_for_one)
            hops += 1
    assert asked > 6_000 and kept > 700 and quoted > 1_200 and refused > 400 and scripted > 100
    assert (
        walked_past_first > 2_000
        and big > 4
        and gaps > 6
        and unusable > 0
        and windowed > 2
        and len(directions) == 2
    )
    assert {0, 1, 999_999, 3000} <= fee_set and {1, 16_384} <= spacings
