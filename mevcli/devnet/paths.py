"""Where the devnet's external parts live: the repository's node_modules (anvil, solcjs, artifacts)."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def node_modules() -> Path:
    """node_modules holding the pinned npm packages (override with MEVCLI_NODE_MODULES)."""
    override = os.environ.get("MEVCLI_NODE_MODULES")
    return Path(override) if override else REPO_ROOT / "node_modules"


def node_bin(name: str) -> Path:
    path = node_modules() / ".bin" / name
    if name == "anvil":
        # The launcher script needs node; the platform package ships the binary itself.
        native = node_modules() / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
        if native.exists():
            return native
    return path
