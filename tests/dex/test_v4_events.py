"""V4 events from the real PoolManager applied to a state read earlier give exactly the state read after:
swaps both ways (native ETH too), liquidity added and removed, protocol fee set, the dynamic fee moved
through a swap. A removed (reorged) log is refused; a position outside the loaded words asks for a re-read."""

from __future__ import annotations

from dataclasses import replace

import pytest
from v4_chain import add_liquidity, key_of, make_rich, read, router_swap, v4

from mevcli.chain.logs import get_logs
from mevcli.dex.uniswap_v3.tick_math import MAX_SQRT_RATIO, MIN_SQRT_RATIO
from mevcli.dex.uniswap_v4 import events
from mevcli.dex.uniswap_v4.fees import DYNAMIC_FEE_FLAG
from mevcli.dex.uniswap_v4.keys import find_key, key_from_initialize
from mevcli.dex.uniswap_v4.pool_key import PoolKey
from mevcli.errors import UnknownPool

FIELDS = ("sqrt_price_x96", "tick", "liquidity", "protocol_fee", "lp_fee", "ticks", "bitmap", "gross")


@pytest.fixture(scope="module")
def trader(chain):
    with chain.snapshot():
        account = chain.w3.eth.accounts[4]
        make_rich(chain, account)
        yield account


def _priced(chain) -> list[dict]:
    return [p for p in v4(chain)["pools"] if p["hooks"] != v4(chain)["delta_hook"]]


def _logs(chain, since: int) -> list[dict]:
    return get_logs(
        chain.w3, [v4(chain)["pool_manager"]], list(events.TOPICS), since, chain.w3.eth.block_number
    )


def _fields(state) -> dict:
    return {
        f: (dict(getattr(state, f)) if f in ("ticks", "bitmap", "gross") else getattr(state, f))
        for f in FIELDS
    }


@pytest.mark.parametrize("index", range(6))
def test_events_replay_to_the_chain_state(snapshot, trader, index):
    chain = snapshot
    pool = _priced(chain)[index]
    key = key_of(pool)
    d = chain.deployer(0)
    manager = d.at("PoolManager", v4(chain)["pool_manager"])
    before = read(chain, pool)
    start = chain.w3.eth.block_number + 1
    spacing = key.tick_spacing
    lower, upper = (before.tick // spacing - 7) * spacing, (before.tick // spacing + 5) * spacing
    add_liquidity(chain, key, lower, upper, 10**15, 7, trader)
    router_swap(chain, key, True, -(10**9), MIN_SQRT_RATIO + 1, trader, send=True)
    d.send(manager.functions.setProtocolFee(key.as_tuple, 250 | 700 << 12))
    if key.fee == DYNAMIC_FEE_FLAG:
        hook = d.at("V4ObserverHook", v4(chain)["observer_hook"])
        d.send(hook.functions.setDynamicFee(key.as_tuple, 12_345))
        d.send(manager.functions.setProtocolFee(key.as_tuple, 0))
    router_swap(chain, key, False, 10**6, MAX_SQRT_RATIO - 1, trader, send=True)
    add_liquidity(chain, key, lower, upper, -(10**15), 7, trader)
    add_liquidity(chain, key, lower - 3 * spacing, lower, 10**14, 8, trader)
    router_swap(chain, key, True, -(10**12), MIN_SQRT_RATIO + 1, trader, send=True)

    logs = _logs(chain, start)
    assert {bytes(log["topics"][0]) for log in logs} >= {events.SWAP, events.MODIFY_LIQUIDITY}
    state = before
    for log in logs:
        state = events.apply_log(state, log)
    after = read(chain, pool)
    assert _fields(state) == _fields(after)
    assert _fields(before) != _fields(after)
    if key.fee == DYNAMIC_FEE_FLAG:
        assert state.lp_fee == 12_345


def test_removed_log_and_unloaded_words_are_refused(snapshot, trader):
    chain = snapshot
    pool = _priced(chain)[0]
    key = key_of(pool)
    narrow = read(chain, pool, window=256 * key.tick_spacing)
    start = chain.w3.eth.block_number + 1
    add_liquidity(chain, key, -887_270, 887_270, 10**12, 9, trader)
    (log,) = _logs(chain, start)
    with pytest.raises(events.OutsideLoadedWords):
        events.apply_log(narrow, log)
    with pytest.raises(ValueError, match="reorg"):
        events.apply_log(read(chain, pool), {**log, "removed": True})
    other = next(p for p in _priced(chain) if p["pool_id"] != pool["pool_id"])
    assert events.apply_log(read(chain, other), log) == read(chain, other)


def test_initialize_names_the_key_and_its_price(snapshot):
    chain = snapshot
    d = chain.deployer(0)
    manager = d.at("PoolManager", v4(chain)["pool_manager"])
    tokens = sorted(
        (chain.manifest["tokens"]["ARB"], chain.manifest["tokens"]["WBTC"]), key=lambda a: int(a, 16)
    )
    key = PoolKey(currency0=tokens[0], currency1=tokens[1], fee=7_777, tick_spacing=33)
    start = chain.w3.eth.block_number + 1
    d.send(manager.functions.initialize(key.as_tuple, 2**96 * 3))
    (log,) = _logs(chain, start)
    assert log["topics"][0] == events.INITIALIZE
    topics = [bytes(t) for t in log["topics"]]
    assert key_from_initialize(topics, bytes(log["data"])) == key
    head = chain.w3.eth.block_number
    found = find_key(chain.w3, v4(chain)["pool_manager"], None, key.pool_id, head)
    assert found == key
    state = read(chain, {"tokens": tokens, "fee": 7_777, "tick_spacing": 33, "hooks": key.hooks})
    assert (state.sqrt_price_x96, state.liquidity, state.lp_fee) == (2**96 * 3, 0, 7_777)
    moved = events.apply_log(replace(state, sqrt_price_x96=2**96, tick=0), log)
    assert (moved.sqrt_price_x96, moved.tick) == (state.sqrt_price_x96, state.tick)
    with pytest.raises(UnknownPool):
        find_key(chain.w3, v4(chain)["pool_manager"], None, "0x" + "22" * 32, head)
