"""Which logs change a cached pool state, and how to apply them without RPC.

One `EventModel` per state type, chosen by the state's class name (no import of the protocol, so a new
protocol plugs in by adding a model):

- `V2PairState`: `Sync(reserve0, reserve1)` is the whole new state -> `with_sync`.
- `V3PoolState`: `Swap` (sqrtPrice, liquidity, tick) -> `with_swap`; `Mint`/`Burn` -> `with_liquidity_change`
  (liquidityNet at both ticks, active liquidity when in range); `Initialize` -> `with_swap`. A Mint/Burn
  whose tick lies in a bitmap word the reader did not load (outside `word_range`) would leave that word
  half known, so it invalidates the pool instead (re-read at the next request).
- Balancer weighted and composable stable pools and Curve pools: the protocol's own
  `events.apply_log(state, log)` (its `with_*` methods) when that module exists; any log of theirs
  invalidates the pool otherwise.
- Any other state type: every log of the pool invalidates it.

`apply` raises `Invalidate` whenever a log cannot be applied exactly; the cache then drops the pool.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from eth_abi import decode
from eth_utils import keccak

from mevcli.dex.balancer import events as balancer_events
from mevcli.dex.uniswap_v3.tick_bitmap import compress, position

V2_SYNC = keccak(text="Sync(uint112,uint112)")
V3_SWAP = keccak(text="Swap(address,address,int256,int256,uint160,uint128,int24)")
V3_MINT = keccak(text="Mint(address,address,int24,int24,uint128,uint256,uint256)")
V3_BURN = keccak(text="Burn(address,int24,int24,uint128,uint256,uint256)")
V3_INITIALIZE = keccak(text="Initialize(uint160,int24)")

Log = Mapping[str, Any]
# (emitter address, topic 1 as 0x hex or None): a log from `emitter` (whose topic 1 is that value)
# belongs to the pool. Balancer's Vault names the pool by its id in topic 1.
Route = tuple[str, str | None]


class Invalidate(Exception):
    """The log cannot be applied exactly: drop the pool's cached state."""


@dataclass(frozen=True, slots=True)
class EventModel:
    name: str
    topics: tuple[bytes, ...] | None  # topic-0 filter for eth_getLogs; None: every log of the emitters
    routes: Callable[[Any], list[Route]]
    apply_fn: Callable[[Any, Log], Any]

    def apply(self, state: Any, log: Log) -> Any:
        """`state` after `log`; raises Invalidate when that cannot be done exactly."""
        if log.get("removed"):
            raise Invalidate("log removed by a reorg")
        try:
            return self.apply_fn(state, log)
        except Invalidate:
            raise
        except Exception as exc:  # a protocol's own checks (StaleState, ValueError, overflow ...)
            raise Invalidate(f"{type(exc).__name__}: {exc}") from exc


def _own(state: Any) -> list[Route]:
    return [(state.address, None)]


def _apply_v2(state: Any, log: Log) -> Any:
    if log["topics"][0] != V2_SYNC:
        return state
    reserve0, reserve1 = decode(["uint112", "uint112"], log["data"])
    return state.with_sync(reserve0, reserve1, log["blockNumber"])


def _in_loaded_words(state: Any, tick: int) -> bool:
    if state.word_range is None:
        return True
    word = position(compress(tick, state.tick_spacing))[0]
    low, high = state.word_range
    return low <= word <= high


def _apply_v3(state: Any, log: Log) -> Any:
    topics, data, block = log["topics"], log["data"], log["blockNumber"]
    kind = topics[0]
    if kind == V3_SWAP:
        _, _, sqrt_price, liquidity, tick = decode(["int256", "int256", "uint160", "uint128", "int24"], data)
        return state.with_swap(sqrt_price, liquidity, tick, block)
    if kind in (V3_MINT, V3_BURN):
        lower = decode(["int24"], topics[2])[0]
        upper = decode(["int24"], topics[3])[0]
        if kind == V3_MINT:
            amount = decode(["address", "uint128", "uint256", "uint256"], data)[1]
        else:
            amount = -decode(["uint128", "uint256", "uint256"], data)[0]
        if not (_in_loaded_words(state, lower) and _in_loaded_words(state, upper)):
            raise Invalidate(f"position [{lower}, {upper}) reaches bitmap words the state did not load")
        return state.with_liquidity_change(lower, upper, amount, block)
    if kind == V3_INITIALIZE:
        sqrt_price, tick = decode(["uint160", "int24"], data)
        return state.with_swap(sqrt_price, state.liquidity, tick, block)
    return state


def _protocol_apply(state: Any, log: Log) -> Any:
    """The protocol's own `events.apply_log` next to its state module, if it has one."""
    package = type(state).__module__.rpartition(".")[0]
    try:
        apply_log = getattr(importlib.import_module(f"{package}.events"), "apply_log", None)
    except ImportError:
        apply_log = None
    if apply_log is None:
        raise Invalidate(f"no event model for {type(state).__name__}")
    return apply_log(state, log)


def _balancer_routes(state: Any) -> list[Route]:
    return [(state.vault, state.pool_id.lower()), (state.address, None)]


def _invalidate(state: Any, log: Log) -> Any:
    raise Invalidate(f"{type(state).__name__} has no event model")


V2_MODEL = EventModel("uniswap_v2", (V2_SYNC,), _own, _apply_v2)
V3_MODEL = EventModel("uniswap_v3", (V3_SWAP, V3_MINT, V3_BURN, V3_INITIALIZE), _own, _apply_v3)
# The Vault's events (routed by pool id) and the pool's own, as `dex/balancer/events.py` lists them.
BALANCER_MODEL = EventModel(
    "balancer", balancer_events.VAULT_TOPICS + balancer_events.POOL_TOPICS, _balancer_routes, _protocol_apply
)
# Curve pools: every log of the pool (Transfer/Approval are no-ops there; unmodelled events invalidate).
CURVE_MODEL = EventModel("curve", None, _own, _protocol_apply)
GENERIC_MODEL = EventModel("generic", None, _own, _invalidate)

MODELS: dict[str, EventModel] = {
    m.name: m for m in (V2_MODEL, V3_MODEL, BALANCER_MODEL, CURVE_MODEL, GENERIC_MODEL)
}
_BY_STATE_TYPE = {
    "V2PairState": V2_MODEL,
    "V3PoolState": V3_MODEL,
    "WeightedPoolState": BALANCER_MODEL,
    "ComposableStablePoolState": BALANCER_MODEL,
    "CurvePoolState": CURVE_MODEL,
}


def model_for(state: Any) -> EventModel:
    return _BY_STATE_TYPE.get(type(state).__name__, GENERIC_MODEL)
