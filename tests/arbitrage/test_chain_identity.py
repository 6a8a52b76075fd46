"""Facts a cache dir keeps about a chain (pool identities, token verdicts, discovery progress) do not
survive onto another chain under the same chain id: here the devnet reverted to a snapshot and rebuilt
differently (what a reorg below the cached block, a devnet reloaded from a dump or a fresh devnet is to
the cache). Token addresses repeat across the two branches (same deployer nonces), their code does not."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from test_token_policy import scan, seed_gap, through
from web3 import Web3
from web3.providers.rpc import HTTPProvider

from mevcli.arbitrage.discovery import PoolDiscovery
from mevcli.cache.identity import PoolIdentities
from mevcli.cache.store import ReserveStore
from mevcli.chain.multicall import Multicall
from mevcli.devnet.market import deploy_market
from mevcli.devnet.node import AnvilNode
from mevcli.dex.registry import DexRegistry
from mevcli.errors import UnknownPool


class Branches:
    """`mark()` a block; `__call__` starts another branch from it (its blocks get new hashes)."""

    def __init__(self, chain) -> None:
        self.chain = chain
        self.mark()

    def mark(self) -> None:
        self.snap = self.chain.w3.provider.make_request("evm_snapshot", [])["result"]

    def __call__(self) -> None:
        assert self.chain.w3.provider.make_request("evm_revert", [self.snap])["result"] is True
        self.mark()


@pytest.fixture
def branch(chain) -> Iterator[Branches]:
    with chain.snapshot():
        yield Branches(chain)


class Killed(Exception):
    pass


def _kill(_step) -> None:
    raise Killed


def _mine(chain, blocks: int) -> None:
    for _ in range(blocks):
        chain.w3.provider.make_request("evm_mine", [])


def test_scan_on_another_branch_sees_its_pools_and_tokens_only(chain, branch, tmp_path):
    cache = tmp_path / "cache"
    plain = seed_gap(chain, "TestToken", "TOK")
    _mine(chain, 40)  # the first branch's head ends well above every block of the second
    found, _ = scan(chain, cache)
    assert through(found, plain), "a plain token's gap is an opportunity"
    first_head = chain.w3.eth.block_number

    branch()
    hook = seed_gap(chain, "HookToken", "TOK")  # the same address, now a token with a transfer hook
    other = seed_gap(chain, "TestToken", "TOK2")  # pools created below the first branch's head
    assert hook == plain and chain.w3.eth.block_number < first_head
    found, stderr = scan(chain, cache)
    assert f"token {hook}: calls the receiver on transfer" in stderr  # probed again, not inherited
    assert not through(found, hook)
    assert through(found, other), "discovery rewound and found the second branch's pools"


def test_pool_identity_is_not_inherited_by_another_branch(chain, branch, tmp_path):
    registry = DexRegistry.from_manifest(chain.manifest)
    mc = Multicall(chain.w3, chain.manifest["multicall3"])
    store = ReserveStore(tmp_path / "store")
    seed_gap(chain, "TestToken", "TOK")
    new_pairs = _created_pairs(chain, registry, tmp_path / "a.json")
    assert len(new_pairs) == 2
    block = chain.w3.eth.block_number
    assert len(PoolIdentities(store, registry).identify(mc, new_pairs, block, strict=True)) == 2

    branch()
    _mine(chain, 3)
    block = chain.w3.eth.block_number
    for pair in new_pairs:  # no code on this branch: refused, not served from the first branch's rows
        with pytest.raises(UnknownPool, match="not a pool"):
            PoolIdentities(store, registry).identify(mc, [pair], block, strict=True)
    known = [p["address"] for p in chain.pools("uniswap_v2")]
    assert [r.address for r in PoolIdentities(store, registry).identify(mc, known, block)] == known


def _listed(chain) -> set[str]:
    """The manifest's pools: by address, and Uniswap V4 pools by id."""
    return {p["address"] for p in chain.manifest["pools"]} | {
        p["pool_id"] for p in chain.manifest["uniswap_v4"]["pools"]
    }


