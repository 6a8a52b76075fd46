"""The finder kept across blocks (`mevcli watch`): a block re-evaluates only the cycles its pools change.

`find_opportunities` builds the cycle index, searches it and sizes every candidate from scratch. The
`IncrementalFinder` keeps what that produces between blocks: the directed hops of every pool (by token
pair, best weight first), the candidate routes (those that pass the exact rate test) with a pool →
routes map, each route's opportunity, and each route's sizing per flash lender. A block then:

1. drops the routes through the pools it changed (and those that appeared or disappeared; a pool named
   as changed whose state is as it was, but for its block, changes nothing), rebuilds those
   pools' hops and lists the cycles through them (`_routes_through`: the same rotation rule and weight
   floor as `CycleIndex.search`), keeping those that pass the rate test;
2. re-sizes only those routes, and the routes whose lenders worth sizing moved (what a lender can lend,
   the gas cost in the route's base token), looked at only for the base tokens whose lenders, rate or
   gas price moved (the lenders chosen per key are kept across blocks while those inputs stand; when
   only what some lenders lend moved, only the keys that may borrow from them are chosen again). Sizing
   is memoised per route and lender, with the route's outputs per amount, while the route's pools do not
   change, so a new gas price or base token price costs arithmetic, not a search (a route with one
   lender whose gas cost alone moved is repriced without `_Scan.size`);
3. ranks the kept opportunities as `find_opportunities` does (net profit in native wei, then L1 fees):
   a re-sized route moves its one entry of the kept order (`ranking.KeptRanking`), a new rate to the
   native token sorts it again.

The result is the full finder's on the same states, by construction: an opportunity comes only from a
route with a marginal rate above one (or a hop with no bound), which both listings contain, and each
route's evaluation is the finder's own code (`_Scan.rate_test`, `_Scan.size`) on the same inputs. A block
that changes no pool and moves no lender re-evaluates nothing; `changed=None` rebuilds everything (a
reorg, the first block).
"""

from __future__ import annotations

import gc
import time
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from operator import attrgetter
from typing import Any

from mevcli.arbitrage.cycles import CycleIndex, WeightedHop, _expand
from mevcli.arbitrage.finder import (
    LOG_RATE_FLOOR,
    FinderInput,
    FinderStats,
    LenderChoices,
    Sizer,
    _hops,
    _new_opportunity,
    _Scan,
    _with_l1_fees,
    best_rate,
    may_borrow,
    rank_key,
)
from mevcli.arbitrage.flash import UNISWAP_V3, FlashSource
from mevcli.arbitrage.opportunity import Opportunity
from mevcli.arbitrage.profit_bound import Ceiling, hop_ceiling, profit_ceiling
from mevcli.arbitrage.ranking import KeptRanking, at_block
from mevcli.arbitrage.sizing import RouteOutputs, V2Hop, V3Hop, exact_hop, size_route
from mevcli.dex.pools import PoolState
from mevcli.errors import MevcliError

RouteKey = tuple[tuple[str, str], ...]  # (pool, token in) per hop
Route = tuple[WeightedHop, ...]
Rate = tuple[int, int] | None


def route_key(route: Route) -> RouteKey:
    return tuple((h.pool, h.token_in) for h in route)


@dataclass(slots=True)
class UpdateStats:
    """What one `update` did: pools changed, routes listed through them, routes (re-)sized."""

    rebuilt: bool = False
    pools_changed: int = 0
    routes_listed: int = 0
    routes_evaluated: int = 0
    routes_checked: int = 0  # kept routes whose lenders were compared (listed, or their key's lenders moved)
    lender_choices: int = 0  # lender keys whose lenders were chosen (of routes listed, or of moved bases)
    candidates: int = 0  # routes kept (they pass the rate test)
    deferred: int = 0  # routes sized after the top was certain (`update_top`, then `finish`)
    seconds: float = 0.0
    finish_seconds: float = 0.0  # `finish`'s

    def to_json(self) -> dict[str, Any]:
        return {
            "rebuilt": self.rebuilt,
            "pools_changed": self.pools_changed,
            "routes_listed": self.routes_listed,
            "routes_evaluated": self.routes_evaluated,
            "routes_checked": self.routes_checked,
            "lender_choices": self.lender_choices,
            "candidates": self.candidates,
            "deferred": self.deferred,
            "ms": round(self.seconds * 1000, 3),
            "finish_ms": round(self.finish_seconds * 1000, 3),
        }


