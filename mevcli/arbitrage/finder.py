"""The pure core of a scan: pool states in, ranked opportunities out (no I/O, so benchmarks and tests
can run it on synthetic markets).

One scan:
1. Per directed pool edge, once: its Möbius coefficients (a, b, c) and their log marginal rate log(a/b);
   for a Curve or Balancer hop, which has no Möbius form, an exact upper bound (num, den) on its
   marginal rate (`bounds.rate_bound`) and its log (+inf only where no bound is known).
2. `CycleIndex.count` counts the cycles; `CycleIndex.search` lists only those whose summed log rate can
   be ≥ 0 (up to float error, far below the margin used), so the millions of cycles that lose money at
   the margin are never built. Each listed cycle gets the exact integer test K > M of the composition
   (a bounded hop composes as the line num·y/den above its concave output, so the test stays exact):
   exactly the cycles that test passes are sized, as if every cycle had been tested. With
   `max_candidates`, only that many listed cycles go on, those of the highest summed log rate.
3. Each candidate is sized once, for its lender of the lowest fee rate, by the exact search over the
   pool math (`sizing.size_route`: a closed-form start refined on the piecewise Möbius form for V2/V3
   routes, golden-section search), through per-edge quoters built once per scan; the flash source is
   chosen after, another lender sized only where a bound says it could still win (`_size_once`).
4. On a rollup, the opportunities found are priced once more, in one batch, with the L1 data fee of
   their executor call (`FinderInput.l1_fees`, wei): it joins `gas_cost`, and those it leaves at or below
   `min_profit` are dropped. It is left out of sizing: it depends on the amount only through a few
   calldata bytes, so it moves neither the optimum nor the choice of lender.
"""

from __future__ import annotations

import gc
import heapq
import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from time import perf_counter

from mevcli.arbitrage.bounds import rate_bound
from mevcli.arbitrage.cycles import CycleIndex, WeightedHop, both_ways
from mevcli.arbitrage.flash import BALANCER, UNISWAP_V3, FlashSource, best_v3_lenders, eligible
from mevcli.arbitrage.gas import estimate_gas, hops_gas, to_base_token
from mevcli.arbitrage.opportunity import Opportunity, opportunity_id
from mevcli.arbitrage.sizing import (
    INFEASIBLE,
    PIPS,
    RouteOutputs,
    _run,
    exact_hop,
    hop_trail,
    mobius_hop,
    size_route,
)
from mevcli.dex.kinds import KIND_BY_STATE_TYPE as kind_by_type
from mevcli.dex.pools import PoolState, pool_tokens, quote
from mevcli.errors import MevcliError

GAS_PROBE = 10**16  # wei of the native token used to price gas in a base token
# Search floor on summed log marginal rates: a cycle with K > M has a true sum > 0; the float sum is off
# by ~1e-13 at most, so nothing that passes the exact test is ever cut.
LOG_RATE_FLOOR = -1e-9
_NEVER = -1e300  # log rate of a hop that pays nothing at the margin (a == 0)
# Opportunities in, the L1 data fee of each one's executor call out (wei of the native token, by id; an
# id left out cannot be priced and is dropped).
L1Fees = Callable[[Sequence[Opportunity]], Mapping[str, int]]
# `sizing.size_route`'s signature: the incremental ranking (`arbitrage/incremental.py`) passes a memo of it.
Sizer = Callable[..., tuple[int, int] | None]
# (any eligible flash source, [(source, gas units, gas cost)] worth sizing): `_Scan._lenders`' answer
Lenders = tuple[bool, list[tuple[FlashSource, int, int]]]
_NO_POOLS: frozenset[str] = frozenset()  # the V3 lenders a route swaps in, when its base token has none


@dataclass(frozen=True, slots=True, kw_only=True)
class FinderInput:
    chain_id: int
    block: int
    states: Mapping[str, PoolState]
    dex_of: Mapping[str, tuple[str, str]]  # pool -> (dex name, protocol kind)
    base_tokens: Sequence[str]
    flash_sources: Mapping[str, Sequence[FlashSource]]
    gas_price: int
    native_token: str | None
    max_hops: int = 3
    min_profit: int = 0
    l1_fees: L1Fees | None = None  # rollups only: None leaves gas at L2 execution gas
    # Size only this many of the listed cycles, those of the highest marginal rate (None: all). A
    # bound on a scan's time when 4 hops over a large market list more cycles than a block allows.
    max_candidates: int | None = None


