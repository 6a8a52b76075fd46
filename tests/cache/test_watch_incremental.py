"""`watch`'s incremental ranking on the devnet: after each block it equals a full `scan` at that block,
it re-evaluates only the cycles through the pools a block changed, and a reorg rolls it back with the
cache."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from test_reorg_chain import _reorg, _swap_tx
from watch_scans import TOP, context, full_scan
from watch_scans import ranked as _ranked

from mevcli.arbitrage.watcher import LiveRanker, Watcher


def _watcher(market: Any, cache_dir: Path) -> tuple[Watcher, LiveRanker]:
    ctx = context(market, cache_dir)
    ranker = LiveRanker(ctx, TOP)
    return Watcher(ctx, ctx.reserve_cache, ranker), ranker


def test_incremental_ranking_equals_a_full_scan_after_each_block(market, tmp_path):
    market.fund()
    watcher, ranker = _watcher(market, tmp_path / "watch")
    first = _ranked(watcher.process()[-1])
    assert ranker.live.last.rebuilt and first == full_scan(market, tmp_path / "scan0")
    listed = ranker.live.last.routes_listed
    assert ranker.live.last.candidates > 10, "the devnet market must hold many candidate cycles"

    v2, v3 = market.pools("uniswap_v2"), market.pools("uniswap_v3")
    balancer, sushi = market.pools("balancer"), market.pools("sushiswap")
    steps = [
        [lambda: market.v2_swap(v2[0], 40_000)],
        [lambda: market.v3_swap(v3[0], 60_000, zero_for_one=False)],
        [lambda: market.balancer_swap(balancer[0], 30_000)],
        # three blocks caught up by one head: the changes of all three are re-evaluated
        [
            lambda: market.v2_swap(sushi[1], 25_000, zero_for_one=False),
            lambda: market.v3_swap(v3[1], 15_000),
            lambda: market.v2_swap(v2[0], 50_000, zero_for_one=False),
        ],
    ]
    for i, trades in enumerate(steps):
        for trade in trades:
            trade()
        updates = watcher.process(market.chain.w3.eth.block_number)
        changed = {p for u in updates for p in u.updated}
        stats = ranker.live.last
        assert not stats.rebuilt and stats.pools_changed == len(changed) >= 1
        assert stats.routes_listed < listed, "only the cycles through the changed pools are listed"
        ranked = _ranked(updates[-1])
        assert ranked == full_scan(market, tmp_path / f"scan{i + 1}")
        assert {o["block"] for o in ranked} == {updates[-1].block}

    market.mine()  # a block that changes no pool: nothing is re-ranked
    idle = watcher.process(market.chain.w3.eth.block_number)[-1]
    assert idle.opportunities is None and idle.latency_ms is not None


def test_a_reorg_mid_watch_rolls_the_ranking_back(market, tmp_path):
    market.fund()
    watcher, ranker = _watcher(market, tmp_path / "watch")
    before = _ranked(watcher.process()[-1])
    market.v2_swap(market.pools("uniswap_v2")[0], 80_000)
    market.v3_swap(market.pools("uniswap_v3")[0], 60_000)
    moved = _ranked(watcher.process(market.chain.w3.eth.block_number)[-1])
    assert moved != before

    # the two trades' blocks are replaced: one with another trade, one empty
    _reorg(market, 2, [(_swap_tx(market, market.pools("sushiswap")[0], 30_000), 0)])
    update = watcher.process(market.chain.w3.eth.block_number)[-1]
    assert update.reorgs and update.reorgs[0]["depth"] == 2
    assert ranker.live.last.rebuilt
    rolled_back = _ranked(update)
    assert rolled_back != moved and rolled_back == full_scan(market, tmp_path / "scan")

    # and it keeps following the new branch incrementally
    market.v2_swap(market.pools("uniswap_v2")[1], 20_000)
    update = watcher.process(market.chain.w3.eth.block_number)[-1]
    assert not ranker.live.last.rebuilt
    assert _ranked(update) == full_scan(market, tmp_path / "scan2")
