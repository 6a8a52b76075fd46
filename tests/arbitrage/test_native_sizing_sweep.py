"""A seeded differential sweep of the native sizing kernel (mevcli/native/kernel.c) against the Python
`sizing.size_route`, on routes built to be awkward rather than typical: V3 pools of thin, narrow positions
or of hundreds of rungs (the optimum crosses many ticks), single positions whose range runs out and
ranges out to MIN_TICK / MAX_TICK at a price near either end (the pool refuses, or the swap reaches its
price limit: the kernel hands the route back), only one bitmap word loaded, prices on a tick, either swap
direction, every fee tier and odd fees; V2 pairs from a few wei to near 2^112; 6/8/18-decimal tokens;
2-4 hops (V4 pools among them: the route is Python's); V2 values past the bigint width (2-8 hops); fee-free,
Aave (half up) and rounded-up lenders, with little available (the search clipped at `upper`, upper = 1).

For each: the same result (amount, output) and the same `RouteOutputs.trail`, whichever of the kernel or
Python sized it; the kernel hands back only routes where Python met a refusal of the pool, and sizes the
rest; its answers do not depend on what its hops (their `_native` and lazily computed `_steps`) were
asked before; many calls leave no memory behind; an exception from a hop reaches the caller.
"""

from __future__ import annotations

import contextlib
import gc
import math
import random
from dataclasses import dataclass
from itertools import count

import pytest

from mevcli.arbitrage import sizing
from mevcli.arbitrage.flash import AAVE_V3, BALANCER, UNISWAP_V3, FlashSource
from mevcli.arbitrage.sizing import RouteOutputs, compose_hops, exact_hop, mobius_hop, size_route
from mevcli.dex.uniswap_v2.hop import V2Hop
from mevcli.dex.uniswap_v2.state import V2PairState
from mevcli.dex.uniswap_v3.state import V3PoolState, tick_spacing_to_max_liquidity_per_tick
from mevcli.dex.uniswap_v3.steps import PIPS, V3Hop
from mevcli.dex.uniswap_v3.tick_bitmap import compress, flip_tick, position
from mevcli.dex.uniswap_v3.tick_math import MAX_SQRT_RATIO, MAX_TICK, MIN_SQRT_RATIO, MIN_TICK
from mevcli.dex.uniswap_v3.tick_math import get_sqrt_ratio_at_tick as sqrt_at
from mevcli.dex.uniswap_v3.tick_math import get_tick_at_sqrt_ratio as tick_at
from mevcli.dex.uniswap_v4.state import V4PoolState

KERNEL = sizing.kernel
pytestmark = pytest.mark.skipif(KERNEL is None, reason="mevcli.native._kernel is not built")

Q96 = 2**96
MAX_UINT112 = 2**112 - 1
SPACINGS = {100: 1, 500: 10, 3000: 60, 10_000: 200}
DECIMALS = (6, 8, 18)
_addresses = count(1)


def _address() -> str:
    return f"0x{next(_addresses):040x}"


@dataclass(frozen=True)
class Token:
    address: str
    unit: float  # value of one raw unit (10^-decimals of a whole token at its price)


def _tokens(rng: random.Random, n: int) -> list[Token]:
    return [Token(_address(), 10 ** rng.uniform(-3, 4) / 10 ** rng.choice(DECIMALS)) for _ in range(n)]


def _v2_pair(rng: random.Random, token_in: Token, token_out: Token, rate: float, depth: str) -> V2PairState:
    """A pair paying ~`rate` raw units of token_out per raw unit of token_in, `depth`: tiny (1-1000 wei),
    top (the larger reserve within a few percent of 2^112) or normal."""
    if depth == "tiny":
        reserve_in = rng.randint(1, 1000)
    elif depth == "top":
        reserve_in = int(MAX_UINT112 * rng.uniform(0.95, 1.0) / max(rate, 1.0))
    else:
        reserve_in = int(10 ** rng.uniform(6, 26))
    reserve_in = min(max(reserve_in, 1), MAX_UINT112)
    reserve_out = min(max(int(reserve_in * rate), 1), MAX_UINT112)
    reserves = {token_in.address: reserve_in, token_out.address: reserve_out}
    token0, token1 = sorted(reserves)
    return V2PairState(
        address=_address(),
        token0=token0,
        token1=token1,
        reserve0=reserves[token0],
        reserve1=reserves[token1],
        fee_pips=rng.choice((3000, 3000, 2500, 1000, 10_000, 0)),
    )


