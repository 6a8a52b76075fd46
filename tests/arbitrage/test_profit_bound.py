"""`profit_bound.profit_ceiling` against the exact quoters on the devnet: for every route the finder lists
at 2, 3 and 4 hops, the ceiling is at least what sizing finds for each lender and what any sampled amount
makes (out − in), at the seeded block and after real swaps moved the pools (V3 pools at other ticks)."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest
from cache.cache_market import Market
from scan_regression import bench_scan

from mevcli.arbitrage.cycles import CycleIndex
from mevcli.arbitrage.finder import LOG_RATE_FLOOR, FinderInput, FinderStats, _hops, _index_rates, _Scan
from mevcli.arbitrage.profit_bound import hop_ceiling, profit_ceiling
from mevcli.arbitrage.sizing import compose_hops, mobius_hop, size_route
from mevcli.dex.uniswap_v3.ceiling import liquidity_ceiling
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


@dataclass
class Checked:
    routes: int = 0
    unbounded: int = 0
    sized: int = 0
    amounts: int = 0
    tightest: float = float("inf")  # bound / (out − in) over the profitable outcomes


@pytest.fixture(scope="module")
def inputs(chain) -> dict[str, FinderInput]:
    """The finder's input at the seeded block, and after swaps through V2 and V3 pools (reverted after)."""
    seeded = bench_scan.devnet_input(chain.w3, chain.manifest, max(HOPS))
    with chain.snapshot():
        market = Market(chain)
        for dex, index, usd, zero_for_one in V3_SWAPS:
            market.v3_swap(chain.pools(dex)[index], usd, zero_for_one)
        for dex, index, usd, zero_for_one in V2_SWAPS:
            market.v2_swap(chain.pools(dex)[index], usd, zero_for_one)
        moved = bench_scan.devnet_input(chain.w3, chain.manifest, max(HOPS))
    return {"seeded": seeded, "moved": moved}


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


def test_swaps_moved_the_v3_pools(chain, inputs):
    """The second input is another market: every swapped V3 pool sits at another tick, and some swap
    direction there meets more liquidity ahead than at its price (the case the ceiling is for)."""
    seeded, moved = inputs["seeded"].states, inputs["moved"].states
    for dex, index, _, _ in V3_SWAPS:
        address = chain.pools(dex)[index]["address"]
        assert seeded[address].tick != moved[address].tick, (dex, index)
    ticked = [s for s in moved.values() if hasattr(s, "bitmap")]
    rising = sum(liquidity_ceiling(s, direction) > s.liquidity for s in ticked for direction in (True, False))
    assert rising >= 2, rising


@pytest.mark.parametrize("market", ["seeded", "moved"])
@pytest.mark.parametrize("hops", HOPS)
def test_profit_ceiling_is_above_every_route_outcome(inputs, market, hops):
    checked = _check(inputs[market], hops)
    assert checked.routes > 0
    assert checked.sized > 0, checked
    assert checked.amounts > 10 * (checked.routes - checked.unbounded), checked
