"""The native sizing kernel (mevcli/native/kernel.c) gives what `sizing.size_route` gives in Python: the
same amount, output and per-hop amounts (`RouteOutputs.trail`) for every candidate of seeded synthetic
markets (V2 pairs, V3 pools whose swaps cross ticks) and of the devnet (V2, V3 and V4 forks beside
Curve and Balancer routes, which stay in Python), for fee-free and fee-charging lenders. And it does
size them: a kernel that handed every route back would pass the comparison and help nobody."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from scan_regression import bench_scan, synthetic_input

from mevcli.arbitrage import sizing
from mevcli.arbitrage.cycles import CycleIndex
from mevcli.arbitrage.finder import LOG_RATE_FLOOR, FinderStats, _hops, _index_rates, _Scan
from mevcli.arbitrage.flash import AAVE_V3, UNISWAP_V3
from mevcli.arbitrage.sizing import RouteOutputs, size_route
from mevcli.dex.uniswap_v2.hop import V2Hop
from mevcli.dex.uniswap_v3.steps import V3Hop

ROOT = Path(__file__).resolve().parents[2]


def test_the_kernel_is_built():
    """A checkout with the extension's build (setup.py) runs the kernel: the tests below would otherwise
    compare Python with itself."""
    assert (ROOT / "setup.py").exists()
    assert sizing.kernel is not None, "mevcli.native._kernel is not built: run scripts/setup.sh"


def _candidates(inp, hops: int, limit: int):
    """(quoters, coefficients, lenders) of the first `limit` routes the scan would size."""
    states = dict(inp.states)
    index = CycleIndex(_hops(states))
    bases = [t for t in inp.base_tokens if t in index.pairs]
    scan = _Scan(inp, states, _index_rates(index, states, inp.native_token, bases), FinderStats())
    found = []
    for route in index.search(bases, hops, LOG_RATE_FLOOR):
        passes, coefficients = scan.rate_test(route)
        if not passes or coefficients is None:
            continue
        pools = tuple(h.pool for h in route)
        _, lenders = scan._lenders(route[0].token_in, pools, tuple(inp.dex_of[p][1] for p in pools))
        if not lenders:
            continue
        sources = [s for s, _, _ in lenders]
        first = sources[0]
        # the scan's lenders are mostly fee-free: size each route for fee-charging ones too, both roundings
        # (Aave's half up, a V3 pool's flash fee rounded up) and a smaller amount available
        sources += [
            replace(first, kind=AAVE_V3, fee_num=5, fee_den=10_000),
            replace(first, kind=UNISWAP_V3, fee_num=3_000, fee_den=10**6, available=first.available // 50),
        ]
        found.append(([scan._quoter(h) for h in route], coefficients, sources))
        if len(found) == limit:
            break
    return found


def _compare(candidates, monkeypatch) -> tuple[int, int]:
    """Size every candidate for every lender both ways; (sizings compared, sizings the kernel did)."""
    kernel = sizing.kernel
    compared = native = 0
    for quoters, coefficients, sources in candidates:
        for source in sources:
            fee_of = source.fee if source.fee_num else None
            rate = (source.fee_num, source.fee_den)
            monkeypatch.setattr(sizing, "kernel", None)
            python_outputs = RouteOutputs()
            expected = size_route(quoters, coefficients, fee_of, source.available, python_outputs, rate)
            monkeypatch.setattr(sizing, "kernel", kernel)
            direct = kernel.size_route(
                quoters, *coefficients, *_fee_args(source, fee_of), *rate, source.available
            )
            native_outputs = RouteOutputs()
            got = size_route(quoters, coefficients, fee_of, source.available, native_outputs, rate)
            assert got == expected, (quoters, source)
            if got is not None and native_outputs.trail is not None:
                x, paid = native_outputs.trail
                if python_outputs.trail is not None and python_outputs.trail[0] == x:
                    assert paid == python_outputs.trail[1]
                assert paid == sizing.hop_trail(quoters, x, paid[-1]) or x != got[0]
            compared += 1
            native += direct is not NotImplemented
    return compared, native


def _fee_args(source, fee_of) -> tuple[int, int, int]:
    if fee_of is None:
        return 0, 0, 1
    return (1 if source.kind == AAVE_V3 else 2), source.fee_num, source.fee_den


@pytest.mark.parametrize(
    ("pools", "seed", "hops", "least"),
    [(10000, 1, 2, 60), (3000, 3, 3, 150), (10000, 5, 3, 500), (1000, 2, 4, 500)],
)
def test_synthetic_markets_size_the_same(pools, seed, hops, least, monkeypatch):
    candidates = _candidates(synthetic_input(pools, seed, hops), hops, 250)
    compared, native = _compare(candidates, monkeypatch)
    print(f"{compared} sizings compared, {native} by the kernel")
    assert compared >= least
    assert native >= compared * 0.8, f"the kernel sized only {native} of {compared}"


def test_devnet_routes_size_the_same(chain, monkeypatch):
    inp = bench_scan.devnet_input(chain.w3, chain.manifest, 3)
    candidates = _candidates(inp, 3, 400)
    kinds = {type(q) for quoters, _, _ in candidates for q in quoters}
    assert {V2Hop, V3Hop} <= kinds
    compared, native = _compare(candidates, monkeypatch)
    print(f"{compared} sizings compared, {native} by the kernel")
    assert compared >= 30 and native >= 10


def test_a_route_with_other_pools_is_left_to_python():
    """A hop the kernel does not carry (here a plain callable) hands the whole route back."""
    quoters = [lambda amount: amount * 2, lambda amount: amount // 3]
    assert sizing.kernel.size_route(quoters, 2, 1, 1, 0, 0, 1, 0, 1, 10**18) is NotImplemented
