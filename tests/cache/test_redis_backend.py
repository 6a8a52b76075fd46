"""The Redis backend from the command line and when it goes away: selection by flag, environment and
mevcli.toml; a Redis that is down or refuses the password is one `Error:` line (no password shown);
`cache stats` / `cache clear` per chain; a Redis lost mid-run is said once and results stay exact."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import pytest
from cache_checks import CHAIN_ID, assert_matches_chain, open_cache
from typer.testing import CliRunner

from mevcli.backend.base import BackendUnavailable
from mevcli.backend.redis_store import RedisBackend
from mevcli.cache.store import ReserveStore, SyncPoint
from mevcli.cli.app import app
from mevcli.devnet.redis_server import RedisServer
from mevcli.execution import journal

runner = CliRunner()


def invoke(env: dict[str, str], *args: str) -> Any:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MEVCLI_", "CHAIN", "ETH_RPC"))}
    return runner.invoke(app, list(args), env={**clean, **env})


def one_error(result: Any) -> str:
    assert result.exit_code != 0 and result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def test_a_redis_that_is_down_is_one_error_line(tmp_path):
    server = RedisServer()  # a free port nobody listens on
    env = {"MEVCLI_CACHE_DIR": str(tmp_path), "MEVCLI_CACHE_URL": server.url(password="hunter2")}
    line = one_error(invoke(env, "cache", "stats"))
    assert "cannot reach Redis at redis://127.0.0.1" in line and "hunter2" not in line


def test_a_refused_password_is_one_error_line(tmp_path, redis_server):
    url = redis_server.url(db=1, password="not-the-password")
    line = one_error(invoke({"MEVCLI_CACHE_DIR": str(tmp_path)}, "--cache-url", url, "cache", "stats"))
    assert "refused authentication" in line and "not-the-password" not in line
    no_password = redis_server.url(db=1, password="")
    assert "refused authentication" in one_error(
        invoke({"MEVCLI_CACHE_DIR": str(tmp_path)}, "--cache-url", no_password, "cache", "stats")
    )


def test_password_file_and_config_file_select_the_redis(tmp_path, redis_server, redis_url):
    secret = tmp_path / "redis.pass"
    secret.write_text(redis_server.password + "\n")
    config = tmp_path / "mevcli.toml"
    config.write_text(
        f'cache_url = "{redis_server.url(db=1, password="")}"\ncache_password_file = "{secret}"\n'
    )
    backend = RedisBackend(redis_url)
    ReserveStore(backend.reserve_kv(CHAIN_ID)).set_sync(SyncPoint(7, "0x07", ((7, "0x07"),)))
    result = invoke(
        {"MEVCLI_CACHE_DIR": str(tmp_path / "cache")}, "--config", str(config), "--json", "cache", "stats"
    )
    assert result.exit_code == 0, result.stderr
    stats = json.loads(result.stdout)
    assert (
        stats["last_block"] == 7
        and stats["directory"] == f"redis://127.0.0.1:{redis_server.port} db 1 (chain {CHAIN_ID})"
    )
    bad = tmp_path / "bad.toml"
    bad.write_text('cache_url = "http://u:pw@example/0"\n')
    line = one_error(invoke({"MEVCLI_CACHE_DIR": str(tmp_path)}, "--config", str(bad), "cache", "stats"))
    assert "cache_url" in line and ":pw@" not in line


def test_stats_and_clear_work_per_chain(market, tmp_path, redis_url):
    backend = RedisBackend(redis_url)
    cache = open_cache(market.chain, backend)
    cache.snapshot(market.refs(("uniswap_v2",)))
    other = ReserveStore(backend.reserve_kv(1))
    other.set_sync(SyncPoint(100, "0x64", ((100, "0x64"),)))
    other.set_index({"0x" + "11" * 20: {"model": "v2", "routes": []}})
    journal.record(backend, CHAIN_ID, {"kind": "simulate", "id": "x1", "status": "simulated"})
    env = {"MEVCLI_CACHE_DIR": str(tmp_path / "cache"), "MEVCLI_CACHE_URL": redis_url}

    both = json.loads(invoke(env, "--json", "cache", "stats").stdout)
    assert {s["chain_id"]: s["entries"] for s in both} == {1: 1, CHAIN_ID: len(market.pools("uniswap_v2"))}
    assert next(s for s in both if s["chain_id"] == CHAIN_ID)["executions"]["simulations"] == 1

    cleared = invoke(env, "--json", "--chain", "devnet", "cache", "clear")
    assert cleared.exit_code == 0, cleared.stderr
    assert json.loads(cleared.stdout) == {"cleared": {str(CHAIN_ID): len(market.pools("uniswap_v2"))}}
    assert ReserveStore(backend.reserve_kv(1)).sync().block == 100  # the other chain is untouched
    assert backend.reserve_kv(CHAIN_ID, create=False) is None
    assert not (tmp_path / "cache" / "reserves").exists()


def test_a_redis_lost_mid_run_is_said_once_and_results_stay_exact(market, tmp_path, caplog):
    market.fund()
    refs = market.refs(("uniswap_v2", "uniswap_v3"))
    with RedisServer() as server:
        backend = RedisBackend(server.url(), cache_dir=tmp_path)
        cache = open_cache(market.chain, backend)
        assert cache.snapshot(refs).misses == len(refs)
        market.v2_swap(market.pools("uniswap_v2")[0], 20_000)
        server.stop()
        with caplog.at_level(logging.WARNING, logger="mevcli.backend"):
            assert_matches_chain(cache, refs)
            market.v3_swap(market.pools("uniswap_v3")[0], 30_000)
            assert_matches_chain(cache, refs)
            journal.record(backend, CHAIN_ID, {"kind": "simulate", "id": "y1", "status": "simulated"})
        said = [r.getMessage() for r in caplog.records if r.name == "mevcli.backend"]
        assert len([m for m in said if "reads pool states from the chain" in m]) == 1, said
        assert len([m for m in said if "execution log" in m]) == 1, said
        assert [e["id"] for e in journal.entries(Path(tmp_path), CHAIN_ID)] == ["y1"]


def test_rediss_asks_for_tls(redis_server):
    """rediss:// makes the client speak TLS (the test server has none, so it fails as unreachable)."""
    url = redis_server.url(db=1).replace("redis://", "rediss://")
    with pytest.raises(BackendUnavailable, match=r"cannot reach Redis at rediss://127\.0\.0\.1"):
        RedisBackend(url)
