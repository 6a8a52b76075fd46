"""The execution log (every simulation and send, one JSON line each, in the cache dir) and alerts."""

from __future__ import annotations

import fcntl
import json
import time
import urllib.request
from pathlib import Path
from typing import Any


def journal_path(cache_dir: Path, chain_id: int) -> Path:
    return cache_dir / "executions" / f"{chain_id}.jsonl"


def record(cache_dir: Path, chain_id: int, entry: dict[str, Any]) -> None:
    """Append one entry; a lock keeps concurrent writers' lines whole."""
    path = journal_path(cache_dir, chain_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"time": int(time.time()), **entry}, default=str) + "\n"
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.write(line)
        handle.flush()
        fcntl.flock(handle, fcntl.LOCK_UN)


def history(cache_dir: Path, chain_id: int, limit: int = 50) -> list[dict[str, Any]]:
    try:
        lines = journal_path(cache_dir, chain_id).read_text().splitlines()
    except OSError:
        return []
    entries = []
    for line in lines[-limit:]:
        try:
            entries.append(json.loads(line))
        except ValueError:
            continue  # a line cut by a crash mid-write: skip it, keep the rest
    return entries


def alert(webhook: str, entry: dict[str, Any], timeout: float = 5.0) -> str | None:
    """POST a Slack-format message; returns an error string instead of raising (alerts never block)."""
    status = entry.get("status", "?")
    text = (
        f"mevcli {status}: opportunity {entry.get('id')} on chain {entry.get('chain_id')} — "
        f"token profit {entry.get('token_profit')}, gas {entry.get('gas_used')}, tx {entry.get('tx_hash')}"
    )
    body = json.dumps({"text": text, "mevcli": entry}, default=str).encode()
    request = urllib.request.Request(webhook, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
        return None
    except OSError as exc:
        return f"alert to webhook failed: {exc}"
