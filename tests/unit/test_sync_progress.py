"""The pool-sync progress reporter: the plain line's figures, and the bar's task on a terminal."""

from __future__ import annotations

from mevcli.arbitrage.discovery import SyncStep
from mevcli.cli.progress import SyncProgress, progress_line
from mevcli.config import Settings


def test_progress_line_figures():
    step = SyncStep("uniswap_v3", 900, 999, 4_000, blocks_done=1_000, blocks_total=4_000, pools=12)
    assert progress_line(step, elapsed=2.0) == (
        "discovering pools (uniswap_v3): 1,000/4,000 blocks (25%), 12 pools, 500 blocks/s, ETA 6s"
    )


def test_bar_on_a_terminal_follows_the_steps():
    with SyncProgress(Settings(), terminal=True) as progress:
        assert progress.bar is not None and progress.task is not None
        progress(SyncStep("sushiswap", 0, 99, 999, blocks_done=100, blocks_total=1_000, pools=3))
        task = progress.bar.tasks[0]
        assert (task.completed, task.total, task.fields["pools"]) == (100, 1_000, 3)
        assert "sushiswap" in task.description


def test_no_bar_when_quiet_or_json_logs():
    assert SyncProgress(Settings(quiet=True), terminal=True).bar_wanted is False
    assert SyncProgress(Settings(log_format="json"), terminal=True).bar_wanted is False
    assert SyncProgress(Settings(), terminal=False).bar_wanted is False
