"""Reserve-cache benchmark on a real devnet: cold vs warm reads of N pools, and the RPC the cache saves.

    .venv/bin/python benchmarks/bench_cache.py                 # 300 extra pools, about a minute
    .venv/bin/python benchmarks/bench_cache.py --pools 100     # quicker

Starts its own anvil node (stopped at the end), deploys the devnet market, then adds `--pools` pools as
`mevcli devnet up --extra-pools` does (devnet/extra_pools.py: V2/Sushi pairs, V3 pools, a few Balancer and
Curve pools over extra tokens).
Then, for every pool of the market at one block, it times (median of `--repeat` runs) and counts the
JSON-RPC requests (by method) of:

- direct: `read_states` (batched Multicall3), what a scan pays without the cache;
- cold: `ReserveCache.snapshot` on an empty cache dir (reads everything and stores it);
- warm: the same on the filled cache, from a fresh `ReserveCache` object (as a new process would);
- after K swaps: `--swaps` swaps on random pools since the last processed block, applied from their
  events (Sync / Swap) with no `eth_call`.

Prints figures only; nothing asserts on time. The cache's own stats (RPC calls saved, size) close it.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from web3 import Web3
from web3.providers.rpc import HTTPProvider
from web3.types import RPCEndpoint, RPCResponse

from mevcli.cache import ReserveCache
from mevcli.chain.multicall import Multicall
from mevcli.devnet.deployer import Deployer
from mevcli.devnet.extra_pools import add_extra_pools
from mevcli.devnet.market import deploy_market
from mevcli.devnet.node import AnvilNode
from mevcli.dex.pools import read_states
from mevcli.dex.registry import DexRegistry, PoolRef

FAR = 2**40
SPACING = {500: 10, 3000: 60, 10000: 200}


class CountingProvider(HTTPProvider):
    """Counts JSON-RPC requests by method."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.counts: Counter[str] = Counter()

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        self.counts[method] += 1
        return super().make_request(method, params)


def swap_some(d: Deployer, manifest: dict[str, Any], refs: list[PoolRef], swaps: int) -> None:
    """`swaps` small swaps on random V2 pairs / V3 pools, straight on the pool contracts' routers."""
    rng = random.Random(2)
    v3_router = d.at("SwapRouter", manifest["uniswap_v3"]["swap_router"])
    w3 = d.w3
    candidates = [r for r in refs if r.dex.kind in ("uniswap_v2", "uniswap_v3")]
    for ref in rng.sample(candidates, swaps):
        if ref.dex.kind == "uniswap_v3":
            pool = w3.eth.contract(address=ref.address, abi=d.at("UniswapV3Pool", ref.address).abi)
            t0, t1, fee = (
                pool.functions.token0().call(),
                pool.functions.token1().call(),
                pool.functions.fee().call(),
            )
        else:
            pair = d.at("UniswapV2Pair", ref.address)
            t0, t1 = pair.functions.token0().call(), pair.functions.token1().call()
        token = d.at("TestToken", t0)
        if ref.dex.kind == "uniswap_v3":
            d.send(token.functions.mint(d.sender, 10**20))
            d.send(token.functions.approve(v3_router.address, 10**20))
            d.send(v3_router.functions.exactInputSingle((t0, t1, fee, d.sender, FAR, 10**20, 0, 0)))
        else:
            # A direct V2 swap: pay in, take a safe amount out (below what the invariant allows).
            d.send(token.functions.mint(ref.address, 10**20))
            reserves = pair.functions.getReserves().call()
            out = reserves[1] * 10**20 * 99 // (reserves[0] + 10**20) // 100
            d.send(pair.functions.swap(0, out, d.sender, b""))


def timed(fn: Callable[[], Any], provider: CountingProvider, repeat: int) -> tuple[float, Counter[str], Any]:
    """Median ms over `repeat` runs and the RPC requests of one run."""
    times, result, counts = [], None, Counter()
    for i in range(repeat):
        provider.counts.clear()
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
        if i == 0:
            counts = Counter(provider.counts)
    return statistics.median(times), counts, result


