"""A new head with its header (as `newHeads` carries it) costs the cache one round trip when it holds
a tracked pool's log, none when its logs bloom rules every one out, and leaves the cache as exact."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mevcli.arbitrage.scanner import _gas_price
from mevcli.arbitrage.watcher import LiveRanker, Watcher
from mevcli.cache import log_filter as log_filter_module
from mevcli.cache.log_filter import LogFilter, bloom_bits
from mevcli.cache.sync import BlockHead
from mevcli.chain.blocks import HeadFollower
from mevcli.chain.ws import WebSocketSyncProvider
from mevcli.config import load_settings
from mevcli.context import AppContext
from mevcli.devnet.counting_proxy import CountingProxy
from mevcli.dex.pools import read_states


@pytest.fixture
def counted(market: Any) -> Iterator[CountingProxy]:
    proxy = CountingProxy(market.chain.rpc_url)
    yield proxy
    proxy.close()


def _watcher(market: Any, proxy: CountingProxy, cache_dir: Path) -> Watcher:
    env = {**market.chain.cli_env(cache_dir), "ETH_RPC_URL": proxy.url}
    ctx = AppContext(load_settings({}, env=env))
    return Watcher(ctx, ctx.reserve_cache)  # no ranker: the cache's own cost


def _latest(market: Any) -> dict[str, Any]:
    """The newest block's header as the node sends it."""
    return market.chain.w3.provider.make_request("eth_getBlockByNumber", ["latest", False])["result"]


def _head(market: Any) -> BlockHead:
    return BlockHead.of(_latest(market))


def _swapped(market: Any, proxy: CountingProxy, cache_dir: Path, amount: int) -> tuple[Watcher, str]:
    """A watcher that processed the head, then a V2 swap mined: (the watcher, the swapped pool)."""
    market.fund()
    watcher = _watcher(market, proxy, cache_dir)
    watcher.process()
    pool = market.pools("uniswap_v2")[0]
    market.v2_swap(pool, amount)
    return watcher, pool["address"]


def test_a_head_with_its_header_costs_one_round_trip_or_none(market, counted, tmp_path):
    watcher, pool = _swapped(market, counted, tmp_path / "cache", 30_000)
    header = _head(market)
    counted.take()
    update = watcher.process(header.number, header=header)[-1]
    assert update.updated == [pool]
    assert counted.take().round_trips == 1  # the block's logs, by its hash; its parent hash is known

    market.mine()  # no log at all: the bloom rules every tracked log out
    header = _head(market)
    update = watcher.process(header.number, header=header)[-1]
    assert update.updated == [] and update.block == header.number
    assert counted.take().round_trips == 0

    # the cache followed both heads exactly: its states equal a fresh read at the head
    cached = watcher.cache.get_states(watcher.refs, header.number)
    fresh = read_states(market.multicall(), watcher.refs, header.number)
    assert cached == fresh
    assert watcher.cache.store.sync().block_hash == header.hash


def test_a_ranked_heads_lender_and_gas_reads_ride_with_its_logs(market, counted, tmp_path):
    """The ranking's own reads (flash lenders' balances, the gas price) go in the batch of the head's
    logs: over HTTP a swap block costs the head's block read and one batch; with its header, the batch."""
    market.fund()
    env = {**market.chain.cli_env(tmp_path / "cache"), "ETH_RPC_URL": counted.url}
    ctx = AppContext(load_settings({}, env=env))
    watcher = Watcher(ctx, ctx.reserve_cache, LiveRanker(ctx, 5))
    watcher.process()
    watcher.settle()  # as `watch` does after each head's line
    pools = market.pools("uniswap_v2")
    for i, with_header in enumerate((False, True)):
        market.v2_swap(pools[i], 30_000)
        header = _head(market)
        counted.take()
        update = watcher.process(header.number, header=header if with_header else None)[-1]
        count = counted.take()
        watcher.settle()
        assert update.error is None and update.opportunities
        assert count.round_trips == (1 if with_header else 2)
        assert count.methods["eth_call"] == 1 and count.methods["eth_maxPriorityFeePerGas"] == 1
        # the answers that rode are the ones the ranking used
        assert {o.gas_price for o in update.opportunities} == {_gas_price(ctx)}
    watcher.ranker.close()


def test_a_range_asked_by_topics_alone_keeps_only_tracked_emitters(market, counted, tmp_path, monkeypatch):
    """Above `ADDRESS_CHUNK` emitters a short range is asked by topics alone: the logs of emitters the
    filter does not track are dropped (before they are decoded), the rest equal an ask by address."""
    watcher, _pool = _swapped(market, counted, tmp_path / "cache", 20_000)
    start = market.chain.w3.eth.block_number
    v2 = market.pools("uniswap_v2")
    untracked = v2[1]["address"]
    market.v2_swap(v2[1], 10_000)
    market.v2_swap(v2[2], 10_000)
    end = market.chain.w3.eth.block_number
    index = {a: row for a, row in watcher.cache.store.index().items() if a != untracked}
    log_filter = LogFilter.of(index)
    by_address = log_filter.fetch(market.chain.w3, start, end)
    monkeypatch.setattr(log_filter_module, "ADDRESS_CHUNK", 1)  # every filter is "too many emitters"
    by_topic = log_filter.fetch(market.chain.w3, start, end)
    assert by_topic == by_address
    assert {log["address"] for log in by_topic} >= {v2[2]["address"]}
    assert untracked not in {log["address"] for log in by_topic}