@dataclass(slots=True)
class _Candidate:
    route: Route
    coefficients: tuple[int, int, int] | None
    pools: tuple[str, ...]
    kinds: tuple[str, ...]
    lenders: tuple | None = None  # (gas price, `_Scan._lenders`) when it was last sized
    sized: dict[tuple, tuple[int, int] | None] = field(default_factory=dict)  # lender -> size_route's
    outputs: RouteOutputs = field(default_factory=RouteOutputs)  # its output per amount, and last trail
    sizer: Sizer | None = None  # `size_route` through `sized`
    lender_key: LenderKey | None = None  # its group's, under its base token's V3 lenders


LenderKey = tuple[tuple[str, ...], frozenset[str]]  # (kinds, the route's pools that lend its base token)


@dataclass(slots=True)
class _Group:
    """The candidate routes of one base token whose lenders are chosen alike (`_Scan._lenders`' key):
    the lenders are chosen once for all of them."""

    members: set[RouteKey] = field(default_factory=set)
    lenders: tuple | None = None  # every member's `lenders` (None: not known to be the same)


class IncrementalFinder:
    """`find_opportunities` over states that change a few pools per block (see the module docstring)."""

    def __init__(self) -> None:
        self.states: dict[str, PoolState] = {}
        self.hops: dict[str, list[WeightedHop]] = {}  # pool -> its directed hops
        self.pairs: dict[str, dict[str, list[WeightedHop]]] = {}  # token in -> token out -> hops, best first
        self.candidates: dict[RouteKey, _Candidate] = {}
        self.by_pool: dict[str, set[RouteKey]] = {}
        self.by_base: dict[str, set[RouteKey]] = {}  # base token -> the candidate routes starting there
        self.lender_inputs: dict[str, tuple] = {}  # base token -> `_moved_bases`'s inputs at the last update
        self.v3_lenders: dict[str, frozenset[str]] = {}  # base token -> the V3 pools lending it
        self.groups: dict[str, dict[LenderKey, _Group]] = {}  # base token -> its routes by lender key
        self.ranking = KeptRanking()
        self.quoters: dict[WeightedHop, object] = {}
        self.facts: dict[WeightedHop, tuple] = {}  # `_Scan.facts`, kept while the hop's pool stands
        # `_Scan.lenders`: per base token, kept while its lender inputs stand
        self.lender_memo: dict[str, LenderChoices] = {}
        self.shape: tuple | None = None  # inputs whose change forces a rebuild (bases, hops, min profit)
        self.last = UpdateStats()
        # `update_top`: the routes of the last update still to size, with what sizes and bounds them
        self.pending: dict[RouteKey, _Candidate] = {}
        self.bounded: list[tuple[int, RouteKey]] | None = None  # pending by net bound, highest last
        self.pending_scan: _Scan | None = None
        self.pending_rates: dict[str, Rate] = {}
        self.ranked: list[Opportunity] = []  # the last whole ranking returned (`finish` with nothing left)
        self.ceilings: dict[WeightedHop, Ceiling] = {}  # `profit_bound.hop_ceiling`, while the pool stands
        self.rate_memo: dict[str, tuple[list[PoolState], Rate]] = {}  # token -> (its pricing pools, rate)

    def update(self, inp: FinderInput, changed: Iterable[str] | None) -> list[Opportunity]:
        """The ranked opportunities at `inp.block`; `changed`: the pools whose state may differ from the
        last update's (pools that appear or disappear count without being named), None for all."""
        block = inp.block
        return [at_block(o, block) for o in self.update_kept(inp, changed)]

    def update_kept(self, inp: FinderInput, changed: Iterable[str] | None) -> list[Opportunity]:
        """`update`'s ranking as kept: each opportunity at the block it was last sized at, which is all
        that differs from `update`'s (`ranking.at_block` re-dates it). A caller that shows only the
        best few re-dates only those."""
        return _collecting_paused(lambda: self._update(inp, changed, defer=False))

    def update_top(self, inp: FinderInput, changed: Iterable[str] | None, top: int) -> list[Opportunity]:
        """The first `top` of `update_kept`'s ranking (all of it when shorter), sizing first the routes
        that could reach them: the routes to size are taken in the order of an upper bound on their net
        profit (`profit_bound`) until the `top`-th opportunity found nets more than the bound of every
        route left. What it returns is the whole ranking's head, entry for entry; the routes left are
        sized by `finish` (or first thing in the next update). On a rollup (L1 fees priced per
        opportunity) it sizes everything, as `update_kept`."""
        return _collecting_paused(lambda: self._top(inp, changed, top))

    def _top(self, inp: FinderInput, changed: Iterable[str] | None, top: int) -> list[Opportunity]:
        ranked = self._update(inp, changed, defer=inp.l1_fees is None)
        return ranked[:top] if self.bounded is None else self._certain(top)

    def certain(self, top: int) -> list[Opportunity]:
        """The first `top` of the ranking (all of it when shorter), sizing the routes still to size,
        highest bound first, until none of them can enter those. A caller that needs more (some of them
        turned out unusable) asks again with a larger `top`."""
        return _collecting_paused(lambda: self._certain(top))

    def _certain(self, top: int) -> list[Opportunity]:
        ranking, bounded, stats = self.ranking, self.bounded, self.last
        if bounded is None:
            return self.ranked[:top]  # every route is sized
        started = time.perf_counter()
        while True:
            # entries are ((−value, id), route, opportunity): those before ((−v,),) have value > v
            head = bisect_left(ranking.order, ((-bounded[-1][0],),)) if bounded else len(ranking.order)
            if head >= top or not bounded:
                break
            self._size_pending(bounded[-1][1])
            bounded.pop()
        stats.deferred = len(self.pending)
        stats.seconds += time.perf_counter() - started
        return [entry[2] for entry in ranking.order[: min(head, top)]]

    def finish(self) -> list[Opportunity]:
        """Size the routes `update_top` left; the whole ranking, as `update_kept` would have returned it."""
        return _collecting_paused(self._finish)

    def _finish(self) -> list[Opportunity]:
        if self.bounded is None:
            return self.ranked  # nothing was left for later
        started = time.perf_counter()
        for key in list(self.pending):
            self._size_pending(key)
        self.ranked = self.ranking.ranked(self.pending_rates)
        self.bounded = None
        self.last.finish_seconds += time.perf_counter() - started
        return self.ranked

    def _size_pending(self, key: RouteKey) -> None:
        """Size a route left for later; it stays left until it is sized (Ctrl-C mid-way: asked again)."""
        candidate = self.pending[key]
        self.ranking.put(key, self.pending_scan.size(candidate.route, candidate.coefficients))  # type: ignore[union-attr]
        del self.pending[key]

    def _update(self, inp: FinderInput, changed: Iterable[str] | None, defer: bool) -> list[Opportunity]:
        if self.pending:
            self._finish()  # against the states they were listed at, before anything is dropped
        self.bounded = None
        started = time.perf_counter()
        stats = self.last = UpdateStats()
        if inp.max_candidates is not None:
            raise ValueError("the incremental finder sizes every candidate (max_candidates is unset)")
        shape = (tuple(inp.base_tokens), inp.max_hops, inp.min_profit, inp.chain_id, inp.native_token)
        finder_stats = FinderStats()
        if changed is None or shape != self.shape:
            self._reset(inp, shape)
            stats.rebuilt = True
            stats.pools_changed = len(self.states)
            listed = self._search_all(inp)
        else:
            dirty = {p for p in changed if p in inp.states or p in self.states}
            dirty -= {p for p in dirty if _unchanged(self.states.get(p), inp.states.get(p))}
            dirty |= inp.states.keys() - self.states.keys()
            dirty |= self.states.keys() - inp.states.keys()
            stats.pools_changed = len(dirty)
            self._drop(dirty)
            self.states = dict(inp.states)
            self._add_hops(dirty)
            listed = self._routes_through(dirty, inp)
        stats.routes_listed = len(listed)

        rates = self._rates(inp)
        scan = _Scan(inp, self.states, rates, finder_stats)
        scan.quoters = self.quoters
        scan.facts = self.facts
        scan.lenders = self.lender_memo
        scan.sizing = self._sizing
        scan.make_quoter = _remembering_quoter
        for key, route in listed.items():
            passes, coefficients = scan.rate_test(route)
            if passes:
                pools = tuple(h.pool for h in route)
                kinds = tuple(inp.dex_of[p][1] for p in pools)
                self.candidates[key] = _Candidate(route, coefficients, pools, kinds)
                for hop in route:
                    self.by_pool.setdefault(hop.pool, set()).add(key)
                self.by_base.setdefault(key[0][1], set()).add(key)
        # A route's opportunity depends on its pools' states and on the lenders worth sizing for it
        # (their fee, what they lend, the gas cost in its base token): re-sized when either moved. Those
        # lenders follow from the gas price and the base token's sources and rate, and per base token
        # from the route's lender key (its kinds and the pools of it that lend): they are chosen once per
        # key, for the keys of the routes listed and of the base tokens whose lender inputs moved (when
        # only what some sources lend moved, the keys those sources are eligible for).
        touched: dict[tuple[str, LenderKey], set[RouteKey]] = {}  # (base, key) -> its listed routes
        for base, moved in self._moved_bases(inp, rates).items():
            self._regroup(base, inp)
            for lender_key in self.groups.get(base, {}):
                if moved is None or may_borrow(moved, *lender_key):
                    touched.setdefault((base, lender_key), set())
        for key in listed:
            candidate = self.candidates.get(key)
            if candidate is not None:
                touched.setdefault((key[0][1], self._join(key, candidate)), set()).add(key)
        for (base, lender_key), fresh in touched.items():
            group = self.groups[base].get(lender_key)
            if group is None or not group.members:
                continue
            example = self.candidates[next(iter(group.members))]
            lenders = (inp.gas_price, scan._lenders(base, example.pools, example.kinds))
            stats.lender_choices += 1
            for key in group.members if lenders != group.lenders else fresh:
                candidate = self.candidates[key]
                stats.routes_checked += 1
                if key in fresh or lenders != candidate.lenders:
                    repriceable = key not in fresh and self._repriceable(key, candidate, lenders)
                    candidate.lenders = lenders
                    if repriceable:
                        self.ranking.put(key, self._repriced(key, lenders, inp))
                    elif defer:
                        self.ranking.drop(key)  # sized by `certain` or `finish`
                        self.pending[key] = candidate
                    else:
                        self.ranking.put(key, scan.size(candidate.route, candidate.coefficients))
                    stats.routes_evaluated += 1
            group.lenders = lenders
        stats.candidates = len(self.candidates)
        ranked = self.ranking.ranked(rates)
        self.pending_scan, self.pending_rates = scan, rates
        if defer:
            self.bounded = self._bounded(scan, rates)
        if inp.l1_fees is not None and ranked:
            ranked = [at_block(o, inp.block) for o in ranked]  # priced as they stand at the block
            found = _with_l1_fees(
                {o.id: o for o in ranked}, inp.l1_fees(ranked), rates, inp.min_profit, finder_stats
            )
            ranked = sorted(found.values(), key=lambda o: rank_key(o, rates))
        self.ranked = ranked
        stats.seconds = time.perf_counter() - started
        return ranked

    def _repriceable(self, key: RouteKey, candidate: _Candidate, lenders: tuple) -> bool:
        """Whether only the route's one lender's gas cost moved (a new gas price or rate: the same
        source and gas units, so the same size and only the net differs) and its opportunity is kept:
        `_repriced` then stands for sizing it again."""
        before = candidate.lenders
        if before is None or key not in self.ranking.found:
            return False
        if len(before[1][1]) != 1 or len(lenders[1][1]) != 1:
            return False
        ((source, units, _),) = before[1][1]
        ((now, now_units, _),) = lenders[1][1]
        return units == now_units and (now is source or now == source)

    def _repriced(self, key: RouteKey, lenders: tuple, inp: FinderInput) -> Opportunity | None:
        """The kept opportunity of a `_repriceable` route at the new gas cost; None when it no longer
        nets more than `min_profit`."""
        kept = self.ranking.found[key]
        ((_, _, gas_cost),) = lenders[1][1]
        net = kept.profit - kept.flash_fee - gas_cost
        if net <= inp.min_profit:
            return None
        return _with_gas(kept, inp.block, inp.gas_price, gas_cost, net)

    def _bounded(self, scan: _Scan, rates: Mapping[str, Rate]) -> list[tuple[int, RouteKey]]:
        """The pending routes by an upper bound on their rank value (net profit in native wei, as
        `rank_key` counts it), lowest first; those with no bound are sized here, and those with no
        lender to size for are settled (`_Scan.size` answers them without a search)."""
        bounded = []
        ceilings = self.ceilings
        for key, candidate in list(self.pending.items()):
            base = key[0][1]
            has_sources, lenders = scan._lenders(base, candidate.pools, candidate.kinds)
            hops = candidate.route
            if has_sources and lenders:
                forms = []
                for hop in hops:
                    form = ceilings.get(hop, _UNKNOWN)
                    if form is _UNKNOWN:
                        state = self.states[hop.pool]
                        form = ceilings[hop] = hop_ceiling(state, hop.token_in, hop.token_out)
                    forms.append(form)
                profit = profit_ceiling(forms)
                if profit is not None:
                    net = profit - min(gas_cost for _, _, gas_cost in lenders)
                    rate = rates.get(base)
                    bounded.append((net * rate[1] // rate[0] if rate and rate[0] else 0, key))
                    continue
            self._size_pending(key)
        bounded.sort()
        return bounded

    def _moved_bases(
        self, inp: FinderInput, rates: Mapping[str, Rate]
    ) -> dict[str, list[FlashSource] | None]:
        """The base tokens (of kept routes) whose lender inputs differ from the last update's (the gas
        price, their flash sources, their rate to the native token), each with the sources that moved
        when nothing else did (the same lenders in the same order, some lending another amount), else
        None. Lender choices kept for them are forgotten: all, or those a moved source is eligible for."""
        moved: dict[str, list[FlashSource] | None] = {}
        for base in self.by_base:
            inputs = (inp.gas_price, list(inp.flash_sources.get(base, ())), rates.get(base))
            last = self.lender_inputs.get(base)
            if last == inputs:
                continue
            self.lender_inputs[base] = inputs
            sources = _moved_sources(last, inputs)
            moved[base] = sources
            memo = self.lender_memo.get(base)
            if sources is None or memo is None:
                self.lender_memo.pop(base, None)
                continue
            memo.forget(sources)
        return moved

    def _regroup(self, base: str, inp: FinderInput) -> None:
        """Group `base`'s routes again when the V3 pools lending it changed (their lender keys did)."""
        lending = frozenset(s.lender for s in inp.flash_sources.get(base, ()) if s.kind == UNISWAP_V3)
        if self.v3_lenders.get(base) == lending and base in self.groups:
            return
        self.v3_lenders[base] = lending
        self.groups[base] = {}
        for key in self.by_base.get(base, ()):
            self._join(key, self.candidates[key])

    def _join(self, key: RouteKey, candidate: _Candidate) -> LenderKey:
        """Put a candidate route in its base token's group for its lender key; that key."""
        base = key[0][1]
        lending = self.v3_lenders.get(base, frozenset())
        lender_key = (candidate.kinds, frozenset(p for p in candidate.pools if p in lending))
        if candidate.lender_key != lender_key:
            self._leave(key, candidate)
            candidate.lender_key = lender_key
        self.groups.setdefault(base, {}).setdefault(lender_key, _Group()).members.add(key)
        return lender_key

    def _leave(self, key: RouteKey, candidate: _Candidate) -> None:
        groups = self.groups.get(key[0][1], {})
        group = groups.get(candidate.lender_key) if candidate.lender_key is not None else None
        if group is not None:
            group.members.discard(key)
            if not group.members:
                del groups[candidate.lender_key]

    # -- the index ---------------------------------------------------------------------------------
    def _reset(self, inp: FinderInput, shape: tuple) -> None:
        self.shape = shape
        self.states = dict(inp.states)
        self.hops, self.pairs, self.candidates, self.by_pool = {}, {}, {}, {}
        self.by_base, self.lender_inputs, self.ranking = {}, {}, KeptRanking()
        self.v3_lenders, self.groups = {}, {}
        self.quoters, self.facts, self.lender_memo = {}, {}, {}
        self.ceilings, self.rate_memo = {}, {}
        self.pending, self.bounded = {}, None  # what a failed update left, if anything: listed again
        self._add_hops(self.states)

    def _search_all(self, inp: FinderInput) -> dict[RouteKey, Route]:
        """Every cycle the full finder lists, from a fresh `CycleIndex` over the kept hops."""
        index = CycleIndex(h for hops in self.hops.values() for h in hops)
        bases = [t for t in inp.base_tokens if t in index.pairs]
        return {route_key(r): r for r in index.search(bases, inp.max_hops, LOG_RATE_FLOOR)}

    def _drop(self, pools: Iterable[str]) -> None:
        """Forget the hops of `pools` and every candidate route through them."""
        for pool in pools:
            for key in self.by_pool.pop(pool, ()):
                candidate = self.candidates.pop(key, None)
                if candidate is None:
                    continue
                self.ranking.drop(key)
                self.by_base[key[0][1]].discard(key)
                self._leave(key, candidate)
                for hop in candidate.route:
                    if hop.pool != pool:
                        self.by_pool.get(hop.pool, set()).discard(key)
            for hop in self.hops.pop(pool, ()):
                self.quoters.pop(hop, None)
                self.facts.pop(hop, None)
                self.ceilings.pop(hop, None)
                pair = self.pairs[hop.token_in][hop.token_out]
                pair.remove(hop)
                if not pair:
                    del self.pairs[hop.token_in][hop.token_out]

    def _add_hops(self, pools: Iterable[str]) -> None:
        present = {p: self.states[p] for p in pools if p in self.states}
        touched: set[tuple[str, str]] = set()
        for hop in _hops(present):
            self.hops.setdefault(hop.pool, []).append(hop)
            self.pairs.setdefault(hop.token_in, {}).setdefault(hop.token_out, []).append(hop)
            touched.add((hop.token_in, hop.token_out))
        for token_in, token_out in touched:
            self.pairs[token_in][token_out].sort(key=_weight, reverse=True)

    def _routes_through(self, pools: Iterable[str], inp: FinderInput) -> dict[RouteKey, Route]:
        """The cycles through any of `pools` whose summed weight reaches the floor, each once, rotated to
        start at its highest-priority base token (`CycleIndex.search`'s rule)."""
        priority = {token: i for i, token in enumerate(inp.base_tokens)}
        pairs = self.pairs
        floor = LOG_RATE_FLOOR
        found: dict[RouteKey, Route] = {}
        for pool in pools:
            for hop in self.hops.get(pool, ()):
                u, v = hop.token_in, hop.token_out
                out_v = pairs.get(v, {})
                loops: list[list[list[WeightedHop]]] = []
                back = out_v.get(u)
                if back:
                    loops.append([[hop], back])
                if inp.max_hops >= 3:
                    for x, vx in out_v.items():
                        if x == u:
                            continue
                        out_x = pairs.get(x, {})
                        xu = out_x.get(u)
                        if xu:
                            loops.append([[hop], vx, xu])
                        if inp.max_hops >= 4:
                            for y, xy in out_x.items():
                                yu = pairs.get(y, {}).get(u) if y not in (u, v) else None
                                if yu:
                                    loops.append([[hop], vx, xy, yu])
                for loop in loops:
                    if sum(hops[0].weight for hops in loop) < floor:
                        continue
                    for route in _expand(loop, floor):
                        rotated = _canonical(route, priority)
                        if rotated is not None:
                            found.setdefault(route_key(rotated), rotated)
        return found

    # -- per-block inputs --------------------------------------------------------------------------
    def _rates(self, inp: FinderInput) -> dict[str, Rate]:
        """`finder._index_rates` off the kept pairs: each base token per wei of the native token."""
        native = inp.native_token
        rates: dict[str, Rate] = {}
        for token in inp.base_tokens:
            if native is None:
                rates[token] = None
            elif token == native:
                rates[token] = (1, 1)
            else:
                hops = self.pairs.get(native, {}).get(token, ())
                pools = [self.states[h.pool] for h in hops]
                known = self.rate_memo.get(token)
                if (
                    known is None
                    or len(known[0]) != len(pools)
                    or any(a is not b for a, b in zip(known[0], pools, strict=True))
                ):  # a pricing pool changed (states are replaced, never changed in place)
                    known = self.rate_memo[token] = (pools, best_rate(pools, native, token))
                rates[token] = known[1]
        return rates

    def _sizing(self, route: Route) -> tuple[Sizer, RouteOutputs]:
        """`size_route` remembered per lender, and the route's outputs per amount, both kept for as long
        as the route's pools do not change."""
        candidate = self.candidates.get(route_key(route))
        if candidate is None:
            return size_route, RouteOutputs()
        if candidate.sizer is None:
            candidate.sizer = self._remembering_sizer(candidate.sized)
        return candidate.sizer, candidate.outputs

    @staticmethod
    def _remembering_sizer(memo: dict[tuple, tuple[int, int] | None]) -> Sizer:
        """`size_route` whose answers per lender (and upper bound, fee rate) are kept in `memo`."""

        def size(
            quoters: list,
            coefficients: tuple[int, int, int] | None,
            fee_of: Callable[[int], int] | None,
            upper: int,
            outputs: dict[int, int] | None = None,
            fee_rate: tuple[int, int] = (0, 1),
        ) -> tuple[int, int] | None:
            key = (getattr(fee_of, "__self__", fee_of), upper, fee_rate)
            if key not in memo:
                memo[key] = size_route(quoters, coefficients, fee_of, upper, outputs, fee_rate)
            return memo[key]

        return size


_UNKNOWN = object()  # a hop whose ceiling is not computed yet (None is "no ceiling")


def _collecting_paused(work: Callable[[], list[Opportunity]]) -> list[Opportunity]:
    """`work()` with the cyclic collector paused: a ranking builds many objects and frees few."""
    paused = gc.isenabled()
    gc.disable()
    try:
        return work()
    finally:
        if paused:
            gc.enable()


REMEMBERED = 4096  # answers a quoter keeps before it starts over


class _Remembered(dict):
    """A Curve, Balancer or V4 quoter that keeps its answers (errors too): a hop's pool state does not change
    while the hop lives, and these quotes are what a re-evaluation for a new gas price asks again.

    Calling it is subscripting the dict of its answers: a remembered amount costs no Python frame; one it
    has not seen reaches `__missing__`, which quotes it (or raises the error it raised before)."""

    __slots__ = ("errors", "quote")
    __call__ = dict.__getitem__

    def __init__(self, quote: Callable[[int], int]) -> None:
        super().__init__()
        self.quote = quote
        self.errors: dict[int, MevcliError] = {}

    def __missing__(self, amount: int) -> int:
        error = self.errors.get(amount)
        if error is None:
            if len(self) + len(self.errors) >= REMEMBERED:
                self.clear()
                self.errors.clear()
            try:
                answer = self[amount] = self.quote(amount)
                return answer
            except MevcliError as exc:  # what a quote raises (`sizing.QUOTE_ERRORS`)
                error = self.errors[amount] = exc
        raise error.with_traceback(None)


def _remembering_quoter(state: PoolState, token_in: str, token_out: str) -> object:
    """`exact_hop`; a quoter that sizing neither inlines nor refines on (all but the V2 and V3 ones:
    Curve, Balancer, V4) keeps its answers."""
    quoter = exact_hop(state, token_in, token_out)
    return quoter if quoter.__class__ in (V2Hop, V3Hop) else _Remembered(quoter)


def _canonical(route: Route, priority: Mapping[str, int]) -> Route | None:
    """The rotation of a loop that starts at its highest-priority base token; None without one."""
    best, at = len(priority), -1
    for i, hop in enumerate(route):
        rank = priority.get(hop.token_in)
        if rank is not None and rank < best:
            best, at = rank, i
    if at < 0:
        return None
    return route[at:] + route[:at]


_FIELDS = tuple(f.name for f in fields(Opportunity))  # `_new_opportunity`'s arguments, in order
_values = attrgetter(*_FIELDS)
_BLOCK, _GAS_PRICE, _GAS_COST, _NET = map(_FIELDS.index, ("block", "gas_price", "gas_cost", "net_profit"))


def _with_gas(o: Opportunity, block: int, gas_price: int, gas_cost: int, net: int) -> Opportunity:
    """`o` at `block` with another gas price, gas cost and net profit (built as the finder builds it)."""
    values = list(_values(o))
    values[_BLOCK], values[_GAS_PRICE], values[_GAS_COST], values[_NET] = block, gas_price, gas_cost, net
    return _new_opportunity(*values)


def _moved_sources(last: tuple | None, inputs: tuple) -> list[FlashSource] | None:
    """The sources of `inputs` (gas price, sources, rate) that differ from `last`'s at the same place,
    when only what they lend (or charge) moved; None when anything else did."""
    if last is None or last[0] != inputs[0] or last[2] != inputs[2] or len(last[1]) != len(inputs[1]):
        return None
    moved = []
    for old, new in zip(last[1], inputs[1], strict=True):
        if old != new:
            if (old.kind, old.lender, old.token) != (new.kind, new.lender, new.token):
                return None
            moved.append(new)
    return moved


def _unchanged(old: PoolState | None, new: PoolState | None) -> bool:
    """Whether a pool named as changed prices as before (an event that left its state as it was, e.g.
    a Sync with the same reserves): only its block differs, so its hops, routes and sizing stand."""
    if old is None or new is None:
        return False
    return old is new or replace(new, block=old.block) == old  # type: ignore[type-var]


def _weight(hop: WeightedHop) -> float:
    return hop.weight
