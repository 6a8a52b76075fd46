"""One member of a head's batch (its logs, the lender read or the gas read riding with them) answered
with an error object: the head fails with one clear line or ranks with correct data, and the next head
ranks as a full `scan` does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from watch_scans import full_scan, live_watcher

from mevcli.arbitrage.scanner import _gas_price
from mevcli.cache.sync import BlockHead
from mevcli.devnet.fault_proxy import RpcProxy, reply

ERROR = {"code": -32000, "message": "header not found"}


class MemberErrorProxy(RpcProxy):
    """Forwards everything; while `method` is set, the first batch asking a block's logs gets that
    method's members answered with an error object (the rest as the node answered)."""

    def __init__(self, upstream: str) -> None:
        self.method: str | None = None
        super().__init__(upstream)

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        data = self.forward(body)
        requests = json.loads(body)
        method = self.method
        batch = isinstance(requests, list)
        if method is not None and batch and any(r.get("method") == "eth_getLogs" for r in requests):
            self.method = None
            by_id = {r["id"]: r["method"] for r in requests}
            answers = json.loads(data)
            for answer in answers:
                if by_id.get(answer.get("id")) == method:
                    answer.pop("result", None)
                    answer["error"] = ERROR
            data = json.dumps(answers).encode()
        reply(handler, 200, data)


@pytest.fixture
def faulty(market: Any) -> Iterator[MemberErrorProxy]:
    proxy = MemberErrorProxy(market.chain.rpc_url)
    yield proxy
    proxy.close()


def _swap_head(market: Any, pool: dict[str, Any]) -> BlockHead:
    market.v2_swap(pool, 30_000)
    return BlockHead.of(
        market.chain.w3.provider.make_request("eth_getBlockByNumber", ["latest", False])["result"]
    )


def test_an_error_in_one_member_of_a_heads_batch(market, faulty, tmp_path):
    watcher = live_watcher(market, tmp_path / "watch", faulty.url)
    ctx = watcher.ctx
    v2 = market.pools("uniswap_v2")
    try:
        assert watcher.process()[-1].error is None
        # the gas read's members: the price is asked again, the ranking is exact
        for i, method in enumerate(("eth_maxPriorityFeePerGas", "eth_getBlockByNumber")):
            faulty.method = method
            header = _swap_head(market, v2[i])
            update = watcher.process(header.number, header=header)[-1]
            assert faulty.method is None, "the head's batch carried the gas read"
            assert update.error is None, update.error
            ranked = [o.to_json() for o in update.opportunities or ()]
            assert ranked and ranked == full_scan(market, tmp_path / f"gas{i}")
            assert {o.gas_price for o in update.opportunities} == {_gas_price(ctx)}
        # the lender read's: the head fails with one line, the next one ranks exactly
        faulty.method = "eth_call"
        header = _swap_head(market, v2[0])
        update = watcher.process(header.number, header=header)[-1]
        assert faulty.method is None
        assert update.error is not None and "\n" not in update.error and "header not found" in update.error
        header = _swap_head(market, v2[1])
        update = watcher.process(header.number, header=header)[-1]
        assert update.error is None, update.error
        assert [o.to_json() for o in update.opportunities or ()] == full_scan(market, tmp_path / "after")
        # the logs' member: the head fails (the CLI logs it and retries), the next head catches up exactly
        faulty.method = "eth_getLogs"
        header = _swap_head(market, v2[0])
        with pytest.raises(ValueError, match="header not found"):
            watcher.process(header.number, header=header)
        header = _swap_head(market, v2[1])
        update = watcher.process(header.number, header=header)[-1]
        assert update.error is None, update.error
        assert [o.to_json() for o in update.opportunities or ()] == full_scan(market, tmp_path / "logs")
    finally:
        watcher.ranker.close()
