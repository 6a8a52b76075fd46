"""The scripts as the README shows them right after `scripts/setup.sh`: no PATH change, no $MEVCLI, run
from another directory; they find the checkout's own .venv/bin/mevcli. `deploy-multi-dex.sh devnet` uses
mevcli's running devnet without ETH_RPC_URL_DEVNET."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = str(Path(sys.executable).parent)


def run_script(cli_devnet, name: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = cli_devnet.env()
    env.pop("MEVCLI", None)
    env.pop("PYTHON", None)
    env.pop("VIRTUAL_ENV", None)
    # A fresh shell's PATH: nothing of the project's virtualenv on it.
    env["PATH"] = os.pathsep.join(
        p
        for p in env.get("PATH", "").split(os.pathsep)
        if p and Path(p).resolve() != Path(VENV_BIN).resolve()
    )
    assert subprocess.run(["bash", "-c", "command -v mevcli"], env=env, capture_output=True).returncode != 0
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / name), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cli_devnet.cache_dir.parent,
        timeout=180,
    )


def test_dashboard_once_without_path_changes(cli_devnet):
    result = run_script(cli_devnet, "dashboard.sh", "--once")
    assert result.returncode == 0, result.stderr
    assert "command not found" not in result.stderr
    node = next(line for line in result.stdout.splitlines() if line.strip().startswith("node"))
    assert cli_devnet.rpc_url in node and "chain 31337" in node


def test_deploy_multi_dex_devnet_without_a_url(cli_devnet):
    result = run_script(cli_devnet, "deploy-multi-dex.sh", "devnet")
    assert result.returncode == 0, result.stdout + result.stderr
    rows = [line.split() for line in result.stdout.splitlines()]
    assert rows[0] == ["CHAIN", "STATUS", "ADDRESS", "GAS", "DETAIL"]
    assert rows[1][:3] == ["devnet", "planned", "-"] and int(rows[1][3]) > 100_000


def test_a_missing_mevcli_is_one_error_line(cli_devnet, tmp_path):
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "dashboard.sh"), "--once"],
        capture_output=True,
        text=True,
        env={**cli_devnet.env(), "MEVCLI": str(tmp_path / "no-such-mevcli")},
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "Error: mevcli not found: run scripts/setup.sh, or set MEVCLI to its path"
