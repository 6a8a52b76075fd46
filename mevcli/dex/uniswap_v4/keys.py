"""A pool's key from its id: the devnet manifest lists its pools; elsewhere the PoolManager's
`Initialize` event (its id is an indexed topic) names the currencies, fee, tick spacing and hooks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mevcli.chain.abi import decode
from mevcli.chain.addresses import keccak, to_checksum_address
from mevcli.dex.uniswap_v4.pool_key import PoolKey
from mevcli.errors import UnknownPool

if TYPE_CHECKING:
    from web3 import Web3

INITIALIZE_TOPIC = keccak(text="Initialize(bytes32,address,address,uint24,int24,address,uint160,int24)")


def key_from_manifest_entry(entry: Mapping[str, Any]) -> PoolKey:
    c0, c1 = entry["tokens"]
    return PoolKey(
        currency0=to_checksum_address(c0),
        currency1=to_checksum_address(c1),
        fee=int(entry["fee"]),
        tick_spacing=int(entry["tick_spacing"]),
        hooks=to_checksum_address(entry["hooks"]),
    )


def key_from_initialize(topics: list[bytes], data: bytes) -> PoolKey:
    """The key an `Initialize` log names (topics: signature, id, currency0, currency1)."""
    fee, tick_spacing, hooks, _sqrt_price, _tick = decode(
        ["uint24", "int24", "address", "uint160", "int24"], data
    )
    return PoolKey(
        currency0=to_checksum_address(topics[2][-20:]),
        currency1=to_checksum_address(topics[3][-20:]),
        fee=fee,
        tick_spacing=tick_spacing,
        hooks=to_checksum_address(hooks),
    )


def manifest_key(manifest: Mapping[str, Any] | None, pool_id: str) -> PoolKey | None:
    """The key of `pool_id` (lower case) if the devnet manifest lists the pool."""
    for entry in ((manifest or {}).get("uniswap_v4") or {}).get("pools", []):
        if entry["pool_id"].lower() == pool_id:
            return key_from_manifest_entry(entry)
    return None


def find_key(
    w3: Web3, manager: str, manifest: Mapping[str, Any] | None, pool_id: str, to_block: int
) -> PoolKey:
    """The key of `pool_id`; UnknownPool when the PoolManager never initialized such a pool."""
    listed = manifest_key(manifest, pool_id)
    if listed is not None:
        return listed
    try:
        logs = w3.eth.get_logs(
            {
                "address": manager,
                "topics": ["0x" + INITIALIZE_TOPIC.hex(), pool_id],
                "fromBlock": 0,
                "toBlock": to_block,
            }
        )
    except Exception as exc:  # a provider that caps eth_getLogs ranges
        raise UnknownPool(
            f"cannot look up V4 pool {pool_id}: eth_getLogs for its Initialize event failed"
        ) from exc
    if not logs:
        raise UnknownPool(f"PoolManager {manager} has no pool {pool_id}")
    log = logs[0]
    key = key_from_initialize([bytes(t) for t in log["topics"]], bytes(log["data"]))
    if key.pool_id != pool_id:
        raise UnknownPool(f"the Initialize event for {pool_id} names a key that hashes elsewhere")
    return key
