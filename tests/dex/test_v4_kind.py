"""Uniswap V4 through the pool-kind interface: registered in `dex.kinds`, it reads pools named by their id
(keys from the Initialize events), quotes them as the PoolManager swaps, applies the PoolManager's logs,
and its Möbius form agrees with the exact quote at small amounts; swap-changing hooks stay unpriced."""

from __future__ import annotations

import pytest
from v4_chain import key_of, make_rich, read, router_swap, v4

from mevcli.chain.logs import get_logs
from mevcli.chain.multicall import Multicall
from mevcli.dex.kinds import kind_named, kind_of
from mevcli.dex.registry import DexInfo, PoolRef
from mevcli.dex.uniswap_v3.tick_math import MAX_SQRT_RATIO, MIN_SQRT_RATIO
from mevcli.dex.uniswap_v4.state import V4PoolState
from mevcli.dex.uniswap_v4.swap import UnpricedPool
from mevcli.errors import MevcliError

KIND = "uniswap_v4"


@pytest.fixture(scope="module")
def trader(chain):
    with chain.snapshot():
        account = chain.w3.eth.accounts[5]
        make_rich(chain, account)
        yield account


def _refs(chain) -> list[PoolRef]:
    dex = DexInfo(name=KIND, kind=KIND, factory=v4(chain)["pool_manager"])
    return [PoolRef(p["pool_id"], dex) for p in v4(chain)["pools"]]


def test_the_kind_reads_quotes_and_follows_v4_pools(snapshot, trader):
    chain = snapshot
    kind = kind_named(KIND)
    mc = Multicall(chain.w3, chain.manifest["multicall3"])
    block = chain.w3.eth.block_number
    states = kind.read(mc, _refs(chain), block, 2**16)
    assert all(isinstance(s, V4PoolState) and kind_of(s) is kind for s in states)
    for pool, state in zip(v4(chain)["pools"], states, strict=True):
        assert state.pool_id == pool["pool_id"] and state == read(chain, pool, block, 2**16)
        assert kind.routes(state) == [(v4(chain)["pool_manager"], pool["pool_id"])]
        if pool["hooks"] == v4(chain)["delta_hook"]:
            with pytest.raises(UnpricedPool):
                kind.quote(state, state.currency0, 10**6, None)
            assert kind.cpmm(state) == (0, 0, 0) and kind.mobius(state, state.currency0) is None
            continue
        for zero_for_one in (True, False):
            token_in = state.currency0 if zero_for_one else state.currency1
            amount = 10**15 if token_in in (chain.manifest["weth"], "0x" + "00" * 20) else 10**6
            limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
            out = kind.quote(state, token_in, amount, None)
            delta = router_swap(chain, key_of(pool), zero_for_one, -amount, limit, trader, send=False)
            assert out == (delta[1] if zero_for_one else delta[0]) > 0
            a, b, c = kind.mobius(state, token_in)
            assert abs(a * amount // (b + c * amount) - out) <= max(2, out // 10**4)

    pool = v4(chain)["pools"][0]
    before = states[0]
    start = chain.w3.eth.block_number + 1
    router_swap(chain, key_of(pool), True, -(10**12), MIN_SQRT_RATIO + 1, trader, send=True)
    logs = get_logs(
        chain.w3, [v4(chain)["pool_manager"]], list(kind.event_topics), start, chain.w3.eth.block_number
    )
    after = before
    for log in logs:
        after = kind.apply_log(after, log)
    fresh = read(chain, pool, chain.w3.eth.block_number, 2**16)
    assert logs and (after.sqrt_price_x96, after.tick, after.liquidity) == (
        fresh.sqrt_price_x96,
        fresh.tick,
        fresh.liquidity,
    )
    assert (after.sqrt_price_x96, after.tick) != (before.sqrt_price_x96, before.tick)


def test_an_unknown_pool_id_is_refused(chain):
    mc = Multicall(chain.w3, chain.manifest["multicall3"])
    dex = DexInfo(name=KIND, kind=KIND, factory=v4(chain)["pool_manager"])
    with pytest.raises(MevcliError, match="has no pool"):
        kind_named(KIND).read(mc, [PoolRef("0x" + "33" * 32, dex)], chain.w3.eth.block_number, 2**16)


def test_quote_reads_discovery_progress_only_for_a_key_it_does_not_know(monkeypatch, tmp_path):
    """`quote --pool <id>`: a key this process already knows is used as it is; only an unknown one is
    looked up in discovery's kept progress (a file read)."""
    from mevcli.arbitrage import discovery
    from mevcli.dex.uniswap_v4.kind import KIND as UNISWAP_V4
    from mevcli.dex.uniswap_v4.pool_key import PoolKey
    from mevcli.dex.uniswap_v4.quote import kept_key

    manager = "0x" + "44" * 20
    key = PoolKey(currency0="0x" + "01" * 20, currency1="0x" + "02" * 20, fee=500, tick_spacing=10)
    reads: list[str] = []
    monkeypatch.setattr(discovery, "pool_discovery", lambda ctx: reads.append("progress") or _NoProgress())
    monkeypatch.setattr(UNISWAP_V4, "_keys", {(manager, key.pool_id): key})
    assert kept_key(None, manager.upper().replace("0X", "0x"), key.pool_id) == key and reads == []
    assert kept_key(None, manager, "0x" + "55" * 32) is None and reads == ["progress"]


class _NoProgress:
    def remember_kept_facts(self) -> None:
        """Discovery kept nothing."""
