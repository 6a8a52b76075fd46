"""`mevcli status`: the node, the reserve cache, the last scan and the executions on one screen."""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from mevcli.arbitrage.last_scan import load_last_scan
from mevcli.chain.client import answering_url
from mevcli.chain.failover import FailoverHTTPProvider
from mevcli.cli.output import emit_json, format_units, stdout
from mevcli.cli.tables import Column, fitted_table, print_table
from mevcli.context import DEVNET, AppContext
from mevcli.devnet import manager
from mevcli.errors import UsageError
from mevcli.execution import journal
from mevcli.metrics import execution_counts
from mevcli.presets import get_preset
from mevcli.redact import first_line, redact_text, redact_url


def _node(ctx: AppContext) -> dict[str, Any]:
    """Chain id and head of the configured node; never starts a devnet just to report on it."""
    settings = ctx.settings
    node: dict[str, Any] = {"rpc_url": None, "reachable": False, "chain_id": None, "head_block": None}
    if not settings.rpc_urls:
        if settings.chain not in (None, DEVNET):
            node["error"] = f"no RPC URL for chain {settings.chain}"
            return node
        running = manager.status(settings.cache_dir)
        node["devnet"] = running is not None
        if running is None:
            node["error"] = "devnet not running (mevcli devnet up)"
            return node
    node["rpc_url"] = redact_url(settings.rpc_urls[0] if settings.rpc_urls else ctx.rpc_url)
    try:
        w3 = ctx.w3
        latest = w3.eth.get_block("latest")
        answered = answering_url(w3)
        node.update(
            rpc_url=redact_url(answered) if answered else node["rpc_url"],
            reachable=True,
            chain_id=ctx.chain_id,
            chain=ctx.preset.name if ctx.preset else None,
            head_block=int(latest["number"]),
            head_age_s=max(int(time.time()) - int(latest["timestamp"]), 0),
        )
    except Exception as exc:  # unreachable node, wrong chain: the rest of the report still helps
        node["error"] = first_line(exc, 300)
    if len(settings.rpc_urls) > 1:
        node["endpoints"] = _endpoints(ctx)
    return node


def _endpoints(ctx: AppContext) -> list[dict[str, Any]]:
    """Each configured URL with what this run learnt of it: reachable true (answered), false (failed,
    with the error) or null (not tried: a more preferred URL answered)."""
    provider = ctx.__dict__["w3"].provider if "w3" in ctx.__dict__ else None
    if not isinstance(provider, FailoverHTTPProvider):
        return [{"rpc_url": redact_url(u), "reachable": False} for u in ctx.settings.rpc_urls]
    rows = []
    for url, reachable, error in provider.endpoint_report():
        row: dict[str, Any] = {"rpc_url": redact_url(url), "reachable": reachable}
        if error:
            row["error"] = redact_text(error)
        rows.append(row)
    return rows


def _cache(ctx: AppContext, chain_id: int, head: int | None) -> dict[str, Any]:
    from mevcli.cache.reserves import existing_stats

    stats = existing_stats(ctx.backend, chain_id)
    if stats is None:
        where = ctx.backend.reserve_location(chain_id)
        return {"entries": 0, "hit_rate": None, "last_block": None, "directory": where}
    behind = head - stats.last_block if head is not None and stats.last_block is not None else None
    return {
        "entries": stats.entries,
        "hits": stats.hits,
        "misses": stats.misses,
        "hit_rate": round(stats.hit_rate, 4) if stats.hits + stats.misses else None,
        "event_updates": stats.event_updates,
        "last_block": stats.last_block,
        "blocks_behind": behind,
        "directory": stats.directory,
    }


def _executions(ctx: AppContext, chain_id: int) -> dict[str, Any]:
    counts = execution_counts(ctx.backend, chain_id)
    last = journal.history(ctx.backend, chain_id, limit=1)
    keys = ("time", "kind", "id", "status", "tx_hash", "token_profit")
    return {**counts, "last": {k: last[-1].get(k) for k in keys} if last else None}


def collect(ctx: AppContext) -> dict[str, Any]:
    """The whole report as JSON-ready data (ints stay ints)."""
    node = _node(ctx)
    chain_id = node["chain_id"]
    if chain_id is None and ctx.settings.chain:
        chain_id = get_preset(ctx.settings.chain).chain_id
    if chain_id is None and node.get("devnet") is not None:
        chain_id = get_preset(DEVNET).chain_id
    data: dict[str, Any] = {"node": node, "chain_id": chain_id}
    if chain_id is None:
        data.update(cache=None, last_scan=None, executions=None)
        return data
    data["cache"] = _cache(ctx, chain_id, node["head_block"])
    last_scan = load_last_scan(ctx.backend, chain_id)
    if last_scan is not None:
        last_scan["age_s"] = max(int(time.time()) - int(last_scan.get("time", 0)), 0)
    data["last_scan"] = last_scan
    data["executions"] = _executions(ctx, chain_id)
    return data


