"""The scan's results stay what the fixture recorded: same opportunity ids, amounts, profits and flash
sources, on the devnet (2-4 hops) and on seeded synthetic markets. A change to the cycle search, the
marginal-rate bounds or the sizing must leave them identical (or find strictly more profit, and then
the fixture is rewritten with `scan_regression.py` and the change says so)."""

from __future__ import annotations

import json

import pytest
from scan_regression import (
    DEVNET_HOPS,
    FIXTURE,
    SYNTHETIC,
    bench_scan,
    devnet_results,
    summary,
    synthetic_input,
)

from mevcli.arbitrage.bounds import rate_bound
from mevcli.arbitrage.cycles import CycleIndex, TokenGraph, enumerate_cycles
from mevcli.arbitrage.finder import (
    LOG_RATE_FLOOR,
    FinderStats,
    _hops,
    _index_rates,
    _Scan,
    _size_once,
    find_opportunities,
)
from mevcli.arbitrage.sizing import compose_hops, cycle_output, mobius_hop, size_route
from mevcli.dex.pools import pool_tokens
from mevcli.errors import MevcliError

EXPECTED = json.loads(FIXTURE.read_text())


@pytest.fixture(scope="module")
def devnet(chain) -> dict[str, list[list]]:
    return devnet_results(chain.w3, chain.manifest)


@pytest.mark.parametrize("hops", DEVNET_HOPS)
def test_devnet_results_are_unchanged(devnet, hops):
    key = f"devnet/{hops}"
    assert EXPECTED[key], "the devnet holds opportunities at every hop count"
    assert devnet[key] == EXPECTED[key]


@pytest.mark.parametrize(("pools", "seed", "hops"), SYNTHETIC)
def test_synthetic_results_are_unchanged(pools, seed, hops):
    found = summary(find_opportunities(synthetic_input(pools, seed, hops)))
    expected = EXPECTED[f"synthetic/{pools}/{seed}/{hops}"]
    assert expected
    assert found == expected


def test_cycles_the_rate_bounds_prune_cannot_profit(chain):
    """Every devnet cycle of 2-3 hops whose bounded marginal rate is at most one (Curve and Balancer hops
    included) pays back less than it takes at every amount tried, from dust to past the pools' depth;
    and the bounds do prune: most cycles through Curve or Balancer pools are never sized."""
    inp = bench_scan.devnet_input(chain.w3, chain.manifest, 3)
    states = dict(inp.states)
    graph = TokenGraph((a, pool_tokens(s)) for a, s in states.items())
    pruned = through_stable_or_weighted = 0
    cycles = enumerate_cycles(graph, list(inp.base_tokens), 3)
    for cycle in cycles:
        num = den = 1
        for edge in cycle.edges:
            state = states[edge.pool]
            mobius = mobius_hop(state, edge.token_in)
            a, b = mobius[:2] if mobius is not None else rate_bound(state, edge.token_in, edge.token_out)
            num, den = num * a, den * b
        bounded = any(mobius_hop(states[e.pool], e.token_in) is None for e in cycle.edges)
        through_stable_or_weighted += bounded
        if num > den:
            continue
        pruned += bounded
        for exponent in range(3, 27):
            amount = 10**exponent
            try:
                out, _ = cycle_output(cycle, states, amount)
            except (MevcliError, ArithmeticError, ValueError):
                continue
            assert out <= amount, (cycle, amount, out)
    assert pruned > through_stable_or_weighted // 2
    stats = FinderStats()
    find_opportunities(inp, stats)
    assert stats.candidates + stats.skipped_no_flash <= len(cycles) - pruned  # the finder sizes none of them


def test_sizing_once_picks_what_sizing_every_lender_picks(chain):
    """Each devnet candidate (2 and 3 hops, several lenders each): the route sized once and the flash
    source chosen after gives the same lender, amounts and net profit as sizing it for every lender."""
    inp = bench_scan.devnet_input(chain.w3, chain.manifest, 3)
    index = CycleIndex(_hops(dict(inp.states)))
    bases = [t for t in inp.base_tokens if t in index.pairs]
    scan = _Scan(
        inp, dict(inp.states), _index_rates(index, inp.states, inp.native_token, bases), FinderStats()
    )
    compared = several = 0
    for route in index.search(bases, 3, LOG_RATE_FLOOR):
        pools = tuple(h.pool for h in route)
        _, lenders = scan._lenders(route[0].token_in, pools, tuple(inp.dex_of[p][1] for p in pools))
        quoters = [scan._quoter(h) for h in route]
        coefficients = compose_hops([mobius_hop(inp.states[h.pool], h.token_in) for h in route])
        if coefficients is not None and coefficients[0] <= coefficients[1]:
            continue
        every = None
        for source, gas_units, gas_cost in lenders:
            sized = size_route(
                quoters, coefficients, source.fee, source.available, {}, (source.fee_num, source.fee_den)
            )
            if sized is not None:
                net = sized[1] - sized[0] - source.fee(sized[0]) - gas_cost
                if every is None or net > every[0]:
                    every = (net, source, gas_units, gas_cost, *sized)
        assert _size_once(quoters, coefficients, lenders) == every, route
        compared += 1
        several += len(lenders) > 1
    assert compared > 50 and several > 30
