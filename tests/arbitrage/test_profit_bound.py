"""`profit_bound` against the exact quoters on the devnet, at the seeded block and after real swaps moved
the pools (V2, V3 and V4 at other ticks, one V4 pool emptied, a deep V4 range above the price, a V4
protocol fee):
- every pool in every direction: the hop's map (`hop_ceiling`) is above the pool's quote at amounts
  from dust to far past its depth;
- every route the finder lists at 2, 3 and 4 hops: `profit_ceiling` is at least what sizing finds for
  each lender and what any sampled amount makes (out − in)."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest
from cache.cache_market import Market
from dex.v4_chain import add_liquidity, key_of, make_rich, router_swap, v4
from dex.v4_chain import read as read_v4
from scan_regression import bench_scan

from mevcli.arbitrage.bounds import ROUNDING_UNITS
from mevcli.arbitrage.cycles import CycleIndex
from mevcli.arbitrage.finder import LOG_RATE_FLOOR, FinderInput, FinderStats, _hops, _index_rates, _Scan
from mevcli.arbitrage.profit_bound import hop_ceiling, profit_ceiling
from mevcli.arbitrage.sizing import compose_hops, mobius_hop, size_route
from mevcli.dex.pools import pool_tokens, quote
from mevcli.dex.uniswap_v3.ceiling import liquidity_ceiling
from mevcli.dex.uniswap_v3.steps import virtual_reserves
from mevcli.dex.uniswap_v3.tick_math import MAX_SQRT_RATIO, MIN_SQRT_RATIO
from mevcli.dex.uniswap_v4.state import V4PoolState
from mevcli.errors import MevcliError

HOPS = (2, 3, 4)
# V3 pools moved by the swaps: (dex, index among that dex's manifest pools, usd, zero_for_one)
V3_SWAPS = (
    ("uniswap_v3", 0, 400_000, True),
    ("uniswap_v3", 1, 250_000, False),
    ("uniswap_v3", 2, 2_000_000, True),
    ("sushiswap_v3", 0, 300_000, False),
    ("pancakeswap_v3", 0, 150_000, True),
)
V2_SWAPS = (("uniswap_v2", 0, 200_000, False), ("sushiswap", 1, 120_000, True))
V4_TRADER = 8
# (pool index, zero_for_one, the share of the range's virtual reserve sold: 1/share)
V4_SWAPS = ((0, True, 1000), (3, True, 1000), (5, False, 8))  # the last empties its pool


@dataclass
class Checked:
    routes: int = 0
    unbounded: int = 0
    sized: int = 0
    amounts: int = 0
    tightest: float = float("inf")  # bound / (out − in) over the profitable outcomes


@dataclass
class DevnetMarket:
    finder: FinderInput  # what the finder sees (the manifest's V2, V3, Curve and Balancer pools)
    v4: list[V4PoolState]  # the PoolManager's pools, every bitmap word


@pytest.fixture(scope="module")
def inputs(chain) -> dict[str, DevnetMarket]:
    """The market at the seeded block, and after swaps through V2, V3 and V4 pools, a deep V4 position
    away from the price and a V4 protocol fee (all reverted after)."""
    seeded = _market(chain)
    with chain.snapshot():
        market = Market(chain)
        for dex, index, usd, zero_for_one in V3_SWAPS:
            market.v3_swap(chain.pools(dex)[index], usd, zero_for_one)
        for dex, index, usd, zero_for_one in V2_SWAPS:
            market.v2_swap(chain.pools(dex)[index], usd, zero_for_one)
        _move_v4(chain)
        moved = _market(chain)
    return {"seeded": seeded, "moved": moved}


def _market(chain) -> DevnetMarket:
    finder = bench_scan.devnet_input(chain.w3, chain.manifest, max(HOPS))
    return DevnetMarket(finder, [read_v4(chain, pool) for pool in v4(chain)["pools"]])


def _move_v4(chain) -> None:
    trader = chain.w3.eth.accounts[V4_TRADER]
    make_rich(chain, trader)
    pools = v4(chain)["pools"]
    for pool, zero_for_one, share in V4_SWAPS:
        limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
        state = read_v4(chain, pools[pool])  # sell `share` of the current range's virtual reserve
        amount = virtual_reserves(state.liquidity, state.sqrt_price_x96)[0 if zero_for_one else 1] // share
        router_swap(chain, key_of(pools[pool]), zero_for_one, -amount, limit, trader, send=True)
    deep = key_of(pools[1])
    tick = read_v4(chain, pools[1]).tick
    lower = (tick // deep.tick_spacing + 3) * deep.tick_spacing
    add_liquidity(chain, deep, lower, lower + 40 * deep.tick_spacing, 10**22, 11, trader)
    manager = chain.deployer(0).at("PoolManager", v4(chain)["pool_manager"])
    chain.deployer(0).send(manager.functions.setProtocolFee(key_of(pools[2]).as_tuple, 700 | 250 << 12))


def _amounts(rng: random.Random) -> list[int]:
    """Dust to far past any devnet pool's depth: each power of ten and a random amount below it."""
    return [x for e in range(0, 31) for x in (10**e, rng.randrange(10**e, 10 ** (e + 1)))]


