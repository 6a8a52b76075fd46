"""Events keep cached states exact: V2 Sync and V3 Swap/Mint/Burn applied with no eth_call, on anvil."""

from __future__ import annotations

from cache_checks import assert_matches_chain, differences, open_cache

from mevcli.dex.pools import read_states
from mevcli.dex.uniswap_v3.tick_math import MAX_TICK, MIN_TICK


def _pool(market, dex: str, fee: int | None = None) -> dict:
    return next(p for p in market.pools(dex) if fee is None or p["fee"] == fee)


def test_swaps_mints_and_burns_are_applied_without_eth_call(market, where, proxy):
    refs = market.refs()
    cache = open_cache(market.chain, where, proxy.url)
    first = cache.snapshot(refs)
    assert first.misses == len(refs) and first.hits == 0

    v2, sushi = _pool(market, "uniswap_v2"), _pool(market, "sushiswap")
    v3_500, v3_3000 = _pool(market, "uniswap_v3", 500), _pool(market, "uniswap_v3", 3000)
    market.v2_swap(v2, 50_000)
    market.v2_swap(sushi, 20_000, zero_for_one=False)
    market.v3_swap(v3_500, 100_000)
    market.v3_swap(v3_3000, 30_000, zero_for_one=False)
    position = market.v3_mint(v3_500, market.aligned(v3_500, -30), market.aligned(v3_500, 40), 200_000)
    market.v3_swap(v3_500, 400_000, zero_for_one=False)  # moves the tick across ticks
    market.v3_burn(position, 6_000)
    market.v3_mint(v3_3000, market.aligned(v3_3000, 5), market.aligned(v3_3000, 9), 10_000)  # out of range

    proxy.reset()
    second = cache.snapshot(refs)
    calls = proxy.reset()
    assert calls["eth_call"] == 0, calls
    assert second.hits == len(refs) and second.misses == 0
    assert second.report.event_updates >= 8
    updated = second.report.changed()
    assert {v2["address"], sushi["address"], v3_500["address"], v3_3000["address"]} <= updated

    fresh = read_states(market.multicall(), refs, second.block)
    problems = {a: differences(s, fresh[a]) for a, s in second.states.items()}
    assert not {a: p for a, p in problems.items() if p}
    stats = cache.stats()
    assert stats.event_updates == second.report.event_updates and stats.hits == len(refs)
    assert stats.last_block == second.block and stats.entries == len(refs)
    assert not cache.store.verify()


def test_a_mint_outside_the_loaded_bitmap_words_invalidates_then_rereads(market, where):
    pool = _pool(market, "uniswap_v3", 100)
    refs = [r for r in market.refs(("uniswap_v3",)) if r.address == pool["address"]]
    cache = open_cache(market.chain, where)
    cache.snapshot(refs)
    market.v3_mint(pool, MIN_TICK, MAX_TICK, 1_000)  # full range: far outside the loaded words
    snap = cache.snapshot(refs)
    assert pool["address"] in snap.read  # invalidated by the Mint, read again
    assert cache.stats().invalidations == 1
    assert_matches_chain(cache, refs)


def test_balancer_and_curve_pools_stay_exact(market, where):
    refs = market.refs(("balancer", "curve", "uniswap_v2"))
    cache = open_cache(market.chain, where)
    cache.snapshot(refs)
    weighted = next(p for p in market.pools("balancer") if p["kind"] == "weighted")
    stable = next(p for p in market.pools("balancer") if p["kind"] == "composable_stable")
    market.balancer_swap(weighted, 10_000)
    market.balancer_swap(stable, 250_000)
    market.v2_swap(_pool(market, "uniswap_v2"), 10_000)
    snap = cache.snapshot(refs)
    assert {weighted["address"], stable["address"]} <= snap.report.changed()
    assert not snap.read  # the Vault's Swap events were applied: nothing read again
    assert_matches_chain(cache, refs)


def test_ttl_expires_pools_no_event_touched(market, where):
    now = [1_000.0]
    refs = market.refs(("uniswap_v2", "sushiswap"))
    cache = open_cache(market.chain, where, ttl=45.0, clock=lambda: now[0])
    cache.snapshot(refs)
    now[0] += 30
    touched = market.pools("uniswap_v2")[1]
    market.v2_swap(touched, 5_000)
    assert cache.snapshot(refs).hits == len(refs)  # the event refreshed that pool's clock
    now[0] += 20  # 50 s after the read, 20 s after the event
    snap = cache.snapshot(refs)
    assert snap.expired == len(refs) - 1 and set(snap.read) == {r.address for r in refs} - {
        touched["address"]
    }
    assert cache.stats().ttl_expiries == len(refs) - 1
    assert_matches_chain(cache, refs)
