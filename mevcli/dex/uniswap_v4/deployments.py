"""Where the PoolManager lives: per chain from Uniswap's deployment table (docs.uniswap.org,
contracts/v4/deployments: Ethereum, Arbitrum One and Base), on the devnet from its manifest. A chain
preset named here discovers V4 pools from its PoolManager's `Initialize` events."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mevcli.chain.addresses import to_checksum_address

POOL_MANAGERS: Mapping[str, str] = {
    "ethereum": "0x000000000004444c5dc75cB358380D2e3dE08A90",
    "arbitrum": "0x360E68faCcca8cA495c1B759Fd9EEe466db9FB32",
    "base": "0x498581fF718922c3f8e6A244956aF099B2652b2b",
}

# Block of the PoolManager's deployment, where discovery starts: Uniswap/v4-subgraph (networks.json
# "mainnet" startBlock; subgraph.yaml of its base network). Arbitrum left out: no official source found
# states it, so discovery there looks back a fixed number of blocks (`[scan] discovery_from_block`).
POOL_MANAGERS_DEPLOYED_AT: Mapping[str, int] = {
    "ethereum": 21_688_329,
    "base": 25_350_988,
}


def pool_manager(manifest: Mapping[str, Any] | None, chain: str | None) -> str | None:
    """The PoolManager of the devnet manifest, else of the chain preset named `chain`, else None."""
    entry = (manifest or {}).get("uniswap_v4")
    if entry:
        return to_checksum_address(entry["pool_manager"])
    return POOL_MANAGERS.get(chain or "")
