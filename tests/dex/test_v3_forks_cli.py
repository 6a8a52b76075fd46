"""SushiSwap V3 and PancakeSwap V3 through the CLI and the registry, on the devnet: pools named
`DEX:A/B:FEE` resolve through each fork's own factory, `quote --check` agrees with each fork's quoter in
both directions and along a path across forks, and the registry vouches for each fork's pools by their
own factory (without Pancake's factory in the registry, a Pancake pool is refused)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from mevcli.chain.multicall import Multicall
from mevcli.cli.app import app
from mevcli.dex.forks import UNISWAP_V3
from mevcli.dex.registry import DexRegistry
from mevcli.errors import UnknownPool

runner = CliRunner()
FORK_POOLS = [
    ("sushiswap_v3", "WETH", "USDC", 500),
    ("sushiswap_v3", "WBTC", "WETH", 3000),
    ("pancakeswap_v3", "WETH", "USDC", 2500),
    ("pancakeswap_v3", "USDC", "USDT", 100),
    ("pancakeswap_v3", "ARB", "WETH", 10000),
]


def quote(chain, tmp_path, *args: str) -> dict:
    result = runner.invoke(app, ["quote", *args, "--json", "--check"], env=chain.cli_env(tmp_path / "cache"))
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _amount(chain, symbol: str, whole: int) -> str:
    return str(whole * 10 ** chain.manifest["decimals"][symbol])


@pytest.mark.parametrize(("dex", "a", "b", "fee"), FORK_POOLS)
def test_quote_check_agrees_with_the_fork_quoter_both_ways(chain, tmp_path, dex, a, b, fee):
    pool = next(p for p in chain.pools(dex) if p["fee"] == fee)
    for token_in, token_out in ((a, b), (b, a)):
        # Large enough to cross several initialized ticks of the seeded positions.
        whole = {"WETH": 300, "WBTC": 10, "ARB": 500_000}.get(token_in, 900_000)
        data = quote(chain, tmp_path, "--pool", f"{dex}:{a}/{b}:{fee}", "--token-in", token_in,
                     "--amount-in", _amount(chain, token_in, whole))  # fmt: skip
        assert data["pools"] == [pool["address"]] and data["dexes"] == [dex]
        assert data["token_out"] == chain.manifest["tokens"][token_out]
        assert data["amount_out"] > 0
        assert data["check"] == {"chain_amounts_out": [data["amount_out"]], "match": True}


def test_quote_check_along_a_path_across_the_forks(chain, tmp_path):
    path = "sushiswap_v3:WETH/USDC:500,pancakeswap_v3:USDC/USDT:100,uniswap_v2:WETH/USDT"
    data = quote(
        chain, tmp_path, "--path", path, "--token-in", "WETH", "--amount-in", _amount(chain, "WETH", 50)
    )
    assert data["dexes"] == ["sushiswap_v3", "pancakeswap_v3", "uniswap_v2"]
    assert data["token_out"] == chain.manifest["weth"]
    assert data["check"]["match"] is True
    assert data["check"]["chain_amounts_out"][-1] == data["amount_out"]


def test_each_fork_vouches_for_its_own_pools(chain):
    mc = Multicall(chain.w3, chain.manifest["multicall3"])
    block = chain.w3.eth.block_number
    registry = DexRegistry.from_manifest(chain.manifest)
    pools = [p for dex in ("uniswap_v3", "sushiswap_v3", "pancakeswap_v3") for p in chain.pools(dex)]
    refs = registry.identify(mc, [p["address"] for p in pools], block)
    assert [(r.dex.name, r.dex.kind) for r in refs] == [(p["dex"], UNISWAP_V3) for p in pools]
    # Without the Pancake factory in the registry, a Pancake pool is no pool of a known DEX.
    no_pancake = DexRegistry([d for d in registry.dexes if d.name != "pancakeswap_v3"])
    cake = chain.pools("pancakeswap_v3")[0]["address"]
    with pytest.raises(UnknownPool, match="not created by a known DEX factory"):
        no_pancake.identify(mc, [cake], block)
