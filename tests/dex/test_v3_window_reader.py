"""V3 tick windows read by `TickWindowReader` (creation code run by eth_call, never deployed) equal the
word-by-word Multicall3 read on the real devnet pools, in the same JSON-RPC batch as the other calls of
the round; a call the node reverts falls back to the word-by-word read for its pools only."""

from __future__ import annotations

from typing import Any

import pytest
from web3 import HTTPProvider, Web3

from mevcli.chain.multicall import Call, Multicall, encode_call
from mevcli.devnet.counting_proxy import CountingProxy
from mevcli.dex.uniswap_v3 import reader, window_reader
from mevcli.dex.uniswap_v3.reader import FULL_RANGE, WINDOW_TICKS, read_pools, word_range


def _v3_pools(chain: Any) -> list[str]:
    return [p["address"] for p in chain.manifest["pools"] if p["dex"] == "uniswap_v3"]


def _word_by_word(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "read_windows_at_once", lambda mc, requests, block: [None] * len(requests))


@pytest.mark.parametrize("window", [WINDOW_TICKS, FULL_RANGE])
def test_windows_at_once_equal_word_by_word(chain, monkeypatch, window) -> None:
    pools = _v3_pools(chain)
    mc = Multicall(chain.w3, chain.manifest["multicall3"])
    block = chain.w3.eth.block_number
    monkeypatch.setattr(window_reader, "WORDS_PER_CALL", 7)  # several calls, pools split between them
    at_once = read_pools(mc, pools, block, window)
    with monkeypatch.context() as patch:
        _word_by_word(patch)
        expected = read_pools(Multicall(chain.w3, chain.manifest["multicall3"]), pools, block, window)
    assert at_once == expected
    assert all(s.ticks for s in at_once)  # every pool holds positions: the comparison is not empty


def test_the_windows_ride_in_the_rounds_batch_and_a_reverted_call_falls_back(chain, monkeypatch) -> None:
    pools = _v3_pools(chain)
    proxy = CountingProxy(chain.rpc_url)
    try:
        mc = Multicall(Web3(HTTPProvider(proxy.url)), chain.manifest["multicall3"])
        block = chain.w3.eth.block_number
        states = read_pools(mc, pools, block)
        requests = [
            (s.address, s.tick_spacing, *word_range(s.tick, s.tick_spacing, WINDOW_TICKS)) for s in states
        ]
        proxy.take()
        # A V2 pair has no tickBitmap: its call reverts, the other answers stand.
        pair = chain.manifest["pools"][0]["address"]
        assert next(p for p in chain.manifest["pools"] if p["address"] == pair)["dex"] != "uniswap_v3"
        monkeypatch.setattr(window_reader, "WORDS_PER_CALL", 1)  # one call per pool
        token0 = Call(pools[0], encode_call("token0()"))
        answers = mc.call(
            [token0, *(window_reader.window_call([r]) for r in [*requests, (pair, 60, 0, 0)])], block
        )
        count = proxy.take()
        assert count.round_trips == 1 and count.eth_calls == len(requests) + 2, count.methods
        assert count.calls_to(pools) == 1 + sum(1 for _ in requests)  # counted as calls to each pool
        assert answers[0].ok and not answers[-1].ok
        windows = window_reader.read_windows_at_once(mc, [*requests, (pair, 60, 0, 0)], block)
        assert windows[-1] is None
        assert [(w[0], [n for _, n in w[1]]) for w in windows[:-1] if w is not None] == [
            (s.bitmap, list(s.ticks.values())) for s in states
        ]
    finally:
        proxy.close()
