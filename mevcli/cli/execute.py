"""`mevcli execute`: one opportunity through the send chokepoint (mevcli/execution/chokepoint.py)."""

from __future__ import annotations

from typing import Any

import typer

from mevcli.cli import signing
from mevcli.cli.output import emit_json, log, stdout
from mevcli.cli.route import Route, route_options
from mevcli.context import AppContext
from mevcli.execution.chokepoint import SIMULATED, SUCCESS, run


@signing.sending_options(execution=True)
@route_options
def execute(ctx: typer.Context, route: Route, *, sending: signing.Sending) -> None:
    """Send an opportunity (flash loan + swaps) through the executor; simulates unless --broadcast."""
    app_ctx: AppContext = ctx.obj
    signer = sending.signer(app_ctx)
    plan, executor = route(app_ctx)
    options = sending.execution()
    result = run(app_ctx, plan, executor, signer, options)
    if result.get("alert_error"):
        log(result["alert_error"])
    if app_ctx.settings.json:
        emit_json(result)
    else:
        render(result)
    if result["status"] not in (SUCCESS, SIMULATED):
        raise typer.Exit(1)


def render(result: dict[str, Any]) -> None:
    """One line per outcome, a second with the transaction when one was sent."""
    stdout.print(f"{result['id']}: {result['status']}", markup=False)
    if result["tx_hash"]:
        stdout.print(
            f"  tx {result['tx_hash']} in block {result['block']}, gas used {result['gas_used']:,}, "
            f"token profit {result['token_profit']}, gas {result['gas_cost']} in the token, "
            f"net {result['net_profit']} (estimated {result['estimated']['net_profit']})",
            markup=False,
        )
