"""`mevcli watch`: Follow new blocks and pool events; re-rank affected cycles live."""

from __future__ import annotations

import typer

from mevcli.errors import NotAvailableYet


def watch(ctx: typer.Context) -> None:
    """Follow new blocks and pool events; re-rank affected cycles live."""
    raise NotAvailableYet("`mevcli watch` is not available yet (the reserve cache issue)")
