"""`mevcli show ID` on the devnet: hops, flash sources, the profit curve (--json), a decodable --png."""

from __future__ import annotations

import io
import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from rich.console import Console
from rich.text import Text
from typer.testing import CliRunner

from mevcli.arbitrage.cycles import Cycle, Edge
from mevcli.arbitrage.discovery import identify_known
from mevcli.arbitrage.explain import explain
from mevcli.arbitrage.sizing import cycle_output
from mevcli.chain.multicall import Multicall
from mevcli.cli.app import app
from mevcli.cli.output import format_units
from mevcli.cli.show import render, terminal_plot
from mevcli.config import load_settings
from mevcli.context import AppContext
from mevcli.dex.pools import read_states
from mevcli.execution.plan import find_opportunity
from mevcli.quoting import token_decimals

runner = CliRunner()
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def scanned(chain, tmp_path_factory):
    cache = tmp_path_factory.mktemp("show") / "cache"
    result = runner.invoke(app, ["scan", "--json"], env=chain.cli_env(cache))
    assert result.exit_code == 0, result.stderr
    opportunities = json.loads(result.stdout)
    assert opportunities, "the devnet market must hold opportunities"
    return cache, opportunities


def show(chain, cache: Path, *args: str):
    return runner.invoke(app, ["show", *args], env=chain.cli_env(cache))


def test_json_curve_meets_the_scan_at_the_chosen_amount(chain, scanned):
    cache, opportunities = scanned
    other = next(x for x in opportunities if x["flash_source"] != opportunities[0]["flash_source"])
    for o in (opportunities[0], other):
        result = show(chain, cache, "--json", o["id"][:8])
        assert result.exit_code == 0, result.stderr
        data = json.loads(result.stdout)
        assert data["chosen_amount"] == o["amount_in"]
        curve = data["curve"]
        assert len(curve) >= 20 and curve == sorted(curve, key=lambda p: p["amount_in"])
        chosen = next(p for p in curve if p["amount_in"] == o["amount_in"])
        assert chosen["net_profit"] == o["net_profit"]
        assert chosen["gross_profit"] == o["profit"] and chosen["flash_fee"] == o["flash_fee"]
        # the scan sized at the optimum: no other amount on the curve pays more
        assert chosen["net_profit"] == max(p["net_profit"] for p in curve)
        for p in curve:
            assert p["net_profit"] == p["gross_profit"] - p["flash_fee"] - p["gas_cost"]
            assert all(isinstance(v, int) for v in p.values())
        hops = data["hops"]
        assert [h["amount_out"] for h in hops] == o["hop_amounts"]
        assert hops[0]["amount_in"] == o["amount_in"]
        assert all(h["amount_in"] == prev["amount_out"] for prev, h in itertools.pairwise(hops))
        assert all(h["fee_ppm"] is not None and h["price_impact_bps"] is not None for h in hops)
        sources = data["flash_sources"]
        assert [s["reason"] for s in sources].count("chosen") == 1
        winner = next(s for s in sources if s["reason"] == "chosen")
        assert winner["lender"] == o["flash_lender"] and winner["fee"] == o["flash_fee"]
        assert all(s["fee"] >= winner["fee"] for s in sources if s["usable"])


def test_curve_points_equal_the_pools_read_from_the_chain(chain, scanned):
    """An amount off the optimum, recomputed from the pools read straight from the node (no cache)."""
    cache, opportunities = scanned
    o = opportunities[0]
    data = json.loads(show(chain, cache, "--json", o["id"]).stdout)
    ctx = AppContext(load_settings({}, env=chain.cli_env(cache)))
    multicall = Multicall(chain.w3)
    refs = identify_known(ctx.dexes, multicall, o["pools"], o["block"])
    states = read_states(multicall, refs, o["block"])
    tokens = o["tokens"]
    cycle = Cycle(tuple(Edge(p, tokens[i], tokens[i + 1]) for i, p in enumerate(o["pools"])))
    for point in (data["curve"][5], data["curve"][-1]):
        out, _ = cycle_output(cycle, states, point["amount_in"])
        assert point["gross_profit"] == out - point["amount_in"]


def test_png_is_a_real_picture(chain, scanned, tmp_path):
    cache, opportunities = scanned
    path = tmp_path / "profit.png"
    result = show(chain, cache, opportunities[0]["id"], "--png", str(path), "--no-plot")
    assert result.exit_code == 0, result.stderr
    assert path.read_bytes()[:8] == PNG_MAGIC
    with Image.open(path) as image:
        image.load()
        assert image.format == "PNG" and image.size == (800, 450)
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
        assert colours is not None and len(colours) > 10  # drawn lines, not a blank canvas
    assert list(tmp_path.iterdir()) == [path]


def test_text_shows_hops_sources_gas_and_the_plot(chain, scanned):
    cache, opportunities = scanned
    o = opportunities[0]
    result = show(chain, cache, o["id"])
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert o["id"] in out and "chosen" in out and o["flash_lender"] in out
    assert all(pool in out for pool in o["pools"])
    assert "gas + flash fee" in out and "net profit against amount in" in out
    assert f"{o['gas_units']:,} gas" in out


@pytest.mark.parametrize("width", (80, 100, 120))
def test_detail_fits_the_terminal_with_amounts_whole(chain, scanned, width):
    cache, opportunities = scanned
    o = opportunities[0]
    ctx = AppContext(load_settings({}, env=chain.cli_env(cache)))
    detail = explain(ctx, find_opportunity(ctx, o["id"]))
    console = Console(file=io.StringIO(), width=width, force_terminal=True, color_system=None)
    render(ctx, detail, console)
    console.print(Text.from_ansi(terminal_plot(ctx, detail, width)))
    lines = console.file.getvalue().splitlines()
    assert max(len(line) for line in lines) <= width
    decimals = token_decimals(ctx, o["base_token"])
    for hop in detail.hops:
        for value, token in ((hop.amount_in, hop.token_in), (hop.amount_out, hop.token_out)):
            assert any(format_units(value, token_decimals(ctx, token)) in line for line in lines)
    for source in detail.sources:
        assert any(format_units(source.available, decimals) in line for line in lines)
    assert any(o["id"] in line for line in lines)


def test_bad_input_is_one_error_line(chain, scanned, tmp_path):
    cache, opportunities = scanned
    unknown = show(chain, cache, "ffffffffffff")
    assert unknown.exit_code != 0 and unknown.stderr.startswith("Error: unknown opportunity id")
    missing = tmp_path / "nowhere" / "x.png"
    bad_png = show(chain, cache, opportunities[0]["id"], "--png", str(missing))
    assert bad_png.exit_code != 0 and bad_png.stderr.startswith("Error: --png")
    assert "Traceback" not in bad_png.stderr + bad_png.stdout and not missing.parent.exists()


def test_plotting_libraries_are_not_loaded_at_start_up():
    code = "import sys, mevcli.cli.app; print([m for m in ('plotext', 'matplotlib') if m in sys.modules])"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
