"""Quote benchmark on a real devnet: our off-chain V2/V3 quotes against an `eth_call` to the on-chain quoters.

    .venv/bin/python benchmarks/bench_quotes.py            # about 30 s (10 s of it is deploy_market)
    .venv/bin/python benchmarks/bench_quotes.py --quick    # fewer repetitions, about 15 s
    .venv/bin/python benchmarks/bench_quotes.py --per-case # also one line per quote case

Starts its own anvil node (stopped at the end), deploys the devnet market (`deploy_market`), then:

- reads: ms per read of all V2 pairs (`read_pairs`) and all V3 pools (`read_pools`, default window and
  FULL_RANGE) through Multicall3 at one pinned block, and the RPC round trips (HTTP requests) each takes;
- quotes: µs per V2 quote (`V2PairState.quote`) and per V3 quote (`swap(state, zero_for_one, amount)` on
  FULL_RANGE states), V3 grouped by `SwapResult.ticks_crossed` (QuoterV2's initializedTicksCrossed) in
  buckets 0, 1, 2-3, 4+. The V3 amounts are found at run time: per pool and direction, a sweep of
  1, 2, 5 x 10^k (stopping before the pool can no longer fill the whole amount) gives each bucket's
  middle amount. V2 amounts are 0.1% of the input reserve, both directions of every pair;
- V4: the priced pools read through `extsload` (FULL_RANGE), exact-input quotes bucketed by the loop's
  initialized-tick crossings, each against v4-core's `PoolSwapTest.swap` by `eth_call` (the deployer is
  funded first);
- the same quotes via `eth_call` (end to end: encode, HTTP round trip, EVM, decode) to the devnet's
  QuoterV2 `quoteExactInputSingle` and the pair's DEX router `getAmountsOut`, and the ratio
  eth_call µs / our µs. Every quote is compared once with its eth_call: a difference prints a loud
  MISMATCH line (and the exit status is 1).

Timing: `time.perf_counter_ns` around a loop whose repetitions are calibrated to a target duration; a
case's figure is the median over several such runs (gc off during our quotes' runs, as timeit does). A
bucket's figure is the median over its cases. Prints figures only: nothing asserts on time.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from eth_abi import decode
from web3 import Web3
from web3.providers.rpc import HTTPProvider
from web3.types import RPCEndpoint, RPCResponse

from mevcli.chain.multicall import Multicall, encode_call
from mevcli.devnet.market import deploy_market
from mevcli.devnet.node import AnvilNode
from mevcli.dex.uniswap_v2.reader import read_pairs
from mevcli.dex.uniswap_v2.state import V2PairState
from mevcli.dex.uniswap_v3.reader import FULL_RANGE, WINDOW_TICKS, read_pools
from mevcli.dex.uniswap_v3.state import V3PoolState
from mevcli.dex.uniswap_v3.swap import SwapResult, swap
from mevcli.dex.uniswap_v3.tick_math import MAX_SQRT_RATIO, MIN_SQRT_RATIO
from mevcli.dex.uniswap_v4 import reader as v4_reader
from mevcli.dex.uniswap_v4.keys import key_from_manifest_entry
from mevcli.dex.uniswap_v4.pool_key import NATIVE
from mevcli.dex.uniswap_v4.state import V4PoolState
from mevcli.dex.uniswap_v4.swap import V4SwapResult
from mevcli.dex.uniswap_v4.swap import swap as v4_swap
from mevcli.errors import MevcliError

T = TypeVar("T")

# (label, lowest ticks_crossed, highest or None)
BUCKETS: tuple[tuple[str, int, int | None], ...] = (("0", 0, 0), ("1", 1, 1), ("2-3", 2, 3), ("4+", 4, None))
SWEEP_AMOUNTS: tuple[int, ...] = tuple(m * 10**k for k in range(31) for m in (1, 2, 5))
V2_AMOUNT_DIVISOR = 1000  # V2 quotes sell 0.1% of the input reserve
QUOTER_V2_SIG = "quoteExactInputSingle((address,address,uint256,uint24,uint160))"
QUOTER_V2_OUT = ["uint256", "uint160", "uint32", "uint256"]


@dataclass(frozen=True, slots=True)
class Settings:
    runs: int  # timed runs per figure (the median is reported)
    ours_target_ns: int  # duration of one timed run of our quotes
    rpc_target_ns: int  # duration of one timed run of eth_calls
    read_runs: int  # timed reads of V2 pairs / V3 pools in the default window
    full_read_runs: int  # timed FULL_RANGE reads of V3 pools (each ~2 s on the devnet)


FULL = Settings(runs=7, ours_target_ns=5_000_000, rpc_target_ns=15_000_000, read_runs=10, full_read_runs=3)
QUICK = Settings(runs=3, ours_target_ns=1_000_000, rpc_target_ns=4_000_000, read_runs=3, full_read_runs=1)


class CountingProvider(HTTPProvider):
    """HTTPProvider that counts its JSON-RPC requests (one HTTP round trip each) per method."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.requests: Counter[str] = Counter()

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        self.requests[str(method)] += 1
        return super().make_request(method, params)


