"""V4 pool discovery: every `Initialize` event of a PoolManager over a block range names a pool's key.

Logs come through `chain.logs.get_logs` (adaptive windows for providers that cap `eth_getLogs`). Pools
whose hook may change swaps are returned too: the caller lists them unpriced.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mevcli.chain.logs import get_logs
from mevcli.dex.uniswap_v4.keys import INITIALIZE_TOPIC, key_from_initialize
from mevcli.dex.uniswap_v4.pool_key import PoolKey

if TYPE_CHECKING:
    from web3 import Web3


def discover_keys(w3: Web3, manager: str, from_block: int, to_block: int) -> list[PoolKey]:
    """The keys of the pools `manager` initialized in [from_block, to_block], in chain order."""
    logs = get_logs(w3, [manager], [INITIALIZE_TOPIC], from_block, to_block)
    keys = []
    for log in logs:
        key = key_from_initialize([bytes(t) for t in log["topics"]], bytes(log["data"]))
        if "0x" + bytes(log["topics"][1]).hex() == key.pool_id:
            keys.append(key)
    return keys
