"""Pool discovery: factory creation events (`PairCreated`, `PoolCreated`, the Balancer Vault's
`PoolRegistered`) in chunked `eth_getLogs`, plus pools named by the devnet manifest or the config.
What was found is kept in the cache dir, so the next run only scans new blocks.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from eth_utils import keccak, to_checksum_address
from web3 import Web3

from mevcli.chain.multicall import Multicall
from mevcli.dex.registry import BALANCER, V2, V3, DexInfo, DexRegistry, PoolRef

if TYPE_CHECKING:
    from mevcli.cache.store import ReserveStore

PAIR_CREATED = "0x" + keccak(text="PairCreated(address,address,address,uint256)").hex()
POOL_CREATED = "0x" + keccak(text="PoolCreated(address,address,uint24,int24,address)").hex()
# Balancer V2 Vault: PoolRegistered(bytes32 indexed poolId, address indexed poolAddress, uint8 specialization)
POOL_REGISTERED = "0x" + keccak(text="PoolRegistered(bytes32,address,uint8)").hex()
LOG_CHUNK = 10_000
DEFAULT_LOOKBACK = 200_000  # blocks scanned on a chain's first discovery when no start block is set

Progress = Callable[[str], None]


# Where each kind's creation event lives: the contract that emits it and its topic.
_CREATION_TOPIC = {V2: PAIR_CREATED, V3: POOL_CREATED, BALANCER: POOL_REGISTERED}


def _pool_from_log(log: dict, kind: str) -> str:
    if kind == BALANCER:  # the pool is the second indexed topic
        return to_checksum_address(bytes(log["topics"][2])[12:])
    data = bytes(log["data"])
    # PairCreated data: (pair, index); PoolCreated data: (tickSpacing, pool).
    word = data[0:32] if kind == V2 else data[32:64]
    return to_checksum_address(word[12:])


class PoolDiscovery:
    def __init__(
        self, w3: Web3, registry: DexRegistry, state_path: Path, from_block: int | None = None
    ) -> None:
        self.w3 = w3
        self.registry = registry
        self.state_path = state_path
        self.from_block = from_block

    def _load(self) -> dict:
        try:
            return json.loads(self.state_path.read_text())
        except (OSError, ValueError):
            return {"factories": {}, "pools": []}

    def _save(self, state: dict) -> None:
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(state))
        os.replace(tmp, self.state_path)

    def discover(self, head: int, progress: Progress | None = None) -> list[str]:
        """Addresses of every pool the known factories created up to `head` (cached between runs).

        Factories that are behind by the same blocks share one `eth_getLogs` per chunk (their addresses
        and creation topics in one filter); a warm run with nothing new asks nothing."""
        state = self._load()
        pools: set[str] = set(state["pools"])
        default_start = self.from_block if self.from_block is not None else max(head - DEFAULT_LOOKBACK, 0)
        groups: dict[int, list[DexInfo]] = {}
        for dex in self.registry.dexes:
            if dex.kind in _CREATION_TOPIC:
                key = dex.factory.lower()  # a Balancer DEX's factory is its Vault
                groups.setdefault(state["factories"].get(key, default_start - 1) + 1, []).append(dex)
        for start, dexes in sorted(groups.items()):
            kind_of = {d.factory.lower(): d.kind for d in dexes}
            names = ", ".join(d.name for d in dexes)
            for chunk_start in range(start, head + 1, LOG_CHUNK):
                chunk_end = min(chunk_start + LOG_CHUNK - 1, head)
                if progress:
                    progress(f"discovering {names} pools: blocks {chunk_start}..{chunk_end} of {head}")
                logs = self.w3.eth.get_logs(
                    {
                        "address": [d.factory for d in dexes],
                        "topics": [sorted({_CREATION_TOPIC[d.kind] for d in dexes})],
                        "fromBlock": chunk_start,
                        "toBlock": chunk_end,
                    }
                )
                for log in logs:
                    kind = kind_of.get(str(log["address"]).lower())
                    topic = "0x" + bytes(log["topics"][0]).hex() if log["topics"] else None
                    if kind is not None and topic == _CREATION_TOPIC[kind]:
                        pools.add(_pool_from_log(log, kind))
            for dex in dexes:
                state["factories"][dex.factory.lower()] = head
        state["pools"] = sorted(pools)
        self._save(state)
        return state["pools"]


def identify_known(
    registry: DexRegistry,
    mc: Multicall,
    addresses: Sequence[str],
    block: int,
    store: ReserveStore | None = None,
) -> list[PoolRef]:
    """PoolRefs for the addresses a known DEX vouches for and we can price; others are skipped, not
    fatal, in a scan (a Balancer Vault registers pools of kinds our math does not cover). With the
    reserve cache's `store`, each address is identified once per chain and remembered."""
    if store is not None:
        from mevcli.cache.identity import PoolIdentities

        return PoolIdentities(store, registry).identify(mc, addresses, block)
    return registry.classify(mc, addresses, block)[0]
