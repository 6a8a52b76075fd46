"""`CycleIndex.search` and `count` against a brute-force enumeration of every 2-4-hop cycle.

The search prunes with bounds (best paths back to the start, parallel pools best first, sorted rows cut
early); none of that may change which cycles it lists. Random small markets, seeded: two-token pools
with parallel pools per pair, some three-token pools, a few +inf and "never" weights. Weights are
multiples of 1/16 so every sum is exact whatever the order of addition, and the floors sit on that grid:
ties (sum == floor) are hit often and must be listed.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

import pytest

from mevcli.arbitrage.cycles import CycleIndex, TokenGraph, WeightedHop, enumerate_cycles

Route = tuple[tuple[str, str, str], ...]


def _market(rng: random.Random) -> tuple[list[tuple[str, list[str]]], list[WeightedHop], list[str]]:
    tokens = [f"T{i}" for i in range(rng.randint(3, 8))]
    pools: list[tuple[str, list[str]]] = []
    for i in range(rng.randint(3, 14)):
        size = 3 if rng.random() < 0.15 and len(tokens) >= 3 else 2
        pools.append((f"P{i}", rng.sample(tokens, size)))
    # Parallel pools: repeat some pairs so hops between two tokens are several.
    for i in range(rng.randint(0, 5)):
        pools.append((f"Q{i}", list(rng.choice(pools)[1][:2])))
    hops = []
    for pool, members in pools:
        multi = len(members) > 2
        for token_in in members:
            for token_out in members:
                if token_in != token_out:
                    r = rng.random()
                    if multi or r < 0.04:
                        weight = math.inf
                    elif r < 0.08:
                        weight = -1e300  # a hop that pays nothing at the margin
                    else:
                        weight = rng.randint(-12, 8) / 16
                    hops.append(WeightedHop(pool, token_in, token_out, weight, multi, None))
    bases = rng.sample(tokens, rng.randint(1, min(3, len(tokens))))
    return pools, hops, bases


def _brute_force(
    hops: Sequence[WeightedHop], bases: Sequence[str], max_hops: int
) -> list[tuple[WeightedHop, ...]]:
    """Every sequence of hops closing at a base token, as `enumerate_cycles` defines a cycle: distinct
    pools, distinct tokens, intermediate tokens below the start in priority (one rotation per loop)."""
    priority = {token: i for i, token in enumerate(bases)}
    by_in: dict[str, list[WeightedHop]] = {}
    for hop in hops:
        by_in.setdefault(hop.token_in, []).append(hop)
    found: list[tuple[WeightedHop, ...]] = []

    def extend(route: list[WeightedHop]) -> None:
        start, here = route[0].token_in, route[-1].token_out
        if here == start:
            if len(route) >= 2:
                found.append(tuple(route))
            return
        if len(route) == max_hops:
            return
        for hop in by_in.get(here, ()):
            nxt = hop.token_out
            if hop.pool in {h.pool for h in route}:
                continue
            passed = {h.token_in for h in route}
            if nxt != start and (nxt in passed or priority.get(nxt, 99) <= priority[start]):
                continue
            extend([*route, hop])

    for start in bases:
        for hop in by_in.get(start, ()):
            if priority.get(hop.token_out, 99) > priority[start]:
                extend([hop])
    return found


def _key(route: Sequence[WeightedHop]) -> Route:
    return tuple((h.pool, h.token_in, h.token_out) for h in route)


def _weight(route: Sequence[WeightedHop]) -> float:
    total = 0.0
    for hop in route:
        total += hop.weight
    return total


@pytest.mark.parametrize("max_hops", [2, 3, 4])
def test_search_lists_exactly_the_cycles_at_or_above_the_floor(max_hops: int) -> None:
    rng = random.Random(20240601 + max_hops)
    listed_total = 0
    for _ in range(250):
        pools, hops, bases = _market(rng)
        index = CycleIndex(hops)
        everything = _brute_force(hops, bases, max_hops)
        # The brute force is the same cycle space as `enumerate_cycles` (the unweighted enumerator).
        graph = TokenGraph(pools)
        listed = enumerate_cycles(graph, [b for b in bases if b in graph.out_edges], max_hops)
        assert sorted(_key(c.edges) for c in listed) == sorted(_key(c) for c in everything)
        # `count` counts the cycles of two-token pools; the rest the search lists (their hops weigh inf).
        assert index.count([b for b in bases if b in index.pairs], max_hops) == sum(
            1 for c in everything if not any(h.multi for h in c)
        )
        for floor in (-1e-9, 0.0, -0.25, 0.5, -math.inf):
            expected = sorted(_key(c) for c in everything if _weight(c) >= floor)
            found = [_key(c) for c in index.search([b for b in bases if b in index.pairs], max_hops, floor)]
            assert len(found) == len(set(found)), "a cycle listed twice"
            assert sorted(found) == expected, (bases, floor)
            listed_total += len(found)
    assert listed_total > 1000  # the markets are not trivially empty


def test_search_on_a_dense_market() -> None:
    """Few tokens, many parallel pools: deep expansions, where the pool-disjointness checks matter."""
    rng = random.Random(7)
    tokens = ["A", "B", "C", "D", "E"]
    hops = []
    for i in range(36):
        a, b = rng.sample(tokens, 2)
        for token_in, token_out in ((a, b), (b, a)):
            hops.append(WeightedHop(f"P{i}", token_in, token_out, rng.randint(-6, 6) / 16, False, None))
    index = CycleIndex(hops)
    for bases in (["A"], ["B", "A"], ["C", "D", "E"]):
        everything = _brute_force(hops, bases, 4)
        for floor in (-1e-9, 0.25, 0.75):
            expected = sorted(_key(c) for c in everything if _weight(c) >= floor)
            found = sorted(_key(c) for c in index.search(bases, 4, floor))
            assert found == expected


def test_search_hop_limits() -> None:
    hops = [WeightedHop(p, a, b, 0.125, False, None) for p in ("P", "Q") for a, b in (("A", "B"), ("B", "A"))]
    index = CycleIndex(hops)
    assert [len(list(index.search(["A"], h, 0.0))) for h in (0, 1, 2, 3, 4)] == [0, 0, 2, 2, 2]
    with pytest.raises(ValueError):
        list(index.search(["A"], 5, 0.0))
