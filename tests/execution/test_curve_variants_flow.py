"""Scan → simulate → execute through each Curve variant the devnet holds (the stableswap-ng-style pool and
a classic one), through the CLI: the executor's balance grows by exactly the simulated profit, which is
exactly what the scan's math predicted."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from mevcli.cli.app import app

runner = CliRunner()
ERC20_BALANCE = [
    {
        "name": "balanceOf",
        "type": "function",
        "stateMutability": "view",
        "inputs": [{"name": "a", "type": "address"}],
        "outputs": [{"name": "", "type": "uint256"}],
    }
]


def cli(env: dict[str, str], *args: str, expect: int | None = 0) -> dict | list:
    result = runner.invoke(app, [*args, "--json"], env=env)
    assert expect is None or result.exit_code == expect, (args, result.stdout, result.stderr)
    return json.loads(result.stdout)


def _balance(chain, token: str, holder: str) -> int:
    return chain.w3.eth.contract(address=token, abi=ERC20_BALANCE).functions.balanceOf(holder).call()


@pytest.mark.parametrize("variant", ["stableswap-ng", "classic-v1"])
def test_scan_simulate_execute_through_a_curve_variant(snapshot, tmp_path, variant):
    chain = snapshot
    env = chain.cli_env(tmp_path / "cache")
    wanted = {p["address"] for p in chain.pools("curve") if p["variant"] == variant}
    others = {p["address"] for p in chain.pools("curve")} - wanted
    executor = cli(env, "deploy", "balancer", "--broadcast")["address"]
    opportunities = cli(env, "scan", "--max-hops", "2")
    # The best 2-hop route through a pool of this variant and no other Curve pool.
    route = next(o for o in opportunities if set(o["pools"]) & wanted and not set(o["pools"]) & others)
    sim = cli(env, "simulate", route["id"])
    assert sim["ok"] and sim["error"] is None
    assert sim["token_profit"] == route["hop_amounts"][-1] - route["amount_in"] - route["flash_fee"] > 0
    token = sim["base_token"]
    before = _balance(chain, token, executor)
    done = cli(env, "execute", route["id"], "--broadcast")
    assert done["status"] == "success" and done["token_profit"] == sim["token_profit"]
    assert _balance(chain, token, executor) - before == sim["token_profit"]
