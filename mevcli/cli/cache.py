"""`mevcli cache …`: the disk-backed reserve cache."""

from __future__ import annotations

import typer

from mevcli.errors import NotAvailableYet

app = typer.Typer(help="The disk-backed reserve cache.", no_args_is_help=True)


@app.command("stats")
def stats(ctx: typer.Context) -> None:
    """Hits, misses, event updates, invalidations, entries, size and last processed block."""
    raise NotAvailableYet("`mevcli cache stats` is not available yet (the reserve cache issue)")
