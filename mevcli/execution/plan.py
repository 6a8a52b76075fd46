"""Turn an opportunity id (or an explicit route) into a fresh, re-checked plan for the executor.

Every simulate and execute starts here: the route's pools are re-read at the latest block and the
amounts recomputed with the exact pool math, so a stale opportunity shows as what it is now.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from eth_utils import to_checksum_address

from mevcli.arbitrage.cycles import Cycle, Edge
from mevcli.arbitrage.known import read_pool_states
from mevcli.arbitrage.opportunity import Opportunity, opportunity_id
from mevcli.arbitrage.scanner import flash_venues, load_stored_scan, v3_lenders, v4_managers
from mevcli.arbitrage.sizing import cycle_output
from mevcli.context import AppContext
from mevcli.dex.forks import DEXES
from mevcli.dex.kinds import pools_lend
from mevcli.dex.pools import PoolState, read_states
from mevcli.dex.registry import PoolRef, canonical_pool
from mevcli.dex.uniswap_v3.reader import FULL_RANGE
from mevcli.dex.uniswap_v3.swap import IncompletePoolState
from mevcli.errors import MevcliError, UsageError
from mevcli.execution.calldata import pool_info_of


class UnknownOpportunity(UsageError):
    pass


@dataclass(frozen=True, slots=True)
class Plan:
    opportunity: Opportunity  # recomputed at `block`
    original: Opportunity  # as the scan (or the route flags) gave it
    refs: tuple[PoolRef, ...]
    states: dict[str, PoolState]
    block: int
    error: str | None = None  # the route no longer quotes (e.g. no liquidity)


MIN_ID_PREFIX = 6


def find_opportunity(ctx: AppContext, ident: str) -> Opportunity:
    """The opportunity the last scan kept under `ident` (a prefix of 6+ characters works)."""
    key = ident.strip().lower()
    if len(key) < MIN_ID_PREFIX:
        raise UnknownOpportunity(
            f"opportunity id {ident!r} is too short: give at least {MIN_ID_PREFIX} characters of an id "
            "`mevcli scan` printed"
        )
    stored = load_stored_scan(ctx.settings.cache_dir, ctx.chain_id)
    if stored is None:
        raise UnknownOpportunity(
            f"unknown opportunity id {ident!r}: no scan recorded on chain {ctx.chain_id}: run `mevcli scan` "
            "first (ids are per chain)"
        )
    matches = [o for k, o in stored.opportunities.items() if k.startswith(key)]
    if len(matches) > 1:
        raise UnknownOpportunity(f"ambiguous opportunity id {ident!r}: give more characters")
    if not matches:
        kept = len(stored.opportunities)
        at = f" at block {stored.block}" if stored.block is not None else ""
        found = f" (of {stored.profitable} found)" if stored.profitable > kept else ""
        raise UnknownOpportunity(
            f"unknown opportunity id {ident!r}: not among the {kept}{found} the last scan{at} kept: "
            "run `mevcli scan` again (a larger --top keeps more), or give the route with --pools"
        )
    return matches[0]


def route_opportunity(ctx: AppContext, pools: Sequence[str], token: str, amount: int) -> Opportunity:
    """An opportunity from explicit flags: a cycle through `pools` starting and ending in `token`."""
    from mevcli.quoting import quote_path

    path, refs, _ = quote_path(ctx, pools, token, amount, token)
    if path.token_out != token:
        raise UsageError("the route must end in the token it starts with")
    tokens = (path.token_in, *(h.token_out for h in path.hops))
    pool_addresses = tuple(h.pool for h in path.hops)
    return Opportunity(
        id=opportunity_id(ctx.chain_id, tokens, pool_addresses),
        chain_id=ctx.chain_id,
        block=path.block,
        base_token=token,
        tokens=tokens,
        pools=pool_addresses,
        dexes=tuple(r.dex.name for r in refs),
        hop_amounts=tuple(h.amount_out for h in path.hops),
        amount_in=amount,
        amount_out=path.amount_out,
        profit=path.amount_out - amount,
        flash_source="",
        flash_lender="",
        flash_fee=0,
        gas_units=0,
        gas_price=0,
        gas_cost=0,
        net_profit=path.amount_out - amount,
    )


def refresh(ctx: AppContext, opportunity: Opportunity) -> Plan:
    """Re-read the route's pools at the latest block and recompute every amount."""
    block = ctx.w3.eth.block_number
    addresses = [canonical_pool(p) for p in opportunity.pools]
    refs = tuple(ctx.dexes.identify(ctx.multicall, addresses, block))
    states = read_pool_states(ctx, list(refs), block)
    tokens = opportunity.tokens
    cycle = Cycle(tuple(Edge(p, tokens[i], tokens[i + 1]) for i, p in enumerate(addresses)))
    try:
        try:
            amount_out, hops = cycle_output(cycle, states, opportunity.amount_in)
        except IncompletePoolState:  # the planned amount now walks past the loaded ticks: read them all
            states = {**states, **read_states(ctx.multicall, list(refs), block, FULL_RANGE)}
            amount_out, hops = cycle_output(cycle, states, opportunity.amount_in)
    except MevcliError as exc:
        return Plan(opportunity, opportunity, refs, states, block, error=str(exc))
    profit = amount_out - opportunity.amount_in
    fresh = replace(
        opportunity,
        block=block,
        hop_amounts=tuple(hops),
        amount_out=amount_out,
        profit=profit,
        net_profit=profit - opportunity.flash_fee - opportunity.gas_cost,
    )
    return Plan(fresh, opportunity, refs, states, block)


