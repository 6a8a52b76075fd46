"""The incremental finder equals `find_opportunities` on the same states, block after block, on seeded
synthetic markets (2, 3 and 4 hops): pools change, disappear and appear, the gas price and a lender move.
The chain-backed proof (real swaps, a reorg, Curve and Balancer pools) is
`tests/cache/test_watch_incremental.py`."""

from __future__ import annotations

import random
import sys
from dataclasses import replace
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import bench_scan

from mevcli.arbitrage.finder import FinderInput, find_opportunities
from mevcli.arbitrage.flash import UNISWAP_V3, FlashSource
from mevcli.arbitrage.incremental import IncrementalFinder
from mevcli.arbitrage.ranking import at_block
from mevcli.dex.uniswap_v2.state import V2PairState
from mevcli.dex.uniswap_v3.state import V3PoolState
from mevcli.dex.uniswap_v3.tick_math import get_tick_at_sqrt_ratio


def _moved(state, rng: random.Random):
    """The pool after a trade: a V2 pair's reserves or a V3 pool's price moved by up to a few percent."""
    factor = rng.uniform(0.97, 1.03)
    if isinstance(state, V2PairState):
        return replace(state, reserve0=int(state.reserve0 * factor), reserve1=int(state.reserve1 / factor))
    assert isinstance(state, V3PoolState)
    sqrt_price = int(state.sqrt_price_x96 * factor**0.5)
    return replace(state, sqrt_price_x96=sqrt_price, tick=get_tick_at_sqrt_ratio(sqrt_price))


