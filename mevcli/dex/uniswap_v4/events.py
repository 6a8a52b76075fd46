"""PoolManager events that change a V4 pool's state, applied with no RPC.

Every pool's events come from the one PoolManager and name the pool by its id in topic 1:
- `Swap(id, sender, amount0, amount1, sqrtPriceX96, liquidity, tick, fee)` carries the new price,
  active liquidity and tick in full; its `fee` is the swap fee charged, which on a dynamic-fee pool is
  slot0's new LP fee whenever no protocol fee was combined in that direction;
- `ModifyLiquidity(id, sender, tickLower, tickUpper, liquidityDelta, salt)` changes both ticks'
  liquidityNet and the active liquidity in range, as V3's Mint/Burn do;
- `Initialize(id, currency0, currency1, fee, tickSpacing, hooks, sqrtPriceX96, tick)` sets price and tick
  (and, for discovery, names the key);
- `ProtocolFeeUpdated(id, protocolFee)` sets slot0's protocol fee.
`Donate` changes no price or liquidity. A dynamic LP fee set outside a swap emits nothing: such a pool's
`lp_fee` is exact as of its last read or Swap. A log with `removed: true` is refused (roll back instead).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mevcli.chain.abi import decode
from mevcli.chain.addresses import keccak
from mevcli.chain.logs import as_bytes, log_body
from mevcli.dex.uniswap_v3.state import covers_ticks
from mevcli.dex.uniswap_v4.keys import INITIALIZE_TOPIC
from mevcli.dex.uniswap_v4.state import V4PoolState

INITIALIZE = INITIALIZE_TOPIC
SWAP = keccak(text="Swap(bytes32,address,int128,int128,uint160,uint128,int24,uint24)")
MODIFY_LIQUIDITY = keccak(text="ModifyLiquidity(bytes32,address,int24,int24,int256,bytes32)")
PROTOCOL_FEE_UPDATED = keccak(text="ProtocolFeeUpdated(bytes32,uint24)")
DONATE = keccak(text="Donate(bytes32,address,uint256,uint256)")
TOPICS = (INITIALIZE, SWAP, MODIFY_LIQUIDITY, PROTOCOL_FEE_UPDATED)


class OutsideLoadedWords(ValueError):
    """A position reaches bitmap words the state never loaded: re-read the pool instead."""


def routes(state: V4PoolState) -> list[tuple[str, str]]:
    """(emitter, topic 1) of the logs about this pool: the PoolManager and the pool id."""
    return [(state.pool_manager, state.pool_id.lower())]


def applies_to(state: V4PoolState, log: Mapping[str, Any], topics: Sequence[bytes] | None = None) -> bool:
    """Whether `log` is one of the events above about this pool (`topics`: its topics as bytes, when the
    caller has them)."""
    if topics is None:
        topics = [as_bytes(t) for t in log["topics"]]
    return (
        len(topics) > 1
        and topics[0] in TOPICS
        and str(log["address"]).lower() == state.pool_manager.lower()
        and "0x" + topics[1].hex() == state.pool_id.lower()
    )


def apply_log(state: V4PoolState, log: Mapping[str, Any]) -> V4PoolState:
    """The state after one log about this pool (see `applies_to`); other logs leave it unchanged."""
    topics, data, block = log_body(log)
    if not applies_to(state, log, topics):
        return state
    kind = topics[0]
    if kind == SWAP:
        amount0, _amount1, sqrt_price, liquidity, tick, fee = decode(
            ["int128", "int128", "uint160", "uint128", "int24", "uint24"], data
        )
        return state.with_swap(sqrt_price, liquidity, tick, block, fee=fee, zero_for_one=amount0 < 0)
    if kind == MODIFY_LIQUIDITY:
        lower, upper, delta, _salt = decode(["int24", "int24", "int256", "bytes32"], data)
        if not covers_ticks(state, lower, upper):
            raise OutsideLoadedWords(
                f"position [{lower}, {upper}) reaches bitmap words the state did not load"
            )
        return state.with_liquidity_change(lower, upper, delta, block)
    if kind == INITIALIZE:
        _fee, _spacing, _hooks, sqrt_price, tick = decode(
            ["uint24", "int24", "address", "uint160", "int24"], data
        )
        return state.with_price(sqrt_price, tick, block)
    if kind == PROTOCOL_FEE_UPDATED:
        (protocol_fee,) = decode(["uint24"], data)
        return state.with_protocol_fee(protocol_fee, block)
    return state
