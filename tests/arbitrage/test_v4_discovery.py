"""Uniswap V4 discovery as on a real chain: a registry that knows only the devnet's PoolManager address (what
a chain preset gives, no manifest pool list) finds exactly the devnet's V4 pools from `Initialize` events
through a provider that caps `eth_getLogs` ranges, identifies and reads them with no further log query
(the keys come from discovery's kept progress, also in a later process), and lists the pool whose hook may
change swaps as unpriced with the reason."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from mevcli.arbitrage.discovery import PoolDiscovery, deployment_blocks
from mevcli.cache.identity import PoolIdentities
from mevcli.cache.store import ReserveStore
from mevcli.chain.client import connect
from mevcli.chain.multicall import Multicall
from mevcli.devnet.fault_proxy import LogLimitProxy
from mevcli.dex import forks
from mevcli.dex.kinds import kind_of
from mevcli.dex.pools import read_states
from mevcli.dex.registry import DexRegistry, is_pool_id
from mevcli.dex.uniswap_v4.deployments import POOL_MANAGERS, POOL_MANAGERS_DEPLOYED_AT
from mevcli.dex.uniswap_v4.kind import KIND as UNISWAP_V4
from mevcli.dex.uniswap_v4.pool_key import NATIVE
from mevcli.presets import PRESETS


def preset_like(manifest) -> DexRegistry:
    """The manifest's DEXes as a chain preset gives them: the PoolManager without any pool list."""
    dexes = DexRegistry.from_manifest(manifest).dexes
    return DexRegistry([dataclasses.replace(d, pools=()) if d.kind == forks.UNISWAP_V4 else d for d in dexes])


def forget_keys(monkeypatch) -> None:
    """This process has never seen a V4 key (as a new `mevcli` run)."""
    monkeypatch.setattr(UNISWAP_V4, "_keys", {})


def discover_capped(
    chain, state: Path, monkeypatch, store: str = "store"
) -> tuple[list[str], LogLimitProxy, dict]:
    """Discovery through a provider capping ranges at 16 blocks, then identity and state of the V4 pools
    found, read through the same provider."""
    forget_keys(monkeypatch)
    proxy = LogLimitProxy(chain.rpc_url, max_range=16)
    try:
        w3 = connect(proxy.url, timeout=30.0)
        registry = preset_like(chain.manifest)
        head = chain.w3.eth.block_number
        found = PoolDiscovery(w3, registry, state, from_block=0).discover(head)
        ids = [p for p in found if is_pool_id(p)]
        mc = Multicall(w3, chain.manifest["multicall3"])
        identities = PoolIdentities(ReserveStore(state.parent / store), registry)
        refs = identities.identify(mc, ids, head, strict=True)
        windows = len(proxy.answered)
        states = read_states(mc, refs, head)
        assert len(proxy.answered) == windows  # no Initialize event asked again to read a pool
    finally:
        proxy.close()
    return found, proxy, states


def test_v4_pools_are_discovered_from_initialize_through_a_capped_provider(chain, tmp_path, monkeypatch):
    devnet = chain.manifest["uniswap_v4"]
    expected = {p["pool_id"] for p in devnet["pools"]}
    found, proxy, states = discover_capped(chain, tmp_path / "discovery.json", monkeypatch)
    assert {p for p in found if is_pool_id(p)} == expected
    assert proxy.refused > 0  # the cap was met, and worked around
    assert states.keys() == expected
    delta_hook = devnet["delta_hook"].lower()
    for pool in devnet["pools"]:
        state = states[pool["pool_id"]]
        assert [state.currency0, state.currency1] == pool["tokens"]
        reason = kind_of(state).unpriced(state)
        if pool["hooks"].lower() == delta_hook:
            assert reason is not None and "may change swap amounts" in reason
        else:
            assert reason is None and state.liquidity > 0
    assert any(state.currency0 == NATIVE for state in states.values())  # native ETH as currency0


def test_a_later_run_reads_the_keys_from_discovery_progress_not_the_chain(chain, tmp_path, monkeypatch):
    state = tmp_path / "discovery.json"
    discover_capped(chain, state, monkeypatch)
    # keys forgotten, identities judged again in a new store: both from the kept progress alone
    _, proxy, states = discover_capped(chain, state, monkeypatch, store="another store")
    assert proxy.answered == []  # nothing new to discover, no Initialize event asked for
    assert states.keys() == {p["pool_id"] for p in chain.manifest["uniswap_v4"]["pools"]}


def test_a_preset_discovers_v4_only_when_it_names_a_pool_manager():
    for name, preset in PRESETS.items():
        registry = DexRegistry.from_preset(preset)
        v4 = [d for d in registry.dexes if d.kind == forks.UNISWAP_V4]
        if name in POOL_MANAGERS:
            assert [d.factory.lower() for d in v4] == [POOL_MANAGERS[name].lower()]
            blocks = deployment_blocks(preset)
            assert blocks.get(POOL_MANAGERS[name].lower()) == POOL_MANAGERS_DEPLOYED_AT.get(name)
        else:
            assert v4 == []
    assert "devnet" not in POOL_MANAGERS  # the devnet's PoolManager comes from its manifest
