"""Progress of a long pool sync on stderr: a rich bar (blocks done, pools found, rate, ETA) on a terminal;
plain log lines, at most one every LINE_EVERY seconds, when stderr is not a terminal or with
`--log-format json` (and nothing with `--quiet`)."""

from __future__ import annotations

import sys
import time
from types import TracebackType

from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from mevcli.arbitrage.discovery import SyncStep
from mevcli.cli.output import log, stderr
from mevcli.config import Settings

LINE_EVERY = 10.0


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def progress_line(step: SyncStep, elapsed: float) -> str:
    """`discovering pools: 1,200,000/3,400,000 blocks (35%), 812 pools, 41,000 blocks/s, ETA 54s`."""
    share = step.blocks_done / step.blocks_total if step.blocks_total else 1.0
    rate = step.blocks_done / elapsed if elapsed > 0 else 0.0
    eta = (step.blocks_total - step.blocks_done) / rate if rate > 0 else None
    return (
        f"discovering pools ({step.dex}): {step.blocks_done:,}/{step.blocks_total:,} blocks ({share:.0%}), "
        f"{step.pools:,} pools, {rate:,.0f} blocks/s, ETA {'?' if eta is None else _duration(eta)}"
    )


class SyncProgress:
    """A context manager that is also the `on_window` callback of `PoolDiscovery.discover`."""

    def __init__(self, settings: Settings, *, terminal: bool | None = None) -> None:
        terminal = sys.stderr.isatty() if terminal is None else terminal
        self.quiet = settings.quiet
        self.bar_wanted = terminal and not settings.quiet and settings.log_format != "json"
        self.started = time.monotonic()
        self.said = 0.0
        self.last: SyncStep | None = None
        self.bar: Progress | None = None
        self.task: TaskID | None = None

    def __enter__(self) -> SyncProgress:
        self.started = time.monotonic()
        if self.bar_wanted:
            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed:,.0f}/{task.total:,.0f} blocks"),
                TextColumn("{task.fields[pools]:,} pools"),
                TextColumn("{task.fields[rate]}"),
                TimeRemainingColumn(),
                console=stderr,
            )
            self.bar.start()
            self.task = self.bar.add_task("discovering pools", total=0, pools=0, rate="")
        return self

    def __call__(self, step: SyncStep) -> None:
        self.last = step
        elapsed = time.monotonic() - self.started
        if self.bar is not None and self.task is not None:
            rate = step.blocks_done / elapsed if elapsed > 0 else 0.0
            self.bar.update(
                self.task,
                description=f"discovering pools ({step.dex})",
                completed=step.blocks_done,
                total=step.blocks_total,
                pools=step.pools,
                rate=f"{rate:,.0f} blocks/s",
            )
            return
        now = time.monotonic()
        if not self.quiet and now - self.said >= LINE_EVERY:
            self.said = now
            log(progress_line(step, elapsed))

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.bar is not None:
            self.bar.stop()
        elif self.last is not None and not self.quiet and kind is None:
            log(progress_line(self.last, time.monotonic() - self.started))
