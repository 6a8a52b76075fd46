"""Balancer V2 weighted and composable stable pool quote benchmark: µs per exact quote, pure math (no
chain, no I/O).

    .venv/bin/python benchmarks/bench_balancer.py               # 20k quotes per case
    .venv/bin/python benchmarks/bench_balancer.py --n 100000

Cases: the devnet's three pools (80/20 with 18/6 decimals, 50/50, 50/25/25 with 8/18/6 decimals) with
amounts random up to the 30% in-ratio limit (pow's base mostly below 0.9: the 18-decimal ln path), and
small trades (base in (0.9, 1.1): the 36-decimal ln path). Fixed seed. Given-out quotes ask for half of
what the given-in trade paid out (capped at the 30% out-ratio limit). Composable stable pools: the
devnet's USDC/USDT/DAI (A = 200, 6/6/18 decimals), a skewed two-token pool (A = 50) and a four-token
pool (A = 2000), amounts random up to 30% of the balance in (each quote solves the invariant and then
the balance: two Newton loops). The last column is µs per given-in quote through the per-direction
quoter sizing calls (`hop.exact_hop`: what does not depend on the amount found once per state and
direction). Prints figures only; nothing asserts on time.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from mevcli.dex.balancer import base_pool
from mevcli.dex.balancer.hop import exact_hop
from mevcli.dex.balancer.stable_math import calculate_invariant
from mevcli.dex.balancer.state import BalancerPoolState, ComposableStablePoolState, WeightedPoolState

ONE = 10**18
TOKENS = tuple(f"0x{i:040x}" for i in range(1, 5))


def _pool(weights: list[int], decimals: list[int], balances: list[int], fee: int) -> WeightedPoolState:
    return WeightedPoolState(
        address="0x" + "cc" * 20,
        pool_id="0x" + "11" * 32,
        vault="0x" + "ba" * 20,
        tokens=TOKENS[: len(weights)],
        balances=tuple(balances),
        weights=tuple(weights),
        swap_fee=fee,
        scaling_factors=tuple(10 ** (18 - d) for d in decimals),
    )


def _stable(amp: int, decimals: list[int], whole: list[int], fee: int) -> ComposableStablePoolState:
    return ComposableStablePoolState(
        address="0x" + "cd" * 20,
        pool_id="0x" + "22" * 32,
        vault="0x" + "ba" * 20,
        tokens=TOKENS[: len(decimals)],
        balances=tuple(w * 10**d for w, d in zip(whole, decimals, strict=True)),
        swap_fee=fee,
        scaling_factors=tuple(10 ** (36 - d) for d in decimals),
        amp=amp * 1000,
        bpt_index=len(decimals),
    )


CASES: dict[str, tuple[BalancerPoolState, float]] = {
    "80/20 WETH/USDC": (
        _pool([8 * ONE // 10, 2 * ONE // 10], [18, 6], [1_333 * ONE, 1_000_000 * 10**6], 3 * 10**15),
        0.3,
    ),
    "50/50 ARB/WETH": (_pool([ONE // 2, ONE // 2], [18, 18], [1_250_000 * ONE, 333 * ONE], 5 * 10**15), 0.3),
    "50/25/25 WBTC/WETH/USDC": (
        _pool(
            [ONE // 2, ONE // 4, ONE // 4], [8, 18, 6], [50 * 10**8, 500 * ONE, 1_500_000 * 10**6], 2 * 10**15
        ),
        0.3,
    ),
    "small trades (ln_36 path)": (
        _pool([6 * ONE // 10, 4 * ONE // 10], [18, 18], [10**6 * ONE, 10**6 * ONE], 10**15),
        0.05,
    ),
    "stable USDC/USDT/DAI A=200": (_stable(200, [6, 6, 18], [4_000_000] * 3, 4 * 10**14), 0.3),
    "stable 2 tokens A=50 skewed": (_stable(50, [18, 6], [3_000_000, 1_000_000], 10**14), 0.3),
    "stable 4 tokens A=2000": (
        _stable(2000, [6, 8, 18, 18], [10**6, 2 * 10**6, 10**6, 5 * 10**5], 10**14),
        0.3,
    ),
}


def _in_limit(state: BalancerPoolState, i: int) -> int:
    """Weighted: the 30% in-ratio limit; stable pools have none: 30% of the balance."""
    if isinstance(state, WeightedPoolState):
        return base_pool.max_amount_in(state.balances[i], state.scaling_factors[i], state.swap_fee)
    return state.balances[i] * 3 // 10


def _out_cap(state: BalancerPoolState, o: int) -> int:
    if isinstance(state, WeightedPoolState):
        return base_pool.max_amount_out(state.balances[o], state.scaling_factors[o])
    return state.balances[o] // 2


def bench(
    state: BalancerPoolState, max_fraction: float, n: int, rng: random.Random
) -> tuple[float, float, float]:
    """(median µs per quote over 5 rounds, µs per given-out quote, median µs per quoter quote)."""
    k = len(state.tokens)
    trades = []
    for _ in range(n):
        i, o = rng.sample(range(k), 2)
        limit = _in_limit(state, i)
        trades.append(
            (state.tokens[i], rng.randint(1, max(1, int(limit * max_fraction / 0.3))), state.tokens[o])
        )
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for t_in, amount, t_out in trades:
            state.quote(t_in, amount, t_out)
        rounds.append((time.perf_counter() - start) / n * 1e6)
    hops = {(t_in, t_out): exact_hop(state, t_in, t_out) for t_in, _, t_out in trades}
    by_hop = [(hops[t_in, t_out], amount) for t_in, amount, t_out in trades]
    assert all(
        hop(amount) == state.quote(t_in, amount, t_out)
        for (t_in, amount, t_out), (hop, _) in zip(trades[:200], by_hop, strict=False)
    )
    hop_rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for hop, amount in by_hop:
            hop(amount)
        hop_rounds.append((time.perf_counter() - start) / n * 1e6)
    outs = []
    for t_in, amount, t_out in trades[: n // 5]:
        o = state.index(t_out)
        cap = _out_cap(state, o)
        outs.append((t_in, t_out, max(1, min(state.quote(t_in, amount, t_out) // 2, cap))))
    start = time.perf_counter()
    for t_in, t_out, amount_out in outs:
        state.quote_in(t_in, t_out, amount_out)
    given_out = (time.perf_counter() - start) / max(len(outs), 1) * 1e6
    return statistics.median(rounds), given_out, statistics.median(hop_rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="quotes per case")
    args = parser.parse_args()
    rng = random.Random(7)
    print(f"{'case':<28} {'µs/quote (given in)':>20} {'µs/quote (given out)':>22} {'µs/quoter quote':>16}")
    for name, (state, fraction) in CASES.items():
        given_in, given_out, quoter = bench(state, fraction, args.n, rng)
        print(f"{name:<28} {given_in:>20.2f} {given_out:>22.2f} {quoter:>16.2f}")
    print(f"\n{'stable case':<28} {'µs/invariant (first quote of a state adds it)':>46}")
    for name, (state, _) in CASES.items():
        if isinstance(state, ComposableStablePoolState):
            upscaled = [
                base_pool.upscale_fp(b, f) for b, f in zip(state.balances, state.scaling_factors, strict=True)
            ]
            start = time.perf_counter()
            for _ in range(args.n // 10):
                calculate_invariant(state.amp, upscaled)
            print(f"{name:<28} {(time.perf_counter() - start) / (args.n // 10) * 1e6:>46.2f}")


if __name__ == "__main__":
    main()
