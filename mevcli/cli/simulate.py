"""`mevcli simulate`: Run an opportunity through the executor contract without sending."""

from __future__ import annotations

import typer

from mevcli.errors import NotAvailableYet


def simulate(ctx: typer.Context) -> None:
    """Run an opportunity through the executor contract without sending."""
    raise NotAvailableYet("`mevcli simulate` is not available yet (the execution issue)")
