"""`mevcli quote` on Balancer weighted pools of the devnet, checked against the Vault's queryBatchSwap."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from mevcli.cli.app import app

runner = CliRunner()


def invoke(chain, tmp_path, *args: str):
    return runner.invoke(app, list(args), env=chain.cli_env(tmp_path / "cache"), catch_exceptions=False)


def _weighted(chain) -> list[dict]:
    return [p for p in chain.pools("balancer") if p["kind"] == "weighted"]


def _pool(chain, n_tokens: int) -> dict:
    return next(p for p in _weighted(chain) if len(p["tokens"]) == n_tokens)


def test_quote_json_check_matches_vault(chain, tmp_path):
    for pool in _weighted(chain):
        token_in, token_out = pool["tokens"][-1], pool["tokens"][0]
        amount = 10**18 if token_in == chain.manifest["weth"] else 10**8
        args = ["quote", "--pool", pool["address"], "--token-in", token_in, "--token-out", token_out]
        result = invoke(chain, tmp_path, *args, "--amount-in", str(amount), "--json", "--check")
        assert result.exit_code == 0, result.stderr
        data = json.loads(result.stdout)
        assert data["dexes"] == ["balancer"] and data["pools"] == [pool["address"]]
        assert data["token_out"] == token_out and data["amount_out"] > 0
        assert data["check"] == {"chain_amounts_out": [data["amount_out"]], "match": True}


def test_two_token_pool_needs_no_token_out_and_paths_mix_dexes(chain, tmp_path):
    weth, usdc, usdt = (chain.manifest["tokens"][s] for s in ("WETH", "USDC", "USDT"))
    balancer = next(p for p in _weighted(chain) if set(p["tokens"]) == {weth, usdc})
    v2 = next(p for p in chain.pools("uniswap_v2") if set(p["tokens"]) == {usdc, usdt})
    path = f"{balancer['address']},{v2['address']}"
    args = [
        "quote",
        "--path",
        path,
        "--token-in",
        "WETH",
        "--amount-in",
        "2.5",
        "--human",
        "--json",
        "--check",
    ]
    result = invoke(chain, tmp_path, *args)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["dexes"] == ["balancer", "uniswap_v2"] and data["token_out"] == usdt
    assert data["check"]["match"] is True


def test_three_token_pool_asks_for_token_out(chain, tmp_path):
    pool = _pool(chain, 3)
    result = invoke(
        chain, tmp_path, "quote", "--pool", pool["address"], "--token-in", "WETH", "--amount-in", "1000"
    )
    assert result.exit_code == 2
    assert result.stderr.strip().startswith("Error: ") and "--token-out" in result.stderr


def test_over_the_in_ratio_limit_is_one_clear_error(chain, tmp_path):
    pool = _pool(chain, 2)
    token_in = pool["tokens"][0]
    args = ["quote", "--pool", pool["address"], "--token-in", token_in, "--amount-in", str(10**30)]
    result = invoke(chain, tmp_path, *args)
    assert result.exit_code == 1 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert "at most" in lines[0] and "BAL#304" in lines[0]


def test_human_table_with_check(chain, tmp_path):
    pool = _pool(chain, 3)
    args = ["quote", "--pool", pool["address"], "--token-in", "WBTC", "--token-out", "USDC"]
    result = invoke(chain, tmp_path, *args, "--amount-in", "0.1", "--human", "--check")
    assert result.exit_code == 0, result.stderr
    assert "balancer" in result.stdout and "match" in result.stdout and "USDC" in result.stdout
