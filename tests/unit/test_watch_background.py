"""`watch`'s background work: a read in flight never holds the process's exit, and the ranking's save
keeps only the newest, in order, finished by `flush`."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from mevcli.arbitrage.live import Background, LatestWriter

# A read that would take a minute is in flight when the process ends.
HANGING_READ = """
import time
from mevcli.arbitrage.live import Background
reads = Background("watch-reads")
reads.submit(time.sleep, 60)
time.sleep(0.2)
reads.close()
print("closed", flush=True)
"""


def test_a_read_in_flight_does_not_hold_the_exit():
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", HANGING_READ], capture_output=True, text=True, timeout=50)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "closed"
    assert time.monotonic() - started < 30  # a joined worker would have held it for the whole minute


def test_background_answers_and_refuses_after_close():
    reads = Background("test")
    assert reads.submit(lambda a, b: a + b, 2, 3).result(timeout=10) == 5
    failing = reads.submit(int, "not a number")
    with pytest.raises(ValueError):
        failing.result(timeout=10)
    reads.close()
    with pytest.raises(RuntimeError):
        reads.submit(int, "1")


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