def show(label: str, ms: float, counts: Counter[str]) -> None:
    detail = ", ".join(f"{m} {n}" for m, n in sorted(counts.items()))
    total, calls = sum(counts.values()), counts["eth_call"]
    print(f"{label:<34} {ms:9.1f} ms   {total:4d} requests, {calls:3d} eth_call  ({detail})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pools", type=int, default=300, help="extra pools to create")
    parser.add_argument("--swaps", type=int, default=20, help="swaps between warm reads")
    parser.add_argument("--repeat", type=int, default=5, help="runs per timed figure")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        node = AnvilNode.start(Path(tmp) / "anvil.log")
        try:
            provider = CountingProvider(node.rpc_url, request_kwargs={"timeout": 120})
            w3 = Web3(provider)
            started = time.perf_counter()
            manifest = deploy_market(w3)
            print(
                f"devnet market deployed in {time.perf_counter() - started:.1f}s; adding {args.pools} pools"
            )
            d = Deployer(w3)
            manifest = add_extra_pools(w3, node.rpc_url, manifest, args.pools, print)
            mc = Multicall(w3, manifest["multicall3"])
            block = w3.eth.block_number
            refs = DexRegistry.from_manifest(manifest).identify(
                mc, [p["address"] for p in manifest["pools"]], block
            )
            kinds = Counter(r.dex.kind for r in refs)
            by_kind = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
            print(f"{len(refs)} pools ({by_kind}) at block {block}")
            print()

            ms, counts, _ = timed(lambda: read_states(mc, refs, block), provider, args.repeat)
            show("direct read_states", ms, counts)

            cache_dirs = iter(Path(tmp) / f"cold{i}" for i in range(args.repeat))
            ms, counts, _ = timed(
                lambda: ReserveCache.open(next(cache_dirs), 31337, w3, mc).snapshot(refs, block),
                provider,
                args.repeat,
            )
            show("cold cache (empty dir)", ms, counts)

            warm_dir = Path(tmp) / "cold0"
            ms, counts, snap = timed(
                lambda: ReserveCache.open(warm_dir, 31337, w3, mc).snapshot(refs, block),
                provider,
                args.repeat,
            )
            assert snap.hits == len(refs)
            show("warm cache, unchanged pools", ms, counts)

            swap_some(d, manifest, refs, args.swaps)
            head = w3.eth.block_number

            def after_swaps() -> Any:
                cache = ReserveCache.open(Path(tmp) / "cold1", 31337, w3, mc)
                return cache.snapshot(refs, head)

            ms, counts, snap = timed(after_swaps, provider, 1)
            show(f"warm cache, {args.swaps} swaps to apply", ms, counts)
            print(
                f"{'':34} {snap.report.event_updates} events applied over {head - block} blocks, "
                f"{snap.misses} pools re-read"
            )
            fresh = read_states(mc, refs, head)
            core = ("sqrt_price_x96", "tick", "liquidity", "reserve0", "reserve1", "balances")
            same = all(
                getattr(snap.states[a], f, None) == getattr(s, f, None)
                for a, s in fresh.items()
                for f in core
            )
            print(f"{'':34} states match a fresh read: {'yes' if same else 'NO'}")

            stats = ReserveCache.open(warm_dir, 31337, w3, mc).stats()
            print()
            print(
                f"cache stats: {stats.hits} hits, {stats.misses} misses, hit rate {stats.hit_rate:.1%}, "
                f"{stats.rpc_calls_saved} eth_call round trips saved "
                f"({stats.calls_saved} multicall sub-calls), "
                f"{stats.entries} entries, {stats.size_bytes / 1024:.0f} KiB on disk"
            )
        finally:
            node.stop()


if __name__ == "__main__":
    main()
