"""Enumerate cross-DEX cycles: closed paths of 2..max_hops swaps that start and end in a base token.

A cycle never uses a pool twice and never passes a token twice (a repeated token would be two cycles
glued together). Rotations of the same loop are the same trades, so a loop is kept once, starting at the
highest-priority base token it passes through (the order the operator gave): every token it passes
between start and end ranks below the start.

Two ways through the same space:
- `enumerate_cycles` lists every cycle (small markets, tests). It walks tokens first and multiplies out
  the parallel pools of each token pair only for complete loops, pruned by backward hop distances.
- `CycleIndex` is what the scanner uses on large markets, where the cycles number in the millions:
  `count` counts them without listing them (a dynamic programme over token pairs), and `search` lists
  only those whose weight (the log marginal rate, summed over hops) can reach a floor. It is a
  branch-and-bound: per start token, the best weight from every token back to the start within h hops is
  known, so a token path that cannot reach the floor is never extended, and the parallel pools of each
  hop are tried best first and cut as soon as the rest cannot make it.

The search is output-sensitive: the next tokens out of a token are kept sorted by their bound (best hop
+ best way back), so a walk stops at the first one that cannot reach the floor rather than scanning the
token's whole row for every prefix that reaches it. On the benchmark markets the token level then costs
next to nothing (10k pools, 4 hops: ~15k row entries looked at for ~8k token loops) and the time goes
into listing the pool choices of each loop, one per cycle listed. A meet-in-the-middle join of 2-hop
halves was considered and not built: it bounds the same token pairs (per-pair best weights are already
the bound) and cannot list the cycles any faster than one by one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise, product, repeat
from operator import attrgetter, itemgetter, mul

INF = float("inf")


@dataclass(frozen=True, slots=True)
class Edge:
    pool: str
    token_in: str
    token_out: str


@dataclass(frozen=True, slots=True)
class Cycle:
    edges: tuple[Edge, ...]

    @property
    def start(self) -> str:
        return self.edges[0].token_in

    @property
    def tokens(self) -> tuple[str, ...]:
        return (*(e.token_in for e in self.edges), self.edges[-1].token_out)

    @property
    def pools(self) -> tuple[str, ...]:
        return tuple(e.pool for e in self.edges)


class TokenGraph:
    """Directed multigraph: one edge per (pool, token in, token out), also indexed by token pair."""

    def __init__(self, pools: Iterable[tuple[str, Sequence[str]]]) -> None:
        self.out_edges: dict[str, list[Edge]] = defaultdict(list)
        self.in_edges: dict[str, list[Edge]] = defaultdict(list)
        # token in -> token out -> the edges between them, in pool order
        self.pairs: dict[str, dict[str, list[Edge]]] = defaultdict(dict)
        for pool, tokens in pools:
            for token_in in tokens:
                for token_out in tokens:
                    if token_in != token_out:
                        edge = Edge(pool, token_in, token_out)
                        self.out_edges[token_in].append(edge)
                        self.in_edges[token_out].append(edge)
                        self.pairs[token_in].setdefault(token_out, []).append(edge)

    def hops_to(self, target: str, limit: int) -> dict[str, int]:
        """Fewest hops from each token to `target` (only tokens within `limit` hops)."""
        distance = {target: 0}
        frontier = [target]
        for hops in range(1, limit + 1):
            nxt = []
            for token in frontier:
                for edge in self.in_edges.get(token, ()):
                    if edge.token_in not in distance:
                        distance[edge.token_in] = hops
                        nxt.append(edge.token_in)
            frontier = nxt
        return distance


def enumerate_cycles(graph: TokenGraph, base_tokens: Sequence[str], max_hops: int = 3) -> list[Cycle]:
    """Every cycle of 2..max_hops hops from each base token, one per rotation class."""
    priority = {token: i for i, token in enumerate(base_tokens)}
    cycles: list[Cycle] = []
    for start in base_tokens:
        _TokenWalk(graph, start, graph.hops_to(start, max_hops), max_hops, priority, cycles).walk([start])
    return cycles


@dataclass(slots=True)
class _TokenWalk:
    """Depth-first search over tokens for the loops through one start token."""

    graph: TokenGraph
    start: str
    distance: dict[str, int]
    max_hops: int
    priority: dict[str, int]
    cycles: list[Cycle]

    def walk(self, path: list[str]) -> None:
        hops = len(path)  # after the next hop
        mine, lowest = self.priority[self.start], len(self.priority)
        for nxt in self.graph.pairs.get(path[-1], {}):
            if nxt == self.start:
                if hops >= 2:
                    _emit(self.graph, [*path, nxt], self.cycles)
            elif (
                # Intermediate tokens: back at the start within the hops left, below the start in
                # priority (else the loop belongs to another rotation), never repeated.
                self.distance.get(nxt, self.max_hops + 1) <= self.max_hops - hops
                and self.priority.get(nxt, lowest) > mine
                and nxt not in path
            ):
                path.append(nxt)
                self.walk(path)
                path.pop()


def _emit(graph: TokenGraph, tokens: list[str], cycles: list[Cycle]) -> None:
    """Every choice of distinct pools along a loop of tokens."""
    hops = [graph.pairs[a][b] for a, b in pairwise(tokens)]
    for edges in product(*hops):
        if len({e.pool for e in edges}) == len(edges):
            cycles.append(Cycle(edges))


class WeightedHop:
    """A directed edge of a `CycleIndex`: a pool, the tokens in and out, and a weight.

    `weight` is what `search` bounds: it sums along a cycle and a cycle is listed when the sum can reach
    the floor (the scanner uses the log of the marginal rate, or of an upper bound on it for Curve and
    Balancer hops; +inf for a hop it cannot bound, so every cycle through it is listed). `data` is the
    caller's.
    """

    __slots__ = ("data", "multi", "pool", "token_in", "token_out", "weight")

    def __init__(self, pool: str, token_in: str, token_out: str, weight: float, multi: bool, data: object):
        self.pool = pool
        self.token_in = token_in
        self.token_out = token_out
        self.weight = weight
        self.multi = multi  # the pool holds more than two tokens
        self.data = data

    def __repr__(self) -> str:
        return f"WeightedHop({self.pool}, {self.token_in} -> {self.token_out}, {self.weight:.3g})"


def both_ways(
    pool: str, token0: str, token1: str, weight01: float, weight10: float
) -> tuple[WeightedHop, WeightedHop]:
    """The two hops of a two-token pool (token0 -> token1, then back), with no data: what
    `WeightedHop(...)` twice makes, its slots set here (a third cheaper than two `__init__` calls: an
    index is built of tens of thousands of these)."""
    there, back = _new_hop(WeightedHop), _new_hop(WeightedHop)
    there.pool = back.pool = pool
    there.token_in = back.token_out = token0
    there.token_out = back.token_in = token1
    there.weight = weight01
    back.weight = weight10
    there.multi = back.multi = False
    there.data = back.data = None
    return there, back


_new_hop = object.__new__


class CycleIndex:
    """Cycles over weighted hops, counted without listing them and searched with a weight bound."""

    def __init__(self, hops: Iterable[WeightedHop]) -> None:
        # token in -> token out -> hops, best weight first
        self.pairs: dict[str, dict[str, list[WeightedHop]]] = {}
        pairs = self.pairs
        by_in = pairs.get
        has_multi = False
        for hop in hops:
            token_in, token_out = hop.token_in, hop.token_out
            by_out = by_in(token_in)
            if by_out is None:
                by_out = pairs[token_in] = {}
            pair_hops = by_out.get(token_out)
            if pair_hops is None:
                by_out[token_out] = [hop]
            else:
                pair_hops.append(hop)
            if hop.multi:
                has_multi = True
        self.has_multi = has_multi
        # token in -> [(token out, best weight, hops)] and the two-token pool count of each pair
        self.out: dict[str, list[tuple[str, float, list[WeightedHop]]]] = {}
        self.simple: dict[str, dict[str, int]] = {}
        for token_in, by_out in pairs.items():
            for pair_hops in by_out.values():
                if len(pair_hops) > 1:
                    pair_hops.sort(key=_by_weight, reverse=True)
            self.out[token_in] = [(token_out, hops[0].weight, hops) for token_out, hops in by_out.items()]
            self.simple[token_in] = _simple_counts(by_out) if has_multi else _counts(by_out)

    def tokens(self) -> set[str]:
        return set(self.pairs)

    def count(self, base_tokens: Sequence[str], max_hops: int) -> int:
        """How many cycles `enumerate_cycles` would list, counting only two-token pools.

        Between distinct tokens two-token pools can only repeat in a two-hop loop (there the count per
        pair is n·(n−1)); cycles through a pool of more tokens are left out (the scanner counts those the
        search lists).
        """
        priority = {token: i for i, token in enumerate(base_tokens)}
        lowest = len(priority)
        n = self.simple
        total = 0
        for start in base_tokens:
            mine = priority[start]
            allowed = {t for t in n if t != start and priority.get(t, lowest) > mine}
            from_start = {t: c for t, c in n.get(start, {}).items() if t in allowed}
            # back1[t]: pools from t straight back to the start
            back1 = {t: n[t][start] for t in allowed if start in n[t]}
            total += sum(c * c - c for t, c in from_start.items() if t in back1)
            if max_hops >= 3:
                total += sum(c * _dot(n[t], back1) for t, c in from_start.items())
            if max_hops >= 4:
                # back2[t]: two-hop paths t -> z -> start through an allowed z (z != t by construction)
                back2 = {t: _dot(n[t], back1) for t in allowed}
                for x, cx in from_start.items():
                    row = n[x]
                    paths = 0
                    for y, cxy in row.items():
                        if y in allowed:
                            # x -> y -> z -> start, minus the walks that come back through z == x
                            paths += cxy * (back2[y] - n[y].get(x, 0) * back1.get(x, 0))
                    total += cx * paths
        return total

    def search(
        self, base_tokens: Sequence[str], max_hops: int, floor: float
    ) -> Iterator[tuple[WeightedHop, ...]]:
        """Every cycle (as in `enumerate_cycles`) of up to 4 hops whose summed weight is at least `floor`."""
        if max_hops > 4:
            raise ValueError(f"cycles of up to 4 hops are searched (got {max_hops})")
        if max_hops < 2:
            return
        priority = {token: i for i, token in enumerate(base_tokens)}
        lowest = len(priority)
        for start in base_tokens:
            mine = priority[start]
            allowed = {t for t in self.out if t != start and priority.get(t, lowest) > mine}
            # best[h][t]: best weight of a path t -> start of 1..h hops through allowed tokens
            best = [{}, {t: w for t, w in self._back(start).items() if t in allowed}]
            for _ in range(2, max_hops):
                best.append(self._relax(best[-1], start, allowed))
            yield from self._walk(start, max_hops, floor, allowed, best)

    def _back(self, start: str) -> dict[str, float]:
        return {token: by_out[start][0].weight for token, by_out in self.pairs.items() if start in by_out}

    def _relax(self, prev: dict[str, float], start: str, allowed: set[str]) -> dict[str, float]:
        nxt = {}
        tail_of = prev.get  # allowed tokens only: never the start
        out = self.out
        for token in allowed:
            value = -INF
            for token_out, weight, _ in out.get(token, ()):
                tail = tail_of(token_out)
                if tail is not None:
                    if weight + tail > value:
                        value = weight + tail
                elif token_out == start and weight > value:
                    value = weight
            if value > -INF:
                nxt[token] = value
        return nxt

    def _walk(
        self, start: str, max_hops: int, floor: float, allowed: set[str], best: list[dict[str, float]]
    ) -> Iterator[tuple[WeightedHop, ...]]:
        """The branch-and-bound from one start token, output-sensitive.

        A row per (token, hops left) lists the next tokens that can still get back to the start, sorted by
        their bound (hop weight + best tail), built once per start token on first use: a walk stops at
        the first entry that cannot reach the floor instead of scanning every pair out of the token for
        every prefix that reaches it, and the hop back to the start is looked up, not searched for. So
        the work per start is about the token prefixes that can still reach the floor, not the
        market's degree at each of them. The tests per entry are the original ones, in the same float
        arithmetic; the early stop leaves `_SLACK` of room for the sum's other association.
        """
        out = self.out
        back = {t: by_out[start] for t, by_out in self.pairs.items() if start in by_out and t in allowed}
        cut = floor - _SLACK
        rows: list[dict[str, list[_Entry]]] = [{} for _ in range(max_hops)]

        def row(token: str, hops_left: int) -> list[_Entry]:
            by_token = rows[hops_left]
            entries = by_token.get(token)
            if entries is None:
                tails = best[hops_left]  # allowed tokens only: the start and barred tokens are absent
                entries = []
                for nxt, w, hops in out.get(token, ()):
                    tail = tails.get(nxt)
                    if tail is not None:
                        entries.append((w + tail, nxt, w, hops, tail))
                entries.sort(key=_bound, reverse=True)
                by_token[token] = entries
            return entries

        # Hops 1, 2 and 3 as loops (no recursion: each cycle passes through one generator, not one per
        # hop). The next token's own hop back to the start closes the loop when its tail allows.
        for bound1, x, w1, hops1, tail1 in row(start, max_hops - 1):
            if bound1 < cut:
                break  # sorted: no later entry can reach the floor either
            if w1 + tail1 < floor:
                continue
            closing = back.get(x)
            if closing is not None and w1 + closing[0].weight >= floor:
                yield from _expand([hops1, closing], floor)
            if max_hops == 2:
                continue
            for bound2, y, w2, hops2, tail2 in row(x, max_hops - 2):
                if w1 + bound2 < cut:
                    break
                total2 = w1 + w2
                if total2 + tail2 < floor:
                    continue
                closing = back.get(y)
                if closing is not None and total2 + closing[0].weight >= floor:
                    yield from _expand([hops1, hops2, closing], floor)
                if max_hops == 3:
                    continue
                for bound3, z, w3, hops3, tail3 in row(y, 1):
                    if total2 + bound3 < cut:
                        break
                    # tail3 is the weight of z's best hop back: the loop closes iff it passes
                    if total2 + w3 + tail3 < floor or z == x:
                        continue
                    yield from _expand([hops1, hops2, hops3, back[z]], floor)


# (bound = weight + tail, next token, weight of its best hop, its hops best first, tail): a row entry.
_Entry = tuple[float, str, float, list[WeightedHop], float]
# Room between a row's early stop and its per-entry test, which add the same three numbers in another
# order: weights are logs of rates (|w| well under 1e6, rounding below 1e-9), -1e300 or +inf.
_SLACK = 1e-6


_bound = itemgetter(0)  # a row entry's bound (its sort key)


_by_weight = attrgetter("weight")  # a WeightedHop's weight (the sort key of a pair's hops)


def _counts(by_out: dict[str, list[WeightedHop]]) -> dict[str, int]:
    """Token out -> how many hops lead there (all through two-token pools)."""
    return {token_out: len(hops) for token_out, hops in by_out.items()}


def _simple_counts(by_out: dict[str, list[WeightedHop]]) -> dict[str, int]:
    """Token out -> how many hops through two-token pools lead there (none: left out)."""
    counts = {}
    for token_out, hops in by_out.items():
        simple = sum(1 for h in hops if not h.multi)
        if simple:
            counts[token_out] = simple
    return counts


def _dot(row: dict[str, int], back: dict[str, int]) -> int:
    """Σ row[t]·back[t] over the tokens both hold (`back` holds allowed tokens only: so does the sum)."""
    if len(row) < len(back):
        return sum(map(mul, row.values(), map(back.get, row, repeat(0))))
    return sum(map(mul, back.values(), map(row.get, back, repeat(0))))


def _expand(pairs: list[list[WeightedHop]], floor: float) -> Iterator[tuple[WeightedHop, ...]]:
    """Choices of distinct pools along a loop of tokens, best first per hop, cut at the floor."""
    n = len(pairs)
    # rest[i]: the best the hops after i can add
    rest = [0.0] * (n + 1)
    for i in range(n - 1, -1, -1):
        rest[i] = rest[i + 1] + pairs[i][0].weight
    if n == 2:
        first, second = pairs
        need1, need2 = floor - rest[1], floor
        for a in first:
            if a.weight < need1:
                break
            for b in second:
                if a.weight + b.weight < need2:
                    break
                if a.pool != b.pool:
                    yield (a, b)
        return
    if n == 3:
        first, second, third = pairs
        for a in first:
            wa = a.weight
            if wa + rest[1] < floor:
                break
            for b in second:
                wb = wa + b.weight
                if wb + rest[2] < floor:
                    break
                if b.pool == a.pool:
                    continue
                for c in third:
                    if wb + c.weight < floor:
                        break
                    if c.pool != a.pool and c.pool != b.pool:
                        yield (a, b, c)
        return
    if n == 4:
        first, second, third, fourth = pairs
        for a in first:
            wa = a.weight
            if wa + rest[1] < floor:
                break
            pa = a.pool
            for b in second:
                wb = wa + b.weight
                if wb + rest[2] < floor:
                    break
                pb = b.pool
                if pb == pa:
                    continue
                for c in third:
                    wc = wb + c.weight
                    if wc + rest[3] < floor:
                        break
                    pc = c.pool
                    if pc in (pa, pb):
                        continue
                    for d in fourth:
                        if wc + d.weight < floor:
                            break
                        pd = d.pool
                        if pd != pa and pd != pb and pd != pc:
                            yield (a, b, c, d)
        return
    raise ValueError(f"token loops of 2 to 4 hops are expanded (got {n})")
