"""`mevcli devnet up --extra-pools N`: real pools through the real factories, listed in the manifest,
found by scan where mispriced on purpose, and started again from the dumped state."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3
from web3.providers.rpc import HTTPProvider

from mevcli.devnet.artifacts import load
from mevcli.devnet.counting_proxy import CountingProxy, RpcCount

MEVCLI = str(Path(sys.executable).with_name("mevcli"))
EXTRA = 40
DEVNET_GAS_LIMIT = 100_000_000
TICK_BITMAP, TICKS = ("0x" + Web3.keccak(text=s)[:4].hex() for s in ("tickBitmap(int16)", "ticks(int24)"))
NOT_V2_GETTERS = {
    "0x" + Web3.keccak(text=s)[:4].hex() for s in ("fee()", "getVault()", "getPoolId()")
}  # what `mevcli devnet up` starts anvil with (devnet/node.py)


def run(cache: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("ETH_RPC_URL", "CHAIN", "MEVCLI_MANIFEST")}
    environ |= {"MEVCLI_CACHE_DIR": str(cache), **(env or {})}
    return subprocess.run([MEVCLI, *args], capture_output=True, text=True, env=environ, timeout=900)


def assert_cold_reads_are_tight(cold: RpcCount, manifest: dict[str, Any]) -> None:
    """A cold scan's round trips stay within pools/500 + 15 (+ 2 for the token probe's batches), and what
    makes them scale: each V3 pool's tick window is one reader call (no bitmap word or tick asked one by
    one), and a V2 pair is asked only the getters its identity needs."""
    pools = manifest["pools"]
    assert cold.round_trips <= len(pools) // 500 + 15 + 2, cold.methods
    v3 = [p["address"].lower() for p in pools if p["dex"] == "uniswap_v3"]
    assert v3 and all(cold.calls[(pool, TICK_BITMAP)] == 1 for pool in v3), cold.selectors
    assert not any(cold.calls[(pool, TICKS)] for pool in v3), cold.selectors
    v2 = [p["address"].lower() for p in pools if p["dex"] in ("uniswap_v2", "sushiswap")]
    assert v2 and not any(cold.calls[(pool, sel)] for pool in v2 for sel in NOT_V2_GETTERS), cold.selectors


def node_gas_limit(w3: Web3) -> int:
    """The block gas limit the node mines its next blocks with."""
    return int(w3.provider.make_request("anvil_nodeInfo", [])["result"]["environment"]["gasLimit"], 16)


@pytest.fixture(scope="module")
def devnet(tmp_path_factory: pytest.TempPathFactory) -> Any:
    cache = tmp_path_factory.mktemp("extra-pools-cache")
    started = run(cache, "--json", "devnet", "up", "--extra-pools", str(EXTRA))
    assert started.returncode == 0, started.stderr
    info = json.loads(started.stdout)
    yield cache, info, json.loads(Path(info["manifest"]).read_text())
    run(cache, "devnet", "down")


def test_manifest_lists_the_extra_pools_of_every_kind(devnet: Any) -> None:
    _, info, manifest = devnet
    assert info["extra_pools"] == EXTRA and info["loaded_state"] is False
    extra = [p for p in manifest["pools"] if p.get("extra")]
    assert len(extra) == EXTRA == manifest["extra_pools"]["count"]
    kinds = Counter(p["dex"] for p in extra)
    assert set(kinds) == {"uniswap_v2", "sushiswap", "uniswap_v3", "balancer", "curve"}
    assert {p["fee"] for p in extra if p["dex"] == "uniswap_v3"} <= {500, 3000, 10_000}
    assert len(manifest["extra_pools"]["planted"]) >= 2
    assert {p["address"] for p in extra if p["dex"] == "curve"} <= set(manifest["curve"]["pools"])

    # Each Uniswap pool is the one its real factory knows for its tokens, and holds liquidity.
    w3 = Web3(HTTPProvider(manifest["rpc_url"]))
    assert node_gas_limit(w3) == DEVNET_GAS_LIMIT  # the batches' raised block gas limit was put back
    v2_factories = {dex: manifest[dex]["factory"] for dex in ("uniswap_v2", "sushiswap")}
    for pool in extra:
        if pool["dex"] in v2_factories:
            factory = w3.eth.contract(address=v2_factories[pool["dex"]], abi=load("UniswapV2Factory").abi)
            assert factory.functions.getPair(*pool["tokens"]).call() == pool["address"]
            pair = w3.eth.contract(address=pool["address"], abi=load("UniswapV2Pair").abi)
            reserve0, reserve1, _ = pair.functions.getReserves().call()
            assert reserve0 > 0 and reserve1 > 0
        elif pool["dex"] == "uniswap_v3":
            factory = w3.eth.contract(
                address=manifest["uniswap_v3"]["factory"], abi=load("UniswapV3Factory").abi
            )
            assert factory.functions.getPool(*pool["tokens"], pool["fee"]).call() == pool["address"]
            v3 = w3.eth.contract(address=pool["address"], abi=load("UniswapV3Pool").abi)
            assert v3.functions.liquidity().call() > 0
        else:
            assert len(w3.eth.get_code(pool["address"])) > 0


def test_scan_finds_the_planted_mispricings(devnet: Any, tmp_path: Path) -> None:
    _, info, manifest = devnet
    proxy = CountingProxy(info["rpc_url"])
    try:  # a cold scan (its own cache dir) through a counting proxy
        args = ("--json", "--chain", "devnet", "--rpc-url", proxy.url, "scan", "--max-hops", "2")
        scanned = run(tmp_path / "cache", *args, env={"MEVCLI_MANIFEST": info["manifest"]})
        cold = proxy.take()
    finally:
        proxy.close()
    assert scanned.returncode == 0, scanned.stderr
    assert_cold_reads_are_tight(cold, manifest)
    opportunities = json.loads(scanned.stdout)
    twin = {  # each planted SushiSwap pair against the fairly priced Uniswap V2 pair of the same tokens
        p["address"]: next(
            q["address"]
            for q in manifest["pools"]
            if q.get("extra") and q["dex"] == "uniswap_v2" and set(q["tokens"]) == set(p["tokens"])
        )
        for p in manifest["pools"]
        if p.get("planted_skew_bps")
    }
    assert len(twin) == len(manifest["extra_pools"]["planted"]) >= 2
    for planted, fair in twin.items():
        assert any(set(o["pools"]) == {planted, fair} and o["net_profit"] > 0 for o in opportunities), planted


def test_second_start_loads_the_dumped_state(devnet: Any) -> None:
    cache, info, manifest = devnet
    assert json.loads(run(cache, "--json", "devnet", "down").stdout) == {"stopped": True}
    again = run(cache, "--json", "devnet", "up", "--extra-pools", str(EXTRA))
    assert again.returncode == 0, again.stderr
    reloaded = json.loads(again.stdout)
    assert reloaded["loaded_state"] is True and reloaded["pid"] != info["pid"]
    second = json.loads(Path(reloaded["manifest"]).read_text())
    assert second["pools"] == manifest["pools"] and second["block"] == manifest["block"]
    w3 = Web3(HTTPProvider(second["rpc_url"]))
    assert w3.eth.block_number == manifest["block"] and node_gas_limit(w3) == DEVNET_GAS_LIMIT
    assert all(len(w3.eth.get_code(p["address"])) > 0 for p in second["pools"] if p.get("extra"))
    # The dump leaves out the call traces, not the receipts: the pools' creation events still answer.
    created = w3.eth.get_logs(
        {"fromBlock": 0, "toBlock": manifest["block"], "address": manifest["uniswap_v2"]["factory"]}
    )
    pairs = {p["address"] for p in manifest["pools"] if p["dex"] == "uniswap_v2"}
    assert {Web3.to_checksum_address("0x" + log["data"].hex()[24:64]) for log in created} == pairs
