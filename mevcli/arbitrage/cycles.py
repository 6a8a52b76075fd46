"""Enumerate cross-DEX cycles: closed paths of 2..max_hops swaps that start and end in a base token.

A cycle never uses a pool twice. Rotations of the same loop are the same trades, so a loop is kept once,
starting at the highest-priority base token it passes through (the order the operator gave).
Enumeration prunes with backward hop distances: a branch that cannot get back to the start token within
the hops left is never walked, which keeps large markets fast.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


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
    """Directed multigraph: one edge per (pool, token in, token out)."""

    def __init__(self, pools: Iterable[tuple[str, Sequence[str]]]) -> None:
        self.out_edges: dict[str, list[Edge]] = defaultdict(list)
        self.in_edges: dict[str, list[Edge]] = defaultdict(list)
        for pool, tokens in pools:
            for token_in in tokens:
                for token_out in tokens:
                    if token_in != token_out:
                        edge = Edge(pool, token_in, token_out)
                        self.out_edges[token_in].append(edge)
                        self.in_edges[token_out].append(edge)

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
        walker = _Walker(graph, start, graph.hops_to(start, max_hops), max_hops, priority, cycles)
        walker.walk(start)
    return cycles


@dataclass(slots=True)
class _Walker:
    """Depth-first search state for the cycles through one start token."""

    graph: TokenGraph
    start: str
    distance: dict[str, int]
    max_hops: int
    priority: dict[str, int]
    cycles: list[Cycle]
    path: list[Edge] = field(default_factory=list)
    used_pools: set[str] = field(default_factory=set)

    def walk(self, token: str) -> None:
        hops = len(self.path) + 1
        for edge in self.graph.out_edges.get(token, ()):
            if edge.pool in self.used_pools:
                continue
            if edge.token_out == self.start:
                if hops >= 2 and _is_canonical(self.path, self.start, self.priority):
                    self.cycles.append(Cycle((*self.path, edge)))
                continue
            # Intermediate tokens: reachable back to the start within the hops left, never repeated
            # (a repeated token would be two cycles glued together).
            if self.distance.get(edge.token_out, self.max_hops + 1) > self.max_hops - hops:
                continue
            if any(e.token_in == edge.token_out for e in self.path):
                continue
            self.path.append(edge)
            self.used_pools.add(edge.pool)
            self.walk(edge.token_out)
            self.used_pools.discard(edge.pool)
            self.path.pop()


def _is_canonical(path: list[Edge], start: str, priority: dict[str, int]) -> bool:
    """Keep a rotation only at the loop's highest-priority base token."""
    mine = priority[start]
    return all(priority.get(e.token_out, len(priority)) > mine for e in path)
