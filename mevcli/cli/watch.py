"""`mevcli watch`: follow new blocks, apply their logs to the reserve cache, show what changed live."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console, RenderableType
from rich.live import Live

from mevcli import metrics
from mevcli.arbitrage.watcher import Arrival, BlockUpdate, FullRanker, LiveRanker, Watcher, WatchSummary
from mevcli.cache.sync import BlockHead
from mevcli.chain.blocks import HeadFollower, is_ws
from mevcli.cli import route, signing
from mevcli.cli.output import format_units, log, stdout
from mevcli.cli.tables import Column, compact_route, fitted_table, pool_label
from mevcli.context import AppContext
from mevcli.errors import MevcliError, UsageError
from mevcli.execution.chokepoint import SIMULATED, SUCCESS, ExecutionOptions, run
from mevcli.execution.plan import refresh
from mevcli.execution.signer import Signer

RECENT = 15  # blocks shown in the live table
MAX_FAILURES = 5  # heads in a row whose processing failed before watch gives up


@signing.sending_options(execution=True)
def watch(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Process up to the head and exit (for cron)")] = False,
    blocks: Annotated[
        int | None, typer.Option("--blocks", min=1, help="Stop after N new blocks past the head at start")
    ] = None,
    poll_interval: Annotated[
        float, typer.Option("--poll-interval", min=0.05, help="Seconds between head polls over HTTP")
    ] = 1.0,
    opportunities: Annotated[
        bool,
        typer.Option("--opportunities/--no-opportunities", help="Re-rank arbitrage cycles when pools change"),
    ] = True,
    top: Annotated[int, typer.Option("--top", min=1, help="Opportunities kept per block")] = 5,
    full_rescan: Annotated[
        bool,
        typer.Option(
            "--full-rescan",
            help="Re-run the whole scan on each block that changed pools (the slower reference ranking)",
        ),
    ] = False,
    execute: Annotated[
        bool,
        typer.Option(
            "--execute", help="Run each block's best opportunity through `execute` (sends with --broadcast)"
        ),
    ] = False,
    executor_address: route.Executor = None,
    *,
    sending: signing.Sending,
) -> None:
    """Follow new blocks and pool events; re-rank affected cycles live. Ctrl-C stops with a summary.

    Only the cycles through the pools a block changed are re-evaluated, those that could reach the
    --top first: each head's line carries when it arrived and latency_ms, from its arrival to its top
    being ready (the other cycles are sized after the line, before the next head).

    With --execute, each block whose pools changed runs its best opportunity through the same chokepoint
    as `mevcli execute` (re-read, re-simulate, --min-profit, then send only with --broadcast)."""
    app_ctx: AppContext = ctx.obj
    json_mode = app_ctx.settings.json
    if (sending.broadcast or executor_address) and not execute:
        raise UsageError("--broadcast and --executor-address belong to --execute")
    if execute and not opportunities:
        raise UsageError("--execute needs --opportunities")
    runner: _Runner | None = None
    if execute:
        signer = sending.signer(app_ctx)
        options = sending.execution(source="watch")
        runner = _Runner(app_ctx, route.executor_address(app_ctx, executor_address), signer, options)
    cache = app_ctx.reserve_cache
    ranker = (FullRanker if full_rescan else LiveRanker)(app_ctx, top) if opportunities else None
    watcher = Watcher(app_ctx, cache, ranker, log)
    summary = WatchSummary()
    view = _View(app_ctx, watcher, json_mode)
    follower: HeadFollower | None = None

    def process(
        head: int | None = None, arrived: Arrival | None = None, header: BlockHead | None = None
    ) -> list[BlockUpdate]:
        updates = watcher.process(head, arrived, header)
        if runner is not None:
            runner.on_block(updates[-1])
        return updates

    try:
        with view:
            view.show(summary, process())
            watcher.settle()
            start = summary.last_block or 0
            if not once:
                follower = HeadFollower(
                    cache.chain.w3,
                    app_ctx.rpc_url if is_ws(app_ctx.rpc_url) else None,
                    poll_interval=poll_interval,
                    log=log,
                    after=start,  # processed above: each block is shown once
                )
                failures = 0
                for head in follower.heads():
                    try:
                        arrived = Arrival(*follower.arrived)
                        view.show(summary, process(head, arrived, _header(follower.header)))
                        watcher.settle()  # while the next head is on its way
                        failures = 0
                    except Exception as exc:  # a node hiccup: the next head catches up from the same block
                        failures += 1
                        if failures >= MAX_FAILURES:
                            raise
                        log(f"block {head}: {type(exc).__name__}: {str(exc)[:160]}; retrying next head")
                    if blocks is not None and (summary.last_block or 0) >= start + blocks:
                        break
    except KeyboardInterrupt:
        pass
    finally:
        if follower is not None:
            follower.stop.set()
        if ranker is not None:
            try:
                ranker.close()  # the reads asked ahead are dropped; the last ranking is saved
            except MevcliError as exc:  # the node went away meanwhile: the summary still comes
                log(f"the last head's ranking was not stored: {exc}")
    run_metrics = metrics.current(ctx)
    if run_metrics is not None and opportunities:
        run_metrics.record_watch_latency(summary.to_json()["latency_ms"])
    _summarise(summary, cache.stats().to_json(), json_mode, follower, runner)


def _header(header: dict[str, Any] | None) -> BlockHead | None:
    """The head's header from its `newHeads` message, when it carries what a catch-up needs."""
    try:
        return None if header is None else BlockHead.of(header)
    except (KeyError, TypeError, ValueError):
        return None


