"""Curve StableSwap pool events: decode a log and apply it to a `CurvePoolState`.

`TokenExchange`, `AddLiquidity` and `RemoveLiquidity` carry what a state needs (classic pools log the
amounts as `uint256[N]`, stableswap-ng pools as `uint256[]`; both are recognised). Transfer and Approval
(the pool as LP token) change nothing. Any other event of the pool (one-coin or imbalanced withdrawals,
A ramps `RampA`/`StopRampA`, fee changes `ApplyNewFee`/`NewFee`) is not modelled: applying it raises
StaleState so the caller re-reads the pool.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from mevcli.chain.abi import decode
from mevcli.chain.addresses import keccak
from mevcli.dex.curve.state import CurvePoolState
from mevcli.errors import StaleState

_IGNORED = {
    keccak(text="Transfer(address,address,uint256)"),
    keccak(text="Approval(address,address,uint256)"),
}
TOKEN_EXCHANGE = keccak(text="TokenExchange(address,int128,uint256,int128,uint256)")


@dataclass(frozen=True, slots=True)
class TokenExchange:
    buyer: str
    sold_id: int
    tokens_sold: int
    bought_id: int
    tokens_bought: int


@dataclass(frozen=True, slots=True)
class AddLiquidity:
    provider: str
    token_amounts: tuple[int, ...]
    fees: tuple[int, ...]
    invariant: int
    token_supply: int


@dataclass(frozen=True, slots=True)
class RemoveLiquidity:
    provider: str
    token_amounts: tuple[int, ...]
    fees: tuple[int, ...]
    token_supply: int


CurveEvent = TokenExchange | AddLiquidity | RemoveLiquidity


@cache
def liquidity_topics(n_coins: int | None) -> tuple[bytes, bytes]:
    """Topic 0 of AddLiquidity and RemoveLiquidity, whose classic signatures name the coin count
    (`n_coins` None: stableswap-ng's, with dynamic arrays)."""
    arr = "uint256[]" if n_coins is None else f"uint256[{n_coins}]"
    return (
        keccak(text=f"AddLiquidity(address,{arr},{arr},uint256,uint256)"),
        keccak(text=f"RemoveLiquidity(address,{arr},{arr},uint256)"),
    )


def _bytes(value: Any) -> bytes:
    return bytes.fromhex(value.removeprefix("0x")) if isinstance(value, str) else bytes(value)


def decode_log(log: Mapping[str, Any], n_coins: int) -> CurveEvent | None:
    """The event in `log` (web3 log dict), None for Transfer/Approval; StaleState for any other event."""
    topics = [_bytes(t) for t in log["topics"]]
    data = _bytes(log["data"])
    block = int(log.get("blockNumber") or 0)
    if not topics:
        raise StaleState(block, "anonymous log from a Curve pool: re-read it")
    topic, who = topics[0], (decode(["address"], topics[1])[0] if len(topics) > 1 else "")
    add_topic, remove_topic = liquidity_topics(n_coins)
    arr = f"uint256[{n_coins}]"
    if topic in liquidity_topics(None):
        add_topic, remove_topic = liquidity_topics(None)
        arr = "uint256[]"
    if topic == TOKEN_EXCHANGE:
        sold_id, sold, bought_id, bought = decode(["int128", "uint256", "int128", "uint256"], data)
        return TokenExchange(who, sold_id, sold, bought_id, bought)
    if topic == add_topic:
        amounts, fees, invariant, supply = decode([arr, arr, "uint256", "uint256"], data)
        fees = fees or (0,) * n_coins  # stableswap-ng logs no fees on the first deposit
        if len(amounts) != n_coins or len(fees) != n_coins:
            raise StaleState(block, f"AddLiquidity names {len(amounts)} coins, the pool has {n_coins}")
        return AddLiquidity(who, tuple(amounts), tuple(fees), invariant, supply)
    if topic == remove_topic:
        amounts, fees, supply = decode([arr, arr, "uint256"], data)
        if len(amounts) != n_coins:
            raise StaleState(block, f"RemoveLiquidity names {len(amounts)} coins, the pool has {n_coins}")
        return RemoveLiquidity(who, tuple(amounts), tuple(fees), supply)
    if topic in _IGNORED:
        return None
    raise StaleState(block, f"Curve pool event {topic.hex()} is not modelled: re-read the pool")


def apply_event(state: CurvePoolState, event: CurveEvent | None, block: int) -> CurvePoolState:
    if event is None:
        return state
    if isinstance(event, TokenExchange):
        n = len(state.coins)
        if not (0 <= event.sold_id < n and 0 <= event.bought_id < n):
            raise StaleState(block, f"pool {state.address}: exchange names a coin it does not have")
        return state.with_exchange(
            event.sold_id, event.tokens_sold, event.bought_id, event.tokens_bought, block
        )
    if isinstance(event, AddLiquidity):
        return state.with_add_liquidity(event.token_amounts, event.fees, block)
    return state.with_remove_liquidity(event.token_amounts, block)


def apply_log(state: CurvePoolState, log: Mapping[str, Any]) -> CurvePoolState:
    """`state` after one of its pool's logs (in chain order). A reorged log (`removed`) raises StaleState."""
    block = int(log["blockNumber"])
    if log.get("removed"):
        raise StaleState(block, f"pool {state.address}: log removed by a reorg, re-read the pool")
    return apply_event(state, decode_log(log, len(state.coins)), block)
