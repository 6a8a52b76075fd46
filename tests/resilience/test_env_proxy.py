"""The environment's HTTP proxy settings still route JSON-RPC requests, read once per endpoint (not on
every request): a forward proxy named by HTTP_PROXY sees the node's requests and relays them; NO_PROXY
exempts the node's host."""

from __future__ import annotations

import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mevcli.chain.failover import FailoverHTTPProvider


class _ForwardProxy:
    """A plain HTTP forward proxy on loopback that relays POSTs and records the URLs it was asked for."""

    def __init__(self) -> None:
        seen: list[str] = []
        self.seen = seen

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                seen.append(self.path)  # a forward proxy is asked for the absolute URL
                body = self.rfile.read(int(self.headers["Content-Length"]))
                relayed = urllib.request.Request(
                    self.path, data=body, headers={"Content-Type": "application/json"}
                )
                with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(relayed) as answer:
                    data = answer.read()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def forward_proxy():
    proxy = _ForwardProxy()
    yield proxy
    proxy.close()


@pytest.mark.parametrize("exempt", [False, True])
def test_requests_go_through_the_environments_proxy_unless_exempt(chain, forward_proxy, monkeypatch, exempt):
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", forward_proxy.url)
    if exempt:
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    provider = FailoverHTTPProvider([chain.rpc_url], timeout=5, retries=0)
    monkeypatch.delenv("HTTP_PROXY")  # read when the endpoint was made, not per request
    for _ in range(3):
        answer = provider.make_request("eth_blockNumber", [])
        assert int(answer["result"], 16) == chain.w3.eth.block_number
    if exempt:
        assert forward_proxy.seen == []
    else:
        assert len(forward_proxy.seen) >= 3 and set(forward_proxy.seen) <= {
            chain.rpc_url,
            chain.rpc_url + "/",
        }
