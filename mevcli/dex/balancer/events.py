"""Balancer V2 events that change a pool's state (weighted or composable stable), decoded from raw logs
and applied.

Vault events (`Swap`, `PoolBalanceChanged`, `PoolBalanceManaged`) are emitted by the Vault and name
the pool by its id (topic 1); `SwapFeePercentageChanged` and `PausedStateChanged` come from the pool.
A composable stable pool's own events change what it prices with: `AmpUpdateStopped(currentValue)` fixes
A, `AmpUpdateStarted(startValue, …)` starts a ramp (A at that block is `startValue`; later blocks move
with the time, so a cache reads a ramping pool at every request), `TokenRateCacheUpdated(tokenIndex, rate)`
sets one token's scaling factor (decimals times the new rate). `TokenRateProviderSet` is refused
(`ValueError`): a cache re-reads the pool.
A log with `removed: true` (reorg) is refused: roll back to a stored state instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from mevcli.chain.abi import decode
from mevcli.chain.addresses import keccak, to_checksum_address
from mevcli.chain.logs import as_bytes, log_body
from mevcli.dex.balancer.state import BalancerPoolState, ComposableStablePoolState

SWAP = keccak(text="Swap(bytes32,address,address,uint256,uint256)")
POOL_BALANCE_CHANGED = keccak(text="PoolBalanceChanged(bytes32,address,address[],int256[],uint256[])")
POOL_BALANCE_MANAGED = keccak(text="PoolBalanceManaged(bytes32,address,address,int256,int256)")
SWAP_FEE_PERCENTAGE_CHANGED = keccak(text="SwapFeePercentageChanged(uint256)")
PAUSED_STATE_CHANGED = keccak(text="PausedStateChanged(bool)")
AMP_UPDATE_STARTED = keccak(text="AmpUpdateStarted(uint256,uint256,uint256,uint256)")
AMP_UPDATE_STOPPED = keccak(text="AmpUpdateStopped(uint256)")
TOKEN_RATE_CACHE_UPDATED = keccak(text="TokenRateCacheUpdated(uint256,uint256)")
TOKEN_RATE_PROVIDER_SET = keccak(text="TokenRateProviderSet(uint256,address,uint256)")
VAULT_TOPICS = (SWAP, POOL_BALANCE_CHANGED, POOL_BALANCE_MANAGED)
REREAD_TOPICS = (TOKEN_RATE_PROVIDER_SET,)
HEADER_TOPICS = (AMP_UPDATE_STARTED, AMP_UPDATE_STOPPED, TOKEN_RATE_CACHE_UPDATED)
POOL_TOPICS = (SWAP_FEE_PERCENTAGE_CHANGED, PAUSED_STATE_CHANGED, *HEADER_TOPICS, *REREAD_TOPICS)


def _address(topic: Any) -> str:
    return to_checksum_address(as_bytes(topic)[-20:])


def applies_to(
    state: BalancerPoolState, log: Mapping[str, Any], topics: Sequence[bytes] | None = None
) -> bool:
    """Whether `log` is one of the events above about this pool (`topics`: its topics as bytes, when the
    caller has them)."""
    if topics is None:
        topics = [as_bytes(t) for t in log["topics"]]
    if not topics:
        return False
    emitter = to_checksum_address(log["address"])
    if topics[0] in VAULT_TOPICS:
        return emitter == state.vault and len(topics) > 1 and "0x" + topics[1].hex() == state.pool_id.lower()
    return topics[0] in POOL_TOPICS and emitter == state.address


def apply_log(state: BalancerPoolState, log: Mapping[str, Any]) -> BalancerPoolState:
    """The state after one log about this pool (see `applies_to`); other logs leave it unchanged."""
    topics, data, block = log_body(log)
    if not applies_to(state, log, topics):
        return state
    kind = topics[0]
    if kind == SWAP:
        amount_in, amount_out = decode(["uint256", "uint256"], data)
        return state.with_swap(_address(topics[2]), _address(topics[3]), amount_in, amount_out, block)
    if kind == POOL_BALANCE_CHANGED:
        tokens, deltas, fees = decode(["address[]", "int256[]", "uint256[]"], data)
        return state.with_balance_change(deltas, fees, block, tokens=[to_checksum_address(t) for t in tokens])
    if kind == POOL_BALANCE_MANAGED:
        cash_delta, managed_delta = decode(["int256", "int256"], data)
        return state.with_managed_balance(_address(topics[3]), cash_delta, managed_delta, block)
    if kind in REREAD_TOPICS:
        raise ValueError(f"{state.address} changed a token rate provider: read it again")
    if kind in HEADER_TOPICS:
        return _apply_header(state, kind, topics, data, block)
    if kind == SWAP_FEE_PERCENTAGE_CHANGED:
        return state.with_swap_fee(decode(["uint256"], data)[0], block)
    return state.with_paused(decode(["bool"], data)[0], block)


def _apply_header(
    state: BalancerPoolState, kind: bytes, topics: list[bytes], data: bytes, block: int
) -> BalancerPoolState:
    """A composable stable pool's amplification or token rate event (see the module docstring)."""
    if not isinstance(state, ComposableStablePoolState):
        raise ValueError(f"{state.address} is not a composable stable pool but emitted its events")
    if kind == AMP_UPDATE_STOPPED:
        return state.with_amp(decode(["uint256"], data)[0], False, block)
    if kind == AMP_UPDATE_STARTED:
        return state.with_amp(decode(["uint256", "uint256", "uint256", "uint256"], data)[0], True, block)
    index = int.from_bytes(topics[1], "big") if len(topics) > 1 else None
    if index is None:
        raise ValueError("TokenRateCacheUpdated without its token index")
    return state.with_token_rate(index, decode(["uint256"], data)[0], block)


def apply_logs(state: BalancerPoolState, logs: Iterable[Mapping[str, Any]]) -> BalancerPoolState:
    """Apply logs in chain order (block, then log index)."""
    ordered = sorted(logs, key=lambda log: (int(log["blockNumber"]), int(log["logIndex"])))
    for log in ordered:
        state = apply_log(state, log)
    return state