def pool_info(plan: Plan) -> dict[str, dict[str, Any]]:
    """What the calldata builder needs about each pool of the route."""
    return pool_info_of(plan.refs, plan.states)


def choose_flash(ctx: AppContext, opportunity: Opportunity, prefer: str | None = None) -> Opportunity:
    """Fill in the cheapest flash source that can lend the amount and is allowed for this route."""
    from mevcli.arbitrage.flash import eligible, load_sources
    from mevcli.arbitrage.gas import AAVE_FLASH_GAS, FLASH_GAS

    vault, aave = flash_venues(ctx)
    block = ctx.w3.eth.block_number
    sources = load_sources(
        ctx.multicall,
        block,
        [opportunity.base_token],
        balancer_vault=vault,
        aave_pool=aave,
        v3_pools=_known_v3_lenders(ctx, opportunity.base_token, block),
        v4_managers=v4_managers(ctx),
    )[opportunity.base_token]
    uses_vault = ctx.dexes.swaps_through_vault(opportunity.dexes)
    usable = [
        s
        for s in eligible(sources, set(opportunity.pools), uses_vault)
        if s.available >= opportunity.amount_in and (prefer is None or s.kind == prefer)
    ]
    if not usable:
        raise UsageError(f"no flash-loan source can lend {opportunity.amount_in} of {opportunity.base_token}")
    source = min(
        usable, key=lambda s: (s.fee(opportunity.amount_in), FLASH_GAS.get(s.kind, AAVE_FLASH_GAS), s.kind)
    )
    fee = source.fee(opportunity.amount_in)
    return replace(
        opportunity,
        flash_source=source.kind,
        flash_lender=source.lender,
        flash_fee=fee,
        net_profit=opportunity.profit - fee - opportunity.gas_cost,
    )


def _known_v3_lenders(ctx: AppContext, token: str, block: int) -> list[tuple[str, str, str, int]]:
    """Every Uniswap V3 pool of `token` the reserve cache follows (the pools scans have read), plus the
    devnet manifest's; their states come from the cache."""
    refs = {a: r for a, r in ctx.reserve_cache.tracked_refs().items() if pools_lend(r.dex.kind)}
    manifest_pools = [
        p["address"]
        for p in (ctx.manifest or {}).get("pools", [])
        if p["dex"] in DEXES and pools_lend(DEXES[p["dex"]].kind)
    ]
    missing = [to_checksum_address(a) for a in manifest_pools if to_checksum_address(a) not in refs]
    if missing:
        refs.update((r.address, r) for r in ctx.dexes.identify(ctx.multicall, missing, block))
    states = read_pool_states(ctx, list(refs.values()), block)
    return [
        lender
        for lender in v3_lenders(list(refs.values()), states)
        if token.lower() in (lender[1].lower(), lender[2].lower())
    ]
