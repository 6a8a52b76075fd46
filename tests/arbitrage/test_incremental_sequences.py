"""The incremental finder equals `find_opportunities` after random sequences of blocks that move what its
caches across blocks are keyed on: pool states, flash sources (added, removed, lending or charging
another amount, back to an earlier value), the gas price (up, down, back), base token rates (the pools
that price them move), pools appearing mid-run, and reorgs (`changed=None`). Seeded: a failure replays."""

from __future__ import annotations

import random
import sys
from dataclasses import replace
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import bench_scan

from mevcli.arbitrage.finder import FinderInput, find_opportunities
from mevcli.arbitrage.flash import AAVE_V3, BALANCER, UNISWAP_V3, UNISWAP_V4, FlashSource
from mevcli.arbitrage.incremental import IncrementalFinder
from mevcli.arbitrage.ranking import at_block
from mevcli.dex.balancer.state import WeightedPoolState
from mevcli.dex.uniswap_v2.state import V2PairState
from mevcli.dex.uniswap_v3.state import V3PoolState
from mevcli.dex.uniswap_v3.tick_math import get_tick_at_sqrt_ratio

BLOCKS = 30


def _moved(state, rng: random.Random, spread: float):
    """The pool after a trade (its price moved by up to `spread`) or, one time in five, after liquidity
    was added or taken at the same price (its hops weigh as before but quote otherwise; V2 and
    Balancer pools only)."""
    if rng.random() < 0.2 and not isinstance(state, V3PoolState):
        depth = rng.choice((0.5, 2.0))
        if isinstance(state, V2PairState):
            return replace(state, reserve0=int(state.reserve0 * depth), reserve1=int(state.reserve1 * depth))
        if isinstance(state, WeightedPoolState):
            return replace(state, balances=tuple(int(b * depth) for b in state.balances))
    factor = rng.uniform(1 - spread, 1 + spread)
    if isinstance(state, V2PairState):
        return replace(state, reserve0=int(state.reserve0 * factor), reserve1=int(state.reserve1 / factor))
    if isinstance(state, WeightedPoolState):
        first, second = state.balances
        return replace(state, balances=(int(first * factor), int(second / factor)))
    assert isinstance(state, V3PoolState)
    sqrt_price = int(state.sqrt_price_x96 * factor**0.5)
    return replace(state, sqrt_price_x96=sqrt_price, tick=get_tick_at_sqrt_ratio(sqrt_price))


def _balancer_pools(market: bench_scan.Market, rng: random.Random) -> tuple[dict, dict]:
    """50/50 weighted pools between hub tokens, a little off the market: routes through them swap in
    the Vault, so the Vault may not lend to them."""
    hubs = market.tokens[: len(bench_scan.HUBS)]
    states, dex_of = {}, {}
    pairs = [(a, b) for a in hubs for b in hubs if a.address < b.address]
    for i, (a, b) in enumerate(rng.sample(pairs, 4)):
        usd = 10 ** rng.uniform(6, 7.5)
        off = 1 + rng.uniform(-0.02, 0.02)
        address = f"0x{0xBA1000000 + i:040x}"
        states[address] = WeightedPoolState(
            address=address,
            pool_id="0x" + f"{i + 1:064x}",
            vault="0x" + "ba" * 20,
            tokens=(a.address, b.address),
            balances=(int(usd / a.usd * 10**a.decimals * off), int(usd / b.usd * 10**b.decimals)),
            weights=(5 * 10**17, 5 * 10**17),
            swap_fee=rng.choice((10**15, 3 * 10**15)),
            scaling_factors=(10 ** (18 - a.decimals), 10 ** (18 - b.decimals)),
        )
        dex_of[address] = ("balancer", "balancer")
    return states, dex_of


def _v3_pools_of(inp: FinderInput, token: str) -> list[str]:
    """The V3 pools holding `token`: flash lenders that may lend only to routes not swapping in them."""
    return sorted(
        p for p, s in inp.states.items() if isinstance(s, V3PoolState) and token in (s.token0, s.token1)
    )