def _v3_pool(
    rng: random.Random, token_in: Token, token_out: Token, rate: float, shape: str, sqrt: int | None = None
) -> V3PoolState | None:
    """A V3 pool paying ~`rate` of token_out per token_in at its price (either token may be token0).

    shape: `thin` (many narrow positions, some gaps: the optimum crosses many ticks), `single` (one
    narrow position: a large enough trade runs out of liquidity), `huge` (liquidity near the per-tick
    maximum), `wide` (a few positions around the price) or `edge` (a range out to MIN_TICK and MAX_TICK:
    at a price near either end, the swap reaches its price limit; `edge-deep` with near the most
    liquidity a tick takes). `sqrt` in place of `rate`: the price.
    Some pools have loaded only the bitmap word of their price (a swap past it cannot be quoted)."""
    token0, token1 = sorted((token_in.address, token_out.address))
    if sqrt is None:
        price = rate if token0 == token_in.address else 1 / rate  # token1 per token0, raw
        sqrt = int(math.sqrt(price) * Q96)
        if not MIN_SQRT_RATIO * 4 < sqrt < MAX_SQRT_RATIO // 4:
            return None
    price = (sqrt / Q96) ** 2
    fee = rng.choice((100, 500, 3000, 10_000, 0, rng.randrange(PIPS)))
    spacing = SPACINGS.get(fee) or rng.choice((1, 10, 60, 200))
    if shape.startswith("edge"):
        spacing = 1  # a range from MIN_TICK to MAX_TICK
    low, high = -(-MIN_TICK // spacing) * spacing, MAX_TICK // spacing * spacing
    tick = tick_at(sqrt)
    if rng.random() < 0.2 and low <= tick // spacing * spacing:  # the price on a tick where ranges end
        tick = tick // spacing * spacing
        sqrt = sqrt_at(tick)
    base = tick // spacing * spacing
    # liquidity ~10^3..10^27 / √price (at a price given as `sqrt`, near either end: enough to quote)
    scale = 10 ** rng.uniform(3, 27) / math.sqrt(price) if rate else 10 ** rng.uniform(24, 32)
    liquidity = min(max(int(scale), 1), tick_spacing_to_max_liquidity_per_tick(spacing) // 64)
    if shape == "thin":
        positions = []
        for _ in range(rng.randint(6, 30)):
            lower = base + spacing * rng.randint(-40, 39)
            positions.append(
                (lower, lower + spacing * rng.randint(1, 4), max(int(liquidity * rng.uniform(0.05, 1)), 1))
            )
        positions.append((base, base + spacing, liquidity))  # the price inside some range
    elif shape == "single":
        width = rng.randint(1, 6)
        lower = base - spacing * rng.randint(0, width - 1)
        positions = [(lower, lower + spacing * width, liquidity)]
    elif shape == "huge":
        most = tick_spacing_to_max_liquidity_per_tick(spacing)
        positions = [(base - spacing * 20, base + spacing * 20, most - rng.randint(0, most // 4))]
    elif shape == "ladder":  # a rung every few spacings over hundreds of them: a trade crosses many
        step = rng.randint(1, 5)
        positions = [
            (
                base + spacing * i,
                base + spacing * (i + rng.randint(1, 3)),
                max(int(liquidity * rng.uniform(0.2, 2)), 1),
            )
            for i in range(-rng.randint(50, 600), rng.randint(50, 600), step)
        ]
        positions.append((base, base + spacing, liquidity))
    elif shape.startswith("edge"):
        if shape == "edge-deep":
            liquidity = tick_spacing_to_max_liquidity_per_tick(spacing) // 4
        positions = [(low, high, liquidity), (base - spacing, base + spacing, liquidity)]
    else:
        positions = [
            (base - spacing * w, base + spacing * w, max(int(liquidity * s), 1))
            for w, s in ((rng.randint(30, 300), 0.5), (rng.randint(3, 30), 0.3), (1, 0.2))
        ]
    net: dict[int, int] = {}  # the positions minted by hand (with_liquidity_change is slow for many)
    active = 0
    for lower, upper, amount in positions:
        lower, upper = max(lower, low), min(upper, high)
        if lower < upper:
            net[lower] = net.get(lower, 0) + amount
            net[upper] = net.get(upper, 0) - amount
            active += amount if lower <= tick < upper else 0
    bitmap: dict[int, int] = {}
    for initialized in net:
        flip_tick(bitmap, initialized, spacing)
    words = None
    if rng.random() < 0.1:  # only the bitmap word of the price loaded
        word = position(compress(tick, spacing))[0]
        words = (word, word)
        bitmap = {word: bitmap.get(word, 0)} if word in bitmap else {}
    if active == 0:
        return None
    return V3PoolState(
        address=_address(),
        token0=token0,
        token1=token1,
        fee=fee,
        tick_spacing=spacing,
        sqrt_price_x96=sqrt,
        tick=tick,
        liquidity=active,
        ticks=net,
        bitmap=bitmap,
        word_range=words,
    )


@dataclass
class Route:
    states: list  # one pool state per hop
    tokens: list[str]  # token_in of each hop (the last hop pays the first)

    def quoters(self) -> list:
        """Fresh quoters (no steps computed, nothing kept by the kernel)."""
        n = len(self.tokens)
        return [exact_hop(s, self.tokens[i], self.tokens[(i + 1) % n]) for i, s in enumerate(self.states)]

    def coefficients(self) -> tuple[int, int, int] | None:
        return compose_hops([mobius_hop(s, t) for s, t in zip(self.states, self.tokens, strict=True)])


def _route(rng: random.Random, hops: int, v3_share: float, edge: float) -> Route | None:
    """A cycle of `hops` pools whose rates multiply to ~1 + edge (before fees)."""
    tokens = _tokens(rng, hops)
    shifts = [rng.uniform(-0.05, 0.05) for _ in range(hops - 1)]
    shifts.append(math.log1p(edge) - sum(shifts))
    states = []
    for i, token_in in enumerate(tokens):
        token_out = tokens[(i + 1) % hops]
        rate = token_in.unit / token_out.unit * math.exp(shifts[i])
        if rng.random() < v3_share:
            kind = _v4_pool if rng.random() < 0.03 else _v3_pool  # a V4 pool: a route the kernel leaves
            state = kind(
                rng, token_in, token_out, rate, rng.choice(("thin", "thin", "single", "wide", "huge"))
            )
        else:
            state = _v2_pair(rng, token_in, token_out, rate, rng.choice(("tiny", "top", "normal", "normal")))
        if state is None:
            return None
        states.append(state)
    return Route(states, [t.address for t in tokens])


def _v4_pool(*args) -> V4PoolState | None:
    """`_v3_pool`'s pool in a V4 PoolManager (no hooks): its quoter is a V4Hop, which the kernel does not
    carry."""
    v3 = _v3_pool(*args)
    if v3 is None or v3.tick_spacing < 60:  # (past its liquidity a V4 quote walks every bitmap word)
        return None
    return V4PoolState(
        pool_id="0x" + v3.address[2:].rjust(64, "0"),
        pool_manager="0x" + "44" * 20,
        currency0=v3.token0,
        currency1=v3.token1,
        fee=v3.fee,
        tick_spacing=v3.tick_spacing,
        sqrt_price_x96=v3.sqrt_price_x96,
        tick=v3.tick,
        lp_fee=v3.fee,
        liquidity=v3.liquidity,
        ticks=v3.ticks,
        bitmap=v3.bitmap,
        word_range=v3.word_range,
    )


def _ladder_route(rng: random.Random) -> Route | None:
    """2-3 hops, one or two of them V3 pools of many narrow rungs, the others deep V2 pairs, the rates
    1-30% apart: the optimum crosses tens to hundreds of initialized ticks (and bitmap words)."""
    hops = rng.choice((2, 3))
    tokens = _tokens(rng, hops)
    edge = rng.choice((0.01, 0.05, 0.3))
    ladders = rng.sample(range(hops), rng.randint(1, hops - 1))
    states = []
    for i, token_in in enumerate(tokens):
        token_out = tokens[(i + 1) % hops]
        rate = token_in.unit / token_out.unit * (1 + edge if i == 0 else 1)
        if i in ladders:
            state = _v3_pool(rng, token_in, token_out, rate, "ladder")
        else:
            state = _v2_pair(rng, token_in, token_out, rate, "normal")
        if state is None:
            return None
        states.append(state)
    return Route(states, [t.address for t in tokens])


def _edge_route(rng: random.Random) -> Route | None:
    """Two V3 pools of one pair at a price near MIN_SQRT_RATIO or MAX_SQRT_RATIO: the route sells into a
    thin pool whose range runs out to MIN_TICK / MAX_TICK (its price heading for that end) and buys back
    from a deep pool priced a little nearer the end, so the optimum (fees included) lies past the price
    limit: the search reaches it (the kernel hands those back) or, with a smaller lender, stays short."""
    x, y = _tokens(rng, 2)  # x is token0
    near, far = sorted((rng.randint(1, 10**4), rng.randint(1, 10**6)))
    if rng.random() < 0.5:  # selling x (token0) lowers the thin pool's price towards MIN_SQRT_RATIO
        thin_sqrt, deep_sqrt = (
            MIN_SQRT_RATIO * (10**8 + far) // 10**8,
            MIN_SQRT_RATIO * (10**8 + near) // 10**8,
        )
        route_tokens = [x.address, y.address]
        thin, deep = (
            _v3_pool(rng, x, y, 0.0, "edge", thin_sqrt),
            _v3_pool(rng, y, x, 0.0, "edge-deep", deep_sqrt),
        )
    else:  # selling y (token1) raises it towards MAX_SQRT_RATIO
        thin_sqrt, deep_sqrt = (
            MAX_SQRT_RATIO * 10**8 // (10**8 + far),
            MAX_SQRT_RATIO * 10**8 // (10**8 + near),
        )
        route_tokens = [y.address, x.address]
        thin, deep = (
            _v3_pool(rng, y, x, 0.0, "edge", thin_sqrt),
            _v3_pool(rng, x, y, 0.0, "edge-deep", deep_sqrt),
        )
    if thin is None or deep is None:
        return None
    return Route([thin, deep], route_tokens)


def _lenders(rng: random.Random, token: str, optimum: int | None) -> list[FlashSource]:
    """Fee-free, half-up and rounded-up lenders; plenty available, a clipped search (below the optimum),
    a unit or two."""
    plenty = 2**160
    around = optimum or rng.randint(1, 10**20)
    uppers = [
        plenty,
        max(around // 3, 1),
        max(around // rng.randint(2, 10**6), 1),
        1,
        2,
        rng.randint(1, 2 * around),
    ]
    fees = [
        (BALANCER, 0, 1),
        (AAVE_V3, 5, 10_000),
        (AAVE_V3, rng.randint(1, 100), 10_000),
        (UNISWAP_V3, rng.choice((100, 500, 3000, 10_000)), PIPS),
        (UNISWAP_V3, 1, 3),
    ]
    return [
        FlashSource(kind, "0x" + "ee" * 20, token, upper, num, den)
        for kind, num, den in fees
        for upper in rng.sample(uppers, 2)
    ]


def _fee_of(source: FlashSource):
    return source.fee if source.fee_num else None


def _size(quoters, coefficients, source, kernel) -> tuple[tuple[int, int] | None, tuple | None]:
    """size_route with `kernel` (None: pure Python): its result and the trail it left."""
    saved = sizing.kernel
    sizing.kernel = kernel
    try:
        outputs = RouteOutputs()
        got = size_route(
            quoters,
            coefficients,
            _fee_of(source),
            source.available,
            outputs,
            (source.fee_num, source.fee_den),
        )
        return got, outputs.trail
    finally:
        sizing.kernel = saved


def _direct(quoters, coefficients, source):
    """The kernel's own answer: (amount, out, trail), None or NotImplemented."""
    if source.fee_num == 0:
        fee = (0, 0, 1)
    else:
        fee = (1 if source.kind == AAVE_V3 else 2, source.fee_num, source.fee_den)
    return KERNEL.size_route(quoters, *coefficients, *fee, source.fee_num, source.fee_den, source.available)


def _optimum(route: Route, coefficients: tuple[int, int, int]) -> int | None:
    """The amount Python sizes the route at for a fee-free lender of plenty (None: no profit)."""
    plenty = FlashSource(BALANCER, "0x" + "ee" * 20, route.tokens[0], 2**160, 0, 1)
    sized = _size(route.quoters(), coefficients, plenty, None)[0]
    return sized and sized[0]


def _cases(make_route, seeds: range, every: int = 1):
    """(route, coefficients, lender, optimum) for the route `make_route(rng)` of each seed and each of its
    lenders (every `every`-th), their amounts available set around the route's optimum."""
    for seed in seeds:
        rng = random.Random(seed)
        route = make_route(rng)
        coefficients = route and route.coefficients()
        if coefficients is None:
            continue
        optimum = _optimum(route, coefficients)
        for source in _lenders(rng, route.tokens[0], optimum)[::every]:
            yield route, coefficients, source, optimum


class Refusals:
    """Counts, while Python sizes a route, what makes the kernel hand a route back: a quote the pool
    refuses (INFEASIBLE), a V3 step walk that ends at the price limit or a step that raises (`_locate`
    None), the pool's own swap loop or the overflow-checked library path of a partial step."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from mevcli.dex.uniswap_v3 import steps

        self.seen = 0

        def counted(function, refused):
            def wrapper(*args):
                value = function(*args)
                if refused(value):
                    self.seen += 1
                return value

            return wrapper

        always = lambda value: True  # noqa: E731
        monkeypatch.setattr(sizing, "_run", counted(sizing._run, lambda value: value == sizing.INFEASIBLE))
        monkeypatch.setattr(V3Hop, "_locate", counted(V3Hop._locate, lambda value: value is None))
        monkeypatch.setattr(steps, "_swap_quote", counted(steps._swap_quote, always))
        lib = steps.get_next_sqrt_price_from_input
        monkeypatch.setattr(steps, "get_next_sqrt_price_from_input", counted(lib, always))


def _compare(route: Route, coefficients, source: FlashSource, refusals: Refusals | None = None) -> str:
    """Size the route for `source` in Python and natively (fresh quoters each), and directly through the
    kernel; assert they agree. "sized", "none" or "bail" (what the kernel did); "unexplained" for a bail
    where Python met nothing the kernel leaves to it."""
    if not all(q.__class__ in (V2Hop, V3Hop) for q in route.quoters()):
        assert _direct(route.quoters(), coefficients, source) is NotImplemented
        expected = _size(route.quoters(), coefficients, source, None)
        assert _size(route.quoters(), coefficients, source, KERNEL) == expected
        return "other kinds"
    before = refusals.seen if refusals is not None else 0
    expected, python_trail = _size(route.quoters(), coefficients, source, None)
    refused = refusals is not None and refusals.seen > before
    direct = _direct(route.quoters(), coefficients, source)
    got, native_trail = _size(route.quoters(), coefficients, source, KERNEL)
    assert got == expected, (route, source)
    if direct is NotImplemented:
        return "bail" if refused or refusals is None else "unexplained"
    if direct is None:
        assert expected is None, (route, source)
        return "none"
    amount, out, trail = direct
    assert (amount, out) == expected, (route, source)
    # the trail the kernel leaves is the one Python's refine left (both None where it walked no round)
    assert native_trail == python_trail == trail, (route, source)
    if trail is not None:
        x, paid = trail
        assert paid == sizing.hop_trail(route.quoters(), x, paid[-1])
    return "sized"


def _sweep(seeds: range, monkeypatch) -> dict[str, int]:
    refusals = Refusals(monkeypatch)
    tally = dict.fromkeys(("sized", "none", "bail", "unexplained", "other kinds", "clipped"), 0)

    def make_route(rng: random.Random) -> Route | None:
        return _route(rng, rng.choice((2, 3, 4)), rng.choice((0.0, 0.5, 1.0, 1.0)), rng.choice(EDGES))

    for route, coefficients, source, optimum in _cases(make_route, seeds):
        outcome = _compare(route, coefficients, source, refusals)
        tally[outcome] += 1
        if outcome == "sized" and optimum and source.available < optimum:
            tally["clipped"] += 1
    return tally


EDGES = (-0.005, 0.002, 0.01, 0.05, 0.3, 3.0)  # the cycle's rates multiply to 1 + edge, before fees


def test_sweep_sizes_the_same(monkeypatch):
    """Seeded routes of V2 pairs and V3 pools of every shape: the same result and trail either way; the
    kernel hands back only routes where Python met a refusal, and sizes the rest."""
    tally = _sweep(range(2000), monkeypatch)
    print(tally)
    assert tally["unexplained"] == 0, tally
    assert tally["sized"] >= 1600 and tally["clipped"] >= 600 and tally["other kinds"] >= 200, tally
    assert tally["bail"] <= 0.15 * (tally["sized"] + tally["none"] + tally["bail"]), tally


@pytest.mark.slow
def test_long_sweep_sizes_the_same(monkeypatch):
    tally = _sweep(range(2000, 12000), monkeypatch)
    print(tally)
    assert tally["unexplained"] == 0, tally


def test_routes_crossing_many_ticks_size_the_same(monkeypatch):
    """V3 pools of many narrow rungs against deep V2 pairs: the refined start and the search walk tens
    to a hundred and more steps (computed lazily as the kernel asks), and it sizes them as Python does."""
    refusals = Refusals(monkeypatch)
    tally = {"sized": 0, "none": 0, "bail": 0, "unexplained": 0, "many steps": 0}
    for route, coefficients, source, _ in _cases(_ladder_route, range(250), every=2):
        outcome = _compare(route, coefficients, source, refusals)
        tally[outcome] += 1
        quoters = route.quoters()
        if outcome == "sized" and _direct(quoters, coefficients, source) is not None:
            tally["many steps"] += any(isinstance(q, V3Hop) and len(q._steps) > 10 for q in quoters)
    print(tally)
    assert tally["unexplained"] == 0, tally
    assert tally["sized"] >= 200 and tally["many steps"] >= 25, tally


def test_routes_to_the_price_limit_size_the_same(monkeypatch):
    """Two pools of one pair at a price near either end of the range: a large trade reaches the price
    limit (the kernel hands those back); the rest are sized natively."""
    refusals = Refusals(monkeypatch)
    tally = {"sized": 0, "none": 0, "bail": 0, "unexplained": 0}
    for route, coefficients, source, _ in _cases(_edge_route, range(300)):
        tally[_compare(route, coefficients, source, refusals)] += 1
    print(tally)
    assert tally["unexplained"] == 0, tally
    assert tally["sized"] >= 200 and tally["bail"] >= 100, tally


def test_wide_values_are_handed_back_or_exact():
    """V2 hops of 60- to 900-bit reserves, 2-8 hops: past the bigint width (BIG_LIMBS limbs) the kernel
    hands the route back; below it, the same integers as Python. Both happen."""
    tally = {"sized": 0, "none": 0, "bail": 0}
    widest_sized = 0
    for seed in range(300):
        rng = random.Random(seed)
        hops, bits = rng.randint(2, 8), rng.randint(60, 900)
        forms, quoters = [], []
        for _ in range(hops):
            reserve_in = rng.getrandbits(bits) | 1 << (bits - 1)
            reserve_out = reserve_in + rng.getrandbits(bits - rng.randint(3, 12))
            gamma = rng.choice((PIPS, 997_000, 999_900))
            forms.append((gamma * reserve_out, reserve_in * PIPS, gamma))
            quoters.append(V2Hop(reserve_in * PIPS, reserve_out, gamma))
        coefficients = compose_hops(forms)
        for source in _lenders(rng, "0x" + "01" * 20, None)[::3]:
            expected, _ = _size(quoters, coefficients, source, None)
            direct = _direct(quoters, coefficients, source)
            assert _size(quoters, coefficients, source, KERNEL)[0] == expected
            if direct is NotImplemented:
                tally["bail"] += 1
            elif direct is None:
                assert expected is None
                tally["none"] += 1
            else:
                assert direct[:2] == expected
                tally["sized"] += 1
                widest_sized = max(widest_sized, hops * bits)
    print(tally, widest_sized)
    assert tally["sized"] >= 100 and tally["bail"] >= 100 and widest_sized > 1000, tally


SQRT_EDGE = r"""
import itertools

from mevcli.arbitrage import sizing
from mevcli.dex.uniswap_v2.hop import V2Hop

hops = [V2Hop(10**24 * 10**6, 10**24, 997_000), V2Hop(10**24 * 10**6, 10**24, 997_000)]
for shift in (0, 1, 64, 101, 300):
    for root, low in itertools.product((2**64, 2**64 - 1), (1, 3, 2**20, 2**31)):
        # k·m = (root² − low²)·2^(2·shift): its top bits within 2^63 of 2^128, or below (2^64 − 1)²
        k, m = (root + low) << shift, (root - low) << shift
        native = sizing.size_route(hops, (k, m, 1), None, 10**30)
        kernel, sizing.kernel = sizing.kernel, None
        assert native == sizing.size_route(hops, (k, m, 1), None, 10**30)
        sizing.kernel = kernel
print("done")
"""


def test_square_roots_just_below_a_power_of_two_end():
    """isqrt of values whose top bits are within 2^63 of 2^128 or just below (2^64 − 1)²: a floating
    estimate of the 64-bit root rounds to 2^64 there (an early bigint.c cast it to 0 and counted up from
    there: a hang). The same result as Python's; run apart, with a timeout."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", SQRT_EDGE], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "done", done.stderr


def _routes_sharing_pools(rng: random.Random, count_: int) -> list[tuple[list, tuple, list[FlashSource]]]:
    """(quoters, coefficients, lenders) of 2-hop routes in groups of three that buy from one pool and
    sell to three others: the first hop is one quoter object for the group, as a scan shares them."""
    cases = []
    while len(cases) < count_:
        x, y = _tokens(rng, 2)
        rate = x.unit / y.unit
        first = _v3_pool(
            rng, x, y, rate * rng.choice((1.05, 1.3, 4.0)), rng.choice(("thin", "wide", "ladder"))
        )
        if first is None:
            continue
        shared = exact_hop(first, x.address, y.address)
        for _ in range(3):
            if rng.random() < 0.5:
                second = _v3_pool(rng, y, x, 1 / rate, rng.choice(("thin", "wide", "single", "ladder")))
            else:
                second = _v2_pair(rng, y, x, 1 / rate, rng.choice(("tiny", "normal", "normal")))
            route = second and Route([first, second], [x.address, y.address])
            coefficients = route and route.coefficients()
            if coefficients is None:
                continue
            quoters = [shared, exact_hop(second, y.address, x.address)]
            cases.append(
                (quoters, coefficients, _lenders(rng, x.address, _optimum(route, coefficients))[::2])
            )
    return cases


def test_answers_do_not_depend_on_what_the_hops_were_asked_before():
    """The kernel keeps each hop's steps (`_native`) and asks the hop for steps it has not computed
    (`_steps`, extended lazily). Called on shared hops in random orders, between Python sizings and
    direct quotes of other amounts, its answer for every (route, lender) is the one of fresh hops."""
    rng = random.Random(7)
    cases = _routes_sharing_pools(rng, 120)
    reference = {}
    for i, (quoters, coefficients, sources) in enumerate(cases):
        for j, source in enumerate(sources):
            fresh = [
                exact_hop(q.state, q.token_in, _token_out(q)) if isinstance(q, V3Hop) else q for q in quoters
            ]
            reference[i, j] = _direct(fresh, coefficients, source)
    asked = [(i, j) for i, (_, _, sources) in enumerate(cases) for j in range(len(sources))] * 3
    rng.shuffle(asked)
    for i, j in asked:
        quoters, coefficients, sources = cases[i]
        what = rng.random()
        if what < 0.2:  # the hops walked elsewhere first: Python sizes, or quotes far along the steps
            _size(quoters, coefficients, sources[j], None)
        elif what < 0.3:
            for q in quoters:
                with contextlib.suppress(sizing.QUOTE_ERRORS):
                    q(rng.randint(1, 10 ** rng.randint(1, 30)))
        assert _direct(quoters, coefficients, sources[j]) == reference[i, j], (i, j)
    outcomes = [v if v in (None, NotImplemented) else "sized" for v in reference.values()]
    print(len(asked), {str(o): outcomes.count(o) for o in set(outcomes)})
    assert len(asked) >= 1500 and outcomes.count("sized") >= 100


def _token_out(quoter: V3Hop) -> str:
    state = quoter.state
    return state.token1 if quoter.token_in == state.token0 else state.token0


def _rss_kib() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def test_many_calls_leak_nothing():
    """Thousands of kernel calls (sized, none, handed back) on the same hops and on fresh ones: no Python
    object or reference left behind (tracemalloc, refcounts), no growth of the process (RSS)."""
    import sys
    import tracemalloc

    rng = random.Random(11)
    cases = []
    while len(cases) < 40:
        route = _route(rng, rng.choice((2, 3, 4)), rng.choice((0.5, 1.0)), rng.choice((0.01, 0.3)))
        if route is not None and route.coefficients() is not None:
            cases.append((route, route.coefficients(), _lenders(rng, route.tokens[0], None)[::3]))
    outcomes = set()

    def rounds(n: int, fresh: float = 0.2) -> None:
        for _ in range(n):
            for route, coefficients, sources in cases:
                quoters = route.quoters() if rng.random() < fresh else shared[id(route)]
                for source in sources:
                    got = _direct(quoters, coefficients, source)
                    outcomes.add("bail" if got is NotImplemented else "none" if got is None else "sized")

    shared = {id(route): route.quoters() for route, _, _ in cases}
    rounds(1, fresh=0)  # warm: every shared hop's steps and `_native` made
    watched = [shared[id(cases[0][0])][0], cases[0][1][0], NotImplemented]
    gc.collect()
    counts = [sys.getrefcount(obj) for obj in watched]
    rss = _rss_kib()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    rounds(60)
    gc.collect()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    calls = 60 * sum(len(sources) for _, _, sources in cases)
    print(f"{calls} calls: {grown} bytes traced, RSS +{_rss_kib() - rss} KiB, {sorted(outcomes)}")
    assert outcomes == {"bail", "none", "sized"}
    assert [sys.getrefcount(obj) for obj in watched] == counts
    assert grown < 16 * 1024  # tracemalloc's own bookkeeping
    assert _rss_kib() - rss < 4 * 1024


class _Interrupted(Exception):
    """What a V3 hop's step computation raises here: an exception that is not a refusal of the pool."""


def test_an_exception_from_a_hop_reaches_the_caller(monkeypatch):
    """What escapes `V3Hop._extend` (it keeps the pool's own errors) is raised to the caller, as the
    Python sizing raises it, not swallowed with the route handed back: a KeyboardInterrupt arriving while
    the kernel has a hop compute its next step must stop the scan."""
    rng = random.Random(5)
    route = None
    while route is None or route.coefficients() is None:
        route = _route(rng, 2, 1.0, 0.05)
    computed = V3Hop._extend

    def interrupted(hop: V3Hop) -> None:
        raise _Interrupted

    source = FlashSource(BALANCER, "0x" + "ee" * 20, route.tokens[0], 2**160, 0, 1)
    monkeypatch.setattr(V3Hop, "_extend", interrupted)
    for kernel in (None, KERNEL):
        with pytest.raises(_Interrupted):
            _size(route.quoters(), route.coefficients(), source, kernel)
    with pytest.raises(_Interrupted):
        _direct(route.quoters(), route.coefficients(), source)
    monkeypatch.setattr(V3Hop, "_extend", computed)
    assert _direct(route.quoters(), route.coefficients(), source) is not NotImplemented


def test_a_refused_local_quote_leaves_the_refined_start_out(monkeypatch):
    """`refine_guess` returns None where a hop's `local_quote` raises one of QUOTE_ERRORS (the search then
    starts from the Möbius guess), rather than a TypeError from its except clause."""
    from mevcli.errors import PoolMathError

    rng = random.Random(5)
    refined = None
    while refined is None:
        route = _route(rng, 2, 1.0, 0.05)
        if route is None or route.coefficients() is None:
            continue
        quoters = route.quoters()
        k, m, n = route.coefficients()
        guess = (math.isqrt(k * m) - m) // n if k > m else 0
        refined = sizing.refine_guess(quoters, guess, (0, 1), 2**160, {}) if guess > 0 else None

    def refused(hop: V3Hop, amount: int, exact: bool = True):
        raise PoolMathError("refused")

    monkeypatch.setattr(V3Hop, "local_quote", refused)
    assert sizing.refine_guess(quoters, guess, (0, 1), 2**160, {}) is None
