"""The environment's HTTP proxy settings still route JSON-RPC requests, read once per endpoint (not on
every request): a forward proxy named by HTTP_PROXY sees the node's requests and relays them; NO_PROXY
exempts the node's host."""

from __future__ import annotations

from typing import Any

import pytest
from hook_proxy import hook_proxy

from mevcli.chain.failover import FailoverHTTPProvider


@pytest.mark.parametrize("exempt", [False, True])
def test_requests_go_through_the_environments_proxy_unless_exempt(chain, monkeypatch, exempt):
    relayed: list[str] = []

    def record(request: dict[str, Any]) -> dict[str, Any]:
        relayed.append(request["method"])
        return request

    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    # the loopback JSON-RPC proxy relays whatever it is asked to the node: as a forward proxy it is
    # asked for the node's absolute URL
    with hook_proxy(chain.rpc_url, record) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        if exempt:
            monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        provider = FailoverHTTPProvider([chain.rpc_url], timeout=5, retries=0)
        monkeypatch.delenv("HTTP_PROXY")  # read when the endpoint was made, not per request
        for _ in range(3):
            answer = provider.make_request("eth_blockNumber", [])
            assert int(answer["result"], 16) == chain.w3.eth.block_number
    assert relayed == ([] if exempt else ["eth_blockNumber"] * 3)
