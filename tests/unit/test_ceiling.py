"""The concentrated-liquidity ceiling (`dex/uniswap_v3/ceiling.py`, `upper_mobius` of V3 and V4) against the
exact quoters on random pools: a·y // (b + c·y) must be at least what the pool pays for every input y.

The pools are minted position by position (`with_liquidity_change`, the contract's Tick.update rules), with
ranges above and below the price holding more liquidity than the current one (what the ceiling exists
for), empty gaps, negative ticks, prices exactly on an initialized tick (and V3's tick − 1 after a swap
that stopped there), partly loaded bitmaps, a set bit without its liquidityNet, any fee, V4 protocol fees.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from mevcli.dex.kinds import kind_of
from mevcli.dex.pools import quote
from mevcli.dex.uniswap_v3.ceiling import liquidity_ceiling
from mevcli.dex.uniswap_v3.state import V3PoolState
from mevcli.dex.uniswap_v3.steps import PIPS, Q96
from mevcli.dex.uniswap_v3.swap import quote_exact_input as v3_quote_exact_input
from mevcli.dex.uniswap_v3.tick_bitmap import compress, position
from mevcli.dex.uniswap_v3.tick_math import MAX_TICK, MIN_TICK, get_sqrt_ratio_at_tick
from mevcli.dex.uniswap_v4.fees import MAX_PROTOCOL_FEE
from mevcli.dex.uniswap_v4.state import V4PoolState
from mevcli.dex.uniswap_v4.swap import quote_exact_input as v4_quote_exact_input
from mevcli.errors import MevcliError

TOKEN0, TOKEN1 = "0x" + "00" * 19 + "a0", "0x" + "00" * 19 + "b1"
SPACINGS = (1, 10, 60, 200)
Position = tuple[int, int, int]  # (lower, upper, liquidity)


@dataclass
class Sweep:
    """What a sweep checked: (state, direction, amount) triples with an output, and the tightest bound."""

    pairs: int = 0
    paid: int = 0
    rising: int = 0  # directions whose ceiling lies above the current liquidity
    unbounded: int = 0  # directions with no ceiling (None)
    tightest: float = float("inf")
    shapes: set[str] = field(default_factory=set)


def _tick_and_price(
    rng: random.Random, boundaries: list[int], spacing: int, centre: int
) -> tuple[int, int, str]:
    """(tick, √P·2^96, shape): inside a tick, exactly on a position's boundary, or V3's boundary − 1 (the
    tick slot0 keeps after a zeroForOne swap that stopped on an initialized tick)."""
    roll = rng.random()
    if roll < 0.2:
        edge = rng.choice(boundaries)
        return edge, get_sqrt_ratio_at_tick(edge), "on an initialized tick"
    if roll < 0.3:
        edge = rng.choice(boundaries)
        return edge - 1, get_sqrt_ratio_at_tick(edge), "one below an initialized tick at its price"
    tick = min(max(centre + rng.randrange(-3 * spacing, 3 * spacing), MIN_TICK), MAX_TICK - 1)
    low, high = get_sqrt_ratio_at_tick(tick), get_sqrt_ratio_at_tick(tick + 1)
    return tick, rng.randrange(low, high), "inside a tick"


def _positions(rng: random.Random, spacing: int, centre: int) -> list[Position]:
    """A few ranges near `centre`; some above or below it hold far more liquidity than any around it."""
    base = compress(centre, spacing)
    # up to ~3 bitmap words either side at spacing 1, ~a word either side otherwise
    reach = rng.choice((4, 40, 300 if spacing == 1 else 260))
    ranges = []
    for _ in range(rng.randrange(1, 7)):
        lower = base + rng.randrange(-reach, reach)
        upper = lower + rng.randrange(1, max(2, reach // 2))
        ranges.append((lower, upper, 10 ** rng.randrange(3, 26) * rng.randrange(1, 100)))
    if rng.random() < 0.6:  # a deep range away from the price, on one side or the other
        gap = rng.randrange(1, reach + 2)
        width = rng.randrange(1, reach + 2)
        lower = base + gap if rng.random() < 0.5 else base - gap - width
        deepest = max(liquidity for _, _, liquidity in ranges)
        ranges.append((lower, lower + width, deepest * rng.randrange(2, 1000)))
    end = MAX_TICK // spacing  # the positions' ticks stay within the tick range
    ranges = [(max(lower, -end), min(upper, end), liquidity) for lower, upper, liquidity in ranges]
    kept = [(low * spacing, high * spacing, liquidity) for low, high, liquidity in ranges if low < high]
    return kept or [((end - 1) * spacing, end * spacing, 10**18)]


def _pool(rng: random.Random, v4: bool) -> tuple[Any, list[Position], str]:
    """A random V3 or V4 state with its minted positions and a description of its price."""
    spacing = rng.choice(SPACINGS)
    # mostly ordinary prices; some near either end of the tick range, where the reserves round most
    edge = MAX_TICK - 2000
    centre = rng.choice((rng.randrange(-60_000, 60_000), rng.randrange(-edge, edge), -edge, edge))
    positions = _positions(rng, spacing, centre)
    boundaries = sorted({t for lower, upper, _ in positions for t in (lower, upper)})
    tick, sqrt_price, shape = _tick_and_price(rng, boundaries, spacing, centre)
    tick = min(max(tick, MIN_TICK), MAX_TICK - 1)
    common: dict[str, Any] = {
        "tick_spacing": spacing,
        "sqrt_price_x96": sqrt_price,
        "tick": tick,
        "liquidity": 0,
        "ticks": {},
        "bitmap": {},
    }
    fee = rng.choice((0, 1, 100, 500, 3000, 10_000, 100_000, 999_999, rng.randrange(PIPS)))
    if v4:
        protocol = 0
        if rng.random() < 0.5:
            protocol = rng.randrange(MAX_PROTOCOL_FEE + 1) | rng.randrange(MAX_PROTOCOL_FEE + 1) << 12
        state: Any = V4PoolState(
            pool_id="0x" + "11" * 32,
            pool_manager="0x" + "22" * 20,
            currency0=TOKEN0,
            currency1=TOKEN1,
            fee=fee,
            lp_fee=PIPS if rng.random() < 0.03 else fee,
            protocol_fee=protocol,
            **common,
        )
    else:
        state = V3PoolState(address="0xpool", token0=TOKEN0, token1=TOKEN1, fee=fee, **common)
    for lower, upper, liquidity in positions:
        state = state.with_liquidity_change(lower, upper, liquidity, block=1)
    return state, positions, shape


def _partly_loaded(rng: random.Random, state: Any) -> tuple[Any, str]:
    """The state as a reader may hold it: some bitmap words not loaded, or a set bit without its net."""
    roll = rng.random()
    if roll < 0.25 and state.bitmap:
        here = position(compress(state.tick, state.tick_spacing))[0]
        low, high = here - rng.randrange(0, 2), here + rng.randrange(0, 2)
        words = {w: bits for w, bits in state.bitmap.items() if low <= w <= high}
        return replace(state, bitmap=words, word_range=(low, high)), "words loaded around the price"
    if roll < 0.35 and state.ticks:
        missing = rng.choice(sorted(state.ticks))
        ticks = {t: net for t, net in state.ticks.items() if t != missing}
        return replace(state, ticks=ticks), "a set bit without liquidityNet"
    return state, "complete bitmap"


def _amounts(rng: random.Random, count: int) -> list[int]:
    """1 up to far past any pool's liquidity, ascending: each power of ten's neighbourhood and random ones."""
    amounts = [1, 2, 3, 7, 10**77]
    for exponent in range(1, 41):
        amounts.append(10**exponent)
        amounts.append(rng.randrange(10 ** (exponent - 1), 10**exponent) + 1)
    amounts.extend(rng.randrange(1, 10 ** rng.randrange(2, 40)) for _ in range(max(0, count - len(amounts))))
    return sorted(amounts)


def _outputs(state: Any, token_in: str, amount: int) -> tuple[bool, list[int]]:
    """Whether the pool fills `amount`, and its exact outputs: the kind's quote and its sizing quoter
    (`exact_hop`), none where they raise; the pool loop's partial fill of what it can take."""
    partial: Callable[..., int] = (
        v4_quote_exact_input if isinstance(state, V4PoolState) else v3_quote_exact_input
    )
    outs = []
    with suppress(MevcliError):
        outs.append(quote(state, token_in, amount))
    filled = bool(outs)
    with suppress(MevcliError):
        outs.append(partial(state, token_in, amount, allow_partial=True))
    hop = kind_of(state).exact_hop(state, token_in, TOKEN1 if token_in == TOKEN0 else TOKEN0)
    if hop is not None:
        with suppress(MevcliError):
            outs.append(hop(amount))
    return filled, outs


