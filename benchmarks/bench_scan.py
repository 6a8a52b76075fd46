"""Scanner benchmark: `find_opportunities` on synthetic in-memory markets (no chain, no I/O).

    .venv/bin/python benchmarks/bench_scan.py            # 1k, 10k and 50k pools, 2-4 hops
    .venv/bin/python benchmarks/bench_scan.py --quick    # 1k and 10k pools, 2-3 hops
    .venv/bin/python benchmarks/bench_scan.py --sizes 10000 --hops 3 --profile
    .venv/bin/python benchmarks/bench_scan.py --sizes 50000 --hops 4 --search-only
    .venv/bin/python benchmarks/bench_scan.py --sizing --sizes 1000,10000   # µs per candidate by shape
    .venv/bin/python benchmarks/bench_scan.py --devnet --hops 2,3,4         # the devnet market (anvil)

`--search-only` times the cycle search alone (`CycleIndex.count` and `search`, no exact test, no sizing):
at 4 hops on 10k+ pools nearly every listed cycle is a real candidate and sizing them dominates the scan.

Markets: 300 tokens, five hub tokens (WETH, USDC, USDT, DAI, WBTC: the base tokens) in most pools and a
Zipf-skewed long tail; every pool is a V2 pair (several DEXes, different fees) or a V3 pool (several
DEXes and fee tiers, a few positions around the price, built through `V3PoolState.with_liquidity_change`
so ticks, bitmap and active liquidity are consistent). Each token has one global price; a pool's price is
that price with small noise (a fraction of its fee, as arbitrage keeps real markets), and a few pools are
planted off by 0.5-3%. Flash sources per base token: Balancer (no fee) and Aave (5 bps), both deep.
Deterministic for a seed. Prints figures only: there is no assertion on time.

"warm scan" = a whole `find_opportunities` call after one untimed call on the same market (imports,
allocator and caches warm); the median of `--repeat` timed calls is reported.

`--sizing`: median µs to evaluate one candidate, and to size it alone, by route shape (`sizing_micro`).
`--devnet`: the same warm scan on the devnet market (V2, V3, Balancer weighted and composable stable,
Curve; its flash sources; gas at a fixed 1 gwei), read once from its own anvil node: wall and CPU ms.
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import math
import pstats
import random
import statistics
import sys
import time
from dataclasses import dataclass, replace

from mevcli.arbitrage.cycles import CycleIndex, TokenGraph, enumerate_cycles
from mevcli.arbitrage.finder import LOG_RATE_FLOOR, FinderInput, FinderStats, _hops, find_opportunities
from mevcli.arbitrage.flash import AAVE_V3, BALANCER, FlashSource
from mevcli.dex.pools import PoolState, pool_tokens
from mevcli.dex.uniswap_v2.state import V2PairState
from mevcli.dex.uniswap_v3.state import V3PoolState
from mevcli.dex.uniswap_v3.tick_math import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    get_tick_at_sqrt_ratio,
)

HUBS = (("WETH", 18, 3000.0), ("USDC", 6, 1.0), ("USDT", 6, 1.0), ("DAI", 18, 1.0), ("WBTC", 8, 60000.0))
N_TOKENS = 300
V2_DEXES = (
    ("uniswap_v2", 3000),
    ("sushiswap", 3000),
    ("camelot", 3000),
    ("pancakeswap_v2", 2500),
    ("arbswap", 2500),
    ("ramses_v2", 2000),
)
V3_DEXES = (
    ("uniswap_v3", ((100, 1), (500, 10), (3000, 60), (10000, 200))),
    ("pancakeswap_v3", ((100, 1), (500, 10), (2500, 50), (10000, 200))),
    ("sushiswap_v3", ((100, 1), (500, 10), (3000, 60), (10000, 200))),
)
# (dex, kind, fee pips, tick spacing or 0 for V2): every pool a pair of tokens can have.
V2_VENUES = [(name, "uniswap_v2", fee, 0) for name, fee in V2_DEXES]
V3_VENUES = [(name, "uniswap_v3", fee, spacing) for name, tiers in V3_DEXES for fee, spacing in tiers]
GAS_PRICE = 10**7  # 0.01 gwei
DEVNET_GAS_PRICE = 10**9  # 1 gwei: fixed, so devnet results do not depend on the node's base fee
Q96 = 2**96


@dataclass(frozen=True, slots=True)
class Token:
    address: str
    symbol: str
    decimals: int
    usd: float


@dataclass(slots=True)
class Market:
    tokens: list[Token]
    states: dict[str, PoolState]
    dex_of: dict[str, tuple[str, str]]
    bases: list[str]
    flash_sources: dict[str, list[FlashSource]]
    planted: list[str]


def _tokens(rng: random.Random) -> list[Token]:
    tokens = [Token(f"0x{i + 1:040x}", sym, dec, usd) for i, (sym, dec, usd) in enumerate(HUBS)]
    for i in range(len(HUBS), N_TOKENS):
        decimals = rng.choice((18, 18, 18, 18, 18, 6, 8, 9, 12))
        tokens.append(Token(f"0x{i + 1:040x}", f"T{i}", decimals, 10 ** rng.uniform(-4, 3)))
    # Addresses sort in a shuffled order so token0/token1 is not always the hub.
    rng.shuffle(tokens)
    hubs = {sym for sym, _, _ in HUBS}
    return sorted(tokens, key=lambda t: (t.symbol not in hubs, t.symbol != "WETH"))


def _pick_pair(rng: random.Random, hubs: list[Token], tail: list[Token], tail_w: list[float]) -> tuple:
    r = rng.random()
    if r < 0.80:  # hub / tail: the bulk of a real market
        return rng.choices(hubs, (0.45, 0.25, 0.15, 0.08, 0.07))[0], rng.choices(tail, tail_w)[0]
    if r < 0.83:  # hub / hub
        a, b = rng.sample(hubs, 2)
        return a, b
    a = rng.choices(tail, tail_w)[0]  # tail / tail
    b = rng.choices(tail, tail_w)[0]
    return a, b


def _v3_state(
    rng: random.Random, address: str, t0: Token, t1: Token, fee: int, spacing: int, price: float, tvl: float
) -> V3PoolState | None:
    """A V3 pool at `price` (token1 raw units per token0 raw unit) with three positions around it."""
    sqrt_price = int(math.sqrt(price) * Q96)
    if not MIN_SQRT_RATIO * 2 < sqrt_price < MAX_SQRT_RATIO // 2:
        return None
    tick = get_tick_at_sqrt_ratio(sqrt_price)
    # Liquidity of a full-range CPMM with these reserves, split over a wide, a medium and a narrow range.
    reserve1 = tvl / 2 / t1.usd * 10**t1.decimals
    total = int(reserve1 / math.sqrt(price))
    if total <= 0:
        return None
    state = V3PoolState(
        address=address,
        token0=t0.address,
        token1=t1.address,
        fee=fee,
        tick_spacing=spacing,
        sqrt_price_x96=sqrt_price,
        tick=tick,
        liquidity=0,
        ticks={},
        bitmap={},
    )
    for half_width, share in ((2000, 0.5), (200, 0.3), (30, 0.2)):
        half_width = int(half_width * rng.uniform(0.7, 1.3))
        lower = max((tick - half_width) // spacing * spacing, MIN_TICK // spacing * spacing + spacing)
        upper = min(-((-(tick + half_width + 1)) // spacing) * spacing, MAX_TICK // spacing * spacing)
        if not lower <= tick < upper:
            return None
        state = state.with_liquidity_change(lower, upper, max(int(total * share), 1), 0)
    return state


def _pool(
    rng: random.Random,
    address: str,
    kind: str,
    t0: Token,
    t1: Token,
    fee: int,
    spacing: int,
    price: float,
    tvl: float,
) -> PoolState | None:
    if kind == "uniswap_v3":
        return _v3_state(rng, address, t0, t1, fee, spacing, price, tvl)
    reserve0 = int(tvl / 2 / t0.usd * 10**t0.decimals)
    reserve1 = int(reserve0 * price)
    if reserve0 < 10**3 or reserve1 < 10**3:
        return None
    return V2PairState(
        address=address,
        token0=t0.address,
        token1=t1.address,
        reserve0=reserve0,
        reserve1=reserve1,
        fee_pips=fee,
    )


def build_market(n_pools: int, seed: int = 1) -> Market:
    rng = random.Random(seed * 1_000_003 + n_pools)
    tokens = _tokens(rng)
    hubs, tail = tokens[: len(HUBS)], tokens[len(HUBS) :]
    tail_w = [1 / (rank + 1) ** 0.8 for rank in range(len(tail))]
    states: dict[str, PoolState] = {}
    dex_of: dict[str, tuple[str, str]] = {}
    used: set[tuple[str, str, str, int]] = set()
    hub_set = {t.address for t in hubs}
    params: dict[str, tuple] = {}  # hub / tail pools deep enough to plant a mispricing in
    n_planted = 3 + n_pools // 5000
    while len(states) < n_pools:
        a, b = _pick_pair(rng, hubs, tail, tail_w)
        if a.address == b.address:
            continue
        t0, t1 = (a, b) if a.address < b.address else (b, a)
        venue = rng.choice(V2_VENUES if rng.random() < 0.45 else V3_VENUES)
        key = (t0.address, t1.address, venue[0], venue[2])
        if key in used:
            continue
        used.add(key)
        dex, kind, fee, spacing = venue
        address = f"0x{0xB0000000 + len(states):040x}"
        hub_pair = t0.address in hub_set and t1.address in hub_set
        tail_pair = t0.address not in hub_set and t1.address not in hub_set
        tvl = 10 ** rng.uniform(6.5, 8.5) if hub_pair else 10 ** rng.uniform(3.7, 5.7 if tail_pair else 6.7)
        # Arbitrage keeps a pool's price within about its fee of the market: noise is a fraction of it.
        noise = rng.gauss(0, 0.25 * fee / 1e6 + 0.00002)
        price = t0.usd / t1.usd * 10 ** (t1.decimals - t0.decimals) * math.exp(noise)
        state = _pool(rng, address, kind, t0, t1, fee, spacing, price, tvl)
        if state is None:
            continue
        states[address] = state
        dex_of[address] = (dex, kind)
        if not hub_pair and not tail_pair and tvl > 10**5:
            params[address] = (kind, t0, t1, fee, spacing, price, tvl)
    planted = rng.sample(sorted(params), min(n_planted, len(params)))
    for address in planted:
        kind, t0, t1, fee, spacing, price, tvl = params[address]
        shift = rng.uniform(0.005, 0.03) * rng.choice((-1, 1))  # 0.5-3% off the market, either way
        state = _pool(rng, address, kind, t0, t1, fee, spacing, price * (1 + shift), tvl)
        states[address] = state if state is not None else states[address]
    bases = [t.address for t in hubs]
    flash_sources = {
        t.address: [
            FlashSource(BALANCER, "0x" + "ba" * 20, t.address, int(1e9 / t.usd * 10**t.decimals), 0, 10**18),
            FlashSource(AAVE_V3, "0x" + "aa" * 20, t.address, int(5e8 / t.usd * 10**t.decimals), 5, 10_000),
        ]
        for t in hubs
    }
    return Market(tokens, states, dex_of, bases, flash_sources, planted)


def devnet_input(w3, manifest: dict, max_hops: int, gas_price: int = DEVNET_GAS_PRICE) -> FinderInput:
    """What `scan` hands the finder on the devnet at its latest block (the manifest's pools, the chain's
    flash sources), at a fixed gas price so results do not depend on the node's base fee."""
    from mevcli.arbitrage.discovery import identify_known
    from mevcli.arbitrage.flash import load_sources
    from mevcli.arbitrage.scanner import DEVNET_BASE_TOKENS, v3_lenders
    from mevcli.chain.multicall import Multicall
    from mevcli.dex.pools import read_states
    from mevcli.dex.registry import DexRegistry

    mc = Multicall(w3, manifest["multicall3"])
    registry = DexRegistry.from_manifest(manifest)
    block = w3.eth.block_number
    refs = identify_known(registry, mc, [p["address"] for p in manifest["pools"]], block)
    states = read_states(mc, refs, block)
    bases = [manifest["tokens"][s] for s in DEVNET_BASE_TOKENS]
    sources = load_sources(
        mc,
        block,
        bases,
        balancer_vault=manifest["balancer"]["vault"],
        aave_pool=manifest["aave_v3"]["pool"],
        v3_pools=v3_lenders(refs, states),
    )
    return FinderInput(
        chain_id=manifest["chain_id"],
        block=block,
        states=states,
        dex_of={r.address: (r.dex.name, r.dex.kind) for r in refs},
        base_tokens=bases,
        flash_sources=sources,
        gas_price=gas_price,
        native_token=manifest["weth"],
        max_hops=max_hops,
    )