def test_a_batch_over_ws_is_answered_in_the_requests_order(market):
    """Over ws:// the head's batch (logs, lenders, gas) goes as one JSON-RPC batch, not one by one."""
    provider = WebSocketSyncProvider(market.chain.rpc_url.replace("http", "ws", 1))
    try:
        requests = [("eth_chainId", []), ("eth_getBlockByNumber", ["latest", False]), ("eth_blockNumber", [])]
        responses = provider.make_batch_request(requests)
        one_by_one = [provider.make_request(m, p)["result"] for m, p in requests]
        assert [r["result"] for r in responses] == one_by_one
        refused = provider.make_batch_request([("eth_noSuchMethod", [])])
        assert "error" in refused[0]
    finally:
        provider.close()


def test_the_bloom_bits_match_a_real_block(market):
    market.fund()
    market.v2_swap(market.pools("uniswap_v2")[0], 10_000)
    header = _latest(market)
    bloom = bytes.fromhex(header["logsBloom"][2:])
    receipt_logs = market.chain.w3.eth.get_logs({"blockHash": header["hash"]})
    assert receipt_logs
    for log in receipt_logs:
        for value in (bytes.fromhex(log["address"][2:]), *(bytes(t) for t in log["topics"])):
            assert all(bloom[i] & mask for i, mask in bloom_bits(value))


def test_a_zero_bloom_on_a_block_with_transactions_is_not_trusted(market, counted, tmp_path):
    """Some nodes send an all-zero logs bloom for a block that has logs: the block's logs are read."""
    watcher, pool = _swapped(market, counted, tmp_path / "cache", 20_000)
    header = BlockHead.of({**_latest(market), "logsBloom": "0x" + "00" * 256})
    update = watcher.process(header.number, header=header)[-1]
    assert update.updated == [pool]  # the swap is not missed
    cached = watcher.cache.get_states(watcher.refs, header.number)
    assert cached == read_states(market.multicall(), watcher.refs, header.number)

    market.mine()  # no transaction: its zero bloom is exact
    assert _head(market).logs_bloom == bytes(256)


def test_a_reorg_queued_behind_a_head_yields_the_replacement_header(market):
    """Two `newHeads` at one height queued while the consumer worked (a reorg): the follower yields the
    second, the canonical one (the watcher trusts its hash and parent hash)."""
    w3 = market.chain.w3
    follower = HeadFollower(w3, market.chain.rpc_url.replace("http", "ws", 1), backoff=(0.01,))
    got: queue.Queue[dict[str, Any] | None] = queue.Queue()
    go = threading.Event()

    def consume() -> None:
        for _ in follower.heads():
            got.put(follower.header)
            go.wait(10)
            go.clear()

    threading.Thread(target=consume, daemon=True).start()
    first = None
    for _ in range(50):  # until the subscription is up: a mined block arrives
        market.mine()
        try:
            first = got.get(timeout=0.2)
            break
        except queue.Empty:
            continue
    assert first is not None
    while True:  # heads mined before the consumer blocked
        try:
            got.get(timeout=0.3)
            go.set()
        except queue.Empty:
            break
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]
    market.mine()  # block N, hash A
    w3.provider.make_request("evm_revert", [snapshot])
    timestamp = int(w3.eth.get_block("latest")["timestamp"]) + 7
    w3.provider.make_request("evm_mine", [timestamp])  # block N again, hash B
    time.sleep(0.5)  # both messages queue up behind the consumer
    go.set()
    header = got.get(timeout=5)
    follower.stop.set()
    go.set()
    assert header is not None
    canonical = w3.eth.get_block("latest")
    assert int(header["number"], 16) == canonical["number"]
    assert header["hash"] == "0x" + bytes(canonical["hash"]).hex()


def test_a_head_mined_before_the_subscription_does_not_wait_for_the_next_block(market):
    """`watch` subscribes to `newHeads` after its first head (and its settle): a block mined meanwhile is
    yielded once subscribed (read as a polled head: no header), not when the next block comes."""
    w3 = market.chain.w3
    seen = w3.eth.block_number
    market.mine()  # while the consumer was busy with `seen`
    follower = HeadFollower(w3, market.chain.rpc_url.replace("http", "ws", 1), backoff=(0.01,), after=seen)
    got: queue.Queue[tuple[int, dict[str, Any] | None]] = queue.Queue()

    def consume() -> None:
        for number in follower.heads():
            got.put((number, follower.header))

    threading.Thread(target=consume, daemon=True).start()
    try:
        number, header = got.get(timeout=10)  # no further block is mined
        assert (number, header) == (seen + 1, None)
        market.mine()
        number, header = got.get(timeout=10)
        assert number == seen + 2 and header is not None  # then `newHeads` as before
    finally:
        follower.stop.set()
