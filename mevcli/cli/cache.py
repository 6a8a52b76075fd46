"""`mevcli cache stats|clear|warm`: the disk-backed reserve cache (one per chain id)."""

from __future__ import annotations

import time
from typing import Any

import typer
from rich.table import Table

from mevcli.cache.known import known_refs
from mevcli.cache.reserves import store_stats
from mevcli.cache.stats import CacheStats
from mevcli.cache.store import ReserveStore, cache_directory
from mevcli.cli.output import emit_json, log, stdout
from mevcli.context import AppContext
from mevcli.presets import get_preset

app = typer.Typer(help="The disk-backed reserve cache.", no_args_is_help=True)


def _chain_ids(ctx: AppContext) -> list[int]:
    """The chain named by --chain / --rpc-url, else every chain with a cache in the cache dir."""
    settings = ctx.settings
    if settings.chain:
        return [get_preset(settings.chain).chain_id]
    if settings.rpc_urls:
        return [ctx.chain_id]
    root = settings.cache_dir / "reserves"
    if not root.is_dir():
        return []
    return sorted(int(p.name) for p in root.iterdir() if p.is_dir() and p.name.isdigit())


def _stats(ctx: AppContext, chain_id: int) -> CacheStats:
    directory = cache_directory(ctx.settings.cache_dir, chain_id)
    if not directory.is_dir():
        return CacheStats(chain_id=chain_id, directory=str(directory))
    store = ReserveStore(directory)
    try:
        return store_stats(store, chain_id)
    finally:
        store.close()


def _table(stats: CacheStats) -> Table:
    table = Table(title=f"reserve cache, chain {stats.chain_id}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    rows: list[tuple[str, Any]] = [
        ("hits", f"{stats.hits:,}"),
        ("misses", f"{stats.misses:,}"),
        ("hit rate", f"{stats.hit_rate:.1%}"),
        ("TTL expiries", f"{stats.ttl_expiries:,}"),
        ("event-applied updates", f"{stats.event_updates:,}"),
        ("invalidations", f"{stats.invalidations:,}"),
        ("reorgs", f"{stats.reorgs:,}"),
        ("reorg rollbacks", f"{stats.reorg_rollbacks:,}"),
        ("RPC calls saved", f"{stats.rpc_calls_saved:,} ({stats.calls_saved:,} multicall sub-calls)"),
        ("entries", f"{stats.entries:,}"),
        ("size on disk", f"{stats.size_bytes / 1024:,.1f} KiB"),
        ("last processed block", "-" if stats.last_block is None else f"{stats.last_block:,}"),
        ("directory", stats.directory),
    ]
    for name, value in rows:
        table.add_row(name, str(value))
    return table


@app.command("stats")
def stats(ctx: typer.Context) -> None:
    """Hits, misses, event updates, invalidations, entries, size and last processed block."""
    app_ctx: AppContext = ctx.obj
    chain_ids = _chain_ids(app_ctx)
    all_stats = [_stats(app_ctx, chain_id) for chain_id in chain_ids]
    if app_ctx.settings.json:
        if len(all_stats) == 1:
            emit_json(all_stats[0].to_json())
        elif not all_stats:
            emit_json({**CacheStats(chain_id=0).to_json(), "chain_id": None})
        else:
            emit_json([s.to_json() for s in all_stats])
        return
    if not all_stats:
        stdout.print(f"no reserve cache in {app_ctx.settings.cache_dir}")
    for one in all_stats:
        stdout.print(_table(one))


@app.command("clear")
def clear(ctx: typer.Context) -> None:
    """Drop every cached pool state, the last processed block and the statistics."""
    app_ctx: AppContext = ctx.obj
    cleared = {}
    for chain_id in _chain_ids(app_ctx):
        directory = cache_directory(app_ctx.settings.cache_dir, chain_id)
        if not directory.is_dir():
            continue
        store = ReserveStore(directory)
        try:
            entries = len(store.index())
            store.clear()
        finally:
            store.close()
        cleared[chain_id] = entries
    if app_ctx.settings.json:
        emit_json({"cleared": {str(k): v for k, v in cleared.items()}})
        return
    if not cleared:
        stdout.print("reserve cache already empty")
    for chain_id, entries in cleared.items():
        stdout.print(f"cleared the reserve cache of chain {chain_id} ({entries} pools)")


@app.command("warm")
def warm(ctx: typer.Context) -> None:
    """Read every known pool (tracked, manifest, config, discovered) into the cache."""
    app_ctx: AppContext = ctx.obj
    started = time.perf_counter()
    cache = app_ctx.reserve_cache
    block = cache.chain.head()
    first = cache.sync(block)
    refs = known_refs(app_ctx, cache, block, log)
    snap = cache.snapshot(refs, block)
    snap.report = first.merge(snap.report)
    elapsed = time.perf_counter() - started
    result = {
        "chain_id": app_ctx.chain_id,
        "block": snap.block,
        "pools": len(snap.states),
        "hits": snap.hits,
        "misses": snap.misses,
        "ttl_expiries": snap.expired,
        "read": list(snap.read),
        "event_updates": snap.report.event_updates,
        "reorgs": [r.to_json() for r in snap.report.reorgs],
        "seconds": round(elapsed, 3),
    }
    if app_ctx.settings.json:
        emit_json(result)
        return
    stdout.print(
        f"block {snap.block}: {len(snap.states)} pools cached ({snap.hits} already fresh, "
        f"{len(snap.read)} read from the chain, {snap.report.event_updates} event updates) "
        f"in {elapsed:.2f}s"
    )