def _active(positions: list[Position], tick: int) -> int:
    return sum(liquidity for lower, upper, liquidity in positions if lower <= tick < upper)


def _reference_ceiling(positions: list[Position], tick: int, zero_for_one: bool) -> int:
    """The highest liquidity of any tick the swap can reach on a complete bitmap, from the positions alone."""
    edges = {t for lower, upper, _ in positions for t in (lower, upper)}
    candidates = {tick} | {t for e in edges for t in (e - 1, e)}
    reach = [t for t in candidates if (t <= tick if zero_for_one else t >= tick)]
    return max(_active(positions, t) for t in reach)


def _sweep(seed: int, pools: int, v4: bool) -> Sweep:
    rng = random.Random(seed)
    sweep = Sweep()
    for _ in range(pools):
        full, _, shape = _pool(rng, v4)
        state, loaded = _partly_loaded(rng, full)
        sweep.shapes.update((shape, loaded))
        for token_in in (TOKEN0, TOKEN1):
            zero_for_one = token_in == TOKEN0
            form = kind_of(state).upper_mobius(state, token_in)
            if form is None:  # only where the input reserve floors to nothing (a price near a tick end)
                highest, sqrt = liquidity_ceiling(state, zero_for_one), state.sqrt_price_x96
                assert (highest * Q96 // sqrt if zero_for_one else highest * sqrt // Q96) == 0, state
                sweep.unbounded += 1
                continue
            a, b, c = form
            if liquidity_ceiling(state, zero_for_one) > state.liquidity:
                sweep.rising += 1
            past = 0  # amounts the pool could not fill: past the first two, each pays what they did
            for amount in _amounts(rng, 90):
                if past >= 2:
                    break
                bound = a * amount // (b + c * amount)
                filled, outs = _outputs(state, token_in, amount)
                past += not filled
                for out in outs:
                    sweep.pairs += 1
                    assert out <= bound, (
                        f"seed {seed}: {shape}, {loaded}: {out} out of {amount} above the ceiling {bound}",
                        state,
                        token_in,
                    )
                    if out > 0:
                        sweep.paid += 1
                        sweep.tightest = min(sweep.tightest, bound / out)
    return sweep


@pytest.mark.parametrize("v4", [False, True], ids=["v3", "v4"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_ceiling_is_above_every_exact_output(seed: int, v4: bool) -> None:
    sweep = _sweep(seed * 1000 + v4, pools=150, v4=v4)
    # the sweep must reach the cases it is for, not only trivial ones
    assert sweep.paid > 2000, sweep
    assert sweep.rising > 10, sweep
    prices = {"on an initialized tick", "one below an initialized tick at its price"}
    loads = {"words loaded around the price", "a set bit without liquidityNet"}
    assert prices | loads <= sweep.shapes, sweep.shapes
    assert sweep.tightest >= 1


@pytest.mark.parametrize("v4", [False, True], ids=["v3", "v4"])
def test_liquidity_ceiling_is_the_highest_reachable_liquidity(v4: bool) -> None:
    """On complete bitmaps the ceiling is exactly the highest liquidity of the ticks the swap can reach,
    worked out from the positions, not from the bitmap."""
    rng = random.Random(77 + v4)
    for _ in range(300):
        state, positions, shape = _pool(rng, v4)
        assert state.liquidity == _active(positions, state.tick), shape
        for zero_for_one in (True, False):
            expected = _reference_ceiling(positions, state.tick, zero_for_one)
            found = liquidity_ceiling(state, zero_for_one)
            assert found == expected, (shape, positions, state.tick, zero_for_one)


@pytest.mark.parametrize("v4", [False, True], ids=["v3", "v4"])
def test_ceiling_is_the_current_range_where_liquidity_does_not_rise(v4: bool) -> None:
    """Where no reachable tick raises the liquidity the ceiling is the current range's own map (`mobius`),
    to the rounding unit of its reserves: no looser than the marginal map the finder already uses."""
    rng = random.Random(5 + v4)
    flat = 0
    for _ in range(400):
        state, positions, _ = _pool(rng, v4)
        kind = kind_of(state)
        for token_in in (TOKEN0, TOKEN1):
            zero_for_one = token_in == TOKEN0
            highest = _reference_ceiling(positions, state.tick, zero_for_one)
            if state.liquidity == 0 or highest > state.liquidity:
                continue
            flat += 1
            upper, marginal = kind.upper_mobius(state, token_in), kind.mobius(state, token_in)
            assert marginal is not None
            if upper is None:  # the input reserve floors to 0: no map at all, as the sweep checks
                assert marginal[1] == 0
                continue
            (a, b, c), (a0, b0, c0) = upper, marginal
            assert (b, c) == (b0, c0)
            gamma = c
            assert a0 <= a <= a0 + gamma, (upper, marginal)  # the output reserve rounded up, not down
    assert flat > 100, flat


def test_ceiling_without_liquidity_or_price() -> None:
    """No liquidity anywhere ahead: every quote pays 0 or raises, and the map is 0; no price: no map."""
    rng = random.Random(9)
    state, _, _ = _pool(rng, v4=False)
    empty = replace(state, liquidity=0, ticks={}, bitmap={})
    for token_in in (TOKEN0, TOKEN1):
        assert kind_of(empty).upper_mobius(empty, token_in) == (0, 1, 0)
        for amount in (1, 10**6, 10**30):
            assert all(out == 0 for out in _outputs(empty, token_in, amount)[1])
    assert kind_of(state).upper_mobius(replace(state, sqrt_price_x96=0), TOKEN0) is None
