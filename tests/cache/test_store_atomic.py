"""Transactions on both backends: two writers never lose an update, a reader that follows the sequence
protocol never sees half a transaction, and a writer SIGKILLed inside one leaves nothing of it."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from mevcli.backend.redis_store import RedisBackend
from mevcli.cache.store import ReserveStore

CHAIN_ID = 31337
ROUNDS = 150


def _open(where) -> ReserveStore:
    """A store with its own connection (its own diskcache handle or Redis client)."""
    if isinstance(where, Path):
        return ReserveStore(where)
    return ReserveStore(RedisBackend(where.url).reserve_kv(CHAIN_ID))


def test_two_writers_never_lose_an_update(where):
    errors: list[BaseException] = []

    def writer() -> None:
        store = _open(where)
        try:
            for _ in range(ROUNDS):
                with store.transact():
                    count = (store.read_json("meta:count") or {"n": 0})["n"]
                    store.write_json("meta:count", {"n": count + 1})
                    store.bump_seq()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    store = _open(where)
    assert store.read_json("meta:count") == {"n": 2 * ROUNDS} and store.seq() == 2 * ROUNDS


def test_a_reader_never_sees_half_a_transaction(where):
    done = threading.Event()
    # The writer can finish all its rounds before the reader's thread first runs: its last round waits
    # until the reader has read consistently once, so the reads overlap the transactions.
    reading = threading.Event()

    def writer() -> None:
        store = _open(where)
        for i in range(ROUNDS):
            if i == ROUNDS - 1:
                reading.wait(30)
            with store.transact():
                store.write_json("meta:a", i)
                store.write_json("meta:b", i)
                store.bump_seq()
        done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    reader = _open(where)
    consistent = 0
    while not done.is_set():
        seq = reader.seq()
        a, b = reader.read_json("meta:a"), reader.read_json("meta:b")
        if reader.seq() == seq:
            assert a == b
            consistent += 1
            reading.set()
    thread.join()
    assert consistent > 0 and reader.read_json("meta:b") == ROUNDS - 1


KILLED = """
import sys, time
from pathlib import Path
from mevcli.backend import redis_store
from mevcli.backend.redis_store import RedisBackend
from mevcli.cache.store import ReserveStore
redis_store.RESERVE_LEASE_MS = 1500
where = sys.argv[1]
store = ReserveStore(RedisBackend(where).reserve_kv(31337) if where.startswith("redis") else Path(where))
with store.transact():
    store.write_json("meta:a", "half")
    store.bump_seq()
    print("inside", flush=True)
    time.sleep(60)
"""


def test_a_writer_killed_inside_a_transaction_leaves_nothing(where):
    target = str(where) if isinstance(where, Path) else where.url
    _open(where).write_json("meta:a", "before")
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(KILLED), target], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == "inside\n"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        child.kill()
    store = _open(where)
    with store.transact():  # on Redis: once the killed holder's lease runs out
        assert store.read_json("meta:a") == "before" and store.seq() == 0
        store.write_json("meta:a", "after")
    assert store.read_json("meta:a") == "after" and store.verify() == []
