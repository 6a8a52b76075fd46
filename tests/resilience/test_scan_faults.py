"""`mevcli scan --json` through the fault proxy: the clean run's opportunities, or one `Error:` line; either
way the reserve cache left behind (in a cache dir, or in the shared Redis) equals the chain."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cache_checks import assert_matches_chain, open_cache

from mevcli.backend.redis_store import RedisBackend
from mevcli.devnet.fault_proxy import FaultProxy

MEVCLI = str(Path(sys.executable).with_name("mevcli"))


def scan(chain, cache: Path, url: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k not in ("ETH_RPC_URL", "CHAIN", "MEVCLI_MANIFEST")}
    full.update(chain.cli_env(cache), ETH_RPC_URL=url, **env)
    return subprocess.run([MEVCLI, "scan", "--json"], capture_output=True, text=True, env=full, timeout=180)


def assert_cache_matches_chain(chain, cache: Path | RedisBackend) -> int:
    """Every pool the run cached equals a fresh read of the chain; returns how many."""
    reserves = open_cache(chain, cache, ttl=3600.0)
    try:
        assert reserves.store.verify() == []
        refs = list(reserves.tracked_refs().values())
        if refs:
            assert_matches_chain(reserves, refs)
        return len(refs)
    finally:
        reserves.close()


@pytest.fixture(scope="module")
def clean(chain, tmp_path_factory) -> list[dict]:
    result = scan(chain, tmp_path_factory.mktemp("clean") / "cache", chain.rpc_url)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize(("seed", "backend"), [(1, "disk"), (2, "disk"), (1, "redis")])
def test_scan_through_30_percent_faults_matches_a_clean_run(chain, clean, tmp_path, seed, backend, request):
    proxy = FaultProxy(chain.rpc_url, rate=0.3, seed=seed, delay=1.5)
    shared = {}
    if backend == "redis":
        shared["MEVCLI_CACHE_URL"] = request.getfixturevalue("redis_url")
    started = time.monotonic()
    try:
        result = scan(
            chain,
            tmp_path / "cache",
            proxy.url,
            MEVCLI_RPC_TIMEOUT="1",
            MEVCLI_RPC_RETRIES="6",
            **shared,
        )
    finally:
        proxy.close()
    print(
        f"seed {seed}: {sum(proxy.counts.values())} requests, faults {dict(proxy.faults)}, "
        f"{time.monotonic() - started:.1f}s, exit {result.returncode}"
    )
    assert sum(proxy.faults.values()) > 0
    if result.returncode == 0:
        assert json.loads(result.stdout) == clean
    else:  # the faults won: said once, nothing half-printed
        errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
        assert len(errors) == 1 and result.stdout == "", result.stderr
        assert "Traceback" not in result.stderr
    where = RedisBackend(shared["MEVCLI_CACHE_URL"]) if shared else tmp_path / "cache"
    assert assert_cache_matches_chain(chain, where) > 0 or result.returncode != 0


def test_scan_when_every_request_fails_is_one_error_line(chain, tmp_path):
    proxy = FaultProxy(chain.rpc_url, rate=1.0, kinds=["500", "429"])
    try:
        result = scan(chain, tmp_path / "cache", proxy.url, MEVCLI_RPC_RETRIES="1")
    finally:
        proxy.close()
    assert result.returncode != 0 and result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert [line for line in lines if line.startswith("Error: ")] == lines[-1:], result.stderr
    assert "after 2 attempts" in lines[-1]
    assert "Traceback" not in result.stderr
