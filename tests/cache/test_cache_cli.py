"""The cache across processes: `mevcli cache warm|stats|clear` and `mevcli watch`, as real subprocesses."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from cache_checks import assert_matches_chain, open_cache
from processes import rest_of_output
from typer.testing import CliRunner

from mevcli.cli.app import app

MEVCLI = str(Path(sys.executable).with_name("mevcli"))


def _env(chain, cache: Path, url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ETH_RPC_URL", "CHAIN", "MEVCLI_MANIFEST")}
    env.update(chain.cli_env(cache))
    if url:
        env["ETH_RPC_URL"] = url
    return env


def run(chain, cache: Path, *args: str, url: str | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [MEVCLI, *args], capture_output=True, text=True, env=_env(chain, cache, url), timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result


def invoke(chain, cache: Path, *args: str):
    """In-process (CliRunner), for the checks that need no second process."""
    result = CliRunner().invoke(app, list(args), env=_env(chain, cache))
    assert result.exit_code == 0, result.stderr
    return result


def test_two_invocations_share_the_cache_and_the_second_reads_no_state(market, tmp_path, proxy):
    chain, cache = market.chain, tmp_path / "cache"
    market.fund()
    proxy.reset()
    first = json.loads(run(chain, cache, "--json", "cache", "warm", url=proxy.url).stdout)
    pools = len(chain.manifest["pools"])
    assert first["pools"] == pools and len(first["read"]) == pools
    assert proxy.reset()["eth_call"] > 0

    second = json.loads(run(chain, cache, "--json", "cache", "warm", url=proxy.url).stdout)
    calls = proxy.reset()
    assert calls["eth_call"] == 0, calls  # unchanged pools come from disk
    assert second["hits"] == pools and second["read"] == []

    # Swaps, a mint and a burn between invocations: applied from their events, still no eth_call.
    v2, v3 = market.pools("uniswap_v2")[0], market.pools("uniswap_v3")[0]
    market.v2_swap(v2, 40_000)
    market.v3_swap(v3, 60_000)
    position = market.v3_mint(v3, market.aligned(v3, -20), market.aligned(v3, 20), 50_000)
    market.v3_burn(position)
    third = json.loads(run(chain, cache, "--json", "cache", "warm", url=proxy.url).stdout)
    calls = proxy.reset()
    assert calls["eth_call"] == 0, calls
    assert third["hits"] == pools and third["event_updates"] >= 4

    stats = json.loads(invoke(chain, cache, "--json", "cache", "stats").stdout)
    assert stats["hits"] == 2 * pools and stats["misses"] == pools
    assert stats["hit_rate"] == round(2 / 3, 4)
    assert stats["entries"] == pools and stats["event_updates"] == third["event_updates"]
    assert stats["last_block"] == chain.w3.eth.block_number and stats["size_bytes"] > 0
    assert stats["rpc_calls_saved"] > 0 and stats["invalidations"] == 0

    reopened = open_cache(chain, cache)
    assert_matches_chain(reopened, market.refs())
    table = invoke(chain, cache, "cache", "stats").stdout
    assert "hit rate" in table and "event-applied updates" in table

    cleared = json.loads(invoke(chain, cache, "--json", "cache", "clear").stdout)
    assert cleared == {"cleared": {"31337": pools}}
    after = json.loads(invoke(chain, cache, "--json", "cache", "stats").stdout)
    assert after["entries"] == 0 and after["hits"] == 0 and after["last_block"] is None


def test_watch_once_resumes_from_the_last_processed_block(market, tmp_path):
    chain, cache = market.chain, tmp_path / "cache"
    market.fund()
    lines = run(chain, cache, "--json", "watch", "--once", "--no-opportunities").stdout.splitlines()
    start = json.loads(lines[0])
    assert start["block"] == chain.w3.eth.block_number and len(start["read"]) == len(chain.manifest["pools"])
    assert json.loads(lines[-1])["summary"]["heads"] == 1

    v2 = market.pools("sushiswap")[1]
    market.v2_swap(v2, 20_000)
    swap_block = chain.w3.eth.block_number
    market.mine(3)
    lines = run(chain, cache, "--json", "watch", "--once", "--no-opportunities").stdout.splitlines()
    updates = [json.loads(line) for line in lines[:-1]]
    assert [u["block"] for u in updates] == [swap_block, swap_block + 3]
    assert updates[0]["updated"] == [v2["address"]] and updates[-1]["read"] == []
    summary = json.loads(lines[-1])
    assert summary["cache"]["last_block"] == swap_block + 3 and summary["summary"]["pool_updates"] == 1


def test_watch_once_ranks_opportunities(chain, tmp_path):
    runner = CliRunner()
    result = runner.invoke(
        app, ["--json", "watch", "--once", "--top", "2"], env=chain.cli_env(tmp_path / "cache")
    )
    assert result.exit_code == 0, result.stderr
    head = json.loads(result.stdout.splitlines()[0])
    assert isinstance(head["opportunities"], list) and 0 < len(head["opportunities"]) <= 2
    assert head["opportunities"][0]["net_profit"] > 0


def _start_watch(chain, cache: Path, url: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [MEVCLI, "--json", "watch", "--no-opportunities", "--poll-interval", "0.1", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(chain, cache, url),
    )


def test_watch_follows_new_heads_over_websocket(market, tmp_path):
    chain = market.chain
    market.fund()
    ws_url = chain.rpc_url.replace("http://", "ws://")
    watch = _start_watch(chain, tmp_path / "cache", ws_url, "--blocks", "3")
    try:
        first = json.loads(watch.stdout.readline())  # started: the pools are cached
        assert first["block"] == chain.w3.eth.block_number
        time.sleep(0.5)  # let the subscription settle
        pool = market.pools("uniswap_v2")[3]
        for _ in range(3):
            market.v2_swap(pool, 5_000)
        out, err = rest_of_output(watch, 60)
    finally:
        watch.kill()
    assert watch.returncode == 0, err
    updates = [json.loads(line) for line in out.splitlines()[:-1]]
    assert updates[-1]["block"] >= first["block"] + 3
    assert sum(u["updated"].count(pool["address"]) for u in updates) == 3
    assert json.loads(out.splitlines()[-1])["summary"]["pool_updates"] == 3
    assert "(ws)" in err


def test_watch_stops_cleanly_on_ctrl_c_with_a_summary(chain, tmp_path):
    watch = _start_watch(chain, tmp_path / "cache", chain.rpc_url)
    try:
        assert json.loads(watch.stdout.readline())["block"] == chain.w3.eth.block_number
        watch.send_signal(signal.SIGINT)
        out, err = rest_of_output(watch, 30)
    finally:
        watch.kill()
    assert watch.returncode == 0, err
    assert "watched blocks" in err and "Traceback" not in err
    assert json.loads(out.splitlines()[-1])["summary"]["heads"] >= 1


def test_watch_plain_lines_off_a_terminal(market, tmp_path):
    cache = tmp_path / "cache"
    first = invoke(market.chain, cache, "watch", "--once", "--no-opportunities").stdout
    pools = len(market.manifest["pools"])
    assert first.startswith(f"block {market.chain.w3.eth.block_number}: ") and f"read {pools} pools" in first
    pool = market.pools("uniswap_v3")[1]
    market.v3_swap(pool, 10_000)
    second = invoke(market.chain, cache, "watch", "--once", "--no-opportunities").stdout
    # the pool is named apart from its siblings by its fee tier
    assert second.startswith(f"block {market.chain.w3.eth.block_number}: updated uni3:{pool['fee']} ")
