"""The native sizing kernel's glue: a quoter it has used still copies and pickles (its `_native` cache
goes as None and is made again); the hops stay alive while Python code the kernel runs (`V3Hop._extend`)
changes the list they came in; the built extension is not older than its sources (the differential
tests would otherwise compare Python with the previous kernel)."""

from __future__ import annotations

import copy
import pickle
import random
from math import isqrt
from pathlib import Path

import pytest

from mevcli.arbitrage import sizing
from mevcli.arbitrage.sizing import (
    PRECISION_BITS,
    REFINED_SPREAD,
    RouteOutputs,
    compose_hops,
    exact_hop,
    mobius_hop,
    refine_guess,
    size_route,
)
from mevcli.dex.uniswap_v2.hop import V2Hop
from mevcli.dex.uniswap_v2.state import V2PairState
from mevcli.dex.uniswap_v3.state import V3PoolState
from mevcli.dex.uniswap_v3.steps import V3Hop

ROOT = Path(__file__).resolve().parents[2]
PIPS = 1_000_000
POOL, PAIR = "0x" + "3" * 40, "0x" + "4" * 40

pytestmark = pytest.mark.skipif(sizing.kernel is None, reason="the native kernel is not built")


def _cycle() -> list[V2Hop]:
    """Two V2 pairs 3% apart: a profitable cycle."""
    gamma = PIPS - 3_000
    return [V2Hop(10**21 * PIPS, 2 * 10**21, gamma), V2Hop(2 * 10**21 * PIPS, 103 * 10**19, gamma)]


def _size(hops: list[V2Hop]):
    coefficients = compose_hops([hop.local(1)[:3] for hop in hops])
    return sizing.kernel.size_route(hops, *coefficients, 0, 0, 1, 0, 1, 10**22)


@pytest.mark.parametrize("copy_of", [copy.deepcopy, lambda hop: pickle.loads(pickle.dumps(hop))])
def test_a_quoter_the_kernel_used_still_copies(copy_of):
    hops = _cycle()
    sized = _size(hops)
    assert sized not in (None, NotImplemented)
    copies = [copy_of(hop) for hop in hops]
    assert all(c._native is None for c in copies)
    assert _size(copies) == sized
    assert all(c._native is not None for c in copies)


def test_the_built_kernel_is_not_older_than_its_sources():
    built = Path(sizing.kernel.__file__).stat().st_mtime
    sources = [ROOT / "setup.py", *sorted((ROOT / "mevcli" / "native").glob("*.[ch]"))]
    newer = [path.name for path in sources if path.stat().st_mtime > built]
    assert not newer, (
        f"{newer} changed after the kernel was built: .venv/bin/python setup.py build_ext --inplace"
    )


def _v3_then_v2(
    liquidity: int, widths: tuple[int, ...], percent: int
) -> tuple[list[tuple], tuple[int, int, int]]:
    """((state, token in, token out) per hop, (K, M, N)): token0 to token1 through a V3 pool at price 1
    with `liquidity` in each of the ranges ±width ticks, back through a V2 pair that holds `percent` % as
    much token1 as token0."""
    token0, token1 = "0x" + "1" * 40, "0x" + "2" * 40
    empty_at_one = {"sqrt_price_x96": 2**96, "tick": 0, "liquidity": 0, "ticks": {}, "bitmap": {}}
    pool = V3PoolState(address=POOL, token0=token0, token1=token1, fee=3_000, tick_spacing=60, **empty_at_one)
    for width in widths:
        pool = pool.with_liquidity_change(-width, width, liquidity, 0)
    reserve = liquidity * 100
    pair = V2PairState(
        address=PAIR,
        token0=token0,
        token1=token1,
        reserve0=reserve,
        reserve1=reserve * percent // 100,
    )
    route = [(pool, token0, token1), (pair, token1, token0)]
    return route, compose_hops([mobius_hop(state, token_in) for state, token_in, _ in route])


def test_the_hops_outlive_a_change_to_their_list(monkeypatch):
    """The kernel holds the route's hops while it calls back into Python: here `_extend` empties the list
    they came in (its only holder), which freed a V3 hop and its kernel state mid-walk (a crash)."""
    route, coefficients = _v3_then_v2(10**20, (60, 600, 6_000), 97)
    kernel = sizing.kernel
    monkeypatch.setattr(sizing, "kernel", None)
    expected = size_route([exact_hop(*hop) for hop in route], coefficients, None, 10**24, RouteOutputs())
    assert expected is not None
    hops = [exact_hop(*hop) for hop in route]
    assert type(hops[0]) is V3Hop and not hops[0]._steps
    extend = V3Hop._extend

    def emptying_extend(self: V3Hop) -> None:
        hops.clear()
        hops.extend(object() for _ in range(1_000))  # the freed memory is used again
        hops.clear()
        extend(self)

    monkeypatch.setattr(V3Hop, "_extend", emptying_extend)
    sized = kernel.size_route(hops, *coefficients, 0, 0, 1, 0, 1, 10**24)
    assert sized[:2] == expected


def test_a_lender_just_past_the_refined_start_sizes_the_same(monkeypatch):
    """`_maximize_near`'s bracket clipped at `upper`, a lender that lends a little more than the refined
    start: its middle is not the start and its upper end may win (lenders drawn at random almost never
    land there). The kernel sizes every such route as Python does."""
    rng = random.Random(5)
    kernel = sizing.kernel
    clipped = won = 0
    for _ in range(40):
        widths = tuple(rng.choice((60, 120, 600, 6_000)) for _ in range(rng.randint(1, 3)))
        route, (k, m, n) = _v3_then_v2(rng.randint(10**12, 10**24), widths, rng.randint(90, 99))
        product = k * m
        start = (k, m, n, product, isqrt(product))
        hops = [exact_hop(*hop) for hop in route]
        refined = refine_guess(hops, (start[4] - m) // n, (0, 1), 2**256, {}, start)
        if refined is None:
            continue
        x, plateau = refined
        step = max(x >> REFINED_SPREAD, 2 * plateau, 1)
        for upper in (x + 1, x + step // 2, x + step - 1):
            monkeypatch.setattr(sizing, "kernel", None)
            expected = size_route([exact_hop(*hop) for hop in route], (k, m, n), None, upper, RouteOutputs())
            monkeypatch.setattr(sizing, "kernel", kernel)
            sized = kernel.size_route([exact_hop(*hop) for hop in route], k, m, n, 0, 0, 1, 0, 1, upper)
            assert sized is not NotImplemented
            assert (sized and sized[:2]) == expected
            won += bool(sized) and sized[0] == upper
            width = upper - max(x - step, 1)
            narrow = width <= max(3, 4 * plateau) or width <= upper >> PRECISION_BITS
            clipped += width > 64 and narrow  # `_maximize_near` decides inline
    assert clipped >= 30 and won >= 10, (clipped, won)
