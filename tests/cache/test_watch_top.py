"""`watch --top N` on the devnet: after each block the shown opportunities, their count of profitable ones
and the stored document `simulate`/`execute ID` read equal what a full `scan --top N` shows and stores at
that block (only the shown ones are re-dated to the head; the rest of the ranking is kept as sized). The
top is ready before the routes that cannot reach it are sized (`IncrementalFinder.update_top`); the
document is stored once they are (`Watcher.settle`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from watch_scans import context

from mevcli.arbitrage.scanner import ScanOptions, scan
from mevcli.arbitrage.watcher import LiveRanker, Watcher
from mevcli.context import AppContext

TOP = 3


def _stored(ctx: AppContext) -> dict[str, Any]:
    return json.loads((ctx.settings.cache_dir / "opportunities" / f"{ctx.chain_id}.json").read_text())


def _full_scan(market: Any, cache_dir: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    ctx = context(market, cache_dir)
    report = scan(ctx, ScanOptions(top=TOP), lambda _message: None)
    return [o.to_json() for o in report.opportunities], _stored(ctx)


def test_the_shown_top_and_its_stored_document_equal_a_full_scans(market, tmp_path):
    market.fund()
    ctx = context(market, tmp_path / "watch")
    ranker = LiveRanker(ctx, TOP)
    watcher = Watcher(ctx, ctx.reserve_cache, ranker)
    v2, v3 = market.pools("uniswap_v2"), market.pools("uniswap_v3")
    steps = [
        lambda: None,
        lambda: market.v2_swap(v2[0], 40_000),
        lambda: market.v3_swap(v3[0], 60_000, zero_for_one=False),
        lambda: market.v2_swap(v2[1], 25_000, zero_for_one=False),
    ]
    try:
        for i, step in enumerate(steps):
            step()
            update = watcher.process(market.chain.w3.eth.block_number)[-1]
            assert update.error is None, update.error
            shown = [o.to_json() for o in update.opportunities or ()]
            watcher.settle()  # as `watch` does once the line is out: the rest sized, the ranking stored
            ranker.live.saver.flush()
            expected, stored = _full_scan(market, tmp_path / f"scan{i}")
            assert len(shown) == TOP and shown == expected
            assert {o["block"] for o in shown} == {update.block}
            assert _stored(ctx) == stored  # block, the profitable count, the shown ones by id
            assert stored["profitable"] > TOP
    finally:
        ranker.close()
