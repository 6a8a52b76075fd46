"""`mevcli scan`: Rank cross-DEX arbitrage cycles by profit net of gas and flash-loan fee."""

from __future__ import annotations

import typer

from mevcli.errors import NotAvailableYet


def scan(ctx: typer.Context) -> None:
    """Rank cross-DEX arbitrage cycles by profit net of gas and flash-loan fee."""
    raise NotAvailableYet("`mevcli scan` is not available yet (the scanner issue)")
