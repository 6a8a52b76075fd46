"""What `mevcli --version` reports: the package version, the executor artifact's code hash, the git commit,
and whether sizing runs in the native kernel or in Python."""

from __future__ import annotations

import json
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

_PACKAGE_DIR = Path(__file__).resolve().parent
EXECUTOR_ARTIFACT = _PACKAGE_DIR / "artifacts" / "ArbExecutor.json"


def package_version() -> str:
    try:
        return metadata.version("mevcli")
    except metadata.PackageNotFoundError:
        return "unknown"


def executor_codehash() -> str | None:
    """keccak256 of the shipped executor's runtime code: what `deploy` records and the chain reports."""
    from eth_utils import keccak

    try:
        runtime = json.loads(EXECUTOR_ARTIFACT.read_text())["deployedBytecode"]
    except (OSError, ValueError, KeyError):
        return None
    return "0x" + keccak(hexstr=runtime).hex()


def git_commit() -> str | None:
    """The checkout's HEAD commit (with `-dirty` when tracked files changed), None outside a checkout."""
    root = _PACKAGE_DIR.parent
    if not (root / ".git").exists():
        return None
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = (
            subprocess.run(
                ["git", "-C", str(root), "diff", "--quiet", "HEAD", "--"], capture_output=True, timeout=5
            ).returncode
            == 1
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}-dirty" if head and dirty else head or None


def sizing_engine() -> str:
    """"native" where the sizing kernel is built and on (mevcli/native), else "python": the same results,
    the native one ~3x faster per candidate."""
    from mevcli.native import kernel

    return "python" if kernel is None else "native"


def version_info() -> dict[str, Any]:
    return {
        "version": package_version(),
        "executor_codehash": executor_codehash(),
        "commit": git_commit(),
        "sizing": sizing_engine(),
    }


def version_line(info: dict[str, Any]) -> str:
    """`mevcli 0.1.0 (executor 0x1234abcd5678, commit 0123456789ab, sizing native)`: one line for bug
    reports."""
    extra = []
    if info.get("executor_codehash"):
        extra.append(f"executor {info['executor_codehash'][:14]}")
    if info.get("commit"):
        extra.append(f"commit {info['commit']}")
    if info.get("sizing"):
        extra.append(f"sizing {info['sizing']}")
    return f"mevcli {info['version']}" + (f" ({', '.join(extra)})" if extra else "")
