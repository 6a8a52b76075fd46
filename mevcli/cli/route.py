"""How simulate and execute name an opportunity: a scan id, or a route given by pools + token + amount."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated

import typer

from mevcli.cli.option_group import option_group
from mevcli.context import AppContext, parse_address
from mevcli.errors import UsageError
from mevcli.execution.calldata import LOAN_KINDS
from mevcli.execution.deployments import known_executor
from mevcli.execution.plan import Plan, choose_flash, find_opportunity, refresh, route_opportunity
from mevcli.quoting import parse_amount

OpportunityArg = Annotated[
    str | None, typer.Argument(help="Opportunity id from `mevcli scan` (a prefix works)")
]
Pools = Annotated[str | None, typer.Option("--pools", help="Route instead of an id: comma-separated pools")]
Token = Annotated[str | None, typer.Option("--token", help="With --pools: the token borrowed and returned")]
Amount = Annotated[str | None, typer.Option("--amount", help="With --pools: amount borrowed (base units)")]
Flash = Annotated[
    str | None,
    typer.Option("--flash", help="Force the flash source: balancer, aave_v3, uniswap_v3 or uniswap_v4"),
]
Executor = Annotated[
    str | None, typer.Option("--executor-address", help="Executor contract (default: deployed)")
]


# The route's option parameters (all None by default), named as `build_plan` names them.
_ROUTE = {
    "opportunity": OpportunityArg,
    "pools": Pools,
    "token": Token,
    "amount": Amount,
    "flash": Flash,
    "executor_override": Executor,
}

Route = Callable[[AppContext], tuple[Plan, str]]  # `build_plan` with the route's options given

# Declare the route's argument and options on a command whose function takes `route: Route` in their place.
route_options = option_group(
    "route",
    {name: (annotation, None) for name, annotation in _ROUTE.items()},
    lambda **named: functools.partial(build_plan, **named),
)


def build_plan(
    ctx: AppContext,
    opportunity: str | None,
    pools: str | None,
    token: str | None,
    amount: str | None,
    flash: str | None,
    executor_override: str | None,
) -> tuple[Plan, str]:
    """(fresh plan, executor address) for an opportunity id or a route. Cheap local checks first, then the
    executor, then chain reads."""
    if flash is not None and flash not in LOAN_KINDS:
        raise UsageError(f"unknown --flash {flash!r}: {', '.join(LOAN_KINDS)}")
    if (opportunity is None) == (pools is None):
        raise UsageError("name an opportunity id, or a route with --pools, --token and --amount")
    if pools is not None and (not token or not amount):
        raise UsageError("--pools needs --token and --amount")
    stored = find_opportunity(ctx, opportunity) if opportunity is not None else None
    if stored is None:  # the route's own input, before anything is looked up on chain
        base = ctx.resolve_token(token or "")
        route = [p for p in (pools or "").split(",") if p.strip()]
        borrowed = parse_amount(amount or "")
    executor = executor_address(ctx, executor_override)
    if stored is not None:
        chosen = stored
        if flash is not None and flash != chosen.flash_source:
            chosen = choose_flash(ctx, chosen, flash)
    else:
        chosen = choose_flash(ctx, route_opportunity(ctx, route, base, borrowed), flash)
    return refresh(ctx, chosen), executor


def executor_address(ctx: AppContext, override: str | None) -> str:
    if override:
        address = parse_address(override, "--executor-address")
    else:
        address = known_executor(ctx)
        if not address:
            raise UsageError("no executor deployed on this chain: run `mevcli deploy balancer --broadcast`")
        address = parse_address(address, "executor address")
    if not ctx.w3.eth.get_code(address):
        raise UsageError(f"executor address {address} has no code on chain {ctx.chain_id}")
    return address
