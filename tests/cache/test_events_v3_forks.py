"""The cache follows SushiSwap V3 and PancakeSwap V3 pools by their events, with no eth_call, on anvil.

PancakeSwap V3's `Swap` has two more fields than Uniswap's and so another topic: a cache that did not ask
for that topic would keep a Pancake pool's old price until its TTL ran out.
"""

from __future__ import annotations

from cache_checks import differences, open_cache

from mevcli.devnet.v3_forks import liquidity_for_amounts
from mevcli.dex.pools import read_states
from mevcli.dex.uniswap_v3.forks import PANCAKESWAP_V3, UNISWAP_V3
from mevcli.dex.uniswap_v3.kind import BURN, MINT
from mevcli.dex.uniswap_v3.tick_math import get_sqrt_ratio_at_tick

FORKS = ("sushiswap_v3", "pancakeswap_v3")


def _pool(market, dex: str, fee: int) -> dict:
    return next(p for p in market.pools(dex) if p["fee"] == fee)


def _topics_since(market, address: str, block: int) -> list[bytes]:
    logs = market.chain.w3.eth.get_logs({"address": address, "fromBlock": block + 1, "toBlock": "latest"})
    return [bytes(log["topics"][0]) for log in logs]


def test_fork_swaps_mints_and_burns_are_applied_without_eth_call(market, tmp_path, proxy):
    refs = market.refs(FORKS)
    assert {r.dex.name for r in refs} == set(FORKS)
    cache = open_cache(market.chain, tmp_path, proxy.url)
    first = cache.snapshot(refs)
    assert first.misses == len(refs)

    sushi = _pool(market, "sushiswap_v3", 500)
    cake, cake_stable = _pool(market, "pancakeswap_v3", 2500), _pool(market, "pancakeswap_v3", 100)
    market.v3_swap(sushi, 150_000)
    position = market.v3_mint(sushi, market.aligned(sushi, -3), market.aligned(sushi, 4), 200_000)
    market.v3_swap(sushi, 300_000, zero_for_one=False)
    market.v3_burn(position, 4_000, dex="sushiswap_v3")

    market.v3_swap(cake, 120_000)
    lower, upper = market.aligned(cake, -2), market.aligned(cake, 3)
    sqrt_price = market.d.at("PancakeV3Pool", cake["address"]).functions.slot0().call()[0]
    amount0, amount1 = market.units(cake["tokens"][0], 100_000), market.units(cake["tokens"][1], 100_000)
    liquidity = liquidity_for_amounts(
        sqrt_price, get_sqrt_ratio_at_tick(lower), get_sqrt_ratio_at_tick(upper), amount0, amount1
    )
    market.pancake_mint(cake, lower, upper, liquidity)
    market.v3_swap(cake, 400_000, zero_for_one=False)  # across the new position's ticks
    market.pancake_burn(cake, lower, upper, liquidity // 3)
    market.v3_swap(cake_stable, 50_000, zero_for_one=False)

    cake_topics = _topics_since(market, cake["address"], first.block)
    assert PANCAKESWAP_V3.swap_topic in cake_topics and UNISWAP_V3.swap_topic not in cake_topics
    assert {MINT, BURN} <= set(cake_topics)
    assert UNISWAP_V3.swap_topic in _topics_since(market, sushi["address"], first.block)

    proxy.reset()
    second = cache.snapshot(refs)
    calls = proxy.reset()
    assert calls["eth_call"] == 0, calls
    assert second.hits == len(refs) and second.misses == 0
    assert {sushi["address"], cake["address"], cake_stable["address"]} <= second.report.changed()
    fresh = read_states(market.multicall(), refs, second.block)
    assert fresh[cake["address"]].sqrt_price_x96 != first.states[cake["address"]].sqrt_price_x96
    problems = {a: differences(s, fresh[a]) for a, s in second.states.items()}
    assert not {a: p for a, p in problems.items() if p}
    assert not cache.store.verify()