@dataclass(slots=True)
class FinderStats:
    pools: int = 0
    # every cycle through two-token pools (counted, not built), plus those through pools of 3+ tokens
    # that the search lists (the others are known not to profit and are not counted)
    cycles: int = 0
    searched: int = 0  # cycles listed by the rate-bounded search (the rest cannot reach a rate of one)
    candidates: int = 0  # cycles whose marginal rate exceeds one (sized exactly)
    skipped_no_flash: int = 0
    l1_dropped: int = 0  # found, then at or below min_profit (or unpriceable) once the L1 data fee is added
    not_sized: int = 0  # listed by the search but left out by `max_candidates`
    timings: dict[str, float] = field(default_factory=dict)  # index_s, cycles_s, sizing_s, total_s


def native_rates(
    states: Mapping[str, PoolState], native: str | None, tokens: Sequence[str]
) -> dict[str, tuple[int, int] | None]:
    """Base units of each token per wei of the native token, from the best direct pool in the market."""
    rates: dict[str, tuple[int, int] | None] = {}
    for token in tokens:
        if native is None:
            rates[token] = None
        elif token == native:
            rates[token] = (1, 1)
        else:
            pools = [s for s in states.values() if native in pool_tokens(s) and token in pool_tokens(s)]
            rates[token] = best_rate(pools, native, token)
    return rates


def _index_rates(
    index: CycleIndex, states: Mapping[str, PoolState], native: str | None, tokens: Sequence[str]
) -> dict[str, tuple[int, int] | None]:
    """`native_rates`, reading the pools of each (native, token) pair off the index."""
    rates: dict[str, tuple[int, int] | None] = {}
    for token in tokens:
        if native is None:
            rates[token] = None
        elif token == native:
            rates[token] = (1, 1)
        else:
            hops = index.pairs.get(native, {}).get(token, ())
            rates[token] = best_rate([states[h.pool] for h in hops], native, token)
    return rates


def best_rate(pools: Sequence[PoolState], native: str, token: str) -> tuple[int, int] | None:
    """(units of `token`, wei of native) from the pool paying most `token` for a small native probe."""
    best = 0
    for state in pools:
        try:
            best = max(best, quote(state, native, GAS_PROBE, token))
        except MevcliError:
            continue
    return (best, GAS_PROBE) if best else None


_LOG_PIPS = math.log(PIPS)


def _log_rate(gamma: int, reserve_out: int, reserve_in: int) -> float:
    """log(a/b) for a = gamma·reserve_out, b = reserve_in·PIPS, or a stand-in the exact test resolves."""
    if gamma * reserve_out == 0 and reserve_in > 0:
        return _NEVER
    if gamma <= 0 or reserve_out <= 0 or reserve_in <= 0:
        return math.inf  # let the exact test decide
    return math.log(gamma) - _LOG_PIPS + math.log(reserve_out) - math.log(reserve_in)


def _mobius_weight(a: int, b: int, _c: int) -> float:
    if a == 0 and b > 0:
        return _NEVER
    if a < 0 or b <= 0:
        return math.inf
    return math.log(a) - math.log(b)


