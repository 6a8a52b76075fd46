"""`watch` at block speed: head → ranking latency per block and per changed pool, incremental ranking
against a whole `scan` per block (`--full-rescan`), on the devnet or the large devnet.

    .venv/bin/python benchmarks/bench_watch.py                         # the devnet, about 2 minutes
    .venv/bin/python benchmarks/bench_watch.py --extra-pools 5000      # the large devnet (reused if up)
    .venv/bin/python benchmarks/bench_watch.py --blocks 5 --no-cli     # in-process only, quicker

Runs `mevcli devnet up [--extra-pools N]` in `--cache-dir` (reused when already running there; `--down`
stops it at the end). Each measured block holds `--swaps` swaps (random Uniswap V2 / SushiSwap pairs and
Uniswap V3 pools, seeded), mined together in one block. Two stages:

- in process: two `Watcher`s on their own cache dirs, one ranking incrementally and one with a whole
  scan per block (both keeping `--top`, default 5, as `watch` does), both processing every block
  (alternating which goes first). The head → ranking time
  is the update's `latency_ms` (`Watcher.process` from the head number to the ranking); per changed
  pool is that over the pools the block changed. Both rankings are compared: a difference prints
  `MISMATCH` and the script exits with status 1.
- the real command: `mevcli --json watch` over `ws://` as a subprocess (default, then `--full-rescan`),
  timed from the block being mined to its JSON line on stdout, next to the `latency_ms` it prints; its
  blocks come `--block-time` apart (0.25 s, Arbitrum's), since `watch` sizes the routes that cannot reach
  the shown top after each line, between heads.

Prints figures only; nothing asserts on time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from web3 import Web3
from web3.providers.rpc import HTTPProvider

from mevcli.arbitrage.watcher import Arrival, FullRanker, LiveRanker, Watcher
from mevcli.config import load_settings
from mevcli.context import AppContext
from mevcli.devnet.counting_proxy import CountingProxy
from mevcli.devnet.deployer import Deployer

MEVCLI = str(Path(sys.executable).with_name("mevcli"))
FAR = 2**40


def devnet_up(cache_dir: Path, extra: int) -> dict[str, Any]:
    args = [MEVCLI, "--json", "devnet", "up", *(["--extra-pools", str(extra)] if extra else [])]
    env = {**_clean_env(), "MEVCLI_CACHE_DIR": str(cache_dir)}
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=7200)
    if done.returncode != 0:
        sys.exit(f"devnet up failed: {done.stderr.strip()[-500:]}")
    return json.loads(done.stdout)


def _clean_env() -> dict[str, str]:
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ETH_RPC_URL", "MEVCLI_", "ETH_KEYSTORE")) and k != "CHAIN"
    }


class Trader:
    """Swaps on the devnet's V2 pairs and V3 pools, several mined in one block."""

    def __init__(self, w3: Web3, manifest: dict[str, Any], seed: int) -> None:
        self.w3 = w3
        self.manifest = manifest
        self.d = Deployer(w3, w3.eth.accounts[0])
        self.rng = random.Random(seed)
        self.router = self.d.at("SwapRouter", manifest["uniswap_v3"]["swap_router"])
        kinds = {"uniswap_v2": "v2", "sushiswap": "v2", "uniswap_v3": "v3"}
        self.pools = [(kinds[p["dex"]], p) for p in manifest["pools"] if p["dex"] in kinds]
        self.weth = manifest["weth"]
        self.approved: set[str] = set()
        self.mined_at = 0.0  # perf_counter() when the last block was mined

    def block(self, swaps: int) -> int:
        """`swaps` swaps on distinct random pools, mined in one block with the transactions that pay
        them in (one new head, as a chain's block is); that block's number."""
        chosen = self.rng.sample(self.pools, swaps)
        calls = [call for kind, pool in chosen for call in self._prepare(kind, pool)]
        self.w3.provider.make_request("evm_setAutomine", [False])
        try:
            hashes = [call.transact({"from": self.d.sender, "gas": 3_000_000}) for call in calls]
            self.w3.provider.make_request("evm_mine", [])
            self.mined_at = time.perf_counter()
        finally:
            self.w3.provider.make_request("evm_setAutomine", [True])
        for tx, call in zip(hashes, calls, strict=True):
            receipt = self.w3.eth.wait_for_transaction_receipt(tx, timeout=30, poll_latency=0.01)
            if receipt["status"] != 1:
                raise RuntimeError(f"a benchmark transaction reverted: {call.fn_name} on {call.address}")
        return int(receipt["blockNumber"])

    def _prepare(self, kind: str, pool: dict[str, Any]) -> list[Any]:
        """The calls that pay the input in (V2: minted straight to the pair; V3: minted to the sender,
        the router approved once) and the swap, to be mined together."""
        t0, t1 = pool["tokens"]
        zero_for_one = t0 != self.weth if self.weth in (t0, t1) else self.rng.random() < 0.5
        token_in = t0 if zero_for_one else t1
        test_token = self.d.at("TestToken", token_in)
        share = self.rng.randint(20, 60)  # basis points of the pool's balance of the input token
        balance = test_token.functions.balanceOf(pool["address"]).call()
        amount = max(balance * share // 10_000, 10**6)
        if kind == "v2":
            pair = self.d.at("UniswapV2Pair", pool["address"])
            r0, r1, _ = pair.functions.getReserves().call()
            reserve_in, reserve_out = (r0, r1) if zero_for_one else (r1, r0)
            out = reserve_out * amount * 99 // (reserve_in + amount) // 100
            swap = (
                pair.functions.swap(0, out, self.d.sender, b"")
                if zero_for_one
                else pair.functions.swap(out, 0, self.d.sender, b"")
            )
            return [test_token.functions.mint(pool["address"], amount), swap]
        calls = [test_token.functions.mint(self.d.sender, amount)]
        if token_in not in self.approved:  # once, unlimited: two swaps of one block may share a token
            calls.append(test_token.functions.approve(self.router.address, 2**256 - 1))
            self.approved.add(token_in)
        token_out = t1 if zero_for_one else t0
        calls.append(
            self.router.functions.exactInputSingle(
                (token_in, token_out, pool["fee"], self.d.sender, FAR, amount, 0, 0)
            )
        )
        return calls


def quantiles(values: list[float]) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    p90 = ordered[max(0, -(-len(ordered) * 9 // 10) - 1)]
    return f"median {statistics.median(ordered):8.1f}  p90 {p90:8.1f}  max {ordered[-1]:8.1f}"


def in_process(
    env: dict[str, str], trader: Trader, blocks: int, swaps: int, top: int, work: Path, full: bool
) -> bool:
    """Both rankers (or only the incremental one) on every block; True when their rankings agreed on
    every block. The incremental watcher talks to the node through a counting proxy."""
    proxy = CountingProxy(env["ETH_RPC_URL"])
    watchers = {}
    kinds = (("incremental", LiveRanker), ("full scan", FullRanker))
    for name, ranker_type in kinds if full else kinds[:1]:
        url = {"ETH_RPC_URL": proxy.url} if name == "incremental" else {}
        ctx = AppContext(load_settings({}, env={**env, **url, "MEVCLI_CACHE_DIR": str(work / name)}))
        watchers[name] = Watcher(ctx, ctx.reserve_cache, ranker_type(ctx, top))
    latency: dict[str, list[float]] = {name: [] for name in watchers}
    per_pool: dict[str, list[float]] = {name: [] for name in watchers}
    cpu: dict[str, list[float]] = {name: [] for name in watchers}
    trips: list[int] = []
    settled: list[float] = []  # after the line: the routes that could not reach the head, sized (`settle`)
    deferred: list[int] = []
    outside: list[float] = []  # head -> ranking less the finder's own time (the catch-up, reads, policy)
    outside_cpu: list[float] = []  # the head's CPU in its own thread less the finder's
    finder_cpu = [0.0]
    finder = watchers["incremental"].ranker.live.finder
    # what the ranker calls (a checkout from before `update_top` calls `update_kept`, before that `update`)
    method = next(m for m in ("update_top", "update_kept", "update") if hasattr(finder, m))
    update_ranking = getattr(finder, method)

    def timed_update(*args: Any) -> Any:
        started = time.thread_time()
        try:
            return update_ranking(*args)
        finally:
            finder_cpu[0] += time.thread_time() - started

    setattr(finder, method, timed_update)
    for name, watcher in watchers.items():
        started = time.perf_counter()
        watcher.process()
        print(f"  first head ({name}, cold cache): {(time.perf_counter() - started) * 1000:.0f} ms")
        if hasattr(watcher, "settle"):
            watcher.settle()  # as `watch` does once the line is out
    agreed = True
    for n in range(blocks):
        head = trader.block(swaps)
        rankings = {}
        order = list(watchers) if n % 2 else list(reversed(watchers))
        for name in order:
            proxy.take()
            started, own, finder_cpu[0] = time.process_time(), time.thread_time(), 0.0
            update = watchers[name].process(head, Arrival.now())[-1]
            cpu[name].append((time.process_time() - started) * 1000)
            if name == "incremental":
                trips.append(proxy.take().round_trips)
                outside_cpu.append((time.thread_time() - own - finder_cpu[0]) * 1000)
            changed = len(update.updated) + len(update.invalidated) + len(update.read)
            latency[name].append(update.latency_ms)
            per_pool[name].append(update.latency_ms / max(changed, 1))
            rankings[name] = [o.to_json() for o in update.opportunities or ()]
            if hasattr(watchers[name], "settle"):  # as `watch` does once the line is out
                started = time.perf_counter()
                watchers[name].settle()
                if name == "incremental":
                    settled.append((time.perf_counter() - started) * 1000)
        if full and rankings["incremental"] != rankings["full scan"]:
            agreed = False
            print(f"  MISMATCH at block {head}")
        live = watchers["incremental"].ranker.live.last
        deferred.append(getattr(live, "deferred", 0))
        outside.append(latency["incremental"][-1] - live.seconds * 1000)
        reference = f"full scan {latency['full scan'][-1]:.1f} ms, " if full else ""
        print(
            f"  block {head}: {changed} pools changed, incremental {latency['incremental'][-1]:.1f} ms "
            f"(CPU {cpu['incremental'][-1]:.1f} ms, {trips[-1]} round trips, {live.routes_listed} cycles "
            f"listed, {live.routes_evaluated} sized, {deferred[-1]} of them after the line, finder "
            f"{live.seconds * 1000:.1f} ms), "
            f"{reference}{len(rankings['incremental'])} opportunities"
        )
    proxy.close()
    print(f"head -> ranking over {blocks} blocks of {swaps} swaps (ms):")
    for name in watchers:
        print(f"  {name:12} per block     {quantiles(latency[name])}")
        print(f"  {name:12} per changed pool {quantiles(per_pool[name])}")
        print(f"  {name:12} CPU per block {quantiles(cpu[name])}")
    print(f"  incremental  outside the finder {quantiles(outside)}")
    print(f"  incremental  CPU outside the finder (its thread) {quantiles(outside_cpu)}")
    print(f"  incremental  JSON-RPC round trips per block: median {statistics.median(trips)}")
    if settled:
        print(f"  incremental  after the line (settle) {quantiles(settled)}")
        print(f"  incremental  routes sized after the line per block: median {statistics.median(deferred)}")
    return agreed


def cli_stage(
    env: dict[str, str], ws_url: str, trader: Trader, blocks: int, swaps: int, full: bool, block_time: float
) -> None:
    """`mevcli --json watch` over ws:// as a subprocess: block mined → its line printed. Blocks come at
    least `block_time` seconds apart (Arbitrum's 0.25 s by default), as on a chain: `watch` sizes what it
    left for after a line between heads."""
    args = [
        MEVCLI,
        "--json",
        "--rpc-url",
        ws_url,
        "watch",
        "--top",
        "5",
        *(["--full-rescan"] if full else []),
    ]
    watch = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    wall: list[float] = []
    reported: list[float] = []
    try:
        first = watch.stdout.readline()  # the head at start (a cold ranking)
        if not first:
            sys.exit(f"watch stopped: {watch.stderr.read()[-500:]}")
        time.sleep(1.0)  # the subscription is up
        last = 0.0
        for _ in range(blocks):
            time.sleep(max(0.0, last + block_time - time.perf_counter()))
            last = time.perf_counter()
            block = trader.block(swaps)
            mined = trader.mined_at
            line = json.loads(watch.stdout.readline())
            while line["block"] < block:  # the blocks that paid the swaps in (no pool changed)
                line = json.loads(watch.stdout.readline())
            wall.append((time.perf_counter() - mined) * 1000)
            reported.append(line["latency_ms"])
    finally:
        watch.terminate()
        watch.wait(timeout=30)
    label = "watch --full-rescan" if full else "watch"
    print(f"  {label:20} mined -> line  {quantiles(wall)}")
    print(f"  {label:20} latency_ms     {quantiles(reported)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--extra-pools", type=int, default=0)
    parser.add_argument("--cache-dir", type=Path, default=None, help="where the devnet runs (reused)")
    parser.add_argument("--blocks", type=int, default=10)
    parser.add_argument("--swaps", type=int, default=3, help="swaps per block")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--top", type=int, default=5, help="opportunities ranked and compared (watch --top)")
    parser.add_argument("--no-cli", action="store_true", help="skip the `mevcli watch` subprocess stage")
    parser.add_argument(
        "--block-time", type=float, default=0.25, help="seconds between the CLI stage's blocks (Arbitrum's)"
    )
    parser.add_argument("--no-full", action="store_true", help="skip the whole-scan reference ranking")
    parser.add_argument("--down", action="store_true", help="stop the devnet at the end")
    args = parser.parse_args()
    cache_dir = args.cache_dir or Path(tempfile.gettempdir()) / f"bench-watch-{args.extra_pools}"
    info = devnet_up(cache_dir, args.extra_pools)
    manifest = json.loads(Path(info["manifest"]).read_text())
    w3 = Web3(HTTPProvider(info["rpc_url"], request_kwargs={"timeout": 120}))
    print(f"devnet {info['rpc_url']}: {len(manifest['pools'])} pools, block {w3.eth.block_number}")
    trader = Trader(w3, manifest, args.seed)
    env = {**_clean_env(), "ETH_RPC_URL": info["rpc_url"], "MEVCLI_MANIFEST": info["manifest"]}
    try:
        with tempfile.TemporaryDirectory(prefix="bench-watch-") as work:
            agreed = in_process(env, trader, args.blocks, args.swaps, args.top, Path(work), not args.no_full)
            if not args.no_cli:
                ws_url = info["rpc_url"].replace("http://", "ws://", 1)
                print(f"the real command over {ws_url} ({args.blocks} blocks of {args.swaps} swaps, ms):")
                for full in (False,) if args.no_full else (False, True):
                    cli_env = {**env, "MEVCLI_CACHE_DIR": str(Path(work) / f"cli-{full}")}
                    cli_env.pop("ETH_RPC_URL")
                    cli_stage(cli_env, ws_url, trader, args.blocks, args.swaps, full, args.block_time)
    finally:
        if args.down:
            subprocess.run(
                [MEVCLI, "devnet", "down"],
                env={**_clean_env(), "MEVCLI_CACHE_DIR": str(cache_dir)},
                check=False,
            )
    if not agreed:
        sys.exit(1)


if __name__ == "__main__":
    main()