class _Runner:
    """`watch --execute`: the best opportunity of each block whose pools changed, through the chokepoint."""

    def __init__(
        self, ctx: AppContext, executor: str, signer: Signer | None, options: ExecutionOptions
    ) -> None:
        self.ctx = ctx
        self.executor = executor
        self.signer = signer
        self.options = options
        self.counts: dict[str, int] = dict.fromkeys(
            ("simulated", "sent", "success", "reverted", "refused", "failed"), 0
        )

    def on_block(self, update: BlockUpdate) -> None:
        # No opportunities: nothing changed since the last ranking, whose best was already run.
        if not update.opportunities:
            return
        plan = refresh(self.ctx, update.opportunities[0])
        result = run(self.ctx, plan, self.executor, self.signer, self.options)
        update.execution = result
        status = str(result["status"])
        if result["tx_hash"]:
            self.counts["sent"] += 1
        key = status.split(":", 1)[0]
        if key in self.counts:
            self.counts[key] += 1
        if result.get("alert_error"):
            log(result["alert_error"])
        if status not in (SUCCESS, SIMULATED):
            log(f"block {update.block}: {result['id']}: {status}")

    def to_json(self) -> dict[str, Any]:
        return {"broadcast": self.options.broadcast, **self.counts}


class _View:
    """JSON lines, a rich live table on a terminal, or one plain line per block elsewhere."""

    def __init__(self, ctx: AppContext, watcher: Watcher, json_mode: bool) -> None:
        self.ctx = ctx
        self.watcher = watcher
        self.json_mode = json_mode
        self.rows: list[BlockUpdate] = []
        self.live: Live | None = None
        if not json_mode and stdout.is_terminal:
            self.live = Live(self._table(None), console=stdout, refresh_per_second=4, transient=False)

    def __enter__(self) -> _View:
        if self.live is not None:
            self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.__exit__(None, None, None)

    def show(self, summary: WatchSummary, updates: list[BlockUpdate]) -> None:
        summary.add(updates)
        for update in updates:
            if self.json_mode:
                sys.stdout.write(json.dumps(update.to_json(), default=str) + "\n")
                sys.stdout.flush()
            elif self.live is None:
                stdout.print(self._line(update), markup=False)
        if self.live is not None:
            self.rows = (self.rows + updates)[-RECENT:]
            self.live.update(self._table(summary))

    def _pools(self, addresses: list[str]) -> str:
        return ", ".join(self._pool(a) for a in addresses)

    def _pool(self, address: str) -> str:
        """`uni3:500 WETH/USDC`: the DEX, the pool's fee tier or address start, and its tokens."""
        dex, _, symbols = self.watcher.label(address).partition(" ")
        return f"{pool_label(dex, address, self.watcher.fees.get(address))} {symbols}" if symbols else dex

    def _best(self, update: BlockUpdate) -> str:
        if update.error:
            return f"error: {update.error}"
        if not update.opportunities:
            return "-" if update.opportunities is None else "none"
        best = update.opportunities[0]
        symbol = self.ctx.symbol_of(best.base_token)
        decimals = int(((self.ctx.manifest or {}).get("decimals") or {}).get(symbol, 18))
        route = compact_route(best.tokens, best.pools, best.dexes, self.ctx.symbol_of, self.watcher.fees)
        return f"{route} net {format_units(best.net_profit, decimals)} {symbol} id {best.id}"

    def _line(self, update: BlockUpdate) -> str:
        parts = [f"block {update.block}"]
        if update.reorgs:
            parts.append(f"REORG to {update.reorgs[0]['fork_block']} (depth {update.reorgs[0]['depth']})")
        if update.updated:
            parts.append(f"updated {self._pools(update.updated)}")
        if update.invalidated:
            parts.append(f"invalidated {self._pools(update.invalidated)}")
        if update.head and update.read:
            parts.append(f"read {len(update.read)} pools")
        if update.head and update.opportunities is not None:
            parts.append(f"best: {self._best(update)}")
        if (
            update.head
            and update.latency_ms is not None
            and (update.opportunities is not None or len(parts) > 1)
        ):
            parts.append(f"latency {update.latency_ms:.1f} ms")
        if update.execution is not None:
            execution = update.execution
            sent = (
                f" in {execution['tx_hash']}, token profit {execution['token_profit']}, "
                f"net {execution['net_profit']} (estimated {execution['estimated']['net_profit']})"
            )
            parts.append(f"execute: {execution['status']}" + (sent if execution["tx_hash"] else ""))
        if len(parts) == 1:
            parts.append("no pool changed")
        return ": ".join(parts[:2]) + ("; " + "; ".join(parts[2:]) if len(parts) > 2 else "")

    def _table(self, summary: WatchSummary | None, console: Console = stdout) -> RenderableType:
        caption = ""
        if summary is not None:
            caption = (
                f"{summary.heads} heads, {summary.pool_updates} pool updates, "
                f"{summary.invalidations} invalidations, {summary.reorgs} reorgs"
            )
        columns = [
            Column("block", justify="right"),
            Column("updated pools", priority=2, whole=False),
            Column("invalidated", priority=3, whole=False),
            Column("reorg", priority=1),
            Column("best opportunity", whole=False),
            Column("latency", justify="right", priority=2),
        ]
        rows = [
            [
                str(row.block),
                self._pools(row.updated) or "-",
                self._pools(row.invalidated),
                f"to {row.reorgs[0]['fork_block']}" if row.reorgs else "",
                (self._best(row) + _executed(row)) if row.head else "",
                f"{row.latency_ms:.1f} ms" if row.head and row.latency_ms is not None else "",
            ]
            for row in self.rows
        ]
        table = fitted_table(console, columns, rows, title="mevcli watch (Ctrl-C to stop)", plain=False)
        table.caption = caption
        return table


