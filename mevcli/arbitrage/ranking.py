"""A ranking of opportunities kept across blocks (`IncrementalFinder`): entries change one at a time.

The order is `find_opportunities`'s: net profit in wei of the native token, highest first, then id. The
sort keys are kept in a sorted list, so a re-sized route costs a bisection instead of a sort of the whole
ranking; a new rate to the native token (which moves every key of its base token) sorts it again.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Hashable, Mapping

from mevcli.arbitrage.finder import rank_key
from mevcli.arbitrage.opportunity import Opportunity

Rates = Mapping[str, tuple[int, int] | None]
SortKey = tuple[int, str]


class KeptRanking:
    """Opportunities by route, ranked as `find_opportunities` ranks them."""

    def __init__(self) -> None:
        self.found: dict[Hashable, Opportunity] = {}  # route -> its opportunity (at the block it was sized)
        self.keys: dict[Hashable, SortKey] = {}  # route -> its sort key under `rates`
        self.order: list[tuple[SortKey, Hashable]] = []  # sorted
        self.rates: dict[str, tuple[int, int] | None] | None = None  # the rates the keys were made with

    def put(self, route: Hashable, opportunity: Opportunity | None) -> None:
        """Set the route's opportunity (None: it has none)."""
        self.drop(route)
        if opportunity is None:
            return
        self.found[route] = opportunity
        if self.rates is not None:
            key = self.keys[route] = rank_key(opportunity, self.rates)
            insort(self.order, (key, route))

    def drop(self, route: Hashable) -> None:
        if self.found.pop(route, None) is None:
            return
        key = self.keys.pop(route, None)
        if key is not None:
            del self.order[bisect_left(self.order, (key, route))]

    def at(self, block: int, rates: Rates) -> list[Opportunity]:
        """The ranked opportunities, each at `block`, under `rates`."""
        if rates != self.rates:
            self.rates = dict(rates)
            self.keys = {r: rank_key(o, rates) for r, o in self.found.items()}
            self.order = sorted((key, route) for route, key in self.keys.items())
        found = self.found
        return [at_block(found[route], block) for _, route in self.order]


_COPIED = (
    "id",
    "chain_id",
    "block",
    "base_token",
    "tokens",
    "pools",
    "dexes",
    "hop_amounts",
    "amount_in",
    "amount_out",
    "profit",
    "flash_source",
    "flash_lender",
    "flash_fee",
    "gas_units",
    "gas_price",
    "gas_cost",
    "net_profit",
    "l1_fee",
)
if set(_COPIED) != set(Opportunity.__slots__):  # `at_block` copies every field by name
    raise ImportError("ranking.at_block is out of date with Opportunity's fields")
(
    _id,
    _chain_id,
    _block,
    _base_token,
    _tokens,
    _pools,
    _dexes,
    _hop_amounts,
    _amount_in,
    _amount_out,
    _profit,
    _flash_source,
    _flash_lender,
    _flash_fee,
    _gas_units,
    _gas_price,
    _gas_cost,
    _net_profit,
    _l1_fee,
) = (getattr(Opportunity, n).__set__ for n in _COPIED)
_new = object.__new__


def at_block(o: Opportunity, block: int) -> Opportunity:
    """`replace(o, block=block)`, its slots set directly (a third of `replace`'s cost: a ranking of
    thousands is re-dated every block)."""
    if o.block == block:
        return o
    new = _new(Opportunity)
    _id(new, o.id)
    _chain_id(new, o.chain_id)
    _block(new, block)
    _base_token(new, o.base_token)
    _tokens(new, o.tokens)
    _pools(new, o.pools)
    _dexes(new, o.dexes)
    _hop_amounts(new, o.hop_amounts)
    _amount_in(new, o.amount_in)
    _amount_out(new, o.amount_out)
    _profit(new, o.profit)
    _flash_source(new, o.flash_source)
    _flash_lender(new, o.flash_lender)
    _flash_fee(new, o.flash_fee)
    _gas_units(new, o.gas_units)
    _gas_price(new, o.gas_price)
    _gas_cost(new, o.gas_cost)
    _net_profit(new, o.net_profit)
    _l1_fee(new, o.l1_fee)
    return new
