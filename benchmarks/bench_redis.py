"""A warm scan with the reserve cache in a shared Redis against the same scan with a cache dir, on the
large devnet.

    .venv/bin/python benchmarks/bench_redis.py                  # 1,000 extra pools, 5 warm scans each
    .venv/bin/python benchmarks/bench_redis.py --pools 200 --rounds 3

Starts `mevcli devnet up --extra-pools N` in its own cache dir (the first time deploys, minutes; later runs
load the dumped state) and a redis-server on loopback (`mevcli.devnet.redis_server`). Per backend:

- cold: `mevcli --json scan` on an empty cache (each scan its own process, as from cron);
- warm: `--rounds` more scans at the same head, median wall time;
- in-process: `ReserveCache.snapshot` of every tracked pool at the head, warm, median of `--rounds`
  (what the backend itself costs, without process start-up and ranking);
- Redis only: a "second host" (a fresh, empty cache dir, the same Redis): its first scan.

Figures only, nothing asserted; the devnet is stopped at the end (its dumped state stays for next time).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from web3 import Web3
from web3.providers.rpc import HTTPProvider

from mevcli.backend.redis_store import RedisBackend
from mevcli.cache import ReserveCache
from mevcli.chain.multicall import Multicall
from mevcli.devnet.redis_server import RedisServer

MEVCLI = str(Path(sys.executable).with_name("mevcli"))


def mevcli(env: dict[str, str], *args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    done = subprocess.run([MEVCLI, *args], capture_output=True, text=True, env=env, timeout=3600)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"mevcli {' '.join(args)} failed: {done.stderr.strip()[-2000:]}")
    return seconds, done


def snapshot_seconds(
    where: Path | RedisBackend, rpc_url: str, manifest: dict[str, Any], rounds: int
) -> float:
    """Median seconds of a warm snapshot of every tracked pool, in this process."""
    w3 = Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": 120}))
    cache = ReserveCache.open(where, w3.eth.chain_id, w3, Multicall(w3, manifest["multicall3"]), ttl=3600)
    refs = list(cache.tracked_refs().values())
    head = w3.eth.block_number
    cache.snapshot(refs, head)
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        snap = cache.snapshot(refs, head)
        times.append(time.perf_counter() - started)
        assert snap.misses == 0, snap.misses
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pools", type=int, default=1000, help="extra pools on the devnet")
    parser.add_argument("--rounds", type=int, default=5, help="warm scans per backend")
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/mevcli-bench-redis"))
    args = parser.parse_args()

    base = {k: v for k, v in os.environ.items() if not k.startswith(("MEVCLI_", "ETH_RPC_URL", "CHAIN"))}
    devnet_env = {**base, "MEVCLI_CACHE_DIR": str(args.cache_dir / f"devnet-{args.pools}")}
    seconds, done = mevcli(devnet_env, "--json", "devnet", "up", "--extra-pools", str(args.pools))
    info = json.loads(done.stdout)
    print(f"devnet with {args.pools:,} extra pools up in {seconds:.1f}s", file=sys.stderr)
    manifest = json.loads(Path(info["manifest"]).read_text())
    runs = args.cache_dir / f"runs-{os.getpid()}"
    rows = []
    try:
        with RedisServer() as server:
            for backend in ("cache dir", "Redis"):
                env = {**base, "ETH_RPC_URL": info["rpc_url"], "MEVCLI_MANIFEST": info["manifest"]}
                env["MEVCLI_CACHE_DIR"] = str(runs / backend.replace(" ", "-"))
                if backend == "Redis":
                    env["MEVCLI_CACHE_URL"] = server.url()
                cold, _ = mevcli(env, "--json", "scan")
                warm = statistics.median(mevcli(env, "--json", "scan")[0] for _ in range(args.rounds))
                where = RedisBackend(server.url()) if backend == "Redis" else Path(env["MEVCLI_CACHE_DIR"])
                inner = snapshot_seconds(where, info["rpc_url"], manifest, args.rounds)
                second = "-"
                if backend == "Redis":
                    env["MEVCLI_CACHE_DIR"] = str(runs / "second-host")
                    second = f"{mevcli(env, '--json', 'scan')[0]:.2f}"
                rows.append(f"| {backend} | {cold:.2f} | {warm:.2f} | {inner * 1000:.0f} | {second} |")
                print(rows[-1], file=sys.stderr)
    finally:
        mevcli(devnet_env, "devnet", "down")
    print(f"\n{len(manifest['pools']):,} pools, {args.rounds} warm rounds (medians)\n")
    print("| backend | cold scan s | warm scan s | warm snapshot, all pools, ms | 2nd host's first scan s |")
    print("|---|---:|---:|---:|---:|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
