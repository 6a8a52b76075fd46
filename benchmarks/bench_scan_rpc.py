"""What a scan and a quote cost the node, counted by a JSON-RPC proxy: round trips, eth_calls, and calls
inside Multicall3 batches, for cron-like runs (each a separate `mevcli` process).

    .venv/bin/python benchmarks/bench_scan_rpc.py                # devnet + 300 extra V2/Sushi pairs
    .venv/bin/python benchmarks/bench_scan_rpc.py --pools 100    # quicker

Starts its own anvil node (stopped at the end), deploys the devnet market, adds `--pools` V2/Sushi pairs
between fresh test tokens (factory discovery finds them), and puts a `CountingProxy` in front. Stages:

- cold scan: `scan --max-hops 2` on an empty cache dir;
- warm scan: the same again at the same, unchanged block;
- warm quote: `quote --pool` of a V2 pair, twice (the second is counted);
- warm scan after K swaps: `--swaps` swaps on random extra pairs, then a scan.

`--baseline DIR` runs the same stages with another revision's package (e.g. `git archive main` unpacked
in DIR, with node_modules linked), on the same chain and proxy, each with its own cache dir.

Prints figures only; nothing asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from web3 import Web3
from web3.providers.rpc import HTTPProvider

from mevcli.devnet.counting_proxy import CountingProxy, RpcCount
from mevcli.devnet.deployer import Deployer
from mevcli.devnet.market import deploy_market
from mevcli.devnet.node import AnvilNode

MEVCLI = str(Path(sys.executable).with_name("mevcli"))


def add_pairs(d: Deployer, manifest: dict[str, Any], count: int, log: Callable[[str], None]) -> list[str]:
    """`count` V2 pairs (Uniswap and Sushi, alternately) between 32 fresh tokens, seeded reserves."""
    tokens = [d.deploy("TestToken", f"Bench {i}", f"B{i}", 18).address for i in range(32)]
    pairs = [(a, b) for i, a in enumerate(tokens) for b in tokens[i + 1 :]]
    random.Random(1).shuffle(pairs)
    addresses = []
    for n, (a, b) in enumerate(pairs[:count]):
        dex = "uniswap_v2" if n % 2 else "sushiswap"
        factory = d.at("UniswapV2Factory", manifest[dex]["factory"])
        d.send(factory.functions.createPair(a, b))
        pair = factory.functions.getPair(a, b).call()
        for token, amount in ((a, 10**24), (b, (2 + n % 7) * 10**24)):
            d.send(d.at("TestToken", token).functions.mint(pair, amount))
        d.send(d.at("UniswapV2Pair", pair).functions.mint(d.sender))
        addresses.append(pair)
        if n % 100 == 99:
            log(f"  {len(addresses)} pairs")
    return addresses


def swap_pairs(d: Deployer, pairs: list[str], swaps: int) -> None:
    """Small direct swaps on `swaps` random pairs."""
    for address in random.Random(2).sample(pairs, swaps):
        pair = d.at("UniswapV2Pair", address)
        token0 = pair.functions.token0().call()
        d.send(d.at("TestToken", token0).functions.mint(address, 10**20))
        reserves = pair.functions.getReserves().call()
        out = reserves[1] * 10**20 * 99 // (reserves[0] + 10**20) // 100
        d.send(pair.functions.swap(0, out, d.sender, b""))


def run(env: dict[str, str], *args: str) -> float:
    started = time.perf_counter()
    result = subprocess.run([MEVCLI, "--json", *args], capture_output=True, text=True, env=env, timeout=600)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"mevcli {' '.join(args)} failed: {result.stderr.strip()[-2000:]}")
    json.loads(result.stdout)  # a whole JSON document, or the run failed
    return seconds


def show(variant: str, label: str, seconds: float, count: RpcCount) -> dict[str, Any]:
    print(
        f"{label:<30} {count.round_trips:5d} round trips {count.eth_calls:5d} eth_call "
        f"{count.batched_calls:6d} calls in batches {seconds:7.2f} s wall"
        f"   ({dict(sorted(count.methods.items()))})"
    )
    return {"variant": variant, "stage": label, "seconds": round(seconds, 2), **count.to_json()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pools", type=int, default=300, help="extra V2/Sushi pairs to create")
    parser.add_argument("--swaps", type=int, default=10, help="swaps before the last warm scan")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="also run every stage with the mevcli package found here (an export of another revision), "
        "on the same chain, for before/after figures",
    )
    parser.add_argument(
        "--ttl", default="600", help="MEVCLI_CACHE_TTL of the runs (docs/cache.md: above the cron interval)"
    )
    parser.add_argument("--json-out", type=Path, help="also write the figures here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        node = AnvilNode.start(Path(tmp) / "anvil.log")
        proxy = None
        try:
            w3 = Web3(HTTPProvider(node.rpc_url, request_kwargs={"timeout": 120}))
            manifest = deploy_market(w3)
            d = Deployer(w3)
            extra = add_pairs(d, manifest, args.pools, print)
            manifest["rpc_url"] = node.rpc_url
            manifest_path = Path(tmp) / "manifest.json"
            manifest_path.write_text(json.dumps(manifest))
            proxy = CountingProxy(node.rpc_url)
            base_env = {
                k: v for k, v in os.environ.items() if k not in ("CHAIN", "MEVCLI_CONFIG", "PYTHONPATH")
            }
            base_env.update(
                ETH_RPC_URL=proxy.url, MEVCLI_MANIFEST=str(manifest_path), MEVCLI_CACHE_TTL=args.ttl
            )
            variants = {"this revision": {**base_env, "MEVCLI_CACHE_DIR": f"{tmp}/cache-this"}}
            if args.baseline:
                variants = {
                    "baseline": {
                        **base_env,
                        "MEVCLI_CACHE_DIR": f"{tmp}/cache-base",
                        "PYTHONPATH": str(args.baseline.resolve()),
                    },
                    **variants,
                }
            pools = len(manifest["pools"]) + len(extra)
            print(f"{pools} pools ({len(extra)} extra V2/Sushi pairs) at block {w3.eth.block_number}")
            scan = ("scan", "--max-hops", "2")
            token0 = d.at("UniswapV2Pair", extra[0]).functions.token0().call()
            quote = ("quote", "--pool", extra[0], "--token-in", token0, "--amount-in", str(10**18))
            rows = []
            for name, env in variants.items():
                print(f"\n{name}")
                proxy.take()
                rows.append(show(name, "cold scan", run(env, *scan), proxy.take()))
                rows.append(show(name, "warm scan, same block", run(env, *scan), proxy.take()))
                run(env, *quote)
                proxy.take()
                rows.append(show(name, "warm quote, same block", run(env, *quote), proxy.take()))
            swap_pairs(d, extra, args.swaps)
            for name, env in variants.items():
                print(f"\n{name}")
                proxy.take()
                rows.append(show(name, f"warm scan after {args.swaps} swaps", run(env, *scan), proxy.take()))
            if args.json_out:
                args.json_out.write_text(json.dumps({"pools": pools, "stages": rows}, indent=1))
        finally:
            if proxy is not None:
                proxy.close()
            node.stop()


if __name__ == "__main__":
    main()
