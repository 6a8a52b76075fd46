"""One send per opportunity at a time, across processes sharing a cache dir.

A send claims its opportunity id and its route (the set of pools, whichever direction and wherever the
cycle starts) with an exclusive, non-blocking `flock` on a file under `<cache>/claims/<chain>/`. The claim
is held until the send is final (mined and confirmed) or dropped (refused, failed), and the operating
system releases it if the process dies, so a crash never leaves a stale claim behind.

A send that reached the node but whose receipt did not come in time outlives its claim: its hash is kept
in `pending-<route>.json` next to the claims (`record_pending`), and the next send of that route reads it
under the route's claim (`pending_send`) and is refused while the transaction may still be mined
(`execution/chokepoint.py` decides, asking the node); once mined or dropped it is cleared (`clear`).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from mevcli.arbitrage.opportunity import Opportunity
from mevcli.atomic import write_json
from mevcli.errors import MevcliError


class AlreadyClaimed(MevcliError):
    """Another process is sending this opportunity (or its route) right now."""


def claims_dir(cache_dir: Path, chain_id: int) -> Path:
    return cache_dir / "claims" / str(chain_id)


def route_key(pools: tuple[str, ...] | list[str]) -> str:
    """The same for every cycle through the same pools."""
    text = ",".join(sorted(p.lower() for p in pools))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@contextmanager
def claim(path: Path, what: str) -> Iterator[None]:
    """Hold an exclusive claim on `path` for the block; `AlreadyClaimed` if another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise AlreadyClaimed(
                f"{what} is already being sent by {holder}: one send per opportunity at a time"
            ) from None
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(f"process {os.getpid()}")
            handle.flush()
            yield
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def claim_send(cache_dir: Path, chain_id: int, opportunity: Opportunity) -> Iterator[None]:
    """Claim the opportunity's id, then its route, for the duration of one send."""
    root = claims_dir(cache_dir, chain_id)
    with ExitStack() as stack:
        stack.enter_context(claim(root / f"id-{opportunity.id}.lock", f"opportunity {opportunity.id}"))
        stack.enter_context(
            claim(root / f"route-{route_key(opportunity.pools)}.lock", f"the route of {opportunity.id}")
        )
        yield


def pending_path(cache_dir: Path, chain_id: int, pools: tuple[str, ...] | list[str]) -> Path:
    return claims_dir(cache_dir, chain_id) / f"pending-{route_key(pools)}.json"


def record_pending(path: Path, record: dict[str, Any]) -> None:
    """Keep a sent, not yet mined transaction of a route (written atomically)."""
    write_json(path, record)


def pending_send(path: Path) -> dict[str, Any] | None:
    """The route's recorded pending transaction, None when there is none (or the file is unreadable)."""
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and record.get("tx_hash") else None


def clear(path: Path) -> None:
    path.unlink(missing_ok=True)
