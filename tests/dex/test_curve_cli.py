"""`mevcli quote` on the devnet's Curve pools: exact, checked against the pool's own `get_dy`."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from mevcli.cli.app import app

runner = CliRunner()


def invoke(chain, tmp_path, *args: str):
    return runner.invoke(app, list(args), env=chain.cli_env(tmp_path / "cache"), catch_exceptions=False)


def _curve(chain, n: int) -> dict:
    return next(p for p in chain.pools("curve") if len(p["tokens"]) == n)


def test_quote_three_coin_pool_with_check(chain, tmp_path):
    pool = _curve(chain, 3)
    args = ["quote", "--pool", pool["address"], "--token-in", "USDC", "--token-out", "DAI"]
    result = invoke(chain, tmp_path, *args, "--amount-in", "250000", "--human", "--check", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    contract = chain.deployer().at("CurveStableSwap3", pool["address"])
    assert data["amount_out"] == contract.functions.get_dy(0, 2, 250_000 * 10**6).call()
    assert data["check"] == {"chain_amounts_out": [data["amount_out"]], "match": True}
    assert data["dexes"] == ["curve"] and data["token_out"] == chain.manifest["tokens"]["DAI"]
    table = invoke(chain, tmp_path, *args, "--amount-in", "1000", "--human", "--check")
    assert table.exit_code == 0, table.stderr
    assert "match" in table.stdout and "DAI" in table.stdout and "curve" in table.stdout


def test_three_coin_pool_needs_token_out(chain, tmp_path):
    pool = _curve(chain, 3)
    result = invoke(
        chain, tmp_path, "quote", "--pool", pool["address"], "--token-in", "USDC", "--amount-in", "1"
    )
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1
    assert lines[0].startswith("Error: ") and "--token-out" in lines[0]


def test_near_depletion_quote_is_exact(chain, tmp_path):
    pool = _curve(chain, 3)
    dai_balance = chain.deployer().at("CurveStableSwap3", pool["address"]).functions.balances(2).call()
    amount = str(2**128 - 1)  # the largest amount the CLI takes: far more USDC than the pool holds
    args = ["quote", "--pool", pool["address"], "--token-in", "USDC", "--token-out", "DAI"]
    result = invoke(chain, tmp_path, *args, "--amount-in", amount, "--check", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["check"]["match"] is True
    assert dai_balance * 999 // 1000 < data["amount_out"] < dai_balance


def test_cross_dex_path_through_uniswap_v3_and_curve(chain, tmp_path):
    usdc, usdt = chain.manifest["tokens"]["USDC"], chain.manifest["tokens"]["USDT"]
    v3 = next(p for p in chain.pools("uniswap_v3") if set(p["tokens"]) == {usdc, usdt})
    curve = _curve(chain, 2)
    result = invoke(
        chain,
        tmp_path,
        "quote",
        "--path",
        f"{v3['address']},{curve['address']}",
        "--token-in",
        "USDC",
        "--amount-in",
        "10000",
        "--human",
        "--check",
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["dexes"] == ["uniswap_v3", "curve"] and data["token_out"] == usdc
    assert data["check"]["match"] is True
    assert data["amount_out"] > 10_000 * 10**6  # the planted deviation: a round trip that gains