def finder_input(market: Market, max_hops: int, max_candidates: int | None = None) -> FinderInput:
    return FinderInput(
        chain_id=42161,
        block=1,
        states=market.states,
        dex_of=market.dex_of,
        base_tokens=market.bases,
        flash_sources=market.flash_sources,
        gas_price=GAS_PRICE,
        native_token=market.bases[0],
        max_hops=max_hops,
        max_candidates=max_candidates,
    )


@dataclass(slots=True)
class Row:
    pools: int
    hops: int
    cycles: int
    candidates: int
    opportunities: int
    enumerate_s: float
    sizing_s: float
    total_s: float  # median wall time of the timed scans
    cpu_s: float  # median CPU time of the same scans (steadier on a busy machine)


def run(market: Market, max_hops: int, repeat: int, max_candidates: int | None = None) -> Row:
    inp = finder_input(market, max_hops, max_candidates)
    find_opportunities(inp, FinderStats())  # warm-up
    walls, cpus, runs = [], [], []
    found: list = []
    for _ in range(repeat):
        stats = FinderStats()
        wall, cpu = time.perf_counter(), time.process_time()
        found = find_opportunities(inp, stats)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        runs.append(stats)
    stats = runs[walls.index(statistics.median_low(walls))]
    timings = stats.timings
    if "cycles_s" in timings:
        enumerate_s, sizing_s = timings["cycles_s"], timings["sizing_s"]
    else:  # a finder without phase timings: time the enumeration on its own
        started = time.perf_counter()
        graph = TokenGraph((a, pool_tokens(s)) for a, s in market.states.items())
        enumerate_cycles(graph, [b for b in market.bases if b in graph.out_edges], max_hops)
        enumerate_s = time.perf_counter() - started
        sizing_s = max(statistics.median(walls) - enumerate_s, 0.0)
    return Row(
        len(market.states),
        max_hops,
        stats.cycles,
        stats.candidates,
        len(found),
        enumerate_s,
        sizing_s,
        statistics.median(walls),
        statistics.median(cpus),
    )


