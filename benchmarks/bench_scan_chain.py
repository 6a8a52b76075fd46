"""End-to-end `mevcli scan` over JSON-RPC against the devnet at scale, each scan a separate process (cron).

    .venv/bin/python benchmarks/bench_scan_chain.py                   # 1,000 extra pools
    .venv/bin/python benchmarks/bench_scan_chain.py --pools 1000 5000 --swaps 20 --rounds 8

For each `--pools N` it starts `mevcli devnet up --extra-pools N` in its own cache dir (the first time
deploys, a few minutes at 5,000 pools; later runs load its dumped state) and puts a counting JSON-RPC
proxy (`CountingProxy` below) between the scans and the node. Stages, each one `mevcli --json scan`
process:

- cold: an empty reserve cache;
- warm, unchanged: the same cache at the same head;
- warm after K swaps: `--swaps` random swaps on extra V2/Sushi pairs first.

Per stage: the process's wall time and the scan's own (`mevcli_scan_duration_seconds` from its
`--metrics-file`: discovery, reads and search, without start-up), HTTP round trips, JSON-RPC requests
(a batch counts each element), `eth_call`s, calls inside Multicall3 `aggregate3` batches, `eth_getLogs`.
Then a cron-like sequence of `--rounds` scans, with `--swaps-per-round` random swaps between them: the
reserve cache's hit rate over the sequence, and requests and wall time with the cache against a fresh
cache dir every run.

Figures only, nothing asserted; the devnet is stopped at the end (its dumped state stays for next time).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from eth_abi import decode
from web3 import Web3
from web3.providers.rpc import HTTPProvider

from mevcli.chain.multicall import MULTICALL3_ADDRESS, selector
from mevcli.devnet.batch_sender import BatchSender, calldata
from mevcli.devnet.extra_pools import GAS, plan_extra_pools
from mevcli.devnet.market import FAR_DEADLINE

MEVCLI = str(Path(sys.executable).with_name("mevcli"))
AGGREGATE3 = "0x" + selector("aggregate3((address,bool,bytes)[])").hex()


@dataclass(slots=True)
class Counts:
    """What one scan sent: HTTP round trips, JSON-RPC requests by method, calls inside Multicall3 batches."""

    round_trips: int = 0
    methods: Counter[str] = field(default_factory=Counter)
    multicall_calls: int = 0

    @property
    def requests(self) -> int:
        return sum(self.methods.values())


class CountingProxy:
    """A loopback JSON-RPC proxy that forwards to `upstream` and counts what passes (thread-safe)."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.counts = Counts()
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                proxy.count(body)
                request = urllib.request.Request(
                    proxy.upstream, data=body, headers={"Content-Type": "application/json"}
                )
                with urllib.request.urlopen(request, timeout=600) as answer:
                    data = answer.read()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def count(self, body: bytes) -> None:
        try:
            payload = json.loads(body)
        except ValueError:
            return
        requests = payload if isinstance(payload, list) else [payload]
        inner = 0
        for request in requests:
            params = request.get("params") or []
            if request.get("method") == "eth_call" and params and isinstance(params[0], dict):
                call = params[0]
                data = call.get("data") or call.get("input") or ""
                if str(call.get("to", "")).lower() == MULTICALL3_ADDRESS.lower() and data.startswith(
                    AGGREGATE3
                ):
                    (calls,) = decode(["(address,bool,bytes)[]"], bytes.fromhex(data[10:]))
                    inner += len(calls)
        with self._lock:
            self.counts.round_trips += 1
            self.counts.methods.update(str(r.get("method")) for r in requests)
            self.counts.multicall_calls += inner

    def take(self) -> Counts:
        """The counts since the last take, and a fresh start."""
        with self._lock:
            counts, self.counts = self.counts, Counts()
        return counts

    def close(self) -> None:
        self.server.shutdown()


