"""`mevcli status --follow`: the status screen refreshed in place (rich Live) until Ctrl-C."""

from __future__ import annotations

import time

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.text import Text

from mevcli.cli.cache import history_table
from mevcli.cli.output import stdout
from mevcli.cli.status import collect, status_table
from mevcli.context import AppContext
from mevcli.execution import journal

RECENT_EXECUTIONS = 5


def screen(ctx: AppContext, console: Console, interval: float, refresh: int) -> RenderableType:
    """One frame: the status table, the newest executions, and when it was drawn."""
    data = collect(ctx)
    parts: list[RenderableType] = [status_table(ctx, data, console)]
    chain_id = data.get("chain_id")
    if chain_id is not None:
        recent = journal.history(ctx.backend, chain_id, RECENT_EXECUTIONS)
        if recent:
            rows = [{"chain_id": chain_id, **e} for e in recent]
            parts.append(history_table(rows, console, title=f"newest {len(rows)} executions"))
    when = time.strftime("%H:%M:%S")
    parts.append(Text(f"refresh {refresh} at {when}, every {interval:g}s; Ctrl-C to stop", style="dim"))
    return Group(*parts)


def follow_status(ctx: AppContext, interval: float, refreshes: int | None) -> None:
    """Redraw in place on a terminal; elsewhere print one frame per interval. Ctrl-C ends it quietly."""
    count = 1
    try:
        if not stdout.is_terminal:
            while True:
                stdout.print(screen(ctx, stdout, interval, count))
                if refreshes is not None and count >= refreshes:
                    return
                time.sleep(interval)
                count += 1
        with Live(screen(ctx, stdout, interval, count), console=stdout, auto_refresh=False) as live:
            while refreshes is None or count < refreshes:
                time.sleep(interval)
                count += 1
                live.update(screen(ctx, stdout, interval, count), refresh=True)
    except KeyboardInterrupt:
        pass