@dataclass(slots=True)
class SearchRow:
    pools: int
    hops: int
    cycles: int
    listed: int
    count_s: float  # CPU seconds of `CycleIndex.count`
    search_s: float  # CPU seconds to iterate `CycleIndex.search` (min of the timed runs)


def run_search(market: Market, max_hops: int, repeat: int) -> SearchRow:
    """The search alone, in CPU time: what the scan spends before any cycle is tested or sized."""
    index = CycleIndex(_hops(market.states))
    bases = [b for b in market.bases if b in index.pairs]
    started = time.process_time()
    cycles = index.count(bases, max_hops)
    count_s = time.process_time() - started
    times, listed = [], 0
    for _ in range(repeat):
        started = time.process_time()
        listed = sum(1 for _ in index.search(bases, max_hops, LOG_RATE_FLOOR))
        times.append(time.process_time() - started)
    return SearchRow(len(market.states), max_hops, cycles, listed, count_s, min(times))


def print_search_table(rows: list[SearchRow]) -> None:
    header = (
        f"{'pools':>6} {'hops':>4} {'cycles':>14} {'listed':>10} "
        f"{'count ms':>9} {'search ms':>10} {'µs/listed':>10}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r.pools:>6} {r.hops:>4} {r.cycles:>14} {r.listed:>10} {r.count_s * 1e3:>9.1f} "
            f"{r.search_s * 1e3:>10.1f} {_us(r.search_s, r.listed):>10}"
        )
    print("\nsearch: CPU time to list every cycle whose summed log marginal rate reaches LOG_RATE_FLOOR.")