def random_v2_swaps(rpc_url: str, manifest: dict[str, Any], count: int, rng: random.Random) -> int:
    """`count` swaps (~$1,000 each) through the routers on random extra V2/Sushi pairs; the head after.

    Market traffic for benchmarks and tests: each swap mines a block and emits a Sync and a Swap event.
    """
    w3 = Web3(HTTPProvider(rpc_url))
    plan = plan_extra_pools(manifest["extra_pools"]["count"])
    usd = {manifest["tokens"][t.symbol]: t.usd for t in plan.tokens}
    decimals = {manifest["tokens"][t.symbol]: t.decimals for t in plan.tokens}
    pairs = [p for p in manifest["pools"] if p.get("extra") and p["dex"] in ("uniswap_v2", "sushiswap")]
    sender_address = manifest["deployer"]
    sender = BatchSender(rpc_url, sender_address, w3.eth.get_transaction_count(sender_address))
    routers = {dex: manifest[dex]["router"] for dex in ("uniswap_v2", "sushiswap")}
    for _ in range(count):
        pool = rng.choice(pairs)
        token_in = rng.choice([t for t in pool["tokens"] if t in usd])
        token_out = next(t for t in pool["tokens"] if t != token_in)
        amount = int(1_000 / usd[token_in] * 10 ** decimals[token_in])
        router = routers[pool["dex"]]
        sender.add(token_in, calldata("TestToken", "mint", sender_address, amount), GAS["mint"], "mint")
        sender.add(token_in, calldata("TestToken", "approve", router, amount), GAS["approve"], "approve")
        args = (amount, 0, [token_in, token_out], sender_address, FAR_DEADLINE)
        swap = calldata("UniswapV2Router02", "swapExactTokensForTokens", *args)
        sender.add(router, swap, 400_000, "swap")
    sender.flush()
    return w3.eth.block_number


def mevcli(env: dict[str, str], *args: str, timeout: float = 3600) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([MEVCLI, *args], capture_output=True, text=True, env=env, timeout=timeout)
    if done.returncode != 0:
        raise SystemExit(f"mevcli {' '.join(args)} failed: {done.stderr.strip()[-2000:]}")
    return done


@dataclass(slots=True)
class Scanner:
    """Runs `mevcli scan` as its own process through the proxy, against the devnet's manifest."""

    proxy: CountingProxy
    manifest: Path
    max_hops: int

    def scan(self, cache_dir: Path) -> tuple[float, float, Counts, int]:
        """Process wall seconds, the scan's own seconds (its metrics file), what it sent, what it found."""
        env = {k: v for k, v in os.environ.items() if k not in ("ETH_RPC_URL", "CHAIN")}
        env |= {"MEVCLI_CACHE_DIR": str(cache_dir), "MEVCLI_MANIFEST": str(self.manifest)}
        metrics = cache_dir.parent / f"{cache_dir.name}.prom"
        metrics.parent.mkdir(parents=True, exist_ok=True)
        args = ["--json", "--metrics-file", str(metrics), "--chain", "devnet", "--rpc-url", self.proxy.url]
        self.proxy.take()
        started = time.perf_counter()
        done = mevcli(env, *args, "scan", "--max-hops", str(self.max_hops))
        seconds = time.perf_counter() - started
        return seconds, scan_seconds(metrics), self.proxy.take(), len(json.loads(done.stdout))

    def cache_stats(self, cache_dir: Path) -> dict[str, Any]:
        env = {**os.environ, "MEVCLI_CACHE_DIR": str(cache_dir), "MEVCLI_MANIFEST": str(self.manifest)}
        args = ["--json", "--chain", "devnet", "--rpc-url", self.proxy.upstream, "cache", "stats"]
        return json.loads(mevcli(env, *args).stdout)


def scan_seconds(metrics: Path) -> float:
    """`mevcli_scan_duration_seconds` from a run's metrics file: discovery, reads and search, no start-up."""
    for line in metrics.read_text().splitlines():
        if line.startswith("mevcli_scan_duration_seconds"):
            return float(line.rsplit(" ", 1)[1])
    return float("nan")


HEADER = (
    "| pools (all) | stage | process wall s | scan s | round trips | JSON-RPC requests | eth_call "
    "| calls in Multicall3 batches | eth_getLogs | opportunities |\n|---|---|---|---|---|---|---|---|---|---|"
)


def row(pools: int, stage: str, seconds: float, scan: float, counts: Counts, found: int) -> str:
    m = counts.methods
    return (
        f"| {pools:,} | {stage} | {seconds:.2f} | {scan:.2f} | {counts.round_trips} | {counts.requests} "
        f"| {m['eth_call']} | {counts.multicall_calls:,} | {m['eth_getLogs']} | {found} |"
    )