@pytest.mark.parametrize("hops", [2, 3, 4])
def test_incremental_equals_the_full_finder_block_after_block(hops):
    market = bench_scan.build_market(300 if hops < 4 else 150, seed=5)
    rng = random.Random(hops)
    inp: FinderInput = bench_scan.finder_input(market, hops)
    finder = IncrementalFinder()
    assert finder.update(inp, None) == find_opportunities(inp)
    states = dict(inp.states)
    removed: dict[str, object] = {}
    for block in range(2, 8):
        changed = set(rng.sample(sorted(states), 6))
        for address in changed:
            states[address] = _moved(states[address], rng)
        if block == 3:  # a pool disappears (no longer scanned) without being named
            gone = rng.choice(sorted(states))
            removed[gone] = states.pop(gone)
            changed.discard(gone)
        if block == 5:  # and comes back, as a pool discovered mid-run
            states.update(removed)
        sources = inp.flash_sources
        if block == 6:  # a lender's balance moves: every route that borrows from it is re-sized
            base = inp.base_tokens[0]
            first, *rest = sources[base]
            sources = {**sources, base: [replace(first, available=first.available // 3), *rest]}
        gas_price = inp.gas_price * (2 if block == 4 else 1)
        inp = replace(inp, block=block, states=dict(states), flash_sources=sources, gas_price=gas_price)
        incremental = finder.update(inp, changed)
        assert not finder.last.rebuilt and finder.last.pools_changed >= len(changed)
        assert incremental == find_opportunities(inp), f"block {block}"
    assert incremental, "the synthetic market holds planted opportunities"


def test_a_block_that_changes_nothing_evaluates_nothing():
    inp = bench_scan.finder_input(bench_scan.build_market(200, seed=3), 3)
    finder = IncrementalFinder()
    first = finder.update(inp, None)
    again = finder.update(replace(inp, block=2), ())
    assert finder.last.routes_listed == finder.last.routes_evaluated == 0
    assert again == [replace(o, block=2) for o in first]


def test_only_the_base_tokens_whose_lenders_moved_are_looked_at():
    """A block that moves pools but no lender, rate or gas price looks only at the routes it lists; a
    lender's balance moving brings in its base token's routes (and no other's); a pool of the native
    token and a base token moving re-ranks that base token's opportunities. Each equals the full finder."""
    market = bench_scan.build_market(300, seed=11)
    inp: FinderInput = bench_scan.finder_input(market, 3)
    finder = IncrementalFinder()
    finder.update(inp, None)
    native = inp.native_token
    assert finder.by_base[native], "routes that start at the native token (their gas has a price)"
    rates = finder.ranking.rates
    base = next(b for b in inp.base_tokens[1:] if rates[b] is not None)

    def listed_candidates() -> int:
        return sum(1 for key in finder.candidates if any(p in changed for p, _ in key))

    states = dict(inp.states)
    plain = sorted(p for p, s in states.items() if native not in (s.token0, s.token1))
    changed = set(random.Random(1).sample(plain, 4))
    for address in changed:
        states[address] = _moved(states[address], random.Random(address))
    inp = replace(inp, block=2, states=dict(states))
    assert finder.update(inp, changed) == find_opportunities(inp)
    assert finder.last.routes_checked == listed_candidates()

    halved = [replace(source, available=source.available // 2) for source in inp.flash_sources[native]]
    inp = replace(inp, block=3, flash_sources={**inp.flash_sources, native: halved})
    assert finder.update(inp, ()) == find_opportunities(inp)
    assert finder.last.routes_checked == len(finder.by_base[native]) == finder.last.routes_evaluated
    # the lenders were chosen once per lender key of the base token, not once per route
    assert finder.last.lender_choices == len(finder.groups[native]) < len(finder.by_base[native])

    # the (native, base) pools set the base token's rate: moving them moves every key of that base
    pairs = {p for p, s in states.items() if {s.token0, s.token1} == {native, base}}
    for address in pairs:
        states[address] = _moved(states[address], random.Random(address))
    rates_before = finder.ranking.rates
    inp = replace(inp, block=4, states=dict(states))
    assert finder.update(inp, pairs) == find_opportunities(inp)
    assert finder.ranking.rates is not None and finder.ranking.rates[base] != rates_before[base]


def test_a_re_dated_opportunity_is_the_same_opportunity_at_the_new_block():
    inp = bench_scan.finder_input(bench_scan.build_market(200, seed=3), 3)
    for o in find_opportunities(inp)[:20]:
        assert at_block(o, o.block + 5) == replace(o, block=o.block + 5)
        assert at_block(o, o.block) is o


def test_the_kept_ranking_differs_from_update_s_only_in_the_block():
    """`update_kept` (what `watch` ranks from, re-dating only the few it shows) is `update`'s ranking with
    each opportunity at the block it was sized at."""
    market = bench_scan.build_market(200, seed=3)
    inp = bench_scan.finder_input(market, 3)
    finder = IncrementalFinder()
    finder.update(inp, None)
    states = dict(inp.states)
    changed = set(random.Random(2).sample(sorted(states), 3))
    for address in changed:
        states[address] = _moved(states[address], random.Random(address))
    later = replace(inp, block=inp.block + 1, states=states)
    kept = finder.update_kept(later, changed)
    assert {o.block for o in kept} == {inp.block, later.block}  # the untouched ones keep their block
    assert [at_block(o, later.block) for o in kept] == find_opportunities(later)


def test_a_v3_lender_s_balance_moving_re_chooses_only_the_keys_that_may_borrow_from_it():
    """Lender choices are kept across blocks; when only what a V3 pool lends moves, the lender keys of
    routes that swap in that pool (which may not borrow from it) keep theirs, the others choose again,
    and the ranking still equals the full finder's."""
    market = bench_scan.build_market(300, seed=11)
    inp: FinderInput = bench_scan.finder_input(market, 3)
    native = inp.native_token
    finder = IncrementalFinder()
    finder.update(inp, None)
    lender = next(  # a V3 pool of the native token that some of its routes swap in
        pool
        for key in sorted(finder.by_base[native])
        for pool, _ in key
        if isinstance(inp.states[pool], V3PoolState)
        and native in (inp.states[pool].token0, inp.states[pool].token1)
    )
    v3 = FlashSource(UNISWAP_V3, lender, native, 10**30, 0, 1_000_000)  # free and deepest: sized
    sources = inp.flash_sources[native]
    inp = replace(inp, block=2, flash_sources={**inp.flash_sources, native: [*sources, v3]})
    assert finder.update(inp, ()) == find_opportunities(inp)  # a new lender: every key chooses again
    assert finder.last.lender_choices == len(finder.groups[native])
    chosen = [group.lenders[1][1] for group in finder.groups[native].values() if group.lenders]
    assert any(source.lender == lender for lenders in chosen for source, _, _ in lenders)
    swapping_in = [k for k in finder.groups[native] if lender in k[1]]
    assert swapping_in, "routes through the lending pool: it may not lend to them"

    moved = replace(v3, available=v3.available // 7)
    inp = replace(inp, block=3, flash_sources={**inp.flash_sources, native: [*sources, moved]})
    assert finder.update(inp, ()) == find_opportunities(inp)
    assert finder.last.lender_choices == len(finder.groups[native]) - len(swapping_in)
    assert finder.last.routes_evaluated > 0

    inp = replace(inp, block=4, gas_price=inp.gas_price * 3)  # the gas price moves: every key chooses again
    assert finder.update(inp, ()) == find_opportunities(inp)
    assert finder.last.lender_choices == sum(len(groups) for groups in finder.groups.values())