def _us(seconds: float, count: int) -> str:
    return f"{seconds / count * 1e6:.2f}" if count else "-"


def print_table(rows: list[Row]) -> None:
    header = (
        f"{'pools':>6} {'hops':>4} {'cycles':>13} {'candidates':>10} {'opps':>6} "
        f"{'enum ms':>9} {'µs/cycle':>9} {'sizing ms':>10} {'µs/cand':>9} {'scan ms':>9} {'cpu ms':>9}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r.pools:>6} {r.hops:>4} {r.cycles:>13} {r.candidates:>10} {r.opportunities:>6} "
            f"{r.enumerate_s * 1e3:>9.1f} {_us(r.enumerate_s, r.cycles):>9} {r.sizing_s * 1e3:>10.1f} "
            f"{_us(r.sizing_s, r.candidates):>9} {r.total_s * 1e3:>9.1f} {r.cpu_s * 1e3:>9.1f}"
        )
    print(
        "\nenum: enumerating / counting cycles and the marginal-rate prefilter; sizing: exact sizing of the"
        "\ncandidates (rate above one) per flash source; scan: the whole find_opportunities (median wall)."
    )


def print_growth(rows: list[Row]) -> None:
    by = {(r.pools, r.hops): r for r in rows}
    sizes = sorted({r.pools for r in rows})
    hops = sorted({r.hops for r in rows})
    print("\ngrowth of the warm scan (wall ms; exponent b of time ∝ pools^b between sizes):")
    for h in hops:
        line = [f"{by[s, h].total_s * 1e3:.1f} @ {s}" for s in sizes if (s, h) in by]
        exps = [
            f"{math.log(by[b, h].total_s / by[a, h].total_s) / math.log(b / a):.2f}"
            for a, b in itertools.pairwise(sizes)
            if (a, h) in by and (b, h) in by
        ]
        print(f"  {h} hops: {', '.join(line)}" + (f"   b = {', '.join(exps)}" if exps else ""))
    for s in sizes:
        line = [f"{by[s, h].total_s * 1e3:.1f} @ {h} hops" for h in hops if (s, h) in by]
        ratios = [
            f"x{by[s, b].total_s / by[s, a].total_s:.1f}"
            for a, b in itertools.pairwise(hops)
            if (s, a) in by and (s, b) in by
        ]
        growth = f"   per extra hop: {', '.join(ratios)}" if ratios else ""
        print(f"  {s} pools: {', '.join(line)}{growth}")


