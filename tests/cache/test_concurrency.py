"""Two processes hammer one cache (a dir, or a Redis) while the chain trades; one is SIGKILLed mid-way.
Afterwards no entry is corrupt and every cached pool equals the chain."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from cache_checks import assert_matches_chain, open_cache
from processes import rest_of_output

WORKER = str(Path(__file__).with_name("hammer_worker.py"))


def _worker(chain, cache: Path | str, seconds: float, ttl: float, seed: int) -> subprocess.Popen[str]:
    args = [str(cache), chain.rpc_url, str(chain.manifest_path), str(seconds), str(ttl), str(seed)]
    return subprocess.Popen(
        [sys.executable, WORKER, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _trade(market, rng: random.Random) -> None:
    kind = rng.choice(["v2", "sushi", "v3"])
    if kind == "v3":
        market.v3_swap(rng.choice(market.pools("uniswap_v3")), rng.randint(1_000, 50_000), rng.random() < 0.5)
    else:
        dex = "uniswap_v2" if kind == "v2" else "sushiswap"
        market.v2_swap(rng.choice(market.pools(dex)), rng.randint(1_000, 50_000), rng.random() < 0.5)


def test_two_processes_and_a_killed_writer_leave_a_correct_cache(market, where):
    chain = market.chain
    cache_dir = where if isinstance(where, Path) else where.url
    market.fund()
    rng = random.Random(7)
    steady = _worker(chain, cache_dir, 5.0, 45.0, 1)  # reads, catch-ups, event applies
    victim = _worker(chain, cache_dir, 30.0, 0.0, 2)  # TTL 0: re-reads and rewrites every pool each round
    try:
        assert steady.stdout.readline() == "ready\n" and victim.stdout.readline() == "ready\n"
        kill_at = time.monotonic() + rng.uniform(1.0, 2.5)
        while time.monotonic() < kill_at:
            _trade(market, rng)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        while steady.poll() is None:
            _trade(market, rng)
            time.sleep(0.05)
        out, err = rest_of_output(steady, 30)
    finally:
        steady.kill()
        victim.kill()
    assert steady.returncode == 0, err
    assert victim.returncode == -signal.SIGKILL
    assert int(out.split()[-1]) >= 3

    cache = open_cache(chain, where)
    assert cache.store.verify() == []
    stats = cache.stats()
    assert stats.hits > 0 and stats.event_updates > 0
    refs = market.refs()
    assert_matches_chain(cache, refs)
    assert cache.store.verify() == []
