"""The native sizing kernel, `sizing.size_route`'s V2/V3 path in C with the same integers (`kernel`:
None where it is not built, or where MEVCLI_PURE_PYTHON=1 turns it off)."""

from __future__ import annotations

import os

try:
    from mevcli.native import _kernel as kernel
except ImportError:  # not built: sizing runs in Python
    kernel = None

if os.environ.get("MEVCLI_PURE_PYTHON") == "1":
    kernel = None
