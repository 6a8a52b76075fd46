"""A process that hammers one cache (a dir, or a redis:// URL): reads at the head and a little behind it,
re-reads (TTL 0), catch-ups and event applies. Run by test_concurrency.py; prints `ready`, then `rounds N`."""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

from web3 import Web3
from web3.providers.rpc import HTTPProvider

from mevcli.backend.redis_store import RedisBackend
from mevcli.cache import ReserveCache
from mevcli.chain.multicall import Multicall
from mevcli.dex.registry import DexRegistry


def main() -> None:
    cache_dir, rpc_url, manifest_path, seconds, ttl, seed = sys.argv[1:7]
    manifest = json.loads(Path(manifest_path).read_text())
    w3 = Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": 60}))
    mc = Multicall(w3, manifest["multicall3"])
    registry = DexRegistry.from_manifest(manifest)
    refs = registry.identify(mc, [p["address"] for p in manifest["pools"]], w3.eth.block_number)
    where = RedisBackend(cache_dir) if cache_dir.startswith("redis://") else Path(cache_dir)
    cache = ReserveCache.open(where, 31337, w3, mc, ttl=float(ttl), history=4)
    rng = random.Random(int(seed))
    deadline = time.monotonic() + float(seconds)
    rounds = 0
    while time.monotonic() < deadline:
        subset = rng.sample(refs, rng.randint(1, len(refs)))
        head = w3.eth.block_number
        block = head if rng.random() < 0.7 else max(head - rng.randint(1, 3), 0)
        snap = cache.snapshot(subset, block)
        assert all(s.block == block for s in snap.states.values())
        rounds += 1
        if rounds == 1:
            print("ready", flush=True)
    print(f"rounds {rounds}", flush=True)


if __name__ == "__main__":
    main()
