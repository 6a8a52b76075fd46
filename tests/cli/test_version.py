"""`mevcli --version` / `-V` (text and --json) and `python -m mevcli`, through the real entry points."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from eth_utils import keccak

ROOT = Path(__file__).resolve().parents[2]
MEVCLI = str(Path(sys.executable).with_name("mevcli"))
ARTIFACT = ROOT / "mevcli" / "artifacts" / "ArbExecutor.json"
LINE = re.compile(
    r"mevcli (\S+) \(executor (0x[0-9a-f]{12}), commit ([0-9a-f]{12}(?:-dirty)?), sizing (native|python)\)"
)


def run(*argv: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ETH_RPC_URL", "MEVCLI_", "CHAIN"))}
    env.update(extra_env)
    # A cache dir that is a file: --version must not look at settings, caches or nodes at all.
    env["MEVCLI_CACHE_DIR"] = str(ARTIFACT)
    return subprocess.run(list(argv), capture_output=True, text=True, env=env, timeout=60, cwd=ROOT)


def expected() -> tuple[str, str, str]:
    runtime = json.loads(ARTIFACT.read_text())["deployedBytecode"]
    git = ["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"]
    commit = subprocess.run(git, capture_output=True, text=True, check=True).stdout.strip()
    return metadata.version("mevcli"), "0x" + keccak(hexstr=runtime).hex(), commit


@pytest.mark.parametrize(
    "argv",
    [
        [MEVCLI, "--version"],
        [MEVCLI, "-V"],
        [MEVCLI, "scan", "-V"],
        [sys.executable, "-m", "mevcli", "--version"],
    ],
    ids=["--version", "-V", "after-a-command", "python-m"],
)
def test_version_is_one_line(argv):
    result = run(*argv)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert result.stdout.count("\n") == 1
    match = LINE.fullmatch(result.stdout.strip())
    assert match, result.stdout
    version, codehash, commit = expected()
    assert match.group(1) == version and codehash.startswith(match.group(2))
    assert match.group(3).removesuffix("-dirty") == commit
    assert match.group(4) == "native"  # this checkout builds the kernel (scripts/setup.sh)


def test_version_says_when_sizing_runs_in_python():
    """MEVCLI_PURE_PYTHON=1 switches the native kernel off: the line says so."""
    result = run(MEVCLI, "--version", MEVCLI_PURE_PYTHON="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("sizing python)")
    data = json.loads(run(MEVCLI, "--version", "--json", MEVCLI_PURE_PYTHON="1").stdout)
    assert data["sizing"] == "python"


@pytest.mark.parametrize("argv", [["--json", "--version"], ["-V", "--json"]])
def test_version_json(argv):
    result = run(MEVCLI, *argv)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    version, codehash, commit = expected()
    assert data["version"] == version and data["executor_codehash"] == codehash
    assert data["commit"].removesuffix("-dirty") == commit
    assert data["sizing"] == "native"


def test_python_m_mevcli_is_the_same_app():
    via_module = run(sys.executable, "-m", "mevcli", "--help")
    via_script = run(MEVCLI, "--help")
    assert via_module.returncode == 0 and "python -m mevcli" in via_module.stdout
    words = lambda text: set(re.findall(r"[a-z][a-z-]+", text)) - {"python", "m"}  # noqa: E731
    assert words(via_module.stdout) == words(via_script.stdout)  # the same options and commands
    usage = run(sys.executable, "-m", "mevcli", "scan", "--max-hops", "x")
    assert usage.returncode == 2 and usage.stderr.startswith("Error: ") and "Traceback" not in usage.stderr
