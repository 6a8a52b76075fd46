"""`mevcli simulate`: run an opportunity through our executor with `eth_call`; nothing is sent."""

from __future__ import annotations

import typer

from mevcli.cli import signing
from mevcli.cli.output import emit_json, stdout
from mevcli.cli.route import Route, route_options
from mevcli.context import AppContext
from mevcli.execution import journal
from mevcli.execution.chokepoint import pricing, simulation_sender
from mevcli.execution.sender import FeePolicy
from mevcli.execution.simulate import Simulation
from mevcli.execution.simulate import simulate as run_simulation


@route_options
def simulate(ctx: typer.Context, route: Route, gas_price: signing.GasPrice = None) -> None:
    """Run an opportunity through the executor contract without sending: gas, profit, decoded reverts."""
    app_ctx: AppContext = ctx.obj
    plan, executor = route(app_ctx)
    sender = simulation_sender(app_ctx, None)
    fees, rate = pricing(app_ctx, plan, FeePolicy(max_fee=gas_price))
    sim = run_simulation(app_ctx, plan, executor, sender, 0, fees, rate)
    data = sim.to_json(plan)
    journal.record(app_ctx.backend, app_ctx.chain_id, {"kind": "simulate", **data})
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
    stdout.print(
        f"  gas:          {sim.gas_used:,} at {sim.gas_price:,} wei (base fee {sim.base_fee:,} + tip "
        f"{sim.priority_fee:,}), in {sim.landing}; L1 fee {sim.l1_fee_wei:,} wei; {sim.gas_cost} in the token"
    )
    stdout.print(f"  gas limit:    {sim.gas_limit:,} (what execute sends with)")
    stdout.print(f"  token profit: {sim.token_profit} (after the flash fee)")
    stdout.print(f"  net profit:   {sim.net_profit} (after everything paid)")
