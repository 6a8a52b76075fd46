"""`mevcli deploy …`: deploy our contracts (simulates unless --broadcast)."""

from __future__ import annotations

import typer

from mevcli.errors import NotAvailableYet

app = typer.Typer(help="Deploy the flash-loan executor contract.", no_args_is_help=True)


@app.command("balancer")
def balancer(ctx: typer.Context) -> None:
    """Deploy the flash-loan executor (Balancer Vault, Aave V3, Uniswap V3 flash)."""
    raise NotAvailableYet("`mevcli deploy balancer` is not available yet (the execution issue)")
