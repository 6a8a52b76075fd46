"""Pool discovery on the devnet: every DEX's creation events (V2 PairCreated, V3 PoolCreated, the
Balancer Vault's PoolRegistered), persisted so the next run scans only new blocks; pools the Vault
registers but our math cannot price are skipped, not fatal."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from mevcli.arbitrage.discovery import PoolDiscovery, identify_known
from mevcli.chain.multicall import Multicall
from mevcli.cli.app import app
from mevcli.devnet.market_spec import PLANTED
from mevcli.dex.registry import DexRegistry

runner = CliRunner()


def _discover(chain, tmp_path, progress=None) -> tuple[PoolDiscovery, list[str]]:
    discovery = PoolDiscovery(
        chain.w3, DexRegistry.from_manifest(chain.manifest), tmp_path / "discovery.json", from_block=0
    )
    return discovery, discovery.discover(chain.w3.eth.block_number, progress)


def test_every_factory_and_vault_pool_is_discovered(chain, tmp_path):
    _, found = _discover(chain, tmp_path)
    expected = {p["address"] for p in chain.manifest["pools"] if p["dex"] != "curve"}  # Curve: no factory
    assert expected <= set(found)
    assert any(p["dex"] == "balancer" for p in chain.manifest["pools"])


def test_discovery_resumes_from_the_last_block(snapshot, tmp_path):
    discovery, first = _discover(snapshot, tmp_path)
    vault = snapshot.manifest["balancer"]["vault"]
    unpriced = snapshot.deployer().deploy("UnpricedPool", vault).address
    seen: list[str] = []
    second = discovery.discover(snapshot.w3.eth.block_number, seen.append)
    assert set(second) == set(first) | {unpriced}
    head = snapshot.w3.eth.block_number
    # the second run asked only for the blocks after the first run's head
    assert seen and all(line.endswith(f"of {head}") and "blocks 0.." not in line for line in seen)


def test_a_registered_pool_we_cannot_price_is_skipped(snapshot, tmp_path):
    vault = snapshot.manifest["balancer"]["vault"]
    unpriced = snapshot.deployer().deploy("UnpricedPool", vault).address
    _, found = _discover(snapshot, tmp_path)
    assert unpriced in found
    registry = DexRegistry.from_manifest(snapshot.manifest)
    multicall = Multicall(snapshot.w3, snapshot.manifest["multicall3"])
    refs = identify_known(registry, multicall, found, snapshot.w3.eth.block_number)
    addresses = {r.address for r in refs}
    assert unpriced not in addresses
    assert {p["address"] for p in snapshot.pools("balancer")} <= addresses


def test_scan_finds_balancer_routes_from_vault_events_alone(snapshot, tmp_path):
    """A manifest that lists no Balancer pool: the scan still finds the planted Balancer routes, and the
    unpriced pool registered in the Vault does not break it."""
    snapshot.deployer().deploy("UnpricedPool", snapshot.manifest["balancer"]["vault"])
    manifest = {
        **snapshot.manifest,
        "pools": [p for p in snapshot.manifest["pools"] if p["dex"] != "balancer"],
    }
    manifest_path = tmp_path / "manifest.json"
    manifest_path.write_text(json.dumps(manifest))
    env = {**snapshot.cli_env(tmp_path / "cache"), "MEVCLI_MANIFEST": str(manifest_path)}
    result = runner.invoke(app, ["scan", "--json", "--max-hops", "4"], env=env)
    assert result.exit_code == 0, result.stderr
    symbols = {address: symbol for symbol, address in snapshot.manifest["tokens"].items()}
    routes = {(tuple(symbols[t] for t in o["tokens"]), tuple(o["dexes"])) for o in json.loads(result.stdout)}
    planted = [p for p in PLANTED if "balancer" in p.dexes]
    assert planted and all((p.tokens, p.dexes) in routes for p in planted)
    assert any(
        line.startswith("discovering ") and "balancer" in line.split(" pools:")[0]
        for line in result.stderr.splitlines()
    )
