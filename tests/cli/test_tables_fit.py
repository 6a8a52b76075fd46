"""Tables fit 80, 100 and 120 columns with every id and amount whole; --wide and pipes keep every column."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from mevcli.arbitrage.last_scan import save_last_scan, summarise
from mevcli.arbitrage.scanner import ScanOptions, scan
from mevcli.cli.cache import history_table
from mevcli.cli.output import format_units
from mevcli.cli.scan import opportunity_table
from mevcli.cli.status import collect, status_table
from mevcli.cli.tables import print_table
from mevcli.config import load_settings
from mevcli.context import AppContext
from mevcli.quoting import token_decimals

WIDTHS = (80, 100, 120)


@pytest.fixture(scope="module")
def scanned(chain, tmp_path_factory):
    cache = tmp_path_factory.mktemp("tables") / "cache"
    ctx = AppContext(load_settings({}, env=chain.cli_env(cache)))
    report = scan(ctx, ScanOptions(max_hops=3), lambda _message: None)
    assert len(report.opportunities) >= 5, "the devnet market must hold opportunities"
    save_last_scan(cache, ctx.chain_id, summarise(report, ctx.chain_id, ctx.symbol_of))  # as `scan` does
    return ctx, report


def render(table, width: int, terminal: bool = True) -> list[str]:
    console = Console(file=io.StringIO(), width=width, force_terminal=terminal, color_system=None)
    print_table(console, table)
    return console.file.getvalue().splitlines()


def whole_in_lines(text: str, lines: list[str]) -> bool:
    return any(text in line for line in lines)


def amounts(ctx, o) -> list[str]:
    decimals = token_decimals(ctx, o.base_token)
    return [format_units(v, decimals) for v in (o.amount_in, o.net_profit)]


@pytest.mark.parametrize("width", WIDTHS)
def test_scan_table_fits_with_ids_and_amounts_whole(scanned, width):
    ctx, report = scanned
    table = opportunity_table(ctx, report, Console(width=width, force_terminal=True))
    lines = render(table, width)
    assert max(len(line) for line in lines) <= width
    for o in report.opportunities:
        assert whole_in_lines(o.id, lines), (width, o.id)
        for text in amounts(ctx, o):
            assert whole_in_lines(text, lines), (width, text)
    assert "…" not in "".join(lines)


def test_scan_table_drops_lower_value_columns_first(scanned):
    ctx, report = scanned
    headers = {}
    for width in (80, 200):
        table = opportunity_table(ctx, report, Console(width=width, force_terminal=True))
        headers[width] = [str(c.header) for c in table.columns]
    assert {"route", "amount in", "net profit", "id"} <= set(headers[80])
    assert "gross profit" not in headers[80]
    assert "gross profit" in headers[200] and "flash fee" in headers[200]
    wide = opportunity_table(ctx, report, Console(width=80, force_terminal=True), wide=True)
    assert [str(c.header) for c in wide.columns] == headers[200]


def test_scan_table_on_a_pipe_is_plain_one_line_per_opportunity(scanned):
    ctx, report = scanned
    console = Console(file=io.StringIO(), width=80, force_terminal=False)
    lines = render(opportunity_table(ctx, report, console), 80, terminal=False)
    assert "gross profit" in lines[1] and "flash fee" in lines[1]
    for o in report.opportunities:
        row = [line for line in lines if o.id in line]
        assert len(row) == 1 and all(text in row[0] for text in amounts(ctx, o))


def test_every_route_names_its_pools_apart(scanned):
    ctx, report = scanned
    table = opportunity_table(ctx, report, Console(width=300, force_terminal=True))
    routes = list(table.columns[1].cells)
    assert len(set(routes)) == len({o.pools for o in report.opportunities}) == len(routes)
    for o, route in zip(report.opportunities, routes, strict=True):
        assert route.count("→") == len(o.pools)
        for pool, dex in zip(o.pools, o.dexes, strict=True):
            if dex == "uniswap_v3":
                assert f"uni3:{report.pool_fees[pool]}→" in route
            elif dex in ("balancer", "curve"):
                assert f":{pool.lower()[2:8]}→" in route


@pytest.mark.parametrize("width", WIDTHS)
def test_status_table_fits(scanned, width):
    ctx, report = scanned
    data = collect(ctx)
    lines = render(status_table(ctx, data, Console(width=width, force_terminal=True)), width)
    assert max(len(line) for line in lines) <= width
    assert whole_in_lines(f"{data['node']['head_block']:,}", lines)
    best = report.opportunities[0]
    decimals = token_decimals(ctx, best.base_token)
    assert whole_in_lines(format_units(best.net_profit, decimals), lines)


@pytest.mark.parametrize("width", WIDTHS)
def test_history_table_fits(scanned, width):
    ctx, report = scanned
    o = report.opportunities[0]
    tx = ctx.w3.eth.get_block(report.block)["hash"].hex()
    rows = [
        {
            "chain_id": ctx.chain_id,
            "time": 1_700_000_000 + i,
            "kind": "execute",
            "id": o.id,
            "block": report.block,
            "token_profit": o.net_profit,
            "tx_hash": tx,
            "status": "success",
        }
        for i in range(3)
    ]
    console = Console(width=width, force_terminal=True)
    lines = render(history_table(rows, console, title="execution log"), width)
    assert max(len(line) for line in lines) <= width
    assert whole_in_lines(o.id, lines) and whole_in_lines(str(o.net_profit), lines)
    wide = render(history_table(rows, console, title="execution log", wide=True), 200)
    assert whole_in_lines(tx, wide)


def test_cli_scan_wide_flag(chain, tmp_path: Path):
    from typer.testing import CliRunner

    from mevcli.cli.app import app

    result = CliRunner().invoke(app, ["scan", "--wide", "--top", "3"], env=chain.cli_env(tmp_path / "c"))
    assert result.exit_code == 0, result.stderr
    header = next(line for line in result.stdout.splitlines() if "net profit" in line)
    assert "gross profit" in header and "flash fee" in header


@pytest.mark.parametrize("width", WIDTHS)
def test_watch_table_fits(chain, scanned, width):
    from mevcli.arbitrage.watcher import LiveRanker, Watcher, WatchSummary
    from mevcli.cli.watch import _View

    ctx, _ = scanned
    watcher = Watcher(ctx, ctx.reserve_cache, LiveRanker(ctx, 3), None)
    updates = watcher.process()
    summary = WatchSummary()
    summary.add(updates)
    view = _View(ctx, watcher, json_mode=False)
    view.rows = updates
    best = updates[-1].opportunities[0]
    console = Console(width=width, force_terminal=True)
    lines = render(view._table(summary, console), width)
    assert max(len(line) for line in lines) <= width
    decimals = token_decimals(ctx, best.base_token)
    assert whole_in_lines(best.id, lines) and whole_in_lines(format_units(best.net_profit, decimals), lines)
    fee = watcher.fees[best.pools[best.dexes.index("uniswap_v3")]] if "uniswap_v3" in best.dexes else None
    assert fee is None or whole_in_lines(f"uni3:{fee}→", lines)


@pytest.mark.parametrize("width", WIDTHS)
def test_cache_stats_table_fits(scanned, width):
    from mevcli.cli.cache import _stats, _table

    ctx, _ = scanned
    stats = _stats(ctx, ctx.chain_id)
    assert stats.entries > 0
    lines = render(_table(stats), width)
    assert max(len(line) for line in lines) <= width
    for figure in (stats.hits, stats.misses, stats.entries, stats.last_block):
        assert whole_in_lines(f"{figure:,}", lines)
