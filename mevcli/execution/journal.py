"""The execution log (every simulation and send, one JSON line each, in the backend: the cache dir's
`executions/<chain>.jsonl`, or a list in the shared Redis) and alerts.

Both pass through `redact_text`: an error message that names an RPC URL keeps no credentials.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mevcli.backend import Backend, as_backend
from mevcli.redact import redact_text

LOG = "executions"


def journal_path(cache_dir: Path, chain_id: int) -> Path:
    return cache_dir / "executions" / f"{chain_id}.jsonl"


def record(where: Backend | Path, chain_id: int, entry: dict[str, Any]) -> None:
    """Append one entry (whole: concurrent writers never interleave within a line)."""
    line = redact_text(json.dumps({"time": int(time.time()), **entry}, default=str))
    as_backend(where).append_log(LOG, chain_id, line)


def entries(where: Backend | Path, chain_id: int) -> list[dict[str, Any]]:
    """Every journaled entry, oldest first."""
    parsed = []
    for line in as_backend(where).read_log(LOG, chain_id):
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a line cut by a crash mid-write: skip it, keep the rest
        if isinstance(entry, dict):
            parsed.append(entry)
    return parsed


def history(where: Backend | Path, chain_id: int, limit: int = 50) -> list[dict[str, Any]]:
    """The newest `limit` entries, oldest first."""
    return entries(where, chain_id)[-limit:] if limit > 0 else []


def journal_chain_ids(where: Backend | Path) -> list[int]:
    return as_backend(where).log_chain_ids(LOG)


def summarize(items: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Execution figures: simulations (`simulate`, and `execute`/`watch` without --broadcast), sends,
    their successes and reverts, refusals (nothing sent), failures (the node refused: nothing sent), gas
    paid in wei (a pending send's comes with its later "settle" entry, which is not another send), and
    per token: realized profit (the Executed events of successful sends), realized net (profit less gas
    paid, reverts included) next to what the sends were estimated to net."""
    figures: dict[str, Any] = dict.fromkeys(
        ("entries", "simulations", "sends", "successes", "reverts", "refusals", "failures", "gas_paid_wei"), 0
    )
    profit: dict[str, int] = {}
    realized_net: dict[str, int] = {}
    estimated_net: dict[str, int] = {}
    last_time = None
    for entry in items:
        figures["entries"] += 1
        last_time = entry.get("time", last_time)
        status = str(entry.get("status") or "")
        if entry.get("kind") == "simulate" or status == "simulated":
            figures["simulations"] += 1
        if status.startswith("refused"):
            figures["refusals"] += 1
        elif status.startswith("failed"):
            figures["failures"] += 1
        if not entry.get("tx_hash"):
            continue
        if entry.get("kind") != "settle":  # a settle entry is the mined outcome of a pending send
            figures["sends"] += 1
        paid = entry.get("gas_paid_wei")
        if paid is None:  # entries written before the L1 fee was recorded
            paid = int(entry.get("gas_used") or 0) * int(entry.get("effective_gas_price") or 0)
        figures["gas_paid_wei"] += int(paid)
        token = str(entry.get("base_token"))
        if status == "reverted":
            figures["reverts"] += 1
        elif status == "success":
            figures["successes"] += 1
            profit[token] = profit.get(token, 0) + int(entry.get("token_profit") or 0)
        estimated = entry.get("estimated")
        if isinstance(estimated, dict) and status in ("success", "reverted"):
            realized_net[token] = realized_net.get(token, 0) + int(entry.get("net_profit") or 0)
            estimated_net[token] = estimated_net.get(token, 0) + int(estimated.get("net_profit") or 0)
    figures["realized_profit"] = profit
    figures["realized_net"] = realized_net
    figures["estimated_net"] = estimated_net
    figures["last_time"] = last_time
    return figures


def alert(webhook: str, entry: dict[str, Any], timeout: float = 5.0) -> str | None:
    """POST a Slack-format message; returns an error string instead of raising (alerts never block)."""
    status = entry.get("status", "?")
    estimated = entry.get("estimated") if isinstance(entry.get("estimated"), dict) else entry
    text = (
        f"mevcli {status}: opportunity {entry.get('id')} on chain {entry.get('chain_id')} — "
        f"token profit {entry.get('token_profit')}, gas {entry.get('gas_used')} "
        f"({entry.get('gas_cost')} in the token), net {entry.get('net_profit')} "
        f"(estimated {estimated.get('net_profit')}), tx {entry.get('tx_hash')}"
    )
    body = redact_text(json.dumps({"text": text, "mevcli": entry}, default=str)).encode()
    request = urllib.request.Request(webhook, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
        return None
    except OSError as exc:
        return redact_text(f"alert to webhook failed: {exc}")
