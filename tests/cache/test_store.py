"""The store without a chain: the JSON codec, version history, rollback, corrupt entries, the follower."""

from __future__ import annotations

import itertools
import json
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from websockets.sync.server import serve

from mevcli.cache import codec
from mevcli.cache.codec import CodecError
from mevcli.cache.stats import read_cost
from mevcli.cache.store import ReserveStore, SyncPoint, Version
from mevcli.chain.blocks import HeadFollower
from mevcli.dex.uniswap_v2.state import V2PairState
from mevcli.dex.uniswap_v3.state import V3PoolState

CHAIN_ID = 31337
A = "0x" + "11" * 20
B = "0x" + "22" * 20


def v2(r0: int, block: int = 1) -> V2PairState:
    return V2PairState(address=A, token0=A, token1=B, reserve0=r0, reserve1=2 * r0 + 1, block=block)


def v3() -> V3PoolState:
    return V3PoolState(
        address=A,
        token0=A,
        token1=B,
        fee=3000,
        tick_spacing=60,
        sqrt_price_x96=2**96 + 12345678901234567890,
        tick=-887220 // 2,
        liquidity=2**127 - 1,
        ticks={-600: 5 * 10**20, 600: -(5 * 10**20)},
        bitmap={-1: 1 << 246, 0: 1 << 10},
        gross={-600: 5 * 10**20, 600: 5 * 10**20},
        block=9,
        word_range=(-3, 2),
    )


def test_codec_round_trips_states_exactly():
    for state in (v2(10**30), v3()):
        raw = codec.dumps(codec.state_to_json(state))
        back = codec.state_from_json(codec.loads(raw))
        assert back == state and type(back) is type(state)
    assert codec.state_from_json(codec.loads(codec.dumps(codec.state_to_json(v3())))).word_range == (-3, 2)


def test_codec_builds_only_mevcli_dataclasses():
    with pytest.raises(CodecError):
        codec.state_from_json({"type": "os:system", "fields": {}})
    with pytest.raises(CodecError):
        codec.state_from_json({"type": "mevcli.errors:MevcliError", "fields": {}})
    with pytest.raises(CodecError):
        codec.loads(b"\x00not json")


def _store(where, **kwargs) -> ReserveStore:
    return ReserveStore(where if isinstance(where, Path) else where.reserve_kv(CHAIN_ID), **kwargs)


def test_history_is_bounded_and_rolls_back(where):
    store = _store(where, history=3)
    record = store.push_versions(A, None, [Version(10, "0xa", v2(1, 10))])
    record = store.push_versions(A, record, [Version(11, "0xb", v2(2, 11)), Version(12, "0xc", v2(3, 12))])
    record = store.push_versions(A, record, [Version(14, "0xd", v2(4, 14))])
    assert record.head.state == v2(4, 14) and [b for b, _ in record.older] == [11, 12]
    assert store.state_at(record, 13) == v2(3, 12) and store.state_at(record, 11) == v2(2, 11)
    assert store.state_at(record, 10) is None  # trimmed
    # a version at the head's block replaces it
    record = store.push_versions(A, record, [Version(14, "0xe", v2(5, 14))])
    assert record.head == Version(14, "0xe", v2(5, 14)) and [b for b, _ in record.older] == [11, 12]

    rolled = store.rollback(record, 12)
    assert rolled is not None and rolled.head == Version(12, "0xc", v2(3, 12))
    assert store.record(A) == rolled and [b for b, _ in rolled.older] == [11]
    assert store.rollback(rolled, 10) is None and store.record(A) is None
    assert store.verify() == [] and list(store.kv.iter_keys()) == []


def test_corrupt_entries_are_misses_and_reported(where):
    store = _store(where)
    store.push_versions(A, None, [Version(10, "0xa", v2(1, 10))])
    store.kv.set(f"pool:{B}", b'{"head": [1, "0x", {"type": "mevcli.x:Y"')
    assert store.record(B) is None and store.record(A) is not None
    assert store.verify() == [f"pool:{B}"]


def test_sync_point_checkpoints():
    point = SyncPoint(5, "0x5", ((3, "0x3"), (5, "0x5")))
    point = point.advanced(9, "0x9", keep=3).advanced(12, "0xc", keep=3)
    assert point.checkpoints == ((5, "0x5"), (9, "0x9"), (12, "0xc"))
    assert point.rolled_back(10) == SyncPoint(9, "0x9", ((5, "0x5"), (9, "0x9")))


def test_read_cost_batches_like_the_readers():
    assert read_cost([v2(1)] * 200) == (2, 600)  # 600 sub-calls in batches of 500
    assert read_cost([v3()]) == (3, 6 + 6 + 2)


def _ws_node(drop_after_first: bool) -> tuple[str, list[int], threading.Event]:
    """A fake node: answers eth_subscribe, sends heads; the first connection drops after one head."""
    subscribes: list[int] = []
    numbers = itertools.count(100)
    done = threading.Event()

    def handler(connection):
        request = json.loads(connection.recv())
        subscribes.append(request["id"])
        connection.send(json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": "0xsub"}))
        for _ in range(1 if drop_after_first and len(subscribes) == 1 else 3):
            head = {"number": hex(next(numbers))}
            note = {"method": "eth_subscription", "params": {"subscription": "0xsub", "result": head}}
            connection.send(json.dumps(note))
        if not (drop_after_first and len(subscribes) == 1):
            done.wait(5)

    server = serve(handler, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.socket.getsockname()[1]
    done.server = server  # type: ignore[attr-defined]
    return f"ws://127.0.0.1:{port}", subscribes, done


def test_follower_resubscribes_after_a_dropped_websocket():
    url, subscribes, done = _ws_node(drop_after_first=True)
    follower = HeadFollower(SimpleNamespace(), url, backoff=(0.01, 0.01))
    heads = []
    for head in follower.heads():
        heads.append(head)
        if head == 103:
            break
    done.set()
    done.server.shutdown()  # type: ignore[attr-defined]
    # 100 on the first connection; 101..103 arrive together on the second, the newest wins
    assert heads[0] == 100 and heads[-1] == 103 and heads == sorted(heads)
    assert len(subscribes) == 2 and follower.subscriptions == 2


def test_follower_falls_back_to_polling():
    blocks = iter([7, 7, 8, 9])

    class Eth:
        @property
        def block_number(self) -> int:
            return next(blocks)

    w3 = SimpleNamespace(eth=Eth())
    follower = HeadFollower(w3, "ws://127.0.0.1:9", poll_interval=0.01, backoff=(0.01,), ws_retry_after=60)
    heads = list(itertools.islice(follower.heads(), 3))
    assert heads == [7, 8, 9] and follower.mode == "poll"
