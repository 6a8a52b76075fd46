"""One real anvil node with the whole devnet market per test session; each test runs in a snapshot."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3
from web3.providers.rpc import HTTPProvider

from mevcli.devnet.deployer import Deployer
from mevcli.devnet.market import deploy_market
from mevcli.devnet.node import AnvilNode


@dataclass
class Chain:
    node: AnvilNode
    w3: Web3
    manifest: dict[str, Any]
    manifest_path: Path

    @property
    def rpc_url(self) -> str:
        return self.node.rpc_url

    def deployer(self, account: int = 0) -> Deployer:
        return Deployer(self.w3, self.w3.eth.accounts[account])

    def pools(self, dex: str) -> list[dict[str, Any]]:
        return [p for p in self.manifest["pools"] if p["dex"] == dex]

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Run a block of chain-changing code and revert it afterwards (usable per hypothesis example)."""
        snap = self.w3.provider.make_request("evm_snapshot", [])["result"]
        try:
            yield
        finally:
            self.w3.provider.make_request("evm_revert", [snap])

    def cli_env(self, cache_dir: Path) -> dict[str, str]:
        """Environment that points the CLI at this node and its manifest, with an isolated cache."""
        return {
            "ETH_RPC_URL": self.rpc_url,
            "MEVCLI_MANIFEST": str(self.manifest_path),
            "MEVCLI_CACHE_DIR": str(cache_dir),
        }


@pytest.fixture(scope="session")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    workdir = tmp_path_factory.mktemp("devnet")
    node = AnvilNode.start(workdir / "anvil.log")
    try:
        w3 = Web3(HTTPProvider(node.rpc_url, request_kwargs={"timeout": 60}))
        manifest = deploy_market(w3)
        manifest["rpc_url"] = node.rpc_url
        manifest_path = workdir / "manifest.json"
        manifest_path.write_text(json.dumps(manifest))
        yield Chain(node, w3, manifest, manifest_path)
    finally:
        node.stop()


@pytest.fixture
def snapshot(chain: Chain) -> Iterator[Chain]:
    """The chain, reverted to its seeded state after the test."""
    with chain.snapshot():
        yield chain
