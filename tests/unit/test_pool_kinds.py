"""The pool-kind registry: one kind per state type and DEX, the executor's side of each kind, and the
room a Uniswap V3 fork has for its own `slot0`, `Swap` event and callbacks."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from eth_abi import decode, encode

from mevcli.cache.events import MODELS, model_for
from mevcli.dex.forks import DEXES
from mevcli.dex.kinds import KINDS, kind_named, kind_of
from mevcli.dex.uniswap_v3 import forks as v3_forks
from mevcli.dex.uniswap_v3.kind import KIND as V3
from mevcli.dex.uniswap_v3.reader import SLOT0_TYPES
from mevcli.dex.uniswap_v3.state import V3PoolState
from mevcli.errors import UnknownPool
from mevcli.execution.calldata import _ARTIFACT, HOP_KINDS
from mevcli.presets import PRESETS

EXECUTOR_SOURCE = Path(__file__).resolve().parents[2] / "contracts" / "ArbExecutor.sol"
POOL = "0x" + "11" * 20
TOKEN0, TOKEN1 = "0x" + "22" * 20, "0x" + "33" * 20
# A fork not registered (PancakeSwap V3's shape with one protocol-fee field and callbacks of its own).
PANCAKE_LIKE = v3_forks.V3Fork(
    "pancake_like_v3",
    slot0_types=("uint160", "int24", "uint16", "uint16", "uint16", "uint32", "bool"),
    swap_signature="Swap(address,address,int256,int256,uint160,uint128,int24,uint128)",
    swap_callback="pancakeLikeV3SwapCallback",
    flash_callback="pancakeLikeV3FlashCallback",
)


def _v3_state() -> V3PoolState:
    return V3PoolState(
        address=POOL,
        token0=TOKEN0,
        token1=TOKEN1,
        fee=500,
        tick_spacing=10,
        sqrt_price_x96=2**96,
        tick=0,
        liquidity=10**18,
        ticks={},
        bitmap={},
        block=1,
    )


def _swap_log(topic: bytes, data: bytes) -> dict:
    return {"topics": [topic, b"\0" * 32, b"\0" * 32], "data": data, "blockNumber": 7, "logIndex": 0}


def test_each_state_type_and_executor_code_belongs_to_one_kind():
    seen: dict[type, str] = {}
    for kind in KINDS.values():
        for state_type in kind.state_types:
            assert state_type not in seen, f"{state_type} read by {seen[state_type]} and {kind.name}"
            seen[state_type] = kind.name
    assert kind_of(_v3_state()) is V3
    constants = dict(re.findall(r"uint8 internal constant HOP_(\w+) = (\d+);", EXECUTOR_SOURCE.read_text()))
    assert {name: str(code) for name, code in HOP_KINDS.items()} == {
        k.lower(): v for k, v in constants.items()
    }
    with pytest.raises(UnknownPool):
        kind_of(object())
    with pytest.raises(UnknownPool):
        kind_named("no_such_kind")


def test_every_dex_and_preset_names_a_registered_kind():
    assert {d.kind for d in DEXES.values()} <= set(KINDS)
    preset_kinds = {d.kind for p in PRESETS.values() for d in p.dexes.values()}
    assert preset_kinds <= set(KINDS), preset_kinds - set(KINDS)


def test_the_executor_implements_every_callback_a_kind_declares():
    functions = {x["name"] for x in json.loads(_ARTIFACT.read_text())["abi"] if x["type"] == "function"}
    for kind in KINDS.values():
        assert set(kind.callbacks) <= functions, (kind.name, set(kind.callbacks) - functions)
    assert "uniswapV3SwapCallback" in V3.callbacks


def test_the_uniswap_swap_event_moves_the_cached_state():
    state = _v3_state()
    data = encode(["int256", "int256", "uint160", "uint128", "int24"], [5, -4, 2**96 + 12345, 10**17, -3])
    after = model_for(state).apply(state, _swap_log(v3_forks.UNISWAP_V3.swap_topic, data))
    assert (after.sqrt_price_x96, after.liquidity, after.tick, after.block) == (2**96 + 12345, 10**17, -3, 7)


def test_a_registered_v3_fork_brings_its_swap_event_slot0_and_callbacks(monkeypatch):
    state = _v3_state()
    eight_fields = encode(
        ["int256", "int256", "uint160", "uint128", "int24", "uint128"], [5, -4, 2**96 + 999, 10**16, 7, 11]
    )
    log = _swap_log(PANCAKE_LIKE.swap_topic, eight_fields)
    # Before the fork is registered its Swap is not followed (and the cache would not fetch it).
    assert PANCAKE_LIKE.swap_topic not in MODELS["uniswap_v3"].topics
    assert model_for(state).apply(state, log) == state
    monkeypatch.setitem(v3_forks.FORKS, PANCAKE_LIKE.name, PANCAKE_LIKE)
    assert PANCAKE_LIKE.swap_topic in MODELS["uniswap_v3"].topics
    assert v3_forks.UNISWAP_V3.swap_topic in MODELS["uniswap_v3"].topics
    after = model_for(state).apply(state, log)
    assert (after.sqrt_price_x96, after.liquidity, after.tick) == (2**96 + 999, 10**16, 7)
    assert {"pancakeLikeV3SwapCallback", "pancakeLikeV3FlashCallback"} <= set(V3.callbacks)
    assert v3_forks.fork_of(PANCAKE_LIKE.name) is PANCAKE_LIKE
    assert v3_forks.fork_of("sushiswap_v3") is v3_forks.UNISWAP_V3  # same code: no V3Fork needed


def test_pancakeswap_v3_is_registered_with_its_nine_field_swap_and_callbacks():
    state = _v3_state()
    pancake = v3_forks.fork_of("pancakeswap_v3")
    assert pancake is v3_forks.PANCAKESWAP_V3 and DEXES["pancakeswap_v3"].kind == V3.name
    assert pancake.swap_topic in MODELS["uniswap_v3"].topics
    nine_fields = encode(
        ["int256", "int256", "uint160", "uint128", "int24", "uint128", "uint128"],
        [5, -4, 2**96 + 999, 10**16, 7, 11, 13],
    )
    after = model_for(state).apply(state, _swap_log(pancake.swap_topic, nine_fields))
    assert (after.sqrt_price_x96, after.liquidity, after.tick) == (2**96 + 999, 10**16, 7)
    assert {"pancakeV3SwapCallback", "pancakeV3FlashCallback"} <= set(V3.callbacks)
    assert pancake.slot0_types[5] == "uint32"


def test_a_fork_slot0_with_a_wide_fee_protocol_decodes_only_with_its_own_types():
    slot0 = encode(list(PANCAKE_LIKE.slot0_types), [2**96, -5, 0, 1, 1, 0x01F401F4, True])
    with pytest.raises(Exception):  # noqa: B017 - Uniswap's uint8 feeProtocol cannot hold it
        decode(SLOT0_TYPES, slot0)
    assert decode(list(PANCAKE_LIKE.slot0_types), slot0)[:2] == (2**96, -5)


def test_a_route_swaps_through_the_vault_by_its_dexes_kind_not_its_name():
    """The Vault cannot lend to a route that swaps inside it, whatever the Balancer-kind DEX is called."""
    from mevcli.dex.registry import DexInfo, DexRegistry

    registry = DexRegistry(
        [
            DexInfo(name="uniswap_v3", kind="uniswap_v3", factory="0x" + "11" * 20),
            DexInfo(name="beets", kind="balancer", factory="0x" + "22" * 20, vault="0x" + "22" * 20),
        ]
    )
    assert registry.swaps_through_vault(["uniswap_v3", "beets"])
    assert not registry.swaps_through_vault(["uniswap_v3", "uniswap_v3"])
    assert registry.swaps_through_vault(["uniswap_v3", "unknown_dex"])  # not known: the safe side
    assert not registry.swaps_through_vault(["curve", "uniswap_v4"])  # known forks, not in this registry
