"""Why an opportunity is what it is: each hop, the flash source against the others, and the profit curve.

Everything is recomputed with the exact pool math from the pool states at the scan's block (served by the
reserve cache), so the curve at the chosen amount is the scan's net profit to the unit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from mevcli.arbitrage.cycles import Cycle, Edge
from mevcli.arbitrage.flash import BALANCER, UNISWAP_V3, FlashSource, eligible, load_sources
from mevcli.arbitrage.known import read_pool_states
from mevcli.arbitrage.opportunity import Opportunity
from mevcli.arbitrage.scanner import flash_venues, v4_managers
from mevcli.arbitrage.sizing import cycle_output
from mevcli.context import AppContext
from mevcli.dex.kinds import find_kind
from mevcli.dex.pools import PoolState, quote, read_states
from mevcli.dex.registry import canonical_pool
from mevcli.dex.uniswap_v3.reader import FULL_RANGE
from mevcli.dex.uniswap_v3.swap import IncompletePoolState
from mevcli.errors import MevcliError
from mevcli.quoting import Hop

CURVE_POINTS = 41  # amounts from 0 to twice the chosen one; the chosen amount is the middle point
IMPACT_PROBE = 10**6  # the marginal rate is quoted for amount_in / IMPACT_PROBE (at least 1 unit)


@dataclass(frozen=True, slots=True)
class HopDetail(Hop):
    """A quoted hop with its fee and price impact."""

    fee_ppm: int | None  # swap fee in millionths, when the pool states one
    price_impact_bps: int | None  # 10⁴·(1 − executed rate / marginal rate), rounded down


@dataclass(frozen=True, slots=True)
class SourceDetail:
    kind: str
    label: str  # the kind, with the fee tier for a Uniswap V3 pool
    lender: str
    available: int
    fee: int  # at the chosen amount
    usable: bool
    reason: str  # why it was not usable, or "chosen"/"" for the others


@dataclass(frozen=True, slots=True)
class CurvePoint:
    amount_in: int
    gross_profit: int
    flash_fee: int
    gas_cost: int
    net_profit: int


@dataclass(frozen=True, slots=True)
class Explanation:
    opportunity: Opportunity
    hops: list[HopDetail]
    sources: list[SourceDetail]
    curve: list[CurvePoint]
    fees: dict[str, int]  # V3 fee tier per pool of the route, for labels

    def to_json(self) -> dict[str, Any]:
        return {
            "opportunity": self.opportunity.to_json(),
            "hops": [asdict(h) for h in self.hops],
            "flash_sources": [asdict(s) for s in self.sources],
            "chosen_amount": self.opportunity.amount_in,
            "curve": [asdict(p) for p in self.curve],
        }


def fee_ppm(state: PoolState) -> int | None:
    """The pool's swap fee in millionths, in whatever unit its kind keeps it; None for an unknown state."""
    kind = find_kind(state)
    return None if kind is None else kind.fee_pips(state)