def _hops(states: Mapping[str, PoolState]) -> list[WeightedHop]:
    """Both directions of every pool, weighted by the log of their marginal rate (as `mobius_hop`)."""
    hops: list[WeightedHop] = []
    add, extend = hops.append, hops.extend
    log = math.log
    log_gamma: dict[int, float] = {}
    cpmm_of: dict[type, Callable[[PoolState], tuple[int, int, int] | None] | None] = {}  # per state type
    for address, state in states.items():
        try:
            of = cpmm_of[state.__class__]
        except KeyError:
            kind = kind_by_type.get(type(state))
            of = cpmm_of[state.__class__] = None if kind is None else kind.cpmm
        cpmm = None if of is None else of(state)
        if cpmm is not None:
            t0, t1 = state.token0, state.token1
            if t0 == t1:
                continue
            gamma, reserve0, reserve1 = cpmm
            if gamma > 0 and reserve0 > 0 and reserve1 > 0:
                lg = log_gamma.get(gamma)
                if lg is None:
                    lg = log_gamma[gamma] = log(gamma) - _LOG_PIPS
                spread = log(reserve1) - log(reserve0)
                w01, w10 = lg + spread, lg - spread
            elif gamma == reserve0 == reserve1 == 0:
                w01 = w10 = math.inf
            else:
                w01, w10 = _log_rate(gamma, reserve1, reserve0), _log_rate(gamma, reserve0, reserve1)
            extend(both_ways(address, t0, t1, w01, w10))
            continue
        tokens = pool_tokens(state)
        multi = len(tokens) > 2
        for token_in in tokens:
            for token_out in tokens:
                if token_in != token_out:
                    # Curve and Balancer: no Möbius form, but an exact bound on the rate (`bounds.py`),
                    # kept as the hop's data for the finder's exact test.
                    bound = rate_bound(state, token_in, token_out)
                    if bound is None:
                        add(WeightedHop(address, token_in, token_out, math.inf, multi, ()))
                    else:
                        add(
                            WeightedHop(address, token_in, token_out, _mobius_weight(*bound, 0), multi, bound)
                        )
    return hops


def find_opportunities(inp: FinderInput, stats: FinderStats | None = None) -> list[Opportunity]:
    # A scan allocates hundreds of thousands of short-lived, acyclic objects; the cyclic collector
    # would walk the whole heap (pool states included) several times over for nothing. Paused for the
    # scan (and restored as it was), it runs once afterwards instead.
    paused = gc.isenabled()
    gc.disable()
    try:
        return _find(inp, stats if stats is not None else FinderStats())
    finally:
        if paused:
            gc.enable()


def _find(inp: FinderInput, stats: FinderStats) -> list[Opportunity]:
    started = time.perf_counter()
    states = dict(inp.states)
    index = CycleIndex(_hops(states))
    bases = [t for t in inp.base_tokens if t in index.pairs]
    rates = _index_rates(index, states, inp.native_token, bases)
    stats.pools = len(states)
    stats.timings["index_s"] = time.perf_counter() - started

    search_started = time.perf_counter()
    stats.cycles = index.count(bases, inp.max_hops)
    scan = _Scan(inp, states, rates, stats)
    found: dict[str, Opportunity] = {}
    routes = _listed(index.search(bases, inp.max_hops, LOG_RATE_FLOOR), index.has_multi, stats)
    if inp.max_candidates is not None:
        routes = _best_routes(routes, inp.max_candidates, stats)
    for route in routes:
        opportunity = scan.evaluate(route)
        if opportunity is not None and opportunity.net_profit > inp.min_profit:
            found[opportunity.id] = opportunity
    stats.timings["cycles_s"] = time.perf_counter() - search_started - scan.sizing_s
    stats.timings["sizing_s"] = scan.sizing_s
    if inp.l1_fees is not None and found:
        l1_started = time.perf_counter()
        found = _with_l1_fees(found, inp.l1_fees(list(found.values())), rates, inp.min_profit, stats)
        stats.timings["l1_fee_s"] = time.perf_counter() - l1_started
    ranked = sorted(found.values(), key=lambda o: rank_key(o, rates))
    stats.timings["total_s"] = time.perf_counter() - started
    return ranked


def _listed(
    routes: Iterable[Sequence[WeightedHop]], has_multi: bool, stats: FinderStats
) -> Iterator[Sequence[WeightedHop]]:
    """The search's routes, counted in `stats.searched` (and in `stats.cycles` those through pools of 3+
    tokens, which `count` leaves to the search) whether or not `max_candidates` sizes them."""
    for route in routes:
        stats.searched += 1
        if has_multi and any(h.multi for h in route):
            stats.cycles += 1
        yield route


def _best_routes(
    routes: Iterable[Sequence[WeightedHop]], limit: int, stats: FinderStats
) -> list[Sequence[WeightedHop]]:
    """The `limit` routes of the highest summed log marginal rate, in search order among equals; the
    rest are counted in `stats.not_sized`. Only `limit` routes are held at a time."""
    listed = 0

    def counted() -> Iterator[Sequence[WeightedHop]]:
        nonlocal listed
        for route in routes:
            listed += 1
            yield route

    best = heapq.nlargest(limit, counted(), key=lambda route: sum(h.weight for h in route))
    stats.not_sized += listed - len(best)
    return best