def _executed(update: BlockUpdate) -> str:
    return f" [{update.execution['status']}]" if update.execution is not None else ""


def _summarise(
    summary: WatchSummary, stats: dict[str, Any], json_mode: bool, follower: Any, runner: _Runner | None
) -> None:
    data = summary.to_json()
    source = follower.mode if follower is not None else "once"
    log(
        f"watched blocks {data['first_block']}..{data['last_block']} ({source}): {data['heads']} heads, "
        f"{data['pool_updates']} pool updates, {data['invalidations']} invalidations, {data['reads']} pools "
        f"read, {data['reorgs']} reorgs in {data['seconds']}s; cache hit rate {stats['hit_rate']:.1%}, "
        f"{stats['entries']} entries, last block {stats['last_block']}"
    )
    latency = data["latency_ms"]
    if latency["count"]:
        log(
            f"head -> ranking over {latency['count']} ranked blocks: median {latency['median']:.1f} ms, "
            f"p90 {latency['p90']:.1f} ms, max {latency['max']:.1f} ms"
        )
    if runner is not None:
        c = runner.counts
        log(
            f"executions: {c['sent']} sent ({c['success']} succeeded, {c['reverted']} reverted), "
            f"{c['simulated']} simulated only, {c['refused']} refused, {c['failed']} failed"
        )
    if json_mode:
        document: dict[str, Any] = {"summary": data, "cache": stats}
        if runner is not None:
            document["executions"] = runner.to_json()
        sys.stdout.write(json.dumps(document, default=str) + "\n")
        sys.stdout.flush()
