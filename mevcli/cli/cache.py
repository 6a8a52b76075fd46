"""`mevcli cache stats|clear|warm|history`: the reserve cache (one per chain id, on disk or in the shared
Redis) and the execution log."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from mevcli.arbitrage.known import known_refs
from mevcli.cache.reserves import existing_stats
from mevcli.cache.stats import CacheStats
from mevcli.cache.store import ReserveStore
from mevcli.cli.output import emit_json, log, stdout
from mevcli.cli.tables import Column, fitted_table, print_table
from mevcli.context import AppContext
from mevcli.errors import MevcliError
from mevcli.execution import journal
from mevcli.presets import get_preset

app = typer.Typer(
    help="The reserve cache (on disk or a shared Redis) and the execution log.", no_args_is_help=True
)


def _chain_ids(ctx: AppContext, executions: bool = False) -> list[int]:
    """The chain named by --chain / --rpc-url, else every chain with a cache (or, with `executions`, an
    execution log) in the cache dir."""
    settings = ctx.settings
    if settings.chain:
        return [get_preset(settings.chain).chain_id]
    if settings.rpc_urls:
        return [ctx.chain_id]
    found = set(ctx.backend.reserve_chain_ids())
    if executions:
        found.update(journal.journal_chain_ids(ctx.backend))
    return sorted(found)


def _stats(ctx: AppContext, chain_id: int) -> CacheStats:
    found = existing_stats(ctx.backend, chain_id)
    return found or CacheStats(chain_id=chain_id, directory=ctx.backend.reserve_location(chain_id))


def _symbol(ctx: AppContext, token: str) -> str:
    """The token's symbol when the chain's preset or manifest knows it (no node is started for it)."""
    if not (ctx.settings.rpc_urls or ctx.settings.chain):
        return token
    try:
        symbol = ctx.symbol_of(token)
    except MevcliError:
        return token
    return token if symbol == token else f"{symbol} ({token})"


def _execution_rows(ctx: AppContext, figures: dict[str, Any]) -> list[tuple[str, str]]:
    rows = [
        ("executions journaled", f"{figures['entries']:,}"),
        ("  simulations", f"{figures['simulations']:,}"),
        ("  transactions sent", f"{figures['sends']:,}"),
        ("  succeeded", f"{figures['successes']:,}"),
        ("  reverted", f"{figures['reverts']:,}"),
        ("  refused (nothing sent)", f"{figures['refusals']:,}"),
        ("  failed to send", f"{figures['failures']:,}"),
        ("  gas paid", f"{figures['gas_paid_wei']:,} wei"),
    ]
    for token, amount in sorted(figures["realized_profit"].items()):
        rows.append((f"  realized profit {_symbol(ctx, token)}", f"{amount:,}"))
    for token, amount in sorted(figures["realized_net"].items()):
        estimated = figures["estimated_net"].get(token, 0)
        rows.append((f"  realized net {_symbol(ctx, token)}", f"{amount:,} (estimated {estimated:,})"))
    return rows


def _table(stats: CacheStats) -> Table:
    table = Table(title=f"reserve cache, chain {stats.chain_id}", box=box.SIMPLE_HEAD, title_justify="left")
    table.add_column("metric", no_wrap=True)
    table.add_column("value", justify="right", overflow="fold")
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
    """Hits, misses, event updates, invalidations, entries, size and last processed block; and the
    execution log's figures (simulations, sends, refusals, reverts, realized profit and net per token next
    to the estimates)."""
    app_ctx: AppContext = ctx.obj
    chain_ids = _chain_ids(app_ctx, executions=True)
    all_stats = [_stats(app_ctx, chain_id) for chain_id in chain_ids]
    figures = [journal.summarize(journal.entries(app_ctx.backend, chain_id)) for chain_id in chain_ids]
    if app_ctx.settings.json:
        documents = [{**s.to_json(), "executions": f} for s, f in zip(all_stats, figures, strict=True)]
        if len(documents) == 1:
            emit_json(documents[0])
        elif not documents:
            empty = journal.summarize([])
            emit_json({**CacheStats(chain_id=0).to_json(), "chain_id": None, "executions": empty})
        else:
            emit_json(documents)
        return
    if not all_stats:
        stdout.print(f"no reserve cache in {app_ctx.backend.description}")
    for one, figure in zip(all_stats, figures, strict=True):
        table = _table(one)
        table.add_section()
        for name, value in _execution_rows(app_ctx, figure):
            table.add_row(name, value)
        print_table(stdout, table)


@app.command("history")
def history(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Newest N entries")] = 20,
    wide: Annotated[bool, typer.Option("--wide", help="Every column, whatever the terminal's width")] = False,
) -> None:
    """The execution log: every simulate, execute and watch --execute outcome, newest last."""
    app_ctx: AppContext = ctx.obj
    rows: list[dict[str, Any]] = []
    for chain_id in _chain_ids(app_ctx, executions=True):
        rows.extend({"chain_id": chain_id, **e} for e in journal.history(app_ctx.backend, chain_id, limit))
    rows = sorted(rows, key=lambda e: int(e.get("time") or 0))[-limit:]
    if app_ctx.settings.json:
        emit_json(rows)
        return
    if not rows:
        stdout.print(f"no executions journaled in {app_ctx.backend.description}")
        return
    chains = sorted({e["chain_id"] for e in rows})
    title = f"execution log, chain {chains[0]}" if len(chains) == 1 else "execution log"
    print_table(stdout, history_table(rows, stdout, title=f"{title}, newest {len(rows)}", wide=wide))


def history_table(rows: list[dict[str, Any]], console: Console, *, title: str, wide: bool = False) -> Table:
    """The execution log fitted to `console`: ids, amounts and hashes whole; the tx hash and the block
    give way first on a narrow terminal (`--wide` keeps them)."""
    several = len({e["chain_id"] for e in rows}) > 1
    columns = [
        Column("time (UTC)"),
        *([Column("chain", justify="right")] if several else []),
        Column("kind"),
        Column("opportunity"),
        Column("block", priority=2, justify="right"),
        Column("token profit", justify="right"),
        Column("net", justify="right"),
        Column("status", whole=False),
        Column("tx", priority=1),
    ]
    table_rows = []
    for e in rows:
        when = datetime.fromtimestamp(int(e.get("time") or 0), UTC).strftime("%m-%d %H:%M:%S")
        table_rows.append(
            [
                when,
                *([str(e["chain_id"])] if several else []),
                str(e.get("kind", "")),
                str(e.get("id", "")),
                str(e.get("block", "")),
                str(e.get("token_profit", "")),
                str(e.get("net_profit", "")),
                str(e.get("status") or ("ok" if e.get("ok") else f"failed: {e.get('error')}")),
                str(e.get("tx_hash") or "-"),
            ]
        )
    return fitted_table(console, columns, table_rows, title=title, wide=wide)


@app.command("clear")
def clear(ctx: typer.Context) -> None:
    """Drop every cached pool state, the last processed block and the statistics."""
    app_ctx: AppContext = ctx.obj
    cleared = {}
    for chain_id in _chain_ids(app_ctx):
        kv = app_ctx.backend.reserve_kv(chain_id, create=False)
        if kv is None:
            continue
        store = ReserveStore(kv)
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
