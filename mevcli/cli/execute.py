"""`mevcli execute`: Send an opportunity (flash loan + swaps); simulates unless --broadcast."""

from __future__ import annotations

import typer

from mevcli.errors import NotAvailableYet


def execute(ctx: typer.Context) -> None:
    """Send an opportunity (flash loan + swaps); simulates unless --broadcast."""
    raise NotAvailableYet("`mevcli execute` is not available yet (the execution issue)")