def _route_output(quoters, amount: int) -> int | None:
    for quoter in quoters:
        try:
            amount = quoter(amount)
        except (MevcliError, ArithmeticError, ValueError):
            return None
    return amount


def _check(inp: FinderInput, hops: int) -> Checked:
    states = dict(inp.states)
    index = CycleIndex(_hops(states))
    bases = [t for t in inp.base_tokens if t in index.pairs]
    scan = _Scan(inp, states, _index_rates(index, inp.states, inp.native_token, bases), FinderStats())
    rng = random.Random(hops)
    checked = Checked()

    def holds(bound: int, gain: int, what: object) -> None:
        assert bound >= gain, what
        if gain > 0:
            checked.tightest = min(checked.tightest, bound / gain)

    for route in index.search(bases, hops, LOG_RATE_FLOOR):
        checked.routes += 1
        bound = profit_ceiling([hop_ceiling(states[h.pool], h.token_in, h.token_out) for h in route])
        if bound is None:
            checked.unbounded += 1
            continue
        quoters = [scan._quoter(h) for h in route]
        coefficients = compose_hops([mobius_hop(states[h.pool], h.token_in) for h in route])
        pools = tuple(h.pool for h in route)
        _, lenders = scan._lenders(route[0].token_in, pools, tuple(inp.dex_of[p][1] for p in pools))
        outputs: dict[int, int] = {}
        for source, _, _ in lenders:
            sized = size_route(
                quoters, coefficients, source.fee, source.available, outputs, (source.fee_num, source.fee_den)
            )
            if sized is not None:
                checked.sized += 1
                holds(bound, sized[1] - sized[0], (route, source, sized, bound))
        for amount in _amounts(rng):
            out = _route_output(quoters, amount)
            if out is not None:
                checked.amounts += 1
                holds(bound, out - amount, (route, amount, out, bound))
    return checked


def test_swaps_moved_the_pools(chain, inputs):
    """The second market is another one: every swapped V3 and V4 pool sits at another tick, and some swap
    directions meet more liquidity ahead than at their price (the case the ceiling is for)."""
    seeded, moved = inputs["seeded"], inputs["moved"]
    for dex, index, _, _ in V3_SWAPS:
        address = chain.pools(dex)[index]["address"]
        assert seeded.finder.states[address].tick != moved.finder.states[address].tick, (dex, index)
    for index, _, _ in V4_SWAPS:
        assert seeded.v4[index].tick != moved.v4[index].tick, index
    assert moved.v4[2].protocol_fee and not seeded.v4[2].protocol_fee
    ticked = [s for s in moved.finder.states.values() if hasattr(s, "bitmap")] + moved.v4
    rising = sum(liquidity_ceiling(s, direction) > s.liquidity for s in ticked for direction in (True, False))
    assert rising >= 3, rising


def _unbounded_hop(state: object, token_in: str) -> bool:
    """Whether a hop may go without a map: a V4 pool whose hook changes swaps, or a concentrated pool at a
    price so far out that the input reserve of its deepest liquidity floors to 0 (`ceiling_form`)."""
    if isinstance(state, V4PoolState) and state.unpriced_reason:
        return True
    if not hasattr(state, "bitmap"):
        return False
    zero_for_one = state.zero_for_one(token_in)
    reserves = virtual_reserves(liquidity_ceiling(state, zero_for_one), state.sqrt_price_x96)
    return reserves[0 if zero_for_one else 1] == 0


@pytest.mark.parametrize("market", ["seeded", "moved"])
def test_every_hop_ceiling_is_above_its_pool(inputs, market):
    """Each pool in each direction (V2, V3 and its forks, V4, Curve, Balancer): the hop's map is above the
    exact quote at every sampled amount; a linear map up to ROUNDING_UNITS."""
    states = [*inputs[market].finder.states.values(), *inputs[market].v4]
    rng = random.Random(len(states))
    checked = unbounded = 0
    for state in states:
        tokens = pool_tokens(state)
        for token_in, token_out in ((i, o) for i in tokens for o in tokens if i != o):
            ceiling = hop_ceiling(state, token_in, token_out)
            if ceiling is None:
                assert _unbounded_hop(state, token_in), (state, token_in)
                unbounded += 1
                continue
            for amount in _amounts(rng):
                try:
                    out = quote(state, token_in, amount, token_out)
                except MevcliError:
                    continue
                checked += 1
                if len(ceiling) == 3:
                    a, b, c = ceiling
                    assert out <= a * amount // (b + c * amount), (state, token_in, amount, ceiling)
                else:
                    num, den = ceiling
                    assert out <= num * amount // den + ROUNDING_UNITS, (state, token_in, amount, ceiling)
    assert unbounded >= 2, unbounded  # the V4 pool whose hook changes swaps, both ways
    assert checked > 50 * len(states), checked


@pytest.mark.parametrize("market", ["seeded", "moved"])
@pytest.mark.parametrize("hops", HOPS)
def test_profit_ceiling_is_above_every_route_outcome(inputs, market, hops):
    checked = _check(inputs[market].finder, hops)
    assert checked.routes > 0
    assert checked.sized > 0, checked
    assert checked.amounts > 10 * (checked.routes - checked.unbounded), checked
