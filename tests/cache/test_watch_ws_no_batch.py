"""`watch` over a websocket to a node that refuses JSON-RPC batches (answers an array with one error
object): the provider asks one request at a time from then on, and every head is ranked as a full `scan`
ranks it."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from watch_scans import full_scan, live_watcher, ranked
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

from mevcli.cache.sync import BlockHead
from mevcli.chain.ws import WebSocketSyncProvider

REFUSED = '{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"batch requests are not supported"}}'


class NoBatchSocket:
    """A websocket JSON-RPC endpoint in front of `upstream` (HTTP) that refuses every batch as a whole,
    or with `reverse` answers it in reverse order (JSON-RPC lets a node answer a batch in any order)."""

    def __init__(self, upstream: str, reverse: bool = False) -> None:
        self.upstream = upstream
        self.reverse = reverse
        self.refused = 0
        self.server = serve(self._serve, "127.0.0.1", 0)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.socket.getsockname()[:2]
        return f"ws://{host}:{port}"

    def _serve(self, connection: ServerConnection) -> None:
        try:
            for message in connection:
                batch = isinstance(json.loads(message), list)
                if batch and not self.reverse:
                    self.refused += 1
                    connection.send(REFUSED)
                    continue
                body = message.encode() if isinstance(message, str) else message
                request = urllib.request.Request(
                    self.upstream, data=body, headers={"Content-Type": "application/json"}
                )
                with urllib.request.urlopen(request, timeout=60) as response:
                    answer = json.loads(response.read())
                connection.send(json.dumps(answer[::-1] if batch else answer))
        except ConnectionClosed:
            pass

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def no_batch(market: Any) -> Iterator[NoBatchSocket]:
    endpoint = NoBatchSocket(market.chain.rpc_url)
    yield endpoint
    endpoint.close()


def test_a_ws_node_without_batches_still_ranks_every_head(market, no_batch, tmp_path):
    watcher = live_watcher(market, tmp_path / "watch", no_batch.url)
    ctx = watcher.ctx
    try:
        assert ranked(watcher.process()[-1]) == full_scan(market, tmp_path / "scan0")
        v2 = market.pools("uniswap_v2")
        for i, with_header in enumerate((False, True)):
            market.v2_swap(v2[i], 30_000)
            raw = market.chain.w3.provider.make_request("eth_getBlockByNumber", ["latest", False])["result"]
            header = BlockHead.of(raw)
            update = watcher.process(header.number, header=header if with_header else None)[-1]
            assert update.updated
            assert ranked(update) == full_scan(market, tmp_path / f"scan{i + 1}")
        assert no_batch.refused == 1  # refused once, then every request went on its own
    finally:
        watcher.ranker.close()
        ctx.w3.provider.close()


def test_a_ws_batch_answered_out_of_order_comes_back_in_the_requests_order(market):
    endpoint = NoBatchSocket(market.chain.rpc_url, reverse=True)
    provider = WebSocketSyncProvider(endpoint.url)
    try:
        requests: list[tuple[Any, list[Any]]] = [
            ("eth_chainId", []),
            ("eth_getBlockByNumber", ["0x1", False]),
            ("eth_noSuchMethod", []),  # one member's error object, in its place
            ("eth_getBalance", [market.chain.w3.eth.accounts[0], "latest"]),
        ]
        responses = provider.make_batch_request(requests)
        one_by_one = [provider.make_request(m, p) for m, p in requests]
        assert [r.get("result") for r in responses] == [r.get("result") for r in one_by_one]
        assert "error" in responses[2] and "result" not in responses[2]
        assert provider.batches
    finally:
        provider.close()
        endpoint.close()
