"""Pool discovery at scale through a provider that caps `eth_getLogs`, on a real devnet.

    .venv/bin/python benchmarks/bench_discovery.py                  # 5,000 extra pairs, a few minutes
    .venv/bin/python benchmarks/bench_discovery.py --pools 1000     # quicker

Starts its own anvil node (stopped at the end), deploys the devnet market, then creates `--pools` Uniswap
V2 / SushiSwap pairs between fresh test tokens, with empty blocks mined in between so that the pools
spread over several thousand blocks. Then it times and counts the JSON-RPC requests of:

- discovery from block 0 straight against the node (no limits);
- the same through `LogLimitProxy` capping ranges at `--max-range` blocks and answers at `--max-results`
  logs (each refused in its own words), from an empty discovery state;
- a cold `mevcli pools list --json` through the capped proxy (discovery, then identity and state reads
  of every pool through an empty reserve cache).

Prints figures only; nothing asserts on time.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections import Counter
from pathlib import Path

from web3 import Web3
from web3.providers.rpc import HTTPProvider

from mevcli.arbitrage.discovery import PoolDiscovery
from mevcli.chain.client import connect
from mevcli.devnet.deployer import Deployer
from mevcli.devnet.fault_proxy import LogLimitProxy, RpcProxy
from mevcli.devnet.market import deploy_market
from mevcli.devnet.node import AnvilNode
from mevcli.dex.registry import DexRegistry


def add_pairs(w3: Web3, manifest: dict, count: int, per_gap: int, gap: int) -> None:
    """`count` pairs (alternately Uniswap V2 and SushiSwap) between fresh tokens; `gap` empty blocks are
    mined after every `per_gap` pairs."""
    d = Deployer(w3, w3.eth.accounts[0])
    tokens: list[str] = []
    while len(tokens) * (len(tokens) - 1) // 2 < count:
        tokens.append(d.deploy("TestToken", f"Bench {len(tokens)}", f"B{len(tokens)}", 18).address)
    pairs = [(a, b) for i, a in enumerate(tokens) for b in tokens[i + 1 :]][:count]
    factories = [d.at("UniswapV2Factory", manifest[dex]["factory"]) for dex in ("uniswap_v2", "sushiswap")]
    for n, (a, b) in enumerate(pairs):
        factories[n % 2].functions.createPair(a, b).transact({"from": d.sender, "gas": 5_000_000})
        if n % per_gap == per_gap - 1:
            w3.provider.make_request("anvil_mine", [hex(gap)])  # type: ignore[arg-type]
        if n % 1000 == 999:
            print(f"  {n + 1} pairs", flush=True)


def discover(url: str, manifest: dict, state: Path) -> tuple[int, float]:
    w3 = connect(url, timeout=60.0)
    discovery = PoolDiscovery(w3, DexRegistry.from_manifest(manifest), state, from_block=0)
    started = time.perf_counter()
    found = discovery.discover(w3.eth.block_number)
    return len(found), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pools", type=int, default=5000)
    parser.add_argument("--max-range", type=int, default=1000)
    parser.add_argument("--max-results", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        node = AnvilNode.start(work / "anvil.log")
        try:
            w3 = Web3(HTTPProvider(node.rpc_url, request_kwargs={"timeout": 120}))
            manifest = deploy_market(w3)
            manifest["rpc_url"] = node.rpc_url
            started = time.perf_counter()
            add_pairs(w3, manifest, args.pools, per_gap=20, gap=10)
            head = w3.eth.block_number
            print(f"{args.pools} pairs created in {time.perf_counter() - started:.0f}s; head {head:,}")
            manifest_path = work / "manifest.json"
            manifest_path.write_text(json.dumps(manifest))

            plain = RpcProxy(node.rpc_url)
            found, seconds = discover(plain.url, manifest, work / "plain.json")
            counts = plain.reset()
            plain.close()
            print(
                f"discovery, no limits: {found:,} pools, {seconds:.1f}s, "
                f"{counts['eth_getLogs']} eth_getLogs, {sum(counts.values())} requests"
            )

            capped = LogLimitProxy(
                node.rpc_url,
                max_range=args.max_range,
                max_results=args.max_results,
                results_error=(-32005, "query returned more than {limit} results"),
            )
            found, seconds = discover(capped.url, manifest, work / "capped.json")
            counts = capped.reset()
            print(
                f"discovery, ranges <= {args.max_range} blocks and answers <= {args.max_results} logs: "
                f"{found:,} pools, {seconds:.1f}s, {counts['eth_getLogs']} eth_getLogs "
                f"({len(capped.answered)} answered, {capped.refused} refused), "
                f"{sum(counts.values())} requests"
            )

            from typer.testing import CliRunner

            from mevcli.cli.app import app

            env = {
                "ETH_RPC_URL": capped.url,
                "MEVCLI_MANIFEST": str(manifest_path),
                "MEVCLI_CACHE_DIR": str(work / "cache"),
            }
            os.environ.pop("CHAIN", None)
            started = time.perf_counter()
            result = CliRunner().invoke(app, ["pools", "list", "--json"], env=env)
            seconds = time.perf_counter() - started
            counts = capped.reset()
            capped.close()
            listed = len(json.loads(result.stdout)) if result.exit_code == 0 else result.stderr.strip()
            top = ", ".join(f"{m} {c}" for m, c in Counter(counts).most_common(6))
            print(
                f"cold `pools list --json` through the capped proxy (discovery included): {listed} pools, "
                f"{seconds:.1f}s; {top}"
            )
        finally:
            node.stop()


if __name__ == "__main__":
    main()