def status(
    ctx: typer.Context,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Refresh in place until Ctrl-C (a live screen)")
    ] = False,
    interval: Annotated[float, typer.Option("--interval", min=0.2, help="Seconds between refreshes")] = 2.0,
    refreshes: Annotated[
        int | None, typer.Option("--refreshes", min=1, help="With --follow: stop after N refreshes")
    ] = None,
) -> None:
    """Node (chain id, head, RPC URL without credentials), cache, last scan and executions."""
    app_ctx: AppContext = ctx.obj
    if follow and app_ctx.settings.json:
        raise UsageError("--follow draws a screen; scripts poll `status --json` instead")
    if follow:
        from mevcli.cli.status_follow import follow_status

        follow_status(app_ctx, interval, refreshes)
        return
    if refreshes is not None:
        raise UsageError("--refreshes belongs to --follow")
    data = collect(app_ctx)
    if app_ctx.settings.json:
        emit_json(data)
    else:
        print_table(stdout, status_table(app_ctx, data, stdout))
    if not data["node"]["reachable"]:
        raise typer.Exit(1)


def _ago(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"


def _profit(ctx: AppContext, label: str, amount: int) -> str:
    decimals = None
    if ctx.settings.rpc_urls or "w3" in ctx.__dict__:
        try:
            decimals = ((ctx.manifest or {}).get("decimals") or {}).get(label)
        except Exception:  # no manifest for this node: show base units
            decimals = None
    if decimals is None:
        return f"{amount} {label} (base units)"
    return f"{format_units(amount, int(decimals))} {label}"


def status_table(ctx: AppContext, data: dict[str, Any], console: Console) -> Table:
    """Section, item, value; values wrap only between words, so ids and amounts stay whole."""
    node = data["node"]
    rows: list[tuple[str, str, str]] = [("node", "rpc url", node["rpc_url"] or "-")]
    if node["reachable"]:
        rows += [
            ("", "chain id", f"{node['chain_id']} ({node.get('chain') or 'unknown'})"),
            ("", "head block", f"{node['head_block']:,} ({_ago(node.get('head_age_s'))})"),
        ]
    else:
        rows.append(("", "error", node.get("error", "unreachable")))
    for endpoint in node.get("endpoints") or ():
        if endpoint["reachable"] is False:
            rows.append(("", "failed url", f"{endpoint['rpc_url']}: {endpoint.get('error', 'unreachable')}"))
    cache = data.get("cache")
    if cache is not None:
        rate = "-" if cache["hit_rate"] is None else f"{cache['hit_rate']:.1%}"
        last = "-" if cache["last_block"] is None else f"{cache['last_block']:,}"
        if cache.get("blocks_behind") is not None:
            last += f" ({cache['blocks_behind']} behind the head)"
        rows += [
            ("cache", "entries", f"{cache['entries']:,}"),
            ("", "hit rate", rate),
            ("", "last block", last),
        ]
    scan = data.get("last_scan")
    if scan:
        rows += [
            (
                "last scan",
                "time",
                f"{time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(scan['time']))} "
                f"({_ago(scan.get('age_s'))}), block {scan['block']:,}, {scan['seconds']}s",
            ),
            (
                "",
                "opportunities",
                f"{scan['opportunities']} ({scan['pools']} pools, {scan['cycles']:,} cycles)",
            ),
        ]
        for label, best in scan["best_net_profit"].items():
            value = _profit(ctx, label, int(best["net_profit"]))
            rows.append(
                ("", f"best net profit {label}", f"{value} id {best['id']}" if best.get("id") else value)
            )
    elif data.get("chain_id") is not None:
        rows.append(("last scan", "-", "no scan recorded"))
    executions = data.get("executions")
    if executions is not None:
        rows.append(
            (
                "executions",
                "sent/ok/reverted · refused/failed",
                f"{executions['sent']} / {executions['succeeded']} / {executions['reverted']} · "
                f"{executions['refused']} / {executions['failed']}",
            )
        )
        last_exec = executions["last"]
        if last_exec:
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(int(last_exec.get("time") or 0)))
            rows.append(
                (
                    "",
                    "last",
                    f"{when} {last_exec.get('kind')} {last_exec.get('id')}: {last_exec.get('status')}",
                )
            )
    columns = [Column("section"), Column("item", whole=False), Column("value", whole=False)]
    table = fitted_table(console, columns, [list(r) for r in rows], title="mevcli status")
    table.show_header = False
    return table
