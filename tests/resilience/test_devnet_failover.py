"""The devnet is recognised by its node, whatever URL reaches it: fail-over in either order, ws://, status."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from web3 import Web3
from web3.providers.rpc import HTTPProvider

MEVCLI = str(Path(sys.executable).with_name("mevcli"))
DEAD = "http://127.0.0.1:1"  # nothing listens on port 1: connection refused at once


@pytest.mark.parametrize("dead_first", [True, False], ids=["dead-url-first", "dead-url-last"])
def test_scan_fails_over_to_the_devnet_in_either_order(cli_devnet, dead_first):
    urls = [DEAD, cli_devnet.rpc_url] if dead_first else [cli_devnet.rpc_url, DEAD]
    args = [a for url in urls for a in ("--rpc-url", url)]
    result = cli_devnet.run(*args, "scan", "--top", "2", "--json")
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert 0 < len(found) <= 2 and all(o["chain_id"] == 31337 for o in found)


def test_status_reports_the_url_that_answered(cli_devnet):
    result = cli_devnet.run("--rpc-url", DEAD, "--rpc-url", cli_devnet.rpc_url, "status", "--json")
    assert result.returncode == 0, result.stderr
    node = json.loads(result.stdout)["node"]
    assert node["rpc_url"] == cli_devnet.rpc_url and node["reachable"] is True
    assert node["chain_id"] == 31337
    dead, live = node["endpoints"]
    assert dead["rpc_url"] == DEAD and dead["reachable"] is False and "refused" in dead["error"]
    assert live == {"rpc_url": cli_devnet.rpc_url, "reachable": True}


def test_a_ws_url_to_the_devnet_finds_its_manifest(cli_devnet):
    ws_url = cli_devnet.rpc_url.replace("http://", "ws://")
    quote = ("quote", "--pool", "sushiswap:WETH/USDC", "--token-in", "WETH", "--amount-in", str(10**18))
    result = cli_devnet.run("--rpc-url", ws_url, *quote, "--json")
    assert result.returncode == 0, result.stderr
    assert int(json.loads(result.stdout)["amount_out"]) > 0


def test_another_node_on_the_same_chain_id_is_not_taken_for_the_devnet(cli_devnet, chain):
    # The session's node runs the same market at chain id 31337, but it is not this cache dir's devnet.
    result = cli_devnet.run("--rpc-url", chain.rpc_url, "scan", "--top", "1")
    assert result.returncode != 0
    assert result.stderr.startswith("Error: no manifest for this devnet node")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_watch_over_ws_on_the_devnet_needs_no_configuration(cli_devnet, tmp_path, host):
    """`watch --rpc-url ws://HOST:PORT` with nothing but the cache dir: heads come by subscription, each
    line carries its arrival and latency, and the metrics file the latency quantiles."""
    port = cli_devnet.rpc_url.rsplit(":", 1)[1]
    ws_url = f"ws://{host}:{port}"
    metrics = tmp_path / "watch.prom"
    args = ["--json", "--metrics-file", str(metrics), "--rpc-url", ws_url, "watch", "--blocks", "1"]
    watch = subprocess.Popen(
        [MEVCLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_devnet.env()
    )
    try:
        first = json.loads(watch.stdout.readline())  # the head at start: ranked
        w3 = Web3(HTTPProvider(cli_devnet.rpc_url))
        time.sleep(1.0)  # the subscription is up
        w3.provider.make_request("evm_mine", [])
        out, err = watch.communicate(timeout=120)
    finally:
        watch.kill()
    assert watch.returncode == 0, err
    assert first["opportunities"] and first["latency_ms"] > 0 and abs(first["arrived"] - time.time()) < 120
    lines = [json.loads(line) for line in out.splitlines()]
    summary = lines.pop()["summary"]
    assert [line["block"] for line in lines] == [first["block"] + 1]
    assert lines[0]["opportunities"] is None and lines[0]["latency_ms"] > 0  # nothing changed: not ranked
    assert summary["latency_ms"]["count"] == 1 and summary["latency_ms"]["median"] == first["latency_ms"]
    assert "(ws)" in err
    text = metrics.read_text()
    assert 'mevcli_watch_ranked_blocks{command="watch"} 1' in text
    median = next(
        line
        for line in text.splitlines()
        if line.startswith("mevcli_watch_latency_seconds{") and '"0.5"' in line
    )
    assert float(median.rsplit(" ", 1)[1]) == pytest.approx(first["latency_ms"] / 1000)
