"""Output conventions: machine JSON on stdout, human tables on stdout, logs and progress on stderr."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

# Off a terminal (cron, pipes, logs) rich would wrap tables at 80 columns; give them room instead.
_WIDTH = None if sys.stdout.isatty() else 200
stdout = Console(highlight=False, soft_wrap=True, width=_WIDTH)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def emit_json(data: Any) -> None:
    """One JSON document on stdout; ints stay ints (amounts are never floats)."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
    sys.stdout.flush()


def log(message: str) -> None:
    stderr.print(message)


def format_units(amount: int, decimals: int, places: int = 6) -> str:
    """`amount` base units as a decimal string, exact integer arithmetic, trimmed to `places`."""
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(amount), 10**decimals)
    if decimals == 0:
        return f"{sign}{whole:,}"
    digits = str(frac).rjust(decimals, "0")[:places].rstrip("0")
    return f"{sign}{whole:,}" + (f".{digits}" if digits else "")