@dataclass(frozen=True, slots=True)
class Read:
    label: str
    ms: float
    round_trips: int
    methods: str


@dataclass(frozen=True, slots=True)
class Case:
    kind: str  # "v2" or a V3 bucket label
    label: str
    amount: int
    ours_us: float
    rpc_us: float
    ours_out: int
    rpc_out: int
    detail: str = ""

    @property
    def ratio(self) -> float:
        return self.rpc_us / self.ours_us


# -- timing ------------------------------------------------------------------------------------------


def _reps_for(fn: Callable[[], object], target_ns: int) -> int:
    """Repetitions of `fn` that take about `target_ns` (also warms `fn` up)."""
    reps = 1
    while True:
        start = time.perf_counter_ns()
        for _ in range(reps):
            fn()
        elapsed = time.perf_counter_ns() - start
        if elapsed >= target_ns // 10 or reps >= 1 << 24:
            return max(1, target_ns * reps // max(elapsed, 1))
        reps *= 10


def time_us(fn: Callable[[], object], runs: int, target_ns: int, *, no_gc: bool = False) -> float:
    """Median over `runs` timed runs of the mean µs per call of `fn`."""
    reps = _reps_for(fn, target_ns)
    samples = []
    gc_was_enabled = gc.isenabled()
    if no_gc:
        gc.disable()
    try:
        for _ in range(runs):
            start = time.perf_counter_ns()
            for _ in range(reps):
                fn()
            samples.append((time.perf_counter_ns() - start) / reps / 1000)
    finally:
        if gc_was_enabled:
            gc.enable()
    return statistics.median(samples)


def time_read(provider: CountingProvider, label: str, fn: Callable[[], T], runs: int) -> tuple[Read, T]:
    """Median ms of `runs` calls of `fn`, the requests one call makes, and the last call's result."""
    samples = []
    result: T | None = None
    requests: Counter[str] = Counter()
    for i in range(runs):
        provider.requests.clear()
        start = time.perf_counter_ns()
        result = fn()
        samples.append((time.perf_counter_ns() - start) / 1_000_000)
        if i == 0:
            requests = Counter(provider.requests)
    if result is None:
        raise ValueError(f"{label}: nothing read (runs={runs})")
    methods = ", ".join(f"{n} {m}" for m, n in sorted(requests.items()))
    return Read(label, statistics.median(samples), requests.total(), methods), result


# -- on-chain quotes ---------------------------------------------------------------------------------


def quoter_v2_quote(
    w3: Web3, quoter: str, token_in: str, token_out: str, fee: int, amount_in: int, block: int
) -> tuple[int, int]:
    """QuoterV2.quoteExactInputSingle via eth_call: (amountOut, initializedTicksCrossed)."""
    data = encode_call(
        QUOTER_V2_SIG,
        ["(address,address,uint256,uint24,uint160)"],
        [(token_in, token_out, amount_in, fee, 0)],
    )
    raw = w3.eth.call({"to": quoter, "data": data}, block)
    amount_out, _, ticks_crossed, _ = decode(QUOTER_V2_OUT, raw)
    return amount_out, ticks_crossed


def router_quote(w3: Web3, router: str, token_in: str, token_out: str, amount_in: int, block: int) -> int:
    """UniswapV2Router02.getAmountsOut(amount_in, [token_in, token_out]) via eth_call: the amount out."""
    data = encode_call(
        "getAmountsOut(uint256,address[])", ["uint256", "address[]"], [amount_in, [token_in, token_out]]
    )
    raw = w3.eth.call({"to": router, "data": data}, block)
    return decode(["uint256[]"], raw)[0][-1]


def reserves_call(w3: Web3, pair: str, block: int) -> bytes:
    """The cheapest useful eth_call (a pair's getReserves): the RPC floor under every eth_call quote."""
    return bytes(w3.eth.call({"to": pair, "data": encode_call("getReserves()")}, block))


def raw_reserves_call(provider: HTTPProvider, pair: str, block: int) -> RPCResponse:
    """The same eth_call straight through the provider: one HTTP request, no web3 middleware."""
    params = [{"to": pair, "data": "0x" + encode_call("getReserves()").hex()}, hex(block)]
    return provider.make_request(RPCEndpoint("eth_call"), params)


# -- cases -------------------------------------------------------------------------------------------


def bucket_of(ticks_crossed: int) -> str:
    for label, low, high in BUCKETS:
        if ticks_crossed >= low and (high is None or ticks_crossed <= high):
            return label
    raise ValueError(f"no bucket for {ticks_crossed}")


def pick_v3_amounts(state: V3PoolState, zero_for_one: bool) -> dict[str, int]:
    """Bucket -> an amount whose swap crosses that many initialized ticks and is filled in full."""
    found: dict[str, list[int]] = {label: [] for label, _, _ in BUCKETS}
    for amount in SWEEP_AMOUNTS:
        try:
            result = swap(state, zero_for_one, amount)
        except (ValueError, ArithmeticError, MevcliError):
            break
        if result.amount_in < amount:  # the pool runs out before taking it all: not a full quote
            break
        found[bucket_of(result.ticks_crossed)].append(amount)
    return {label: amounts[len(amounts) // 2] for label, amounts in found.items() if amounts}


def pool_label(symbols: dict[str, str], tokens: Sequence[str], fee: int | None = None) -> str:
    pair = "/".join(symbols.get(t, t[:8]) for t in tokens)
    return pair if fee is None else f"{pair} {fee / 10_000:g}%"


def bench_v2(
    w3: Web3,
    manifest: dict[str, Any],
    pairs: Sequence[V2PairState],
    dex_of: dict[str, str],
    symbols: dict[str, str],
    block: int,
    s: Settings,
) -> list[Case]:
    cases = []
    for state in pairs:
        router = manifest[dex_of[state.address]]["router"]
        for token_in, token_out, reserve_in in (
            (state.token0, state.token1, state.reserve0),
            (state.token1, state.token0, state.reserve1),
        ):
            amount = reserve_in // V2_AMOUNT_DIVISOR
            ours = partial(state.quote, token_in, amount)
            theirs = partial(router_quote, w3, router, token_in, token_out, amount, block)
            cases.append(
                Case(
                    kind="v2",
                    label=f"{dex_of[state.address]} {pool_label(symbols, (token_in, token_out))}",
                    amount=amount,
                    ours_us=time_us(ours, s.runs, s.ours_target_ns, no_gc=True),
                    rpc_us=time_us(theirs, s.runs, s.rpc_target_ns),
                    ours_out=ours(),
                    rpc_out=theirs(),
                )
            )
    return cases


def bench_v3(
    w3: Web3, quoter: str, states: Sequence[V3PoolState], symbols: dict[str, str], block: int, s: Settings
) -> list[Case]:
    cases = []
    for state in states:
        for zero_for_one in (True, False):
            token_in, token_out = (
                (state.token0, state.token1) if zero_for_one else (state.token1, state.token0)
            )
            for bucket, amount in pick_v3_amounts(state, zero_for_one).items():
                ours = partial(swap, state, zero_for_one, amount)
                theirs = partial(quoter_v2_quote, w3, quoter, token_in, token_out, state.fee, amount, block)
                result: SwapResult = ours()
                rpc_out, rpc_crossed = theirs()
                detail = f"ticks_crossed {result.ticks_crossed}, loop crossings {result.tick_crossings}"
                if rpc_crossed != result.ticks_crossed:
                    detail += f", QuoterV2 says {rpc_crossed} (MISMATCH)"
                    print(
                        f"!!! MISMATCH ticks crossed {pool_label(symbols, (token_in, token_out), state.fee)} "
                        f"amount {amount}: ours {result.ticks_crossed}, QuoterV2 {rpc_crossed}"
                    )
                cases.append(
                    Case(
                        kind=bucket,
                        label=pool_label(symbols, (token_in, token_out), state.fee),
                        amount=amount,
                        ours_us=time_us(ours, s.runs, s.ours_target_ns, no_gc=True),
                        rpc_us=time_us(theirs, s.runs, s.rpc_target_ns),
                        ours_out=result.amount_out,
                        rpc_out=rpc_out,
                        detail=detail,
                    )
                )
    return cases


def pick_v4_amounts(state: V4PoolState, zero_for_one: bool) -> dict[str, int]:
    """Bucket -> an exact-input amount whose swap crosses that many initialized ticks, filled in full."""
    found: dict[str, list[int]] = {label: [] for label, _, _ in BUCKETS}
    for amount in SWEEP_AMOUNTS:
        try:
            result = v4_swap(state, zero_for_one, -amount)
        except (ValueError, ArithmeticError, MevcliError):
            break
        if result.amount_in < amount:
            break
        found[bucket_of(result.tick_crossings)].append(amount)
    return {label: amounts[len(amounts) // 2] for label, amounts in found.items() if amounts}


def pool_swap_test_quote(
    w3: Web3, router: str, sender: str, state: V4PoolState, zero_for_one: bool, amount_in: int, block: int
) -> int:
    """PoolSwapTest.swap (unlock, swap, settle) via eth_call from a funded sender: the amount out."""
    limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
    types = ["(address,address,uint24,int24,address)", "(bool,int256,uint160)", "(bool,bool)", "bytes"]
    data = encode_call(
        f"swap({','.join(types)})",
        types,
        [state.key.as_tuple, (zero_for_one, -amount_in, limit), (False, False), b""],
    )
    value = amount_in if zero_for_one and state.currency0 == NATIVE else 0
    raw = w3.eth.call({"from": sender, "to": router, "data": data, "value": value}, block)
    delta = decode(["int256"], raw)[0] % 2**256
    amount0, amount1 = delta >> 128, delta & (2**128 - 1)
    return amount1 if zero_for_one else amount0


def bench_v4(
    w3: Web3,
    manifest: dict[str, Any],
    states: Sequence[V4PoolState],
    symbols: dict[str, str],
    block: int,
    s: Settings,
) -> list[Case]:
    router, sender = manifest["uniswap_v4"]["pool_swap_test"], manifest["deployer"]
    labels = {**symbols, NATIVE: "ETH"}
    cases = []
    for state in states:
        for zero_for_one in (True, False):
            tokens = state.tokens if zero_for_one else state.tokens[::-1]
            fee = state.lp_fee
            for bucket, amount in pick_v4_amounts(state, zero_for_one).items():
                ours = partial(v4_swap, state, zero_for_one, -amount)
                theirs = partial(pool_swap_test_quote, w3, router, sender, state, zero_for_one, amount, block)
                result: V4SwapResult = ours()
                cases.append(
                    Case(
                        kind=f"v4 {bucket}",
                        label=pool_label(labels, tokens, fee),
                        amount=amount,
                        ours_us=time_us(ours, s.runs, s.ours_target_ns, no_gc=True),
                        rpc_us=time_us(theirs, s.runs, s.rpc_target_ns),
                        ours_out=result.amount_out,
                        rpc_out=theirs(),
                        detail=f"loop crossings {result.tick_crossings}",
                    )
                )
    return cases


def fund_v4_sender(w3: Web3, manifest: dict[str, Any]) -> None:
    """The deployer (already approved to PoolSwapTest) gets plenty of every token for the eth_calls."""
    sender = manifest["deployer"]
    w3.provider.make_request(RPCEndpoint("anvil_setBalance"), [sender, hex(10**27)])
    for symbol, token in manifest["tokens"].items():
        if symbol == "WETH":
            data = encode_call("deposit()")
            tx = {"from": sender, "to": token, "data": "0x" + data.hex(), "value": 10**24}
        else:
            data = encode_call("mint(address,uint256)", ["address", "uint256"], [sender, 10**40])
            tx = {"from": sender, "to": token, "data": "0x" + data.hex()}
        w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction(tx))  # type: ignore[arg-type]


# -- report ------------------------------------------------------------------------------------------


def report_mismatches(cases: Sequence[Case]) -> int:
    bad = [c for c in cases if c.ours_out != c.rpc_out]
    for c in bad:
        print(
            f"!!! MISMATCH {c.kind} {c.label} amount {c.amount}: ours {c.ours_out}, eth_call {c.rpc_out} "
            f"(diff {c.ours_out - c.rpc_out})"
        )
    return len(bad)


def print_quote_table(v2: Sequence[Case], v3: Sequence[Case], v4: Sequence[Case] = ()) -> None:
    print(
        f"{'quotes (µs per quote)':<28}{'cases':>6}{'ours':>9}{'ours min-max':>16}"
        f"{'eth_call':>11}{'ratio':>9}"
    )
    groups: list[tuple[str, list[Case]]] = [("V2 (router getAmountsOut)", list(v2))]
    groups += [(f"V3 {label} ticks crossed", [c for c in v3 if c.kind == label]) for label, _, _ in BUCKETS]
    groups += [
        (f"V4 {label} ticks crossed", [c for c in v4 if c.kind == f"v4 {label}"]) for label, _, _ in BUCKETS
    ]
    for name, cases in groups:
        if not cases:
            print(f"  {name:<26}{0:>6}   (no amount on the devnet pools gives this)")
            continue
        ours = [c.ours_us for c in cases]
        span = f"{min(ours):.2f}-{max(ours):.2f}"
        print(
            f"  {name:<26}{len(cases):>6}{statistics.median(ours):>9.2f}{span:>16}"
            f"{statistics.median(c.rpc_us for c in cases):>11.0f}"
            f"{statistics.median(c.ratio for c in cases):>8.0f}x"
        )


def print_cases(cases: Sequence[Case]) -> None:
    for c in cases:
        print(
            f"  {c.kind:<4}{c.label:<28}{c.amount:>28}{c.ours_us:>9.2f}{c.rpc_us:>9.0f}"
            f"{c.ratio:>7.0f}x  {c.detail}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (figures are noisier)")
    parser.add_argument("--per-case", action="store_true", help="also print one line per quote case")
    args = parser.parse_args()
    s = QUICK if args.quick else FULL

    wall = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench_quotes_") as workdir:
        node = AnvilNode.start(Path(workdir) / "anvil.log")
        try:
            provider = CountingProvider(node.rpc_url, request_kwargs={"timeout": 60})
            w3 = Web3(provider)
            start = time.monotonic()
            manifest = deploy_market(w3)
            deploy_s = time.monotonic() - start
            fund_v4_sender(w3, manifest)
            block = w3.eth.block_number
            symbols = {address: symbol for symbol, address in manifest["tokens"].items()}
            v2_pools = [p for p in manifest["pools"] if p["dex"] in ("uniswap_v2", "sushiswap")]
            v3_pools = [p for p in manifest["pools"] if p["dex"] == "uniswap_v3"]
            v2_addresses = [p["address"] for p in v2_pools]
            v3_addresses = [p["address"] for p in v3_pools]
            dex_of = {p["address"]: p["dex"] for p in v2_pools}
            mc = Multicall(w3, manifest["multicall3"])
            print(
                f"devnet: block {block}, {len(v2_pools)} V2 pairs, {len(v3_pools)} V3 pools; "
                f"deploy_market {deploy_s:.1f} s; {'quick' if args.quick else 'full'} mode "
                f"({s.runs} timed runs per quote figure); load average {os.getloadavg()[0]:.1f} "
                f"on {os.cpu_count()} CPUs"
            )

            read_v2, pairs = time_read(
                provider,
                f"V2 pairs ({len(v2_pools)})",
                lambda: read_pairs(mc, v2_addresses, block, [p["fee"] for p in v2_pools]),
                s.read_runs,
            )
            read_v3, _ = time_read(
                provider,
                f"V3 pools ({len(v3_pools)}), ±{WINDOW_TICKS} ticks",
                lambda: read_pools(mc, v3_addresses, block),
                s.read_runs,
            )
            read_v3_full, states = time_read(
                provider,
                f"V3 pools ({len(v3_pools)}), FULL_RANGE",
                lambda: read_pools(mc, v3_addresses, block, window_ticks=FULL_RANGE),
                s.full_read_runs,
            )
            floor = partial(reserves_call, w3, v2_addresses[0], block)
            raw_floor = partial(raw_reserves_call, provider, v2_addresses[0], block)
            provider.requests.clear()
            floor()
            floor_requests = provider.requests.total()
            floor_us = time_us(floor, s.runs, s.rpc_target_ns)
            raw_floor_us = time_us(raw_floor, s.runs, s.rpc_target_ns)

            v2_cases = bench_v2(w3, manifest, pairs, dex_of, symbols, block, s)
            v3_cases = bench_v3(w3, manifest["uniswap_v3"]["quoter_v2"], states, symbols, block, s)
            v4_entry = manifest["uniswap_v4"]
            v4_keys = [
                key_from_manifest_entry(p) for p in v4_entry["pools"] if p["hooks"] != v4_entry["delta_hook"]
            ]
            read_v4, v4_states = time_read(
                provider,
                f"V4 pools ({len(v4_keys)}), extsload, FULL_RANGE",
                lambda: v4_reader.read_pools(mc, v4_entry["pool_manager"], v4_keys, block, FULL_RANGE),
                s.full_read_runs,
            )
            v4_cases = bench_v4(w3, manifest, v4_states, symbols, block, s)
        finally:
            node.stop()

    print()
    print(f"{'reads (Multicall3, one block)':<40}{'ms/read':>9}{'round trips':>13}  requests")
    for r in (read_v2, read_v3, read_v3_full, read_v4):
        print(f"  {r.label:<38}{r.ms:>9.1f}{r.round_trips:>13}  {r.methods}")
    print(
        f"  eth_call floor (getReserves): {floor_us:.0f} µs via w3.eth.call ({floor_requests} requests), "
        f"{raw_floor_us:.0f} µs via provider.make_request (1 request)"
    )
    print()
    print_quote_table(v2_cases, v3_cases, v4_cases)
    if args.per_case:
        print()
        print(
            f"  {'kind':<4}{'case (in/out, fee)':<28}{'amount in':>28}{'ours µs':>9}{'eth µs':>9}{'ratio':>8}"
        )
        print_cases(v2_cases + v3_cases + v4_cases)
    print()
    all_cases = v2_cases + v3_cases + v4_cases
    mismatches = report_mismatches(all_cases)
    crossed_mismatches = sum("MISMATCH" in c.detail for c in v3_cases)
    if mismatches or crossed_mismatches:
        print(f"!!! {mismatches} amount MISMATCH(ES), {crossed_mismatches} ticks-crossed MISMATCH(ES)")
    else:
        print(f"all {len(all_cases)} quotes equal their eth_call to the wei (V3 ticks crossed too)")
    print(f"wall time {time.monotonic() - wall:.1f} s")
    return 1 if mismatches or crossed_mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