def _source_menu(inp: FinderInput, token: str, rng: random.Random) -> list[FlashSource]:
    """Sources a base token may gain: the market's Balancer and Aave, a V4 manager, a few V3 pools."""
    depth = max(s.available for s in inp.flash_sources[token])
    menu = list(inp.flash_sources[token])
    menu.append(FlashSource(UNISWAP_V4, "0x" + "44" * 20, token, depth // 2, 0, 1))
    pools = _v3_pools_of(inp, token)
    for pool in rng.sample(pools, min(4, len(pools))):
        fee = inp.states[pool].fee
        menu.append(FlashSource(UNISWAP_V3, pool, token, depth * rng.choice((1, 3)) // 2, fee, 1_000_000))
    return menu


def _new_sources(sources: list[FlashSource], menu: list[FlashSource], history: list, rng: random.Random):
    """One random move of a base token's sources: add, remove, lend or charge another amount, or go
    back to a list it had before."""
    move = rng.randrange(5)
    if move == 0 and history:
        return list(rng.choice(history))
    if move == 1:
        absent = [s for s in menu if all(s.lender != t.lender for t in sources)]
        if absent:
            return [*sources, rng.choice(absent)]
    if move == 2 and sources:
        gone = rng.choice(sources)
        return [s for s in sources if s is not gone]
    if not sources:
        return sources
    at = rng.randrange(len(sources))
    old = sources[at]
    if move == 3:
        new = replace(old, available=max(1, int(old.available * rng.choice((0.001, 0.3, 2.0, 5.0)))))
    elif old.kind == BALANCER:
        new = replace(old, fee_num=rng.choice((0, 10**15, 3 * 10**15)))
    elif old.kind == AAVE_V3:
        new = replace(old, fee_num=rng.choice((0, 5, 9, 30)))
    else:
        new = replace(old, fee_num=rng.choice((0, 100, 500, 3000)), fee_den=1_000_000)
    return [*sources[:at], new, *sources[at + 1 :]]


def _l1_fees(found) -> dict[str, int]:
    """A rollup's L1 data fee per opportunity, in wei: a function of what it sends."""
    return {o.id: (len(o.pools) * 37 + o.amount_in % 1000) * 10**9 for o in found}


def _pricing_pools(inp: FinderInput) -> list[str]:
    """Pools between the native token and another base token: moving them moves that token's rate."""
    native, others = inp.native_token, set(inp.base_tokens) - {inp.native_token}
    found = []
    for pool, state in inp.states.items():
        pair = set(state.tokens) if isinstance(state, WeightedPoolState) else {state.token0, state.token1}
        if native in pair and pair & others:
            found.append(pool)
    return sorted(found)


def _check(
    finder: IncrementalFinder, inp: FinderInput, changed, kept: bool, top: int | None, label: str
) -> int:
    """The finder's ranking after this block equals the full finder's; with `top`, through `update_top`:
    its head first (entry for entry the full ranking's first `top`), then, when `top` is even,
    the rest through `finish` (when odd, the next update sizes what it left)."""
    full = find_opportunities(inp)
    if top is not None:
        head = [at_block(o, inp.block) for o in finder.update_top(inp, changed, top)]
        assert head == full[:top], label
        if top % 2:
            return len(full)
        got = [at_block(o, inp.block) for o in finder.finish()]
    elif kept:
        got = [at_block(o, inp.block) for o in finder.update_kept(inp, changed)]
    else:
        got = finder.update(inp, changed)
    assert [o.id for o in got] == [o.id for o in full], label
    assert got == full, label  # amounts, profits, lender, gas, block
    return len(full)


@pytest.mark.parametrize("seed", range(5))
def test_random_block_sequences_rank_as_the_full_finder(seed):
    rng = random.Random(seed)
    market = bench_scan.build_market(160, seed=seed + 1)
    inp = bench_scan.finder_input(market, 2 if seed == 0 else 3)
    balancer, balancer_dex = _balancer_pools(market, rng)
    market.states.update(balancer)
    inp = replace(inp, states={**inp.states, **balancer}, dex_of={**inp.dex_of, **balancer_dex})
    inp = replace(inp, min_profit=(0, 10**12, 10**9)[seed % 3], l1_fees=_l1_fees if seed % 2 else None)
    native = inp.native_token
    held_back = rng.sample(sorted(inp.states), 8)  # pools discovered mid-run
    states = {p: s for p, s in inp.states.items() if p not in held_back}
    for p in rng.sample(sorted(states), 40):  # mispriced enough for opportunities of several bases
        states[p] = _moved(states[p], rng, 0.04)
    menus = {t: _source_menu(inp, t, rng) for t in inp.base_tokens}
    sources = {t: list(rng.sample(menus[t], rng.randint(1, 3))) for t in inp.base_tokens}
    history: dict[str, list] = {t: [list(v)] for t, v in sources.items()}
    gas_prices = [bench_scan.GAS_PRICE]
    pricing = _pricing_pools(inp)
    inp = replace(inp, states=dict(states), flash_sources=dict(sources), gas_price=gas_prices[0])
    finder = IncrementalFinder()
    finder.update(inp, None)
    tops = random.Random(seed + 100)  # which blocks rank their head first, and how long a head
    seen = deferred = 0
    for block in range(2, 2 + BLOCKS):
        changed: set[str] | None = set()
        for p in rng.sample(sorted(states), rng.choice((0, 0, 1, 3, 8))):
            states[p] = _moved(states[p], rng, rng.choice((0.0, 0.005, 0.03)))
            changed.add(p)
        if rng.random() < 0.3:  # a base token's rate moves
            for p in rng.sample(pricing, min(2, len(pricing))):
                if p in states:
                    states[p] = _moved(states[p], rng, 0.02)
                    changed.add(p)
        if held_back and rng.random() < 0.2:  # a pool appears, unnamed
            p = held_back.pop()
            states[p] = market.states[p]
        if rng.random() < 0.1:  # a pool disappears, unnamed
            gone = rng.choice(sorted(states))
            held_back.append(gone)
            del states[gone]
            changed.discard(gone)
        for token in rng.sample(inp.base_tokens, rng.choice((0, 0, 1, 2))):
            sources[token] = _new_sources(sources[token], menus[token], history[token], rng)
            history[token].append(list(sources[token]))
        roll = rng.random()
        gas_price = inp.gas_price
        if roll < 0.25:
            gas_price = rng.choice(gas_prices)  # back to an earlier value
        elif roll < 0.5:
            gas_price = max(1, gas_price * rng.choice((1, 3, 50)) // rng.choice((1, 3, 50)))
            gas_prices.append(gas_price)
        if rng.random() < 0.08:
            changed = None  # a reorg
        inp = replace(
            inp,
            block=block,
            states=dict(states),
            flash_sources={t: list(v) for t, v in sources.items()},
            gas_price=gas_price,
        )
        label = f"seed {seed} block {block} native {native[-4:]}"
        top = tops.choice((None, 1, 2, 3, 10)) if tops.random() < 0.6 else None
        seen += _check(finder, inp, changed, rng.random() < 0.5, top, label)
        deferred += finder.last.deferred
        if rng.random() < 0.2:  # the same block again: nothing moved, nothing re-evaluated
            _check(finder, inp, (), False, None, label + " again")
    assert seen > BLOCKS, "the sequence ranks opportunities, not only empty lists"
    if inp.l1_fees is None:
        assert deferred, "some heads were ready before every route was sized"
