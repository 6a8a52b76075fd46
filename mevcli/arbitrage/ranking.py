"""A ranking of opportunities kept across blocks (`IncrementalFinder`): entries change one at a time.

The order is `find_opportunities`'s: net profit in wei of the native token, highest first, then id. The
sort keys are kept in a sorted list, so a re-sized route costs a bisection instead of a sort of the whole
ranking; a new rate to the native token (which moves every key of its base token) sorts it again.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Hashable, Mapping
from dataclasses import fields
from operator import attrgetter, itemgetter

from mevcli.arbitrage.finder import _new_opportunity, rank_key
from mevcli.arbitrage.opportunity import Opportunity

Rates = Mapping[str, tuple[int, int] | None]
SortKey = tuple[int, str]


class KeptRanking:
    """Opportunities by route, ranked as `find_opportunities` ranks them."""

    def __init__(self) -> None:
        self.found: dict[Hashable, Opportunity] = {}  # route -> its opportunity (at the block it was sized)
        self.keys: dict[Hashable, SortKey] = {}  # route -> its sort key under `rates`
        # sorted (key, route, its opportunity): (key, route) is unique, so the opportunity is never compared;
        # the ranked list is read off it without hashing a route per entry
        self.order: list[tuple[SortKey, Hashable, Opportunity]] = []
        self.rates: dict[str, tuple[int, int] | None] | None = None  # the rates the keys were made with

    def put(self, route: Hashable, opportunity: Opportunity | None) -> None:
        """Set the route's opportunity (None: it has none)."""
        self.drop(route)
        if opportunity is None:
            return
        self.found[route] = opportunity
        if self.rates is not None:
            key = self.keys[route] = rank_key(opportunity, self.rates)
            insort(self.order, (key, route, opportunity))

    def drop(self, route: Hashable) -> None:
        if self.found.pop(route, None) is None:
            return
        key = self.keys.pop(route, None)
        if key is not None:
            del self.order[bisect_left(self.order, (key, route))]  # (key, route) sorts before its entry

    def ranked(self, rates: Rates) -> list[Opportunity]:
        """The ranked opportunities under `rates`, each at the block it was found at (`at_block`)."""
        if rates != self.rates:
            self.rates = dict(rates)
            self.keys = {r: rank_key(o, rates) for r, o in self.found.items()}
            found = self.found
            self.order = sorted((key, route, found[route]) for route, key in self.keys.items())
        return list(map(_opportunity, self.order))


_opportunity = itemgetter(2)
_FIELDS = tuple(f.name for f in fields(Opportunity))  # `_new_opportunity`'s arguments, in order
_values = attrgetter(*_FIELDS)
_BLOCK = _FIELDS.index("block")


def at_block(o: Opportunity, block: int) -> Opportunity:
    """`replace(o, block=block)`, built as the finder builds opportunities (its slots set directly:
    a third of `replace`'s cost)."""
    if o.block == block:
        return o
    values = _values(o)
    return _new_opportunity(*values[:_BLOCK], block, *values[_BLOCK + 1 :])
