"""`mevcli show ID`: one opportunity in detail, and its net profit plotted against the amount borrowed.

Plotting libraries are imported here only when a plot is drawn (plotext) or saved (matplotlib, Agg).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from mevcli.arbitrage.explain import CurvePoint, Explanation, chosen_point, explain
from mevcli.cli.output import emit_json, format_units, stdout
from mevcli.cli.tables import Column, fitted_table, pool_label, print_table
from mevcli.context import AppContext
from mevcli.errors import UsageError
from mevcli.execution.plan import find_opportunity

PNG_SIZE = (8.0, 4.5)  # inches; at PNG_DPI: 800 × 450 pixels
PNG_DPI = 100
PLOT_HEIGHT = 18  # terminal rows of the plot


def show(
    ctx: typer.Context,
    opportunity: Annotated[str, typer.Argument(help="Opportunity id from `mevcli scan` (a prefix works)")],
    png: Annotated[Path | None, typer.Option("--png", help="Also save the profit plot as a PNG file")] = None,
    plot: Annotated[
        bool, typer.Option("--plot/--no-plot", help="Draw the profit curve in the terminal")
    ] = True,
) -> None:
    """One opportunity in detail: hops, flash source and the others, gas, and net profit against amount."""
    app_ctx: AppContext = ctx.obj
    if png is not None and (png.is_dir() or not png.parent.is_dir()):
        raise UsageError(f"--png {png}: not a file in an existing directory")
    found = find_opportunity(app_ctx, opportunity)
    detail = explain(app_ctx, found)
    if png is not None:
        save_png(app_ctx, detail, png)
    if app_ctx.settings.json:
        emit_json(detail.to_json())
        return
    render(app_ctx, detail, stdout)
    if plot:
        stdout.print(Text.from_ansi(terminal_plot(app_ctx, detail, stdout.width)))
    if png is not None:
        stdout.print(f"plot saved to {png}", markup=False)


def render(ctx: AppContext, detail: Explanation, console: Console) -> None:
    o = detail.opportunity
    decimals = _decimals(ctx, o.base_token)
    symbol = ctx.symbol_of(o.base_token)

    def amount(value: int, token: str = o.base_token) -> str:
        return format_units(value, _decimals(ctx, token))

    console.print(f"opportunity {o.id} on chain {o.chain_id}, scanned at block {o.block:,}", markup=False)
    hop_rows = [
        [
            str(i),
            pool_label(h.dex, h.pool, detail.fees.get(h.pool)),
            h.pool,
            f"{ctx.symbol_of(h.token_in)}→{ctx.symbol_of(h.token_out)}",
            "-" if h.fee_ppm is None else f"{h.fee_ppm / 10_000:g}%",
            amount(h.amount_in, h.token_in),
            amount(h.amount_out, h.token_out),
            "-" if h.price_impact_bps is None else f"{h.price_impact_bps / 100:.2f}%",
        ]
        for i, h in enumerate(detail.hops, 1)
    ]
    hop_columns = [
        Column("hop", justify="right"),
        Column("pool"),
        Column("address", priority=1),
        Column("swap"),
        Column("fee", justify="right"),
        Column("amount in", justify="right"),
        Column("amount out", justify="right"),
        Column("impact", justify="right"),
    ]
    print_table(console, fitted_table(console, hop_columns, hop_rows, title="hops"))
    source_rows = [[s.label, s.lender, amount(s.available), amount(s.fee), s.reason] for s in detail.sources]
    source_columns = [
        Column("flash source"),
        Column("lender", priority=1),
        Column("available", justify="right"),
        Column(f"fee on {amount(o.amount_in)}", justify="right"),
        Column("", whole=False),
    ]
    if source_rows:
        print_table(console, fitted_table(console, source_columns, source_rows, title="flash sources"))
    else:
        console.print(f"flash source: {o.flash_source} {o.flash_lender} (no source can lend it now)")
    console.print(
        "the lowest fee among the sources allowed for this route that hold the amount wins; "
        "Balancer on a tie",
        markup=False,
    )
    l2 = o.gas_cost - o.l1_fee
    lines = [
        ("amount in", amount(o.amount_in)),
        ("gross profit", amount(o.profit)),
        ("flash fee", f"{amount(o.flash_fee)} ({o.flash_source})"),
        ("gas", f"{amount(l2)} ({o.gas_units:,} gas at {o.gas_price:,} wei)"),
        ("L1 data fee", amount(o.l1_fee)),
        ("net profit", amount(o.net_profit)),
    ]
    console.print(f"figures in {symbol} ({decimals} decimals):", markup=False)
    for name, value in lines:
        console.print(f"  {name + ':':<14}{value}", markup=False)


def terminal_plot(ctx: AppContext, detail: Explanation, width: int) -> str:
    """Net profit, gross profit and the gas + flash-fee line against the amount in, drawn with plotext."""
    import plotext as plt

    xs, gross, net, cost, chosen = _series(ctx, detail)
    plt.clear_figure()
    plt.plotsize(max(min(width, 120), 40), PLOT_HEIGHT)
    plt.theme("clear")
    plt.plot(xs, gross, label="gross profit", marker="braille")
    plt.plot(xs, cost, label="gas + flash fee", marker="braille")
    plt.plot(xs, net, label="net profit", marker="braille")
    plt.vline(chosen)
    symbol = ctx.symbol_of(detail.opportunity.base_token)
    plt.title(f"net profit against amount in ({symbol}); the line marks the amount chosen")
    plt.xlabel(f"amount in ({symbol})")
    return plt.build()


def save_png(ctx: AppContext, detail: Explanation, path: Path) -> None:
    """The same plot as a PNG (matplotlib's Agg backend), written whole or not at all."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    xs, gross, net, cost, chosen = _series(ctx, detail)
    symbol = ctx.symbol_of(detail.opportunity.base_token)
    figure, axes = pyplot.subplots(figsize=PNG_SIZE, dpi=PNG_DPI)
    try:
        axes.plot(xs, gross, label="gross profit")
        axes.plot(xs, cost, label="gas + flash fee")
        axes.plot(xs, net, label="net profit", linewidth=2)
        axes.axvline(chosen, color="grey", linestyle="--", label="amount chosen")
        axes.axhline(0, color="black", linewidth=0.5)
        axes.set_xlabel(f"amount in ({symbol})")
        axes.set_ylabel(symbol)
        axes.set_title(f"opportunity {detail.opportunity.id}")
        axes.legend()
        figure.tight_layout()
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        figure.savefig(tmp, format="png", dpi=PNG_DPI)
        os.replace(tmp, path)
    finally:
        pyplot.close(figure)


def _series(
    ctx: AppContext, detail: Explanation
) -> tuple[list[float], list[float], list[float], list[float], float]:
    """The curve in whole tokens (floats for drawing only; the figures themselves stay ints)."""
    o = detail.opportunity
    scale = 10 ** _decimals(ctx, o.base_token)
    curve: list[CurvePoint] = detail.curve
    chosen = chosen_point(curve, o.amount_in)
    return (
        [p.amount_in / scale for p in curve],
        [p.gross_profit / scale for p in curve],
        [p.net_profit / scale for p in curve],
        [(p.flash_fee + p.gas_cost) / scale for p in curve],
        chosen.amount_in / scale,
    )


def _decimals(ctx: AppContext, token: str) -> int:
    from mevcli.quoting import token_decimals

    return token_decimals(ctx, token)
