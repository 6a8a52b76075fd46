"""`mevcli scan`: cross-DEX cycles ranked by profit net of gas and flash-loan fee."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from mevcli import metrics
from mevcli.arbitrage.last_scan import save_last_scan, summarise
from mevcli.arbitrage.scanner import ScanOptions, ScanReport
from mevcli.arbitrage.scanner import scan as run_scan
from mevcli.cli.output import debug, emit_json, format_units, log, stdout
from mevcli.cli.tables import DEX_SHORT, Column, compact_route, fitted_table, print_table
from mevcli.context import AppContext
from mevcli.errors import UsageError


def scan(
    ctx: typer.Context,
    min_profit: Annotated[
        int, typer.Option("--min-profit", help="Minimum net profit (base-token units)")
    ] = 0,
    max_hops: Annotated[int, typer.Option("--max-hops", help="Longest cycle: 2, 3 or 4 hops")] = 3,
    dex: Annotated[list[str] | None, typer.Option("--dex", help="Only these DEXes (repeatable)")] = None,
    base_token: Annotated[
        list[str] | None, typer.Option("--base-token", help="Start/end tokens to borrow (repeatable)")
    ] = None,
    top: Annotated[
        int | None,
        typer.Option("--top", min=1, help="Show the best N and keep only those for simulate/execute"),
    ] = None,
    gas_price: Annotated[
        int | None, typer.Option("--gas-price", min=0, help="Gas price in wei (default: base fee + tip)")
    ] = None,
    min_liquidity: Annotated[
        int | None,
        typer.Option(
            "--min-liquidity",
            min=0,
            help="Skip pools whose depth is worth less than this many wei of the native token "
            "[config: scan.min_liquidity]",
        ),
    ] = None,
    max_candidates: Annotated[
        int | None,
        typer.Option(
            "--max-candidates",
            min=1,
            help="Size only the N listed cycles of the highest marginal rate, to bound a scan's time "
            "(default: all) [config: scan.max_candidates]",
        ),
    ] = None,
    l1_fee_model: Annotated[
        str | None,
        typer.Option(
            "--l1-fee-model",
            help="Rollup L1 data fee: none, arbitrum (NodeInterface) or op_stack (GasPriceOracle) "
            "[config: chains.NAME.l1_fee_model; default: the chain preset's]",
        ),
    ] = None,
    wide: Annotated[bool, typer.Option("--wide", help="Every column, whatever the terminal's width")] = False,
) -> None:
    """Rank cross-DEX arbitrage cycles by profit net of gas and flash-loan fee."""
    app_ctx: AppContext = ctx.obj
    if min_profit < 0:
        raise UsageError("--min-profit must not be negative")
    options = ScanOptions(
        max_hops=max_hops,
        min_profit=min_profit,
        dexes=tuple(d.lower() for d in dex or ()),
        base_tokens=tuple(base_token or ()),
        gas_price=gas_price,
        top=top,
        min_liquidity=_min_liquidity(app_ctx, min_liquidity),
        max_candidates=_max_candidates(app_ctx, max_candidates),
        l1_fee_model=l1_fee_model,
    )
    report = run_scan(app_ctx, options, log)
    stats = report.stats
    shown = len(report.opportunities)
    kept = f" (showing the best {shown})" if shown < report.profitable else ""
    counts = {
        "pools": stats.pools,
        "cycles": stats.cycles,
        "listed": stats.searched,
        "sized": stats.candidates,
        "profitable": report.profitable,
    }
    summary = ", ".join(f"{n} {name}" for name, n in counts.items())
    log(
        f"block {report.block}: {summary}{kept} in {report.timings['total_s']:.2f}s",
        block=report.block,
        **counts,
        opportunities=shown,
    )
    if stats.not_sized:
        log(
            f"{stats.not_sized} listed cycles left unsized by --max-candidates {options.max_candidates}",
            not_sized=stats.not_sized,
        )
    if stats.l1_dropped:
        log(
            f"{stats.l1_dropped} opportunities no longer pay once the L1 data fee is added",
            l1_dropped=stats.l1_dropped,
        )
    debug("scan timings", **{k: round(v, 4) for k, v in report.timings.items()})
    summary = summarise(report, app_ctx.chain_id, app_ctx.symbol_of)
    save_last_scan(app_ctx.backend, app_ctx.chain_id, summary)
    run_metrics = metrics.current(ctx)
    if run_metrics is not None:
        run_metrics.record_scan(summary)
    if app_ctx.settings.json:
        emit_json([o.to_json() for o in report.opportunities])
        return
    if report.opportunities:
        print_table(stdout, opportunity_table(app_ctx, report, stdout, wide=wide))
    else:
        stdout.print(f"no profitable opportunity at block {report.block}")


def opportunity_table(ctx: AppContext, report: ScanReport, console: Console, *, wide: bool = False) -> Table:
    """The ranked opportunities, fitted to `console`: ids and amounts whole; gross profit, gas and the flash
    source give way first on a narrow terminal."""
    with_l1 = any(o.l1_fee for o in report.opportunities)
    columns = [
        Column("#", justify="right"),
        Column("route", whole=False, min_width=38),  # a 3-hop route on one line
        Column("amount in", justify="right"),
        Column("gross profit", priority=3, justify="right"),
        Column("flash fee", priority=1),
        Column("gas (L1 data)" if with_l1 else "gas", priority=2, justify="right"),
        Column("net profit", justify="right"),
        Column("id"),
    ]
    decimals_cache: dict[str, int] = {}
    rows = []
    for rank, o in enumerate(report.opportunities, 1):
        decimals = decimals_cache.setdefault(o.base_token, _decimals(ctx, o.base_token))

        def amount(value: int, decimals: int = decimals) -> str:
            return format_units(value, decimals)

        gas = amount(o.gas_cost) + (f" ({amount(o.l1_fee)})" if with_l1 else "")
        rows.append(
            [
                str(rank),
                compact_route(o.tokens, o.pools, o.dexes, ctx.symbol_of, report.pool_fees),
                amount(o.amount_in),
                amount(o.profit),
                f"{DEX_SHORT.get(o.flash_source, o.flash_source)} {amount(o.flash_fee)}",
                gas,
                amount(o.net_profit),
                o.id,
            ]
        )
    title = f"opportunities at block {report.block} (amounts in the route's first token)"
    return fitted_table(console, columns, rows, title=title, wide=wide)


def _decimals(ctx: AppContext, token: str) -> int:
    from mevcli.quoting import token_decimals

    return token_decimals(ctx, token)


def _min_liquidity(ctx: AppContext, flag: int | None) -> int:
    """The flag, else `[scan] min_liquidity` from the config file, else no filter."""
    if flag is not None:
        return flag
    value = ctx.settings.extra.get("scan", {}).get("min_liquidity", 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UsageError(f"invalid scan.min_liquidity {value!r} in the config: expected wei >= 0")
    return value


def _max_candidates(ctx: AppContext, flag: int | None) -> int | None:
    """The flag, else `[scan] max_candidates` from the config file, else no cap."""
    if flag is not None:
        return flag
    value = ctx.settings.extra.get("scan", {}).get("max_candidates")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UsageError(f"invalid scan.max_candidates {value!r} in the config: expected an integer >= 1")
    return value
