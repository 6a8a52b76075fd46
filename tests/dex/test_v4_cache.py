"""V4 pools in the reserve cache: read once through the kind, then kept exact by the PoolManager's
Swap / ModifyLiquidity / ProtocolFeeUpdated logs with no eth_call, equal to a fresh read afterwards."""

from __future__ import annotations

from dataclasses import replace

import pytest
from v4_chain import add_liquidity, key_of, make_rich, router_swap, v4
from web3 import Web3
from web3.providers.rpc import HTTPProvider

from mevcli.cache import ReserveCache
from mevcli.chain.multicall import Multicall
from mevcli.devnet.fault_proxy import RpcProxy
from mevcli.dex.pools import read_states
from mevcli.dex.registry import DexInfo, PoolRef
from mevcli.dex.uniswap_v3.reader import FULL_RANGE
from mevcli.dex.uniswap_v3.tick_bitmap import compress, position
from mevcli.dex.uniswap_v3.tick_math import MAX_SQRT_RATIO, MIN_SQRT_RATIO
from mevcli.dex.uniswap_v4.pool_key import NATIVE

CHAIN_ID = 31337


@pytest.fixture(scope="module")
def trader(chain):
    with chain.snapshot():
        account = chain.w3.eth.accounts[6]
        make_rich(chain, account)
        yield account


@pytest.fixture
def proxy(chain):
    counting = RpcProxy(chain.rpc_url)
    yield counting
    counting.close()


def _within_loaded_words(state, words: tuple[int, int] | None = None) -> tuple:
    """Everything but the tick structure outside the bitmap words `words` (default: the state's own)."""
    low, high = words or state.word_range or (-(2**15), 2**15 - 1)

    def inside(tick: int) -> bool:
        return low <= position(compress(tick, state.tick_spacing))[0] <= high

    return (
        replace(state, ticks={}, bitmap={}, gross={}, word_range=None),
        {w: v for w, v in state.bitmap.items() if low <= w <= high},
        {t: v for t, v in state.ticks.items() if inside(t)},
        {t: v for t, v in state.gross.items() if inside(t)},
    )


def _refs(chain) -> list[PoolRef]:
    dex = DexInfo(name="uniswap_v4", kind="uniswap_v4", factory=v4(chain)["pool_manager"])
    return [PoolRef(p["pool_id"], dex) for p in v4(chain)["pools"]]


def test_v4_pools_stay_exact_in_the_cache_from_events(snapshot, trader, proxy, tmp_path):
    chain = snapshot
    w3 = Web3(HTTPProvider(proxy.url, request_kwargs={"timeout": 60}))
    mc = Multicall(w3, chain.manifest["multicall3"])
    cache = ReserveCache.open(tmp_path, CHAIN_ID, w3, mc)
    refs = _refs(chain)
    first = cache.snapshot(refs)
    assert first.misses == len(refs) and first.hits == 0

    pools = v4(chain)["pools"]
    d = chain.deployer(0)
    manager = d.at("PoolManager", v4(chain)["pool_manager"])
    for pool, zero_for_one in ((pools[0], True), (pools[3], True), (pools[5], False), (pools[4], False)):
        limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
        token_in = pool["tokens"][0 if zero_for_one else 1]
        amount = 10**15 if token_in in (chain.manifest["weth"], NATIVE) else 10**9
        router_swap(chain, key_of(pool), zero_for_one, -amount, limit, trader, send=True)
    key = key_of(pools[1])
    tick = first.states[pools[1]["pool_id"]].tick
    add_liquidity(chain, key, tick - 20, tick + 30, 10**16, 5, trader)
    router_swap(chain, key, False, -(10**9), MAX_SQRT_RATIO - 1, trader, send=True)
    add_liquidity(chain, key, tick - 20, tick + 30, -(10**16), 5, trader)
    d.send(manager.functions.setProtocolFee(key_of(pools[2]).as_tuple, 123 | 456 << 12))

    proxy.reset()
    second = cache.snapshot(refs)
    calls = proxy.reset()
    assert calls.get("eth_call", 0) == 0, calls
    assert second.hits == len(refs) and second.misses == 0
    assert {pools[i]["pool_id"] for i in (0, 1, 2, 3, 4, 5)} <= second.report.changed()

    fresh = read_states(Multicall(chain.w3, chain.manifest["multicall3"]), refs, second.block, FULL_RANGE)
    for pool_id, state in second.states.items():
        assert _within_loaded_words(state) == _within_loaded_words(fresh[pool_id], state.word_range), pool_id
    assert second.states[pools[2]["pool_id"]].protocol_fee == 123 | 456 << 12


def _swap_tx(chain, pool: dict, amount: int, sender: str) -> dict:
    """A PoolSwapTest swap (token1 in) as a raw transaction for `anvil_reorg`'s new branch."""
    router = chain.deployer(0).at("PoolSwapTest", v4(chain)["pool_swap_test"])
    params = (False, -amount, MAX_SQRT_RATIO - 1)
    call = router.functions.swap(key_of(pool).as_tuple, params, (False, False), b"")
    return {"from": sender, "to": router.address, "data": call._encode_transaction_data(), "gas": "0x1e8480"}


def test_a_reorg_rolls_v4_pools_back_and_reapplies(snapshot, trader, tmp_path):
    chain = snapshot
    cache = ReserveCache.open(tmp_path, CHAIN_ID, chain.w3, Multicall(chain.w3, chain.manifest["multicall3"]))
    refs = _refs(chain)
    cache.snapshot(refs)
    pools = v4(chain)["pools"]
    for i in range(4):  # one block per swap, each caught up as `watch` would
        router_swap(chain, key_of(pools[i % 2]), False, -(10**9), MAX_SQRT_RATIO - 1, trader, send=True)
        cache.sync()
    before = cache.stats()
    branch = [
        [_swap_tx(chain, pools[1], 3 * 10**9, trader), 0],
        [_swap_tx(chain, pools[0], 10**12, trader), 1],
    ]
    result = chain.w3.provider.make_request("anvil_reorg", [3, branch])
    assert "error" not in result, result

    snap = cache.snapshot(refs)
    fresh = read_states(Multicall(chain.w3, chain.manifest["multicall3"]), refs, snap.block, FULL_RANGE)
    for pool_id, state in snap.states.items():
        assert _within_loaded_words(state) == _within_loaded_words(fresh[pool_id], state.word_range), pool_id
    after = cache.stats()
    assert after.reorgs == before.reorgs + 1 and after.reorg_rollbacks > before.reorg_rollbacks
    assert not snap.read  # rolled back and re-applied from the new branch's logs, nothing re-read
