"""Helpers of the `watch` tests that compare a watcher's ranking with a full `scan` at the same block."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mevcli.arbitrage.scanner import ScanOptions, scan
from mevcli.arbitrage.watcher import LiveRanker, Watcher
from mevcli.config import load_settings
from mevcli.context import AppContext

TOP = 1000  # every opportunity, not only the best few: the whole ranking is compared


def context(market: Any, cache_dir: Path, url: str | None = None) -> AppContext:
    """A context on the devnet with a cache of its own (`url`: the node's, through a proxy)."""
    env = market.chain.cli_env(cache_dir)
    return AppContext(load_settings({}, env={**env, "ETH_RPC_URL": url} if url else env))


def live_watcher(market: Any, cache_dir: Path, url: str | None = None) -> Watcher:
    """A watcher ranking as `scan --top TOP` does, on the funded devnet (`url`: through a proxy)."""
    market.fund()
    ctx = context(market, cache_dir, url)
    return Watcher(ctx, ctx.reserve_cache, LiveRanker(ctx, TOP))


def full_scan(market: Any, cache_dir: Path, top: int = TOP) -> list[dict[str, Any]]:
    """A `scan --top` at the head from a cold cache of its own: shares nothing with the watcher."""
    ctx = context(market, cache_dir)
    return [o.to_json() for o in scan(ctx, ScanOptions(top=top), lambda _message: None).opportunities]


def ranked(update: Any) -> list[dict[str, Any]]:
    """A ranked head's opportunities, as JSON."""
    assert update.error is None, update.error
    assert update.opportunities is not None, "the block changed pools: it must be ranked"
    return [o.to_json() for o in update.opportunities]
