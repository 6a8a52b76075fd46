"""`mevcli simulate`: run an opportunity through our executor with `eth_call`; nothing is sent."""

from __future__ import annotations

import typer

from mevcli.cli import route, signing
from mevcli.cli.output import emit_json, stdout
from mevcli.context import AppContext
from mevcli.execution import journal
from mevcli.execution.chokepoint import current_gas_price, simulation_sender
from mevcli.execution.simulate import Simulation
from mevcli.execution.simulate import simulate as run_simulation


def simulate(
    ctx: typer.Context,
    opportunity: route.OpportunityArg = None,
    pools: route.Pools = None,
    token: route.Token = None,
    amount: route.Amount = None,
    flash: route.Flash = None,
    executor_address: route.Executor = None,
    gas_price: signing.GasPrice = None,
) -> None:
    """Run an opportunity through the executor contract without sending: gas, profit, decoded reverts."""
    app_ctx: AppContext = ctx.obj
    plan, executor = route.build_plan(app_ctx, opportunity, pools, token, amount, flash, executor_address)
    sender = simulation_sender(app_ctx, None)
    sim = run_simulation(app_ctx, plan, executor, sender, 0, current_gas_price(app_ctx, gas_price))
    data = sim.to_json(plan)
    journal.record(app_ctx.settings.cache_dir, app_ctx.chain_id, {"kind": "simulate", **data})
    if app_ctx.settings.json:
        emit_json(data)
    else:
        render(app_ctx, plan.opportunity.id, sim)
    if not sim.ok:
        raise typer.Exit(1)


def render(ctx: AppContext, ident: str, sim: Simulation) -> None:
    if not sim.ok:
        stdout.print(f"simulation of {ident} at block {sim.block} FAILED: {sim.error}", markup=False)
        return
    stdout.print(f"simulation of {ident} at block {sim.block}: ok", markup=False)
    stdout.print(f"  hop amounts:  {', '.join(str(a) for a in sim.hops)}")
    stdout.print(f"  gas:          {sim.gas_used:,} at {sim.gas_price:,} wei, in {sim.landing}")
    stdout.print(f"  gas limit:    {sim.gas_limit:,} (what execute sends with)")
    stdout.print(f"  token profit: {sim.token_profit} (after the flash fee)")
    stdout.print(f"  net profit:   {sim.net_profit} (after gas)")