def _with_l1_fees(
    found: Mapping[str, Opportunity],
    wei: Mapping[str, int],
    rates: Mapping[str, tuple[int, int] | None],
    min_profit: int,
    stats: FinderStats,
) -> dict[str, Opportunity]:
    """Add each opportunity's L1 data fee (in its base token) to its gas cost; keep those still above
    `min_profit`."""
    kept: dict[str, Opportunity] = {}
    for key, o in found.items():
        fee_wei = wei.get(key)
        l1_fee = None if fee_wei is None else to_base_token(fee_wei, rates.get(o.base_token))
        if l1_fee is None:
            stats.l1_dropped += 1
            continue
        priced = replace(o, gas_cost=o.gas_cost + l1_fee, net_profit=o.net_profit - l1_fee, l1_fee=l1_fee)
        if priced.net_profit > min_profit:
            kept[key] = priced
        else:
            stats.l1_dropped += 1
    return kept


def _slot_setter() -> Callable[..., Opportunity]:
    """`Opportunity(**…)` from every field's value in declaration order (l1_fee last): the same object,
    its slots set directly by a function generated here, one line per field (the frozen dataclass's
    `__init__`, which goes through `object.__setattr__` per field, costs several times as much; so does
    a loop over the slots)."""
    names = [f.name for f in fields(Opportunity)]
    scope: dict[str, object] = {"new": object.__new__, "Opportunity": Opportunity}
    scope.update({f"set_{name}": getattr(Opportunity, name).__set__ for name in names})
    lines = [f"def new_opportunity({', '.join(names)}):", "    o = new(Opportunity)"]
    lines += [f"    set_{name}(o, {name})" for name in names]
    exec("\n".join([*lines, "    return o"]), scope)  # the dataclass's own field names only
    return scope["new_opportunity"]  # type: ignore[return-value]


_new_opportunity = _slot_setter()