def devnet_scans(hops: list[int], repeat: int) -> None:
    """The warm in-process scan of the devnet market (its own anvil, stopped at the end): median ms of
    `repeat` `find_opportunities` calls per hop count, after one untimed call."""
    import tempfile
    from pathlib import Path

    from web3 import Web3
    from web3.providers.rpc import HTTPProvider

    from mevcli.devnet.market import deploy_market
    from mevcli.devnet.node import AnvilNode

    with tempfile.TemporaryDirectory() as tmp:
        node = AnvilNode.start(Path(tmp) / "anvil.log")
        try:
            w3 = Web3(HTTPProvider(node.rpc_url, request_kwargs={"timeout": 60}))
            base = devnet_input(w3, deploy_market(w3), 2)
        finally:
            node.stop()
    print(
        f"{'hops':>4} {'searched':>9} {'sized':>6} {'opps':>5} {'scan ms':>9} {'cpu ms':>7} {'sizing ms':>10}"
    )
    for h in hops:
        inp = replace(base, max_hops=h)
        find_opportunities(inp, FinderStats())
        walls, cpus, runs = [], [], []
        for _ in range(repeat):
            stats = FinderStats()
            started, cpu_started = time.perf_counter(), time.process_time()
            found = find_opportunities(inp, stats)
            walls.append(time.perf_counter() - started)
            cpus.append(time.process_time() - cpu_started)
            runs.append(stats)
        stats = runs[walls.index(statistics.median_low(walls))]
        print(
            f"{h:>4} {stats.searched:>9} {stats.candidates:>6} {len(found):>5} "
            f"{statistics.median(walls) * 1e3:>9.1f} {statistics.median(cpus) * 1e3:>7.1f} "
            f"{stats.timings['sizing_s'] * 1e3:>10.1f}"
        )