def _created_pairs(chain, registry: DexRegistry, state) -> list[str]:
    """Pools discovery finds that the manifest does not list."""
    listed = _listed(chain)
    found = PoolDiscovery(chain.w3, registry, state, from_block=0).discover(chain.w3.eth.block_number)
    return sorted(set(found) - listed)


def test_discovery_rewinds_below_a_reorg_and_forgets_the_old_branch(chain, branch, tmp_path, caplog):
    registry = DexRegistry.from_manifest(chain.manifest)
    state = tmp_path / "discovery.json"
    discovery = PoolDiscovery(chain.w3, registry, state, from_block=0)
    listed = _listed(chain)
    anchored = chain.w3.eth.block_number
    assert set(discovery.discover(anchored)) <= listed  # progress anchored here
    _mine(chain, 1)
    branch.mark()
    seed_gap(chain, "TestToken", "TOK")
    _mine(chain, 40)
    first_head = chain.w3.eth.block_number
    old = set(discovery.discover(first_head)) - listed
    assert len(old) == 2

    branch()
    seed_gap(chain, "TestToken", "TOK")
    seed_gap(chain, "TestToken", "TOK2")
    head = chain.w3.eth.block_number
    assert head < first_head
    caplog.set_level("INFO", "mevcli.arbitrage.discovery")
    new = set(discovery.discover(head)) - listed
    assert len(new) == 4 and old <= new  # the same two pairs (same tokens) and two new ones
    assert f"changed above block {anchored};" in caplog.text  # rewound to the anchor, not to block 0

    # A run killed after its first window, on a branch that is then replaced: its journal is rewound.
    branch()
    seed_gap(chain, "TestToken", "TOK")
    seed_gap(chain, "TestToken", "TOK2")
    seed_gap(chain, "TestToken", "TOK3")
    with pytest.raises(Killed):
        discovery.discover(chain.w3.eth.block_number, on_window=_kill)
    assert state.with_suffix(".journal").read_text().count("\n") >= 1
    branch()
    seed_gap(chain, "TestToken", "TOK")
    _mine(chain, 50)
    rebuilt = set(PoolDiscovery(chain.w3, registry, state, from_block=0).discover(chain.w3.eth.block_number))
    assert rebuilt - listed == old  # only this branch's pairs: TOK2's and TOK3's are gone


@pytest.fixture(scope="module")
def second_devnet(chain, tmp_path_factory) -> Iterator:
    """A fresh devnet with the same chain id and the same market addresses (the same deployer nonces)."""
    workdir = tmp_path_factory.mktemp("devnet-b")
    node = AnvilNode.start(workdir / "anvil.log")
    try:
        w3 = Web3(HTTPProvider(node.rpc_url, request_kwargs={"timeout": 60}))
        manifest = deploy_market(w3)
        manifest["rpc_url"] = node.rpc_url
        path = workdir / "manifest.json"
        path.write_text(json.dumps(manifest))
        yield type(chain)(node, w3, manifest, path)
    finally:
        node.stop()


def test_a_fresh_devnet_with_the_same_chain_id_inherits_nothing(chain, second_devnet, tmp_path):
    b = second_devnet
    assert b.w3.eth.chain_id == chain.w3.eth.chain_id and b.manifest["pools"] == chain.manifest["pools"]
    cache = tmp_path / "cache"
    with chain.snapshot():
        plain = seed_gap(chain, "TestToken", "TOK")
        _mine(chain, 40)
        found, _ = scan(chain, cache)
        assert through(found, plain)
        a_head = chain.w3.eth.block_number
    with b.snapshot():
        hook = seed_gap(b, "HookToken", "TOK")  # A's plain token's address, a hook token here
        other = seed_gap(b, "TestToken", "TOK2")
        assert hook == plain and b.w3.eth.block_number < a_head
        found, stderr = scan(b, cache)
        assert f"token {hook}: calls the receiver on transfer" in stderr
        assert not through(found, hook) and through(found, other)
