"""`mevcli quote` against the real devnet contracts, through Typer's CliRunner."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from mevcli.cli.app import app

runner = CliRunner()


def invoke(chain, tmp_path, *args: str):
    return runner.invoke(app, list(args), env=chain.cli_env(tmp_path / "cache"), catch_exceptions=False)


def _pool(chain, dex: str, fee: int | None = None) -> dict:
    return next(p for p in chain.pools(dex) if fee is None or p["fee"] == fee)


def test_help_lists_every_command():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("scan", "watch", "quote", "simulate", "execute", "cache", "deploy", "devnet"):
        assert command in result.stdout
    for group, sub in (("cache", "stats"), ("deploy", "balancer"), ("devnet", "up")):
        assert sub in runner.invoke(app, [group, "--help"]).stdout


@pytest.mark.parametrize(
    "dex,fee", [("uniswap_v2", None), ("sushiswap", None), ("uniswap_v3", 500), ("uniswap_v3", 100)]
)
def test_quote_json_matches_chain(chain, tmp_path, dex, fee):
    pool = _pool(chain, dex, fee)
    token_in = pool["tokens"][1]
    result = invoke(
        chain,
        tmp_path,
        "quote",
        "--pool",
        pool["address"],
        "--token-in",
        token_in,
        "--amount-in",
        str(10**20 if token_in == chain.manifest["weth"] else 10**9),
        "--json",
        "--check",
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["pools"] == [pool["address"]]
    assert data["token_in"] == token_in and data["token_out"] == pool["tokens"][0]
    assert data["check"]["match"] is True
    assert data["check"]["chain_amounts_out"] == [data["amount_out"]]
    assert data["amount_out"] > 0 and data["block"] == chain.w3.eth.block_number


def test_multi_hop_path_by_symbol_and_global_options_anywhere(chain, tmp_path):
    v3 = _pool(chain, "uniswap_v3", 3000)  # WETH/USDC 0.3%
    v2 = next(
        p
        for p in chain.pools("uniswap_v2")
        if set(p["tokens"]) == {chain.manifest["tokens"]["USDC"], chain.manifest["tokens"]["USDT"]}
    )
    env = chain.cli_env(tmp_path / "cache")
    env.pop("ETH_RPC_URL")
    args_after = [
        "quote",
        "--path",
        f"{v3['address']},{v2['address']}",
        "--token-in",
        "WETH",
        "--amount-in",
        "1.5",
        "--human",
        "--check",
        "--rpc-url",
        chain.rpc_url,
        "--json",
    ]
    args_before = ["--json", "--rpc-url", chain.rpc_url, *args_after[:-3]]
    outputs = []
    for args in (args_after, args_before):
        result = runner.invoke(app, args, env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
        outputs.append(json.loads(result.stdout))
    assert outputs[0] == outputs[1]
    data = outputs[0]
    assert data["amount_in"] == 15 * 10**17
    assert data["token_out"] == chain.manifest["tokens"]["USDT"]
    assert data["dexes"] == ["uniswap_v3", "uniswap_v2"]
    assert data["check"]["match"] is True
    assert data["hops"][1]["amount_in"] == data["hops"][0]["amount_out"]


def test_human_table_output(chain, tmp_path):
    pool = _pool(chain, "uniswap_v3", 3000)
    result = invoke(
        chain,
        tmp_path,
        "quote",
        "--pool",
        pool["address"],
        "--token-in",
        "WETH",
        "--amount-in",
        "2",
        "--human",
        "--check",
    )
    assert result.exit_code == 0, result.stderr
    assert "match" in result.stdout and "USDC" in result.stdout


def _bad_inputs(chain) -> list[tuple[list[str], str]]:
    v2 = _pool(chain, "uniswap_v2")
    usdc = chain.manifest["tokens"]["USDC"]
    wbtc = chain.manifest["tokens"]["WBTC"]
    not_in_pool = wbtc if wbtc not in v2["tokens"] else chain.manifest["tokens"]["ARB"]
    bad_checksum = usdc[:2] + (usdc[2:3].swapcase() if usdc[2].isalpha() else usdc[2]) + usdc[3:]
    if bad_checksum == usdc:  # first hex char is a digit: flip the first letter instead
        i = next(i for i, c in enumerate(usdc) if i > 1 and c.isalpha())
        bad_checksum = usdc[:i] + usdc[i].swapcase() + usdc[i + 1 :]
    return [
        (["quote", "--pool", "0x1234", "--token-in", "USDC", "--amount-in", "1"], "invalid pool address"),
        (["quote", "--pool", v2["address"], "--token-in", bad_checksum, "--amount-in", "1"], "checksum"),
        (["quote", "--pool", v2["address"], "--token-in", "NOPE", "--amount-in", "1"], "unknown token"),
        (["quote", "--pool", v2["address"], "--token-in", not_in_pool, "--amount-in", "1"], "not in pool"),
        (["quote", "--pool", v2["address"], "--token-in", "USDC", "--amount-in", "0"], "greater than zero"),
        (["quote", "--pool", v2["address"], "--token-in", "USDC", "--amount-in", "-5"], "invalid amount"),
        (["quote", "--pool", v2["address"], "--token-in", "USDC", "--amount-in", "1.5"], "--human"),
        (["quote", "--pool", v2["address"], "--token-in", "USDC", "--amount-in", str(2**200)], "larger"),
        (["quote", "--pool", usdc, "--token-in", "USDC", "--amount-in", "1"], "not a pool"),
        (
            ["quote", "--pool", chain.manifest["deployer"], "--token-in", "USDC", "--amount-in", "1"],
            "not a pool",
        ),
        (["quote", "--token-in", "USDC", "--amount-in", "1"], "exactly one of --pool or --path"),
        (
            [
                "--chain",
                "arbitrum",
                "quote",
                "--pool",
                v2["address"],
                "--token-in",
                "USDC",
                "--amount-in",
                "1",
            ],
            "does not match",
        ),
        (
            ["--chain", "mars", "quote", "--pool", v2["address"], "--token-in", "USDC", "--amount-in", "1"],
            "unknown chain",
        ),
        (["quote", "--bogus"], "no such option"),
    ]


def test_bad_input_gets_one_error_line(chain, tmp_path):
    for args, needle in _bad_inputs(chain):
        result = invoke(chain, tmp_path, *args)
        lines = result.stderr.strip().splitlines()
        assert result.exit_code != 0, args
        assert len(lines) == 1 and lines[0].startswith("Error: "), (args, result.stderr)
        assert needle.lower() in lines[0].lower(), (args, lines[0])
        assert "Traceback" not in result.stderr + result.stdout
        assert result.stdout == ""


def test_usage_errors_exit_2(chain, tmp_path):
    result = invoke(chain, tmp_path, "quote", "--pool", "0xzz", "--token-in", "USDC", "--amount-in", "1")
    assert result.exit_code == 2


def test_empty_pool_is_no_liquidity(snapshot, tmp_path):
    chain = snapshot
    d = chain.deployer()
    factory = d.at("UniswapV2Factory", chain.manifest["uniswap_v2"]["factory"])
    tokens = chain.manifest["tokens"]
    d.send(factory.functions.createPair(tokens["DAI"], tokens["ARB"]))
    pair = factory.functions.getPair(tokens["DAI"], tokens["ARB"]).call()
    result = invoke(chain, tmp_path, "quote", "--pool", pair, "--token-in", "DAI", "--amount-in", "1000")
    assert result.exit_code == 1
    assert result.stderr.strip().startswith("Error: ") and "no liquidity" in result.stderr