def rank_key(o: Opportunity, rates: Mapping[str, tuple[int, int] | None]) -> tuple[int, str]:
    """The ranking's sort key: net profit in wei of the native token (so opportunities in different base
    tokens rank together), highest first, then id."""
    rate = rates.get(o.base_token)
    if not rate or rate[0] == 0:
        return 0, o.id
    return -(o.net_profit * rate[1] // rate[0]), o.id


def _dominated(source: FlashSource, gas_cost: int, lenders: list[tuple[FlashSource, int, int]]) -> bool:
    """Whether another lender beats `source` on every amount: no fee at all, at least as much to lend,
    less gas. Its best net profit is then above `source`'s, so sizing `source` cannot change the pick
    (as far as the search finds each objective's maximum, which is what it is for)."""
    return any(
        other is not source
        and other.fee_num == 0
        and other.available >= source.available
        and other_gas < gas_cost
        for other, _, other_gas in lenders
    )


def _size_once(
    quoters: Sequence,
    coefficients: tuple[int, int, int] | None,
    lenders: list[tuple[FlashSource, int, int]],
    size: Sizer = size_route,
    outputs: dict[int, int] | None = None,
) -> tuple[int, FlashSource, int, int, int, int] | None:
    """(net, source, gas units, gas cost, amount in, amount out) of the best lender, or None.

    The route is sized once, for the lender of the lowest fee rate; the flash source is chosen after.
    Another lender L is sized only when it could still win. Its profit is the first's less the fee
    difference D(x) = fee_L(x) − fee_1(x) ≥ −1, which grows with x: with x₁ the first's optimum and
    X = ¾·x₁, every x ≥ X makes at most P₁ − D(X) + 2, and every x < X at most profit₁(X) + 1 (the
    objective is concave and rises up to x₁). The larger of the two, plus the search's tolerance, less
    L's gas, must beat the best net so far; the bound needs L to lend no more than the first, or the
    first's optimum to sit well inside what it lends. Among the lenders sized the pick is the one the
    per-lender search made: the highest net, the earliest lender on a tie. `outputs`: the route's
    memo of outputs per amount (a `RouteOutputs` keeps the per-hop amounts of the start it refined).
    """
    outputs = {} if outputs is None else outputs
    if len(lenders) == 1:  # the common case: nothing to choose
        ((source, gas_units, gas_cost),) = lenders
        fee_of, fee_rate = _fee_of(source), (source.fee_num, source.fee_den)
        sized = size(quoters, coefficients, fee_of, source.available, outputs, fee_rate)
        if sized is None:
            return None
        amount_in, amount_out = sized
        net = amount_out - amount_in - source.fee(amount_in) - gas_cost
        return net, source, gas_units, gas_cost, amount_in, amount_out
    order = sorted(range(len(lenders)), key=lambda i: _fee_key(lenders[i][0]))
    results: dict[int, tuple[int, int, int]] = {}  # lender index -> (net, amount in, amount out)
    first: tuple[int, int, FlashSource, int, int | None] | None = None  # (profit, x₁, source, X, profit₁(X))
    best_net: int | None = None
    for i in order:
        source, _, gas_cost = lenders[i]
        if first is not None:
            profit1, amount1, source1, below, profit_below = first
            if profit_below is None:  # evaluated only once a second lender needs it
                at_below = _profit_at(quoters, below, source1, outputs)
                profit_below = profit1 if at_below is None else at_below
                first = (profit1, amount1, source1, below, profit_below)
            if source.available <= source1.available or amount1 < source1.available // 2:
                gap = source.fee(below) - source1.fee(below) - 2
                bound = max(profit1 - gap, profit_below + 1) + _tolerance(profit1, amount1)
                if bound - gas_cost < (0 if best_net is None else best_net):
                    continue
        fee_of, fee_rate = _fee_of(source), (source.fee_num, source.fee_den)
        sized = size(quoters, coefficients, fee_of, source.available, outputs, fee_rate)
        if sized is None:
            if first is None:
                # No profit up to what it lends: lenders of no more than that gain at most the
                # rounding; one that lends more is sized (its optimum may lie beyond).
                first = (0, source.available, source, 0, 0)
            continue
        amount_in, amount_out = sized
        profit = amount_out - amount_in - source.fee(amount_in)
        if first is None:
            first = (profit, amount_in, source, amount_in * 3 // 4, None)
        net = profit - gas_cost
        results[i] = (net, amount_in, amount_out)
        if best_net is None or net > best_net:
            best_net = net
    if not results:
        return None
    chosen = max(results, key=lambda i: (results[i][0], -i))
    net, amount_in, amount_out = results[chosen]
    source, gas_units, gas_cost = lenders[chosen]
    return net, source, gas_units, gas_cost, amount_in, amount_out


def _fee_of(source: FlashSource) -> Callable[[int], int] | None:
    """What `size_route` takes as the lender's fee: None for a lender that charges nothing."""
    return source.fee if source.fee_num else None


def _profit_at(quoters: Sequence, amount: int, source: FlashSource, outputs: dict[int, int]) -> int | None:
    """out − in − fee at `amount` through the exact quoters (read from and kept in the route's
    `outputs`); None where the pools refuse it."""
    if amount <= 0:
        return 0
    out = outputs.get(amount)
    if out is None:
        out = outputs[amount] = _run(quoters, amount)
    if out == INFEASIBLE:
        return None
    return out - amount - source.fee(amount)


def _fee_key(source: FlashSource) -> tuple[int, int]:
    """Sort key by fee rate (fee_num / fee_den), exactly: lenders compare as fractions."""
    return (source.fee_num * 10**36 // source.fee_den, -source.available)


def _tolerance(profit: int, amount: int) -> int:
    """How far above a found optimum another search of the same route could land: the exact objective's
    rounding (a wei per hop and of the fee) and the search's stopping width, with a wide margin."""
    return 2 + max(profit, 0) // 2**20 + amount // 2**20


def may_borrow(sources: Sequence[FlashSource], kinds: tuple[str, ...], lending: frozenset[str]) -> bool:
    """Whether a route of these hop kinds, swapping in the V3 lenders `lending`, may borrow from any of
    `sources`."""
    return bool(eligible(sources, lending, BALANCER in kinds))


class LenderChoices:
    """`_Scan._lenders`' answers for one base token by route shape (hop kinds, the V3 lenders it swaps
    in), and what they are made of: the eligible sources per (swaps in the Vault, those V3 lenders), the
    priced lenders per (that, the hops' gas units). All stand while the token's flash sources, its rate
    to the native token and the gas price do."""

    __slots__ = ("picks", "priced", "shapes", "v3_lenders")

    def __init__(self, sources: Sequence[FlashSource]) -> None:
        self.v3_lenders = frozenset(s.lender for s in sources if s.kind == UNISWAP_V3)
        self.shapes: dict[tuple[tuple[str, ...], frozenset[str]], Lenders] = {}
        self.picks: dict[tuple[bool, frozenset[str]], tuple[bool, list[FlashSource]]] = {}
        self.priced: dict[tuple, Lenders] = {}

    def forget(self, moved: Sequence[FlashSource]) -> None:
        """Forget what `moved` (the same lenders as before, lending another amount) may change: the
        answers of the shapes that may borrow from one of them."""
        for shape in [s for s in self.shapes if may_borrow(moved, *s)]:
            del self.shapes[shape]
        self.picks.clear()
        self.priced.clear()


def _fresh_sizing(_route: tuple[WeightedHop, ...]) -> tuple[Sizer, RouteOutputs]:
    return size_route, RouteOutputs()


class _Scan:
    """Per-scan state for sizing candidates: exact quoters per edge, built on first use."""

    def __init__(
        self,
        inp: FinderInput,
        states: dict[str, PoolState],
        rates: Mapping[str, tuple[int, int] | None],
        stats: FinderStats,
    ) -> None:
        self.inp = inp
        self.states = states
        self.rates = rates
        self.stats = stats
        self.quoters: dict[WeightedHop, object] = {}
        self.facts: dict[WeightedHop, tuple[str, str, str, str, object]] = {}  # `_facts`, per hop
        # base token -> `_lenders`' answers for it (kept across blocks by the incremental ranking)
        self.lenders: dict[str, LenderChoices] = {}
        self.sizing_s = 0.0
        # route -> (the sizing function for it, its memo of outputs per amount), and the exact quoter of
        # a hop: the incremental ranking (`arbitrage/incremental.py`) keeps their answers while the
        # pools stay unchanged
        self.sizing: Callable[[tuple[WeightedHop, ...]], tuple[Sizer, RouteOutputs]] = _fresh_sizing
        self.make_quoter: Callable[[PoolState, str, str], object] = exact_hop

    def evaluate(self, route: tuple[WeightedHop, ...]) -> Opportunity | None:
        """Size the route unless its marginal rate (exact, or bounded from above) is at most one; its
        opportunity, or None when none nets more than `min_profit`."""
        passes, coefficients = self.rate_test(route)
        if not passes:
            return None
        started = perf_counter()
        opportunity = self.size(route, coefficients)
        self.sizing_s += perf_counter() - started
        return opportunity

    def rate_test(self, route: tuple[WeightedHop, ...]) -> tuple[bool, tuple[int, int, int] | None]:
        """(whether the route can profit at all, its (K, M, N) when every hop has a Möbius form).

        A hop's data is its Möbius (a, b, c) (V2/V3, computed on first use), its rate bound (num, den)
        (Curve/Balancer: the linear map y -> num·y/den lies above the hop's concave output), or () for
        none. Composing upper bounds of increasing maps bounds the route, so K <= M rules it out either
        way; only an all-Möbius route hands its (K, M, N) to sizing as a start. A route through a hop
        with no bound cannot be ruled out.
        """
        k, m, n = 1, 1, 0
        exact = True
        for hop in route:
            data = hop.data
            if data is None:
                mobius = None if hop.multi else mobius_hop(self.states[hop.pool], hop.token_in)
                data = hop.data = () if mobius is None else mobius
            if len(data) == 3:
                a, b, c = data
                k, m, n = a * k, b * m, b * n + c * k
            elif data:
                num, den = data
                k, m, n = num * k, den * m, den * n
                exact = False
            else:
                return True, None
        if k <= m:
            return False, None  # marginal rate at most one: no size can profit
        return True, ((k, m, n) if exact else None)

    def size(
        self, route: tuple[WeightedHop, ...], coefficients: tuple[int, int, int] | None
    ) -> Opportunity | None:
        """The route's opportunity (it passed `rate_test`), or None when none nets more than `min_profit`."""
        inp, stats = self.inp, self.stats
        start = route[0].token_in
        known = self.facts.get
        token_ins, pools, kinds, dexes, quoters = zip(
            *[known(h) or self._facts(h) for h in route], strict=True
        )
        has_sources, lenders = self._lenders(start, pools, kinds)
        if not has_sources:
            stats.skipped_no_flash += 1
            return None
        stats.candidates += 1
        if not lenders:
            return None
        sizer, outputs = self.sizing(route)
        best = _size_once(quoters, coefficients, lenders, sizer, outputs)
        if best is None:
            return None
        net, source, gas_units, gas_cost, amount_in, amount_out = best
        if net <= inp.min_profit:
            return None  # the scan would drop it: not worth building
        tokens = (*token_ins, start)
        trail = outputs.trail
        if trail is None or trail[0] != amount_in:
            trail = outputs.trail = (amount_in, hop_trail(quoters, amount_in, amount_out))
        return _new_opportunity(
            opportunity_id(inp.chain_id, tokens, pools),
            inp.chain_id,
            inp.block,
            start,
            tokens,
            pools,
            dexes,
            tuple(trail[1]),
            amount_in,
            amount_out,
            amount_out - amount_in,
            source.kind,
            source.lender,
            source.fee(amount_in),
            gas_units,
            inp.gas_price,
            gas_cost,
            net,
            0,
        )

    def _lenders(self, start: str, pools: tuple[str, ...], kinds: tuple[str, ...]) -> Lenders:
        """(any eligible source, [(source, gas units, gas cost)] worth sizing), per route shape.

        Eligibility depends on the route only through its kinds and the V3 lenders it swaps in; gas on
        the kinds. Sources whose gas cannot be priced, or that another lender dominates, are left out.
        """
        memo = self.lenders.get(start)
        if memo is None:
            memo = self.lenders[start] = LenderChoices(self.inp.flash_sources.get(start, ()))
        v3_lenders = memo.v3_lenders
        lending = frozenset(p for p in pools if p in v3_lenders) if v3_lenders else _NO_POOLS
        key = (kinds, lending)
        cached = memo.shapes.get(key)
        if cached is not None:
            return cached
        sources = self.inp.flash_sources.get(start, ())
        pick = (BALANCER in kinds, lending)
        chosen = memo.picks.get(pick)
        if chosen is None:
            allowed = eligible(sources, lending, pick[0])
            chosen = memo.picks[pick] = (bool(allowed), best_v3_lenders(allowed))
        # the gas units differ between shapes of one pick only through the hops' summed units
        priced = (pick, hops_gas(kinds))
        cached = memo.priced.get(priced)
        if cached is None:
            rate = self.rates.get(start)
            lenders = []
            for source in chosen[1]:
                gas_units = estimate_gas(source.kind, kinds)
                gas_cost = to_base_token(gas_units * self.inp.gas_price, rate)
                if gas_cost is not None:  # else gas cannot be priced in this token: no honest net profit
                    lenders.append((source, gas_units, gas_cost))
            lenders = [lender for lender in lenders if not _dominated(lender[0], lender[2], lenders)]
            cached = memo.priced[priced] = (chosen[0], lenders)
        memo.shapes[key] = cached
        return cached

    def _facts(self, hop: WeightedHop) -> tuple[str, str, str, str, object]:
        """(token in, pool, protocol kind, dex name, exact quoter) of a hop, kept for the scan."""
        dex, kind = self.inp.dex_of[hop.pool]
        facts = self.facts[hop] = (hop.token_in, hop.pool, kind, dex, self._quoter(hop))
        return facts

    def _quoter(self, hop: WeightedHop):
        quoter = self.quoters.get(hop)
        if quoter is None:
            state = self.states[hop.pool]
            quoter = self.quoters[hop] = self.make_quoter(state, hop.token_in, hop.token_out)
        return quoter