def price_impact_bps(
    state: PoolState, token_in: str, token_out: str, amount_in: int, amount_out: int
) -> int | None:
    """How far the hop's executed rate falls below its marginal rate, in basis points."""
    probe = max(amount_in // IMPACT_PROBE, 1)
    try:
        probe_out = quote(state, token_in, probe, token_out)
    except MevcliError:
        return None
    if probe_out == 0 or amount_in == 0:
        return None
    return max(10_000 - amount_out * probe * 10_000 // (amount_in * probe_out), 0)


def explain(ctx: AppContext, o: Opportunity, points: int = CURVE_POINTS) -> Explanation:
    addresses = [canonical_pool(p) for p in o.pools]
    refs = list(ctx.dexes.identify(ctx.multicall, addresses, o.block))
    states = read_pool_states(ctx, refs, o.block)
    cycle = Cycle(tuple(Edge(p, o.tokens[i], o.tokens[i + 1]) for i, p in enumerate(addresses)))
    _, outs = cycle_output(cycle, states, o.amount_in)
    hops = []
    amount = o.amount_in
    for edge, out in zip(cycle.edges, outs, strict=False):
        state = states[edge.pool]
        hops.append(
            HopDetail(
                edge.pool,
                next(r.dex.name for r in refs if r.address == edge.pool),
                edge.token_in,
                edge.token_out,
                amount,
                out,
                fee_ppm(state),
                price_impact_bps(state, edge.token_in, edge.token_out, amount, out),
            )
        )
        amount = out
    sources = _sources(ctx, o)
    chosen = next((s for s in sources if s.lender == o.flash_lender and s.kind == o.flash_source), None)
    fee_of = _fee_function(ctx, o, chosen)

    def gross(x: int) -> int:
        nonlocal states
        try:
            return cycle_output(cycle, states, x)[0] - x
        except IncompletePoolState:  # the curve goes to twice the amount, past the loaded ticks: read all
            states = {**states, **read_states(ctx.multicall, refs, o.block, FULL_RANGE)}
            return cycle_output(cycle, states, x)[0] - x

    curve = profit_curve(gross, fee_of, o.gas_cost, o.amount_in, points)
    fees = {a: int(s.fee) for a, s in states.items() if hasattr(s, "tick")}
    uses_vault = ctx.dexes.swaps_through_vault(o.dexes)
    return Explanation(o, hops, [_detail(s, o, uses_vault) for s in sources], curve, fees)


def profit_curve(
    gross: Callable[[int], int], flash_fee: Callable[[int], int], gas_cost: int, chosen: int, points: int
) -> list[CurvePoint]:
    """Net profit at `points` amounts from 0 to 2·chosen; the middle point is `chosen` itself. An amount
    the route cannot be quoted at (a pool drained, a swap leaving the ticks read) is left out."""
    half = points // 2
    amounts = sorted({chosen * i // half for i in range(2 * half + 1)} | {chosen})
    curve = []
    for x in amounts:
        try:
            g = gross(x) if x else 0
        except MevcliError:
            if x == chosen:
                raise
            continue
        f = flash_fee(x)
        curve.append(CurvePoint(x, g, f, gas_cost, g - f - gas_cost))
    return curve


def _sources(ctx: AppContext, o: Opportunity) -> list[FlashSource]:
    from mevcli.execution.plan import _known_v3_lenders

    vault, aave = flash_venues(ctx)
    return load_sources(
        ctx.multicall,
        o.block,
        [o.base_token],
        balancer_vault=vault,
        aave_pool=aave,
        v3_pools=_known_v3_lenders(ctx, o.base_token, o.block),
        v4_managers=v4_managers(ctx),
    )[o.base_token]


def _fee_function(ctx: AppContext, o: Opportunity, chosen: FlashSource | None) -> Callable[[int], int]:
    if chosen is not None:
        return chosen.fee
    if o.amount_in == 0:
        return lambda _x: o.flash_fee
    return lambda x: -(-o.flash_fee * x // o.amount_in)  # the scan's fee, scaled (source not found now)


def _detail(source: FlashSource, o: Opportunity, uses_vault: bool) -> SourceDetail:
    allowed = eligible([source], set(o.pools), uses_vault)
    if source.lender == o.flash_lender and source.kind == o.flash_source:
        reason = "chosen"
    elif not allowed:
        reason = "the route swaps through the Vault" if source.kind == BALANCER else "a pool of the route"
    elif source.available < o.amount_in:
        reason = "holds too little"
    else:
        reason = "higher fee" if source.fee(o.amount_in) > o.flash_fee else "same fee, not preferred"
    usable = bool(allowed) and source.available >= o.amount_in
    label = f"{source.kind}:{source.fee_num}" if source.kind == UNISWAP_V3 else source.kind
    fee = source.fee(o.amount_in)
    return SourceDetail(source.kind, label, source.lender, source.available, fee, usable, reason)


def chosen_point(curve: Sequence[CurvePoint], amount: int) -> CurvePoint:
    return next(p for p in curve if p.amount_in == amount)