def bench(pools: int, args: argparse.Namespace) -> list[str]:
    devnet_cache = args.cache_dir / f"devnet-{pools}"
    env = {k: v for k, v in os.environ.items() if k not in ("ETH_RPC_URL", "CHAIN", "MEVCLI_MANIFEST")}
    env["MEVCLI_CACHE_DIR"] = str(devnet_cache)
    started = time.perf_counter()
    info = json.loads(mevcli(env, "--json", "devnet", "up", "--extra-pools", str(pools)).stdout)
    how = "reused" if info["reused"] else ("loaded from its dump" if info["loaded_state"] else "deployed")
    print(f"devnet with {pools:,} extra pools {how} in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    manifest = json.loads(Path(info["manifest"]).read_text())
    rng = random.Random(args.seed)
    proxy = CountingProxy(info["rpc_url"])
    scanner = Scanner(proxy, Path(info["manifest"]), args.max_hops)
    rows: list[str] = []
    try:
        runs = args.cache_dir / f"runs-{pools}-{os.getpid()}"
        cache = runs / "cron"
        rows.append(row(len(manifest["pools"]), "cold", *scanner.scan(cache)))
        rows.append(row(len(manifest["pools"]), "warm, unchanged", *scanner.scan(cache)))
        random_v2_swaps(info["rpc_url"], manifest, args.swaps, rng)
        rows.append(row(len(manifest["pools"]), f"warm after {args.swaps} swaps", *scanner.scan(cache)))
        for line in rows:
            print(line, file=sys.stderr)

        before = scanner.cache_stats(cache)
        cached: list[tuple[float, float, Counts]] = []
        fresh: list[tuple[float, float, Counts]] = []
        for n in range(args.rounds):
            random_v2_swaps(info["rpc_url"], manifest, args.swaps_per_round, rng)
            cached.append(scanner.scan(cache)[:3])
            fresh.append(scanner.scan(runs / f"fresh-{n}")[:3])
        after = scanner.cache_stats(cache)
        hits, misses = after["hits"] - before["hits"], after["misses"] - before["misses"]
        rate = hits / (hits + misses) if hits + misses else 0.0
        rows.append("")
        rows.append(
            f"cron sequence, {pools:,} extra pools: {args.rounds} scans, {args.swaps_per_round} random swaps "
            f"between scans: cache hit rate {rate:.1%} ({hits:,} hits, {misses:,} misses)"
        )
        for label, series in (("with the cache", cached), ("fresh cache dir each run", fresh)):
            rows.append(
                f"- {label}: median {statistics.median(s for s, _, _ in series):.2f}s per scan process "
                f"({statistics.median(s for _, s, _ in series):.2f}s of scan), "
                f"{sum(c.round_trips for _, _, c in series):,} round trips, "
                f"{sum(c.requests for _, _, c in series):,} JSON-RPC requests, "
                f"{sum(c.multicall_calls for _, _, c in series):,} calls in Multicall3 batches"
            )
    finally:
        proxy.close()
        mevcli(env, "devnet", "down")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pools", type=int, nargs="+", default=[1000], help="extra pool counts (1000 5000)")
    parser.add_argument("--swaps", type=int, default=20, help="K: swaps before the 'warm after swaps' scan")
    parser.add_argument("--rounds", type=int, default=6, help="scans in the cron-like sequence")
    parser.add_argument("--swaps-per-round", type=int, default=5, help="swaps between cron scans")
    parser.add_argument("--max-hops", type=int, default=2, help="scan --max-hops")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--cache-dir", type=Path, default=Path("/tmp/mevcli-bench-scan-chain"), help="devnets and dumps"
    )
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}; scan --max-hops {args.max_hops}", file=sys.stderr)
    lines = [HEADER]
    extra: list[str] = []
    for pools in args.pools:
        rows = bench(pools, args)
        cut = rows.index("")
        lines += rows[:cut]
        extra += rows[cut + 1 :]
    print("\n".join(lines))
    print()
    print("\n".join(extra))


if __name__ == "__main__":
    main()
