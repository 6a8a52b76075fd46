"""`mevcli devnet up|status|down` through the real console script, in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from mevcli.devnet.node import pid_alive

MEVCLI = str(Path(sys.executable).with_name("mevcli"))


def run(cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ETH_RPC_URL", "CHAIN", "MEVCLI_MANIFEST")}
    env["MEVCLI_CACHE_DIR"] = str(cache)
    return subprocess.run([MEVCLI, *args], capture_output=True, text=True, env=env, timeout=120)


def test_devnet_lifecycle_and_embedded_default(tmp_path):
    cache = tmp_path / "cache"
    try:
        started = run(cache, "devnet", "up", "--json")
        assert started.returncode == 0, started.stderr
        info = json.loads(started.stdout)
        assert info["chain_id"] == 31337 and info["rpc_url"].startswith("http://127.0.0.1:")
        assert pid_alive(info["pid"])  # it outlived the command
        manifest = json.loads(Path(info["manifest"]).read_text())
        for role in ("tokens", "weth", "multicall3", "uniswap_v2", "sushiswap", "uniswap_v3", "pools"):
            assert role in manifest
        assert {"address", "dex", "tokens", "fee"} <= set(manifest["pools"][0])

        again = json.loads(run(cache, "devnet", "up", "--json").stdout)
        assert again["pid"] == info["pid"] and again["reused"] is True

        status = json.loads(run(cache, "--json", "devnet", "status").stdout)
        assert status["running"] is True and status["rpc_url"] == info["rpc_url"]

        # No RPC configured: commands use the running devnet.
        pool = next(p for p in manifest["pools"] if p["dex"] == "uniswap_v3")
        quoted = run(
            cache,
            "quote",
            "--pool",
            pool["address"],
            "--token-in",
            pool["tokens"][0],
            "--amount-in",
            "1000000",
            "--json",
            "--check",
        )
        assert quoted.returncode == 0, quoted.stderr
        assert json.loads(quoted.stdout)["check"]["match"] is True

        stopped = run(cache, "devnet", "down", "--json")
        assert json.loads(stopped.stdout) == {"stopped": True}
        assert not pid_alive(info["pid"])
        assert json.loads(run(cache, "devnet", "status", "--json").stdout) == {"running": False}
    finally:
        run(cache, "devnet", "down")


def test_bad_input_from_the_real_entry_point(tmp_path):
    result = run(
        tmp_path / "cache",
        "--rpc-url",
        "http://127.0.0.1:9",
        "quote",
        "--pool",
        "0x" + "11" * 20,
        "--token-in",
        "0x" + "22" * 20,
        "--amount-in",
        "5",
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith("Error: cannot reach a JSON-RPC node")
