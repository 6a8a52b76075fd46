"""The resilience tests reuse the cache tests' market and cached-versus-chain checks."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "cache"))
