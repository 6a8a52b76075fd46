"""The summary of the last scan per chain (`<cache_dir>/scans/<chain_id>.json`, or the shared Redis), for
`status` and metrics."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mevcli.backend import Backend, as_backend

DOCUMENT = "last-scan"

if TYPE_CHECKING:
    from mevcli.arbitrage.scanner import ScanReport


def last_scan_path(cache_dir: Path, chain_id: int) -> Path:
    return cache_dir / "scans" / f"{chain_id}.json"


def summarise(report: ScanReport, chain_id: int, label: Callable[[str], str]) -> dict[str, Any]:
    """Counts, duration and the best net profit per base token (`label(address)` names it), as JSON."""
    best: dict[str, dict[str, Any]] = {}
    for o in report.opportunities:  # ranked best first, so the first per base token is its best
        name = label(o.base_token)
        if name not in best:
            best[name] = {"token": o.base_token, "net_profit": o.net_profit, "id": o.id}
    return {
        "time": int(time.time()),
        "chain_id": chain_id,
        "block": report.block,
        "seconds": round(report.timings.get("total_s", 0.0), 3),
        "pools": report.stats.pools,
        "cycles": report.stats.cycles,
        "listed": report.stats.searched,
        "candidates": report.stats.candidates,
        "profitable": report.profitable,
        "opportunities": len(report.opportunities),  # those shown and kept (`--top N`)
        "best_id": report.opportunities[0].id if report.opportunities else None,
        "best_net_profit": best,  # base units of each base token (ints)
    }


def save_last_scan(where: Backend | Path, chain_id: int, summary: dict[str, Any]) -> None:
    as_backend(where).put_document(DOCUMENT, chain_id, summary)


def load_last_scan(where: Backend | Path, chain_id: int) -> dict[str, Any] | None:
    return as_backend(where).get_document(DOCUMENT, chain_id)
