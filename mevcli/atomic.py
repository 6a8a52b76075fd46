"""Files written whole: a reader sees the old content or the new, never a half-written file."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def write_json(path: Path, data: Any, indent: int | None = None) -> None:
    """`data` as JSON in `path` (its directory made if missing), through a temporary file renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    text = json.dumps(data, indent=indent)
    tmp.write_text(text + "\n" if indent is not None else text)
    os.replace(tmp, path)
