"""`[scan] max_pools`: the scan keeps the N pools worth the most native wei (the ones `pools list`
values highest), and a bad value is one `Error:` line."""

from __future__ import annotations

import json

import pytest
from devnet_support import pools_scanned
from typer.testing import CliRunner

from mevcli.arbitrage.liquidity import deepest
from mevcli.cli.app import app
from mevcli.dex.uniswap_v2.state import V2PairState

runner = CliRunner()
NATIVE, USD, ODD, OTHER = ("0x" + digit * 40 for digit in "1234")


def test_deepest_ranks_by_native_worth_unpriced_last():
    def pair(address: str, token0: str, token1: str, reserve0: int, reserve1: int) -> V2PairState:
        return V2PairState(
            address=address, token0=token0, token1=token1, reserve0=reserve0, reserve1=reserve1
        )

    states = {
        "0xA": pair("0xA", NATIVE, USD, 10, 20_000),
        "0xB": pair("0xB", NATIVE, USD, 30, 60_000),
        "0xC": pair("0xC", USD, ODD, 1, 1),  # ODD has no price; USD's depth still counts (as 0 wei)
        "0xD": pair("0xD", ODD, OTHER, 10**30, 10**30),  # no price at all
    }
    rates = {NATIVE: (1, 1), USD: (2_000, 1)}
    assert list(deepest(states, rates, 3)) == ["0xB", "0xA", "0xC"]
    assert list(deepest(states, rates, 10)) == ["0xB", "0xA", "0xC", "0xD"]


def _config(tmp_path, text: str) -> str:
    path = tmp_path / "mevcli.toml"
    path.write_text(text)
    return str(path)


def test_scan_keeps_the_deepest_pools(chain, tmp_path):
    env = chain.cli_env(tmp_path / "cache")
    listed = runner.invoke(app, ["pools", "list", "--json"], env=env)
    assert listed.exit_code == 0, listed.stderr
    rows = json.loads(listed.stdout)
    ranked = sorted(
        rows, key=lambda r: (r["liquidity_wei"] is None, -(r["liquidity_wei"] or 0), r["address"])
    )
    keep = 8
    top = {r["address"] for r in ranked[:keep]}
    config = _config(tmp_path, f"[scan]\nmax_pools = {keep}\n")
    result = runner.invoke(app, ["--config", config, "scan", "--json", "--max-hops", "3"], env=env)
    assert result.exit_code == 0, result.stderr
    assert f"scanning the {keep} deepest of {pools_scanned(chain)} pools ([scan] max_pools)" in result.stderr
    opportunities = json.loads(result.stdout)
    assert opportunities and all(set(o["pools"]) <= top for o in opportunities)


@pytest.mark.parametrize("value", ["0", "-1", '"many"', "2.5", "true"])
def test_bad_max_pools_is_one_error_line(chain, tmp_path, value):
    config = _config(tmp_path, f"[scan]\nmax_pools = {value}\n")
    result = runner.invoke(app, ["--config", config, "scan"], env=chain.cli_env(tmp_path / "cache"))
    assert result.exit_code != 0 and result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "scan.max_pools" in lines[0], result.stderr
