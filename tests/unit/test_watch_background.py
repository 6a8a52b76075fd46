"""`watch`'s background work: the ranking's save keeps only the newest, in order, finished by `flush`."""

from __future__ import annotations

import threading

import pytest

from mevcli.arbitrage.live import LatestWriter


def test_the_writer_keeps_the_newest_in_order_and_flush_waits():
    writer = LatestWriter()
    gate, running = threading.Event(), threading.Event()
    written: list[int] = []

    def write(n: int) -> None:
        if n == 0:
            running.set()
            gate.wait(10)  # the first write is slow: the next ones queue up meanwhile
        written.append(n)

    writer.put(lambda: write(0))
    assert running.wait(10)
    for n in range(1, 5):
        writer.put(lambda n=n: write(n))
    gate.set()
    writer.flush()
    assert written == [0, 4]  # the first (already running), then only the newest

    def broken() -> None:
        raise OSError("disk full")

    writer.put(broken)
    with pytest.raises(OSError, match="disk full"):
        writer.flush()
    writer.flush()  # reported once
