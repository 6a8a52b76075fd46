"""Curve StableSwap quote benchmark: µs per off-chain quote (pure integer math, no chain).

    .venv/bin/python benchmarks/bench_curve.py           # a few seconds
    .venv/bin/python benchmarks/bench_curve.py --quick   # fewer repetitions

Cases: the devnet's two pools (USDC/USDT/DAI 3pool at A=200, balanced; USDC/USDT at A=100, seeded 30 bps
off peg) and a 3pool pushed 90/5/5 off balance, each quoted for small, medium and large trades
(0.001%, 1% and 50% of the input balance). Per case: µs per a quote through the state's per-direction
quoter (`CurvePoolState.quoter`, what sizing calls: xp, D and the solve's constants found once), µs per
`CurvePoolState.quote` on a state already quoted once (it keeps its xp and D), µs per a cold
quote (`math.get_dy`: xp + get_D + get_y + fee), and µs per the same quote by curvesim's reference pool
(gmpy2) for scale. Every quote is compared once with curvesim; a difference prints MISMATCH and the
exit status is 1.

Timing: `time.perf_counter_ns` around a loop whose repetitions are calibrated to a target duration; a
case's figure is the median of several runs (gc off, as timeit does). Prints figures only.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable

from mevcli.dex.curve.math import get_dy, rate_multiplier
from mevcli.dex.curve.state import CurvePoolState

COINS = ("0x" + "11" * 20, "0x" + "22" * 20, "0x" + "33" * 20)


def _pool(
    name: str, decimals: tuple[int, ...], whole: tuple[int, ...], amp: int, admin_fee: int
) -> CurvePoolState:
    n = len(decimals)
    return CurvePoolState(
        address=name,
        coins=COINS[:n],
        balances=tuple(w * 10**d for w, d in zip(whole, decimals, strict=True)),
        rates=tuple(rate_multiplier(d) for d in decimals),
        A=amp,
        fee=4_000_000,
        admin_fee=admin_fee,
    )


POOLS = (
    _pool("3pool balanced", (6, 6, 18), (10_000_000,) * 3, 200, 5_000_000_000),
    _pool("2pool 30 bps off", (6, 6), (4_581_924, 3_418_076), 100, 0),
    _pool("3pool 90/5/5", (6, 6, 18), (27_000_000, 1_500_000, 1_500_000), 200, 5_000_000_000),
)
SIZES = (("0.001%", 100_000), ("1%", 100), ("50%", 2))  # fraction of the input balance: balance // k


def _per_call_us(fn: Callable[[], object], target_s: float, runs: int) -> float:
    reps = 1
    while True:  # calibrate: enough repetitions for one run to last target_s
        start = time.perf_counter_ns()
        for _ in range(reps):
            fn()
        elapsed = time.perf_counter_ns() - start
        if elapsed >= target_s * 1e9 or reps >= 1 << 22:
            break
        reps *= 2
    samples = []
    gc_was_enabled = gc.isenabled()
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


def _curvesim(state: CurvePoolState) -> Callable[[int, int, int], int] | None:
    try:
        from curvesim.pool.stableswap.pool import CurvePool
    except ImportError:
        return None

    def dy(i: int, j: int, dx: int) -> int:
        pool = CurvePool(A=state.A, D=1, n=len(state.coins), rates=list(state.rates), fee=state.fee)
        pool.balances, pool.admin_fee = list(state.balances), state.admin_fee
        return int(pool.exchange(i, j, dx)[0])

    return dy


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter runs")
    args = parser.parse_args(argv)
    target_s, runs = (0.05, 3) if args.quick else (0.2, 7)

    ok = True
    quoter_all: list[float] = []
    warm_all: list[float] = []
    cold_all: list[float] = []
    print(
        f"{'pool':<18} {'trade':>7} {'coins':>5} {'quoter µs':>10} {'quote µs':>9} {'cold µs':>8} "
        f"{'curvesim µs':>12}"
    )
    for state in POOLS:
        reference = _curvesim(state)
        n = len(state.coins)
        for label, divisor in SIZES:
            for i, j in ((0, n - 1), (n - 1, 0)):
                dx = state.balances[i] // divisor
                t_in, t_out = state.coins[i], state.coins[j]
                ours = state.quote(t_in, dx, t_out)
                expected = reference(i, j, dx) if reference is not None else ours
                if expected != ours:
                    print(f"MISMATCH {state.address} {i}->{j} dx={dx}: ours {ours}, curvesim {expected}")
                    ok = False
                quoter = state.quoter(t_in, t_out)
                assert quoter is not None and quoter(dx) == ours
                per_quoter = _per_call_us(lambda q=quoter, d=dx: q(d), target_s, runs)
                us = _per_call_us(lambda s=state, a=t_in, d=dx, b=t_out: s.quote(a, d, b), target_s, runs)
                cold = _per_call_us(
                    lambda s=state, a=i, b=j, d=dx: get_dy(a, b, d, s.balances, s.rates, s.A, s.fee),
                    target_s,
                    runs,
                )
                quoter_all.append(per_quoter)
                warm_all.append(us)
                cold_all.append(cold)
                ref_us = (
                    f"{_per_call_us(lambda r=reference, a=i, b=j, d=dx: r(a, b, d), target_s, runs):12.1f}"
                    if reference is not None
                    else f"{'n/a':>12}"
                )
                print(
                    f"{state.address:<18} {label:>7} {f'{i}->{j}':>5} {per_quoter:10.1f} {us:9.1f} "
                    f"{cold:8.1f} {ref_us}"
                )
    for label, figures in (
        ("quoter (sizing's)", quoter_all),
        ("quote, xp/D kept", warm_all),
        ("cold get_dy", cold_all),
    ):
        print(
            f"Curve {label} (pure math): median {statistics.median(figures):.1f} µs, "
            f"min {min(figures):.1f}, max {max(figures):.1f} over {len(figures)} cases"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
