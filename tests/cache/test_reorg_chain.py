"""Reorgs made with `anvil_reorg`: afterwards every cached pool equals a fresh read at the new head."""

from __future__ import annotations

import pytest
from cache_checks import assert_matches_chain, open_cache
from cache_market import FAR


def _swap_tx(market, pool: dict, usd: int) -> dict:
    """A V2 router swap as a raw transaction for `anvil_reorg` to include in the new branch."""
    t0, t1 = pool["tokens"]
    router = market.d.at("UniswapV2Router02", market.manifest[pool["dex"]]["router"])
    call = router.functions.swapExactTokensForTokens(market.units(t0, usd), 0, [t0, t1], market.d.sender, FAR)
    return {
        "from": market.d.sender,
        "to": router.address,
        "data": call._encode_transaction_data(),
        "gas": "0x7a120",
    }


def _reorg(market, depth: int, txs: list[tuple[dict, int]]) -> None:
    result = market.chain.w3.provider.make_request(
        "anvil_reorg", [depth, [[tx, offset] for tx, offset in txs]]
    )
    assert "error" not in result, result


def _trade_blocks(market, cache, refs, blocks: int) -> None:
    """One block per trade, each processed by the cache as `watch` would (a checkpoint per block)."""
    v2 = market.pools("uniswap_v2")
    v3 = market.pools("uniswap_v3")
    for i in range(blocks):
        if i % 2:
            market.v3_swap(v3[i % len(v3)], 20_000, zero_for_one=bool(i % 4 == 1))
        else:
            market.v2_swap(v2[i % len(v2)], 30_000, zero_for_one=bool(i % 4 == 0))
        market.v2_swap(v2[0], 1_000 + i)  # the hot pool: changed in every block
        cache.sync()


@pytest.mark.parametrize(
    ("where", "depth"), [("disk", 1), ("disk", 3), ("disk", 10), ("redis", 10)], indirect=["where"]
)
def test_reorg_rolls_back_and_reapplies(market, where, depth):
    market.fund()
    refs = market.refs(("uniswap_v2", "sushiswap", "uniswap_v3"))
    cache = open_cache(market.chain, where)
    cache.snapshot(refs)
    # v2_swap sends one transaction per call: two blocks per trade step.
    _trade_blocks(market, cache, refs, depth // 2 + 1)
    before = cache.stats()
    new_branch = [(_swap_tx(market, market.pools("sushiswap")[0], 40_000), 0)]
    if depth > 1:
        new_branch.append((_swap_tx(market, market.pools("uniswap_v2")[1], 25_000), depth - 1))
    _reorg(market, depth, new_branch)

    snap_states = assert_matches_chain(cache, refs)
    assert len(snap_states) == len(refs)
    after = cache.stats()
    assert after.reorgs == before.reorgs + 1
    assert after.reorg_rollbacks > before.reorg_rollbacks
    assert after.last_block == market.chain.w3.eth.block_number
    # the cache keeps following the new branch
    market.v2_swap(market.pools("uniswap_v2")[2], 10_000)
    assert_matches_chain(cache, refs)
    assert not cache.store.verify()


def test_reorg_deeper_than_a_pool_history_invalidates_that_pool(market, where):
    market.fund()
    refs = market.refs(("uniswap_v2", "sushiswap", "uniswap_v3"))
    cache = open_cache(market.chain, where, history=2)
    cache.snapshot(refs)
    _trade_blocks(market, cache, refs, 4)  # the hot pool gets 4 versions, 2 are kept
    _reorg(market, 6, [(_swap_tx(market, market.pools("uniswap_v2")[0], 7_000), 2)])
    snap = cache.snapshot(refs)
    assert market.pools("uniswap_v2")[0]["address"] in snap.read  # history too short: read again
    assert cache.stats().invalidations >= 1
    assert_matches_chain(cache, refs)


def test_reorg_deeper_than_the_checkpoints_drops_everything(market, where):
    market.fund()
    refs = market.refs(("uniswap_v2", "uniswap_v3"))
    cache = open_cache(market.chain, where, checkpoints=3)
    cache.snapshot(refs)
    _trade_blocks(market, cache, refs, 3)
    _reorg(market, 8, [(_swap_tx(market, market.pools("uniswap_v2")[0], 9_000), 1)])
    snap = cache.snapshot(refs)
    assert snap.report.reorgs and snap.report.reorgs[0].fork_block == -1
    assert len(snap.read) == len(refs)
    assert_matches_chain(cache, refs)


def test_a_block_behind_the_cache_is_served_from_history(market, where, proxy):
    market.fund()
    refs = market.refs(("uniswap_v2", "uniswap_v3"))
    cache = open_cache(market.chain, where, proxy.url)
    cache.snapshot(refs)
    start = market.chain.w3.eth.block_number
    _trade_blocks(market, cache, refs, 3)
    proxy.reset()
    past = cache.snapshot(refs, start + 2)
    assert proxy.reset()["eth_call"] == 0 and past.misses == 0
    assert_matches_chain(cache, refs, start + 2)