SIZING_SHAPES = ("V2→V2", "V2→V3", "3-hop V2/V3", "4-hop V2/V3")


def _shape(route, states) -> str | None:
    v3 = sum(isinstance(states[h.pool], V3PoolState) for h in route)
    if len(route) == 2:
        return ("V2→V2", "V2→V3", None)[v3]
    return f"{len(route)}-hop V2/V3"


def _median_us(seconds: list[float]) -> float:
    return statistics.median(seconds) * 1e6 if seconds else math.nan


def sizing_micro(
    market: Market, per_shape: int = 400, repeat: int = 3
) -> dict[str, tuple[int, float, float, float | None]]:
    """(candidates, median µs to evaluate one, median µs of its sizing alone, the same in Python), by
    route shape. The last is the sizing with the native kernel switched off (`sizing.kernel = None`),
    timed right after the native one on the same candidate; None where the kernel is not built.

    Evaluating: `_Scan.evaluate`, the exact test, sizing, the choice of flash source and the
    `Opportunity` (its id, per-hop amounts), with the scan's per-edge quoters already built (as they are
    for every candidate but the first through an edge). Sizing alone: `_size_once` (the exact search
    and the lender choice) on the same quoters and lenders. CPU time, best of `repeat` per candidate.
    Candidates come from the market's own search at 2, 3 and 4 hops, the first `per_shape` of each."""
    from mevcli.arbitrage import sizing as sizing_module
    from mevcli.arbitrage.finder import _index_rates, _Scan, _size_once

    native = sizing_module.kernel

    routes: dict[str, list] = {shape: [] for shape in SIZING_SHAPES}
    for hops in (2, 3, 4):
        inp = finder_input(market, hops)
        index = CycleIndex(_hops(market.states))
        bases = [b for b in market.bases if b in index.pairs]
        for route in index.search(bases, hops, LOG_RATE_FLOOR):
            shape = _shape(route, market.states)
            if shape is not None and len(route) == hops and len(routes[shape]) < per_shape:
                routes[shape].append((inp, index, route))
            if hops > 2 and len(routes[f"{hops}-hop V2/V3"]) >= per_shape:
                break
    result = {}
    for shape, chosen in routes.items():
        if not chosen:
            continue
        inp, index, _ = chosen[0]
        bases = [b for b in market.bases if b in index.pairs]
        rates = _index_rates(index, market.states, inp.native_token, bases)
        scan = _Scan(inp, dict(market.states), rates, FinderStats())
        candidates = []
        for _, _, route in chosen:  # builds the quoters (and each hop's Möbius form)
            before = scan.stats.candidates
            scan.evaluate(route)
            if scan.stats.candidates > before:
                candidates.append(route)
        times: list[float] = []
        sizing: list[float] = []
        python: list[float] = []  # sized alone in Python (the kernel switched off), interleaved
        for route in candidates:
            best = math.inf
            for _ in range(repeat):
                started = time.process_time()
                scan.evaluate(route)
                best = min(best, time.process_time() - started)
            times.append(best)
            pools = tuple(h.pool for h in route)
            kinds = tuple(scan.inp.dex_of[p][1] for p in pools)
            lenders = scan._lenders(route[0].token_in, pools, kinds)[1]
            quoters = [scan._quoter(h) for h in route]
            coefficients = scan.rate_test(route)[1]
            for kernel, column in ((native, sizing), (None, python) if native is not None else (None, None)):
                if column is None:
                    continue
                sizing_module.kernel = kernel
                best = math.inf
                for _ in range(repeat):
                    started = time.process_time()
                    _size_once(quoters, coefficients, lenders)
                    best = min(best, time.process_time() - started)
                column.append(best)
            sizing_module.kernel = native
        in_python = _median_us(python) if python else None
        result[shape] = (len(times), _median_us(times), _median_us(sizing), in_python)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="1k and 10k pools, 2-3 hops, one timed run")
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=None)
    parser.add_argument("--hops", type=lambda s: [int(x) for x in s.split(",")], default=None)
    parser.add_argument("--repeat", type=int, default=None, help="timed runs per configuration (median)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="cProfile one scan of each configuration")
    parser.add_argument("--search-only", action="store_true", help="time the cycle search alone (CPU)")
    parser.add_argument(
        "--devnet", action="store_true", help="the devnet market's warm scan (starts its own anvil)"
    )
    parser.add_argument(
        "--sizing",
        action="store_true",
        help="median µs per candidate by route shape (V2→V2, V2→V3, 3-4 hops)",
    )
    parser.add_argument(
        "--max-candidates", type=int, default=None, help="as `scan --max-candidates`: size only the best N"
    )
    args = parser.parse_args(argv)
    sizes = args.sizes or ([1000, 10000] if args.quick else [1000, 10000, 50000])
    hops = args.hops or ([2, 3] if args.quick else [2, 3, 4])
    repeat = args.repeat or (1 if args.quick else 3)

    if args.devnet:
        devnet_scans(args.hops or [2, 3, 4], args.repeat or 3)
        return
    if args.sizing:
        for size in args.sizes or [1000]:
            print(
                f"sizing, {size} pools (median CPU µs per candidate: evaluated / sized alone"
                " / sized alone in Python, and the ratio):"
            )
            shapes = sizing_micro(build_market(size, args.seed))
            for shape, (count, us, sizing_us, python_us) in shapes.items():
                python = "" if python_us is None else f" / {python_us:6.1f} µs ({python_us / sizing_us:.1f}×)"
                print(f"  {shape:<12} {us:8.1f} µs / {sizing_us:6.1f} µs{python}  ({count} candidates)")
        return

    rows: list = []
    for size in sizes:
        started = time.perf_counter()
        market = build_market(size, args.seed)
        v3 = sum(isinstance(s, V3PoolState) for s in market.states.values())
        print(
            f"market: {len(market.states)} pools ({v3} V3, {len(market.states) - v3} V2) over "
            f"{len({t for s in market.states.values() for t in pool_tokens(s)})} tokens, "
            f"{len(market.planted)} planted; built in {time.perf_counter() - started:.1f}s",
            file=sys.stderr,
        )
        for h in hops:
            if size >= 50_000 and h == 4 and not (args.sizes or args.hops or args.search_only):
                # ~66 million candidates, each sized exactly: hours. Asked for explicitly, it runs.
                print(f"  skipped {size} pools / 4 hops (hours; --sizes/--hops ask for it)", file=sys.stderr)
                continue
            if args.search_only:
                rows.append(run_search(market, h, repeat))
                print(f"  done {size} pools / {h} hops: {rows[-1].search_s * 1e3:.1f} ms", file=sys.stderr)
                continue
            if args.profile:
                profiler = cProfile.Profile()
                profiler.enable()
                find_opportunities(finder_input(market, h), FinderStats())
                profiler.disable()
                print(f"\nprofile: {size} pools, {h} hops", file=sys.stderr)
                pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(18)
            rows.append(run(market, h, repeat, args.max_candidates))
            print(f"  done {size} pools / {h} hops: {rows[-1].total_s * 1e3:.1f} ms", file=sys.stderr)
    print()
    if args.search_only:
        print_search_table(rows)
        return
    print_table(rows)
    print_growth(rows)


if __name__ == "__main__":
    main()
