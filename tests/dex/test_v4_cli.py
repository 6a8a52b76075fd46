"""`mevcli quote --pool <V4 pool id>` against the real PoolManager: exact to the wei for hookless,
native-ETH, observe-only and dynamic-fee pools; a pool whose hook may change swaps is refused with why."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner
from v4_chain import key_of, make_rich, router_swap, v4

from mevcli.arbitrage.discovery import PoolDiscovery
from mevcli.chain.client import connect
from mevcli.cli.app import app
from mevcli.devnet.fault_proxy import LogLimitProxy
from mevcli.dex.registry import DexRegistry
from mevcli.dex.uniswap_v3.tick_math import MAX_SQRT_RATIO, MIN_SQRT_RATIO
from mevcli.dex.uniswap_v4.kind import KIND as UNISWAP_V4
from mevcli.dex.uniswap_v4.pool_key import NATIVE

runner = CliRunner()


def invoke(chain, tmp_path, *args: str):
    return runner.invoke(app, list(args), env=chain.cli_env(tmp_path / "cache"), catch_exceptions=False)


@pytest.fixture(scope="module")
def trader(chain):
    with chain.snapshot():
        account = chain.w3.eth.accounts[3]
        make_rich(chain, account)
        yield account


def _priced(chain) -> list[dict]:
    return [p for p in v4(chain)["pools"] if p["hooks"] != v4(chain)["delta_hook"]]


@pytest.mark.parametrize("index", range(6))
@pytest.mark.parametrize("sell_currency0", [True, False])
def test_quote_v4_pool_equals_pool_manager(chain, trader, tmp_path, index, sell_currency0):
    pool = _priced(chain)[index]
    key = key_of(pool)
    token_in = pool["tokens"][0 if sell_currency0 else 1]
    amount = 3 * 10**17 if token_in in (NATIVE, chain.manifest["weth"]) else 7 * 10**8
    result = invoke(
        chain,
        tmp_path,
        "quote",
        "--pool",
        pool["pool_id"],
        "--token-in",
        "ETH" if token_in == NATIVE else token_in,
        "--amount-in",
        str(amount),
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["pools"] == [pool["pool_id"]] and data["dexes"] == ["uniswap_v4"]
    assert data["token_out"] == pool["tokens"][1 if sell_currency0 else 0]
    limit = MIN_SQRT_RATIO + 1 if sell_currency0 else MAX_SQRT_RATIO - 1
    delta = router_swap(chain, key, sell_currency0, -amount, limit, trader, send=False)
    assert data["amount_out"] == (delta[1] if sell_currency0 else delta[0]) > 0


def test_quote_v4_refuses_a_swap_changing_hook(chain, tmp_path):
    pool = next(p for p in v4(chain)["pools"] if p["hooks"] == v4(chain)["delta_hook"])
    result = invoke(
        chain, tmp_path, "quote", "--pool", pool["pool_id"], "--token-in", "DAI", "--amount-in", "10"
    )
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert "not priced" in lines[0] and "beforeSwap returns a delta" in lines[0]


def test_quote_v4_unknown_pool_id(chain, tmp_path):
    result = invoke(
        chain, tmp_path, "quote", "--pool", "0x" + "11" * 32, "--token-in", "DAI", "--amount-in", "10"
    )
    assert result.exit_code == 1
    assert result.stderr.strip().startswith("Error: ") and "has no pool" in result.stderr
    assert "Traceback" not in result.stderr


def test_quote_path_through_v3_and_v4_cached_and_fresh(chain, trader, tmp_path):
    v3 = next(p for p in chain.pools("uniswap_v3") if p["fee"] == 500)
    usdc, usdt = chain.manifest["tokens"]["USDC"], chain.manifest["tokens"]["USDT"]
    pool = next(p for p in v4(chain)["pools"] if set(p["tokens"]) == {usdc, usdt})
    args = ("quote", "--path", f"{v3['address']},{pool['pool_id']}", "--token-in", "WETH", "--amount-in", "2")
    results = [
        invoke(chain, tmp_path, *args, "--human", "--json", *extra) for extra in ((), (), ("--fresh",))
    ]
    assert all(r.exit_code == 0 for r in results), [r.stderr for r in results]
    data = [json.loads(r.stdout) for r in results]
    assert data[0] == data[1] == data[2]
    first, second = data[0]["hops"]
    assert data[0]["dexes"] == ["uniswap_v3", "uniswap_v4"] and data[0]["pools"][1] == pool["pool_id"]
    assert second["amount_in"] == first["amount_out"] and second["token_out"] == usdt
    zero_for_one = pool["tokens"][0] == usdc
    limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
    delta = router_swap(chain, key_of(pool), zero_for_one, -second["amount_in"], limit, trader, send=False)
    assert second["amount_out"] == (delta[1] if zero_for_one else delta[0])


def test_quote_path_refuses_an_unpriced_v4_hop(chain, tmp_path):
    pool = next(p for p in v4(chain)["pools"] if p["hooks"] == v4(chain)["delta_hook"])
    v3 = next(p for p in chain.pools("uniswap_v3") if p["fee"] == 100)
    args = ("quote", "--path", f"{pool['pool_id']},{v3['address']}", "--token-in", "DAI", "--amount-in", "10")
    result = invoke(chain, tmp_path, *args)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and "beforeSwap returns a delta" in result.stderr


def test_quote_v4_pool_uses_the_keys_discovery_kept_through_a_capped_provider(
    chain, trader, tmp_path, monkeypatch
):
    """A chain with no manifest pool list and a provider capping `eth_getLogs` at 16 blocks: the key comes
    from V4 discovery's kept progress (no log query); with no progress the one log query from block 0 is
    refused and said in one line."""
    manifest = {**chain.manifest, "uniswap_v4": {**v4(chain), "pools": []}}
    manifest_path = tmp_path / "manifest.json"
    manifest_path.write_text(json.dumps(manifest))
    pool = _priced(chain)[0]
    amount = 3 * 10**17 if pool["tokens"][1] == chain.manifest["weth"] else 7 * 10**8
    proxy = LogLimitProxy(chain.rpc_url, max_range=16)
    try:
        state = tmp_path / "cache" / "discovery" / "31337.json"
        head = chain.w3.eth.block_number
        PoolDiscovery(connect(proxy.url), DexRegistry.from_manifest(manifest), state, from_block=0).discover(
            head
        )
        monkeypatch.setattr(UNISWAP_V4, "_keys", {})  # a new process: only the kept progress knows keys
        answered, refused = len(proxy.answered), proxy.refused
        args = [
            "quote",
            "--pool",
            pool["pool_id"],
            "--token-in",
            pool["tokens"][1],
            "--amount-in",
            str(amount),
        ]

        def quote(cache: str):
            env = {
                **chain.cli_env(tmp_path / cache),
                "ETH_RPC_URL": proxy.url,
                "MEVCLI_MANIFEST": str(manifest_path),
            }
            return runner.invoke(app, [*args, "--json"], env=env)

        result = quote("cache")
        assert result.exit_code == 0, result.stderr
        assert (len(proxy.answered), proxy.refused) == (answered, refused)  # no log asked for
        delta = router_swap(chain, key_of(pool), False, -amount, MAX_SQRT_RATIO - 1, trader, send=False)
        assert json.loads(result.stdout)["amount_out"] == delta[0] > 0

        monkeypatch.setattr(UNISWAP_V4, "_keys", {})
        cold = quote("no progress")
        assert cold.exit_code == 1 and proxy.refused > refused
        lines = cold.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and "eth_getLogs" in lines[0], cold.stderr
    finally:
        proxy.close()


def test_a_pool_id_pasted_without_0x_quotes_the_same_through_pool_and_path(chain, tmp_path):
    pool = _priced(chain)[0]
    token_in = pool["tokens"][1]
    bare = pool["pool_id"].removeprefix("0x").upper()
    amount = 3 * 10**17 if token_in == chain.manifest["weth"] else 7 * 10**8
    base = ("--token-in", token_in, "--amount-in", str(amount), "--json")
    results = [
        invoke(chain, tmp_path, "quote", option, named, *base)
        for option, named in (("--pool", pool["pool_id"]), ("--pool", bare), ("--path", bare))
    ]
    assert all(r.exit_code == 0 for r in results), [r.stderr for r in results]
    data = [json.loads(r.stdout) for r in results]
    assert {d["amount_out"] for d in data} == {data[0]["amount_out"]} and data[0]["amount_out"] > 0
    assert all(d["pools"] == [pool["pool_id"]] for d in data)
