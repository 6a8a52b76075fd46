"""The devnet is recognised by its node, whatever URL reaches it: fail-over in either order, ws://, status."""

from __future__ import annotations

import json

import pytest

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
