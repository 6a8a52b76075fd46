"""The pure core of a scan: pool states in, ranked opportunities out (no I/O, so benchmarks and tests
can run it on synthetic markets)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from mevcli.arbitrage.cycles import Cycle, TokenGraph, enumerate_cycles
from mevcli.arbitrage.flash import BALANCER, FlashSource, best_v3_lenders, eligible
from mevcli.arbitrage.gas import estimate_gas, to_base_token
from mevcli.arbitrage.opportunity import Opportunity, opportunity_id
from mevcli.arbitrage.sizing import compose, cycle_output, size_cycle
from mevcli.dex.pools import PoolState, pool_tokens, quote
from mevcli.errors import MevcliError

GAS_PROBE = 10**16  # wei of the native token used to price gas in a base token


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


@dataclass(slots=True)
class FinderStats:
    pools: int = 0
    cycles: int = 0
    candidates: int = 0  # cycles whose marginal rate exceeds one (sized exactly)
    skipped_no_flash: int = 0
    timings: dict[str, float] = field(default_factory=dict)


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
            best = 0
            for state in states.values():
                if native in pool_tokens(state) and token in pool_tokens(state):
                    try:
                        best = max(best, quote(state, native, GAS_PROBE, token))
                    except (MevcliError, ArithmeticError, ValueError):
                        continue
            rates[token] = (best, GAS_PROBE) if best else None
    return rates


def find_opportunities(inp: FinderInput, stats: FinderStats | None = None) -> list[Opportunity]:
    stats = stats if stats is not None else FinderStats()
    states = dict(inp.states)
    graph = TokenGraph((address, pool_tokens(state)) for address, state in states.items())
    bases = [t for t in inp.base_tokens if t in graph.out_edges]
    cycles = enumerate_cycles(graph, bases, inp.max_hops)
    stats.pools, stats.cycles = len(states), len(cycles)
    rates = native_rates(states, inp.native_token, bases)
    found: dict[str, Opportunity] = {}
    for cycle in cycles:
        opportunity = _evaluate(cycle, inp, states, rates, stats)
        if opportunity is not None and opportunity.net_profit > inp.min_profit:
            found[opportunity.id] = opportunity
    return sorted(found.values(), key=lambda o: (-_comparable(o, rates), o.id))


def _comparable(o: Opportunity, rates: Mapping[str, tuple[int, int] | None]) -> int:
    """Net profit in wei of the native token, so opportunities in different base tokens rank together."""
    rate = rates.get(o.base_token)
    if not rate or rate[0] == 0:
        return 0
    return o.net_profit * rate[1] // rate[0]


def _evaluate(
    cycle: Cycle,
    inp: FinderInput,
    states: dict[str, PoolState],
    rates: Mapping[str, tuple[int, int] | None],
    stats: FinderStats,
) -> Opportunity | None:
    coefficients = compose(cycle, states)
    if coefficients is not None and coefficients[0] <= coefficients[1]:
        return None  # marginal rate below one: no size can profit
    route_pools = set(cycle.pools)
    kinds = [inp.dex_of[p][1] for p in cycle.pools]
    sources = eligible(inp.flash_sources.get(cycle.start, ()), route_pools, BALANCER in kinds)
    if not sources:
        stats.skipped_no_flash += 1
        return None
    stats.candidates += 1
    best: Opportunity | None = None
    for source in best_v3_lenders(sources):
        sized = size_cycle(cycle, states, source.fee, source.available)
        if sized is None:
            continue
        amount_in, amount_out = sized
        gas_units = estimate_gas(source.kind, kinds)
        gas_cost = to_base_token(gas_units * inp.gas_price, rates.get(cycle.start))
        if gas_cost is None:
            continue  # cannot price gas in this token: no honest net profit
        _, hop_amounts = cycle_output(cycle, states, amount_in)
        fee = source.fee(amount_in)
        profit = amount_out - amount_in
        candidate = Opportunity(
            id=opportunity_id(inp.chain_id, cycle.tokens, cycle.pools),
            chain_id=inp.chain_id,
            block=inp.block,
            base_token=cycle.start,
            tokens=cycle.tokens,
            pools=cycle.pools,
            dexes=tuple(inp.dex_of[p][0] for p in cycle.pools),
            hop_amounts=tuple(hop_amounts),
            amount_in=amount_in,
            amount_out=amount_out,
            profit=profit,
            flash_source=source.kind,
            flash_lender=source.lender,
            flash_fee=fee,
            gas_units=gas_units,
            gas_price=inp.gas_price,
            gas_cost=gas_cost,
            net_profit=profit - fee - gas_cost,
        )
        if best is None or candidate.net_profit > best.net_profit:
            best = candidate
    return best
