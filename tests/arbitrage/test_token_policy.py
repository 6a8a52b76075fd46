"""scan's token policy on the devnet: a token with a transfer hook, pooled on the real V2 factories with
a price gap against WETH, is not routed by default; the same pools with a plain token are. The verdict
is cached per chain, and `[scan] trusted_tokens` / `token_probe = false` let the hook token through."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner
from web3 import Web3

from mevcli.arbitrage.token_policy import probe_token
from mevcli.cli.app import app

runner = CliRunner()
DEPTH = 100 * 10**18  # WETH per pool side


def seed_gap(chain, token_artifact: str, symbol: str) -> str:
    """Deploy a token and two WETH pairs (Uniswap V2 and SushiSwap) 5% apart: a 2-hop cycle."""
    d = chain.deployer()
    token = d.deploy(token_artifact, symbol, symbol, 18)
    weth = d.at("WETH9", chain.manifest["weth"])
    for dex, token_amount in (("uniswap_v2", 1_000 * 10**18), ("sushiswap", 1_050 * 10**18)):
        factory = d.at("UniswapV2Factory", chain.manifest[dex]["factory"])
        d.send(factory.functions.createPair(token.address, weth.address))
        pair = d.at("UniswapV2Pair", factory.functions.getPair(token.address, weth.address).call())
        d.send(weth.functions.deposit(), value=DEPTH)
        d.send(weth.functions.transfer(pair.address, DEPTH))
        d.send(token.functions.mint(pair.address, token_amount))
        d.send(pair.functions.mint(d.sender))
    return token.address


def scan(chain, cache: Path, config: str = "") -> tuple[list[dict], str]:
    env = chain.cli_env(cache)
    if config:
        path = cache.parent / f"mevcli-{abs(hash(config))}.toml"
        path.write_text(config)
        env["MEVCLI_CONFIG"] = str(path)
    result = runner.invoke(app, ["scan", "--json", "--max-hops", "2", "--base-token", "WETH"], env=env)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout), result.stderr


def through(opportunities: list[dict], token: str) -> list[dict]:
    return [o for o in opportunities if token.lower() in {t.lower() for t in o["tokens"]}]


@pytest.fixture(scope="module")
def market(chain):
    with chain.snapshot():
        yield seed_gap(chain, "HookToken", "HOOK"), seed_gap(chain, "TestToken", "PLAIN")


def test_probe_verdicts(chain, market):
    hook, plain = market
    block = chain.w3.eth.block_number
    holder = {t: _pair_of(chain, t) for t in (hook, plain)}
    assert probe_token(chain.w3, plain, holder[plain], block).plain
    verdict = probe_token(chain.w3, hook, holder[hook], block)
    assert not verdict.plain and verdict.reason == "calls the receiver on transfer"
    weth = chain.manifest["weth"]
    assert probe_token(chain.w3, weth, holder[plain], block).plain


def _pair_of(chain, token: str) -> str:
    factory = chain.deployer().at("UniswapV2Factory", chain.manifest["uniswap_v2"]["factory"])
    return factory.functions.getPair(token, chain.manifest["weth"]).call()


def test_scan_routes_plain_tokens_only_by_default(chain, market, tmp_path):
    hook, plain = market
    cache = tmp_path / "cache"
    found, stderr = scan(chain, cache)
    assert through(found, plain), "the plain token's price gap must be an opportunity"
    assert not through(found, hook)
    assert f"token {Web3.to_checksum_address(hook)}: calls the receiver on transfer" in stderr
    stored = json.loads((cache / "token-policy" / f"{chain.w3.eth.chain_id}.json").read_text())
    verdicts = stored["verdicts"]
    assert stored["anchors"]
    assert verdicts[hook.lower()]["plain"] is False and verdicts[plain.lower()]["plain"] is True
    # Cached: the second scan probes nothing and decides the same.
    again, stderr = scan(chain, cache)
    assert "calls the receiver on transfer" in stderr  # the dropped routes are still reported
    assert f"token {Web3.to_checksum_address(hook)}:" not in stderr
    assert not through(again, hook) and through(again, plain)


@pytest.mark.parametrize("config", ["[scan]\ntrusted_tokens = ['{hook}']\n", "[scan]\ntoken_probe = false\n"])
def test_trusted_or_unprobed_hook_token_is_routed(chain, market, tmp_path, config: str):
    hook, _ = market
    found, _ = scan(chain, tmp_path / "cache", config.format(hook=hook))
    assert through(found, hook)


@pytest.mark.parametrize(
    "config,words",
    [
        ("[scan]\ntoken_probe = 'yes'\n", "scan.token_probe"),
        ("[scan]\ntrusted_tokens = 'HOOK'\n", "scan.trusted_tokens"),
        ("[scan]\ntrusted_tokens = ['NOPE']\n", "unknown token 'NOPE'"),
    ],
)
def test_bad_policy_config_is_one_error_line(chain, tmp_path, config: str, words: str):
    path = tmp_path / "mevcli.toml"
    path.write_text(config)
    env = {**chain.cli_env(tmp_path / "cache"), "MEVCLI_CONFIG": str(path)}
    result = runner.invoke(app, ["scan", "--max-hops", "2"], env=env)
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and words in lines[0], lines
    assert not (tmp_path / "cache" / "token-policy").exists()
