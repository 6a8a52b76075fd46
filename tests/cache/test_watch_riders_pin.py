"""A head's lender reads are of the block whose pools the ranking uses: asked by the head's hash
(EIP-1898), a head replaced between its header and those reads is treated as reorged, never ranked with
another block's lenders; a provider refusing block objects is asked by number (found out once)."""

from __future__ import annotations

import json
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any

from cache_market import FAR
from watch_scans import full_scan, live_watcher, ranked

from mevcli.cache.sync import BlockHead
from mevcli.chain.multicall import encode_call
from mevcli.devnet.fault_proxy import RpcProxy, reply

REFUSAL = {"code": -32602, "message": "invalid argument 1: hex string without 0x prefix"}


def _requests(body: bytes) -> list[dict[str, Any]]:
    payload = json.loads(body)
    return payload if isinstance(payload, list) else [payload]


def _pinned(request: dict[str, Any]) -> bool:
    params = request.get("params") or []
    return request.get("method") == "eth_call" and len(params) > 1 and isinstance(params[1], dict)


class ReorgProxy(RpcProxy):
    """Forwards everything; the first batch carrying a head's lender and gas reads after `before` is
    set runs `before` first (a reorg of the node between the head's header and that batch)."""

    def __init__(self, upstream: str) -> None:
        self.before: Callable[[], None] | None = None
        super().__init__(upstream)

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        methods = {r.get("method") for r in _requests(body)}
        if self.before is not None and {"eth_call", "eth_maxPriorityFeePerGas"} <= methods:
            before, self.before = self.before, None
            before()
        reply(handler, 200, self.forward(body))


class PinRefusingProxy(RpcProxy):
    """Plays a provider that takes no EIP-1898 block object in `eth_call`: such a member is answered
    with an invalid-argument error (counted in `refused`)."""

    def __init__(self, upstream: str) -> None:
        self.refused = 0
        super().__init__(upstream)

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        requests = _requests(body)
        if not any(_pinned(r) for r in requests):
            reply(handler, 200, self.forward(body))
            return
        kept = [r for r in requests if not _pinned(r)]
        answers = json.loads(self.forward(json.dumps(kept).encode())) if kept else []
        by_id = {a["id"]: a for a in answers}
        out = []
        for request in requests:
            if _pinned(request):
                self.refused += 1
                out.append({"jsonrpc": "2.0", "id": request["id"], "error": REFUSAL})
            else:
                out.append(by_id[request["id"]])
        reply(handler, 200, json.dumps(out if isinstance(json.loads(body), list) else out[0]).encode())


def _rpc(market: Any, method: str, params: list[Any]) -> Any:
    response = market.chain.w3.provider.make_request(method, params)
    assert "error" not in response, response
    return response.get("result")


def _head(market: Any) -> BlockHead:
    return BlockHead.of(_rpc(market, "eth_getBlockByNumber", ["latest", False]))


def _reorg_to(market: Any, txs: Callable[[], list[dict[str, Any]]]) -> Callable[[], None]:
    """A reorg replacing the head with a block of the transactions `txs` builds (at the reorg)."""
    return lambda: _rpc(market, "anvil_reorg", [1, [[{**tx, "gas": hex(300_000)}, 0] for tx in txs()]])


def _transfer(market: Any, token: str, sender: str, to: str, amount: int) -> dict[str, Any]:
    data = encode_call("transfer(address,uint256)", ["address", "uint256"], [to, amount])
    return {"from": sender, "to": token, "data": "0x" + data.hex()}


def _drain_vault(market: Any) -> Callable[[], None]:
    """A reorg replacing the head with a block where the Balancer Vault sends away every token it
    holds: the Vault lends nothing there (no pool's state changes)."""
    vault = market.manifest["balancer"]["vault"]
    _rpc(market, "anvil_impersonateAccount", [vault])
    _rpc(market, "anvil_setBalance", [vault, hex(10**20)])
    market.mine()

    def txs() -> list[dict[str, Any]]:
        tokens = {*market.manifest["tokens"].values(), market.manifest["weth"]}
        held = {t: market.d.at("TestToken", t).functions.balanceOf(vault).call() for t in tokens}
        return [_transfer(market, t, vault, market.d.sender, n) for t, n in held.items() if n]

    return _reorg_to(market, txs)


def _refill_and_swap(market: Any, pool: dict[str, Any]) -> Callable[[], None]:
    """A reorg replacing the head with a block where the trader sends WETH to the Vault (which lends
    it again) and swaps on `pool`."""
    trader, weth = market.d.sender, market.manifest["weth"]
    token_in, token_out = pool["tokens"]
    router = market.d.at("UniswapV2Router02", market.manifest[pool["dex"]]["router"])
    swap = router.functions.swapExactTokensForTokens(
        market.units(token_in, 30_000), 0, [token_in, token_out], trader, FAR
    )
    return _reorg_to(
        market,
        lambda: [
            _transfer(market, weth, trader, market.manifest["balancer"]["vault"], 10**21),
            {"from": trader, "to": router.address, "data": swap._encode_transaction_data()},
        ],
    )


def test_a_head_replaced_before_its_lender_reads_is_never_ranked_with_them(market, tmp_path):
    reorging = ReorgProxy(market.chain.rpc_url)
    watcher = live_watcher(market, tmp_path / "watch", reorging.url)
    reorg = _drain_vault(market)
    v2 = market.pools("uniswap_v2")
    try:
        first = ranked(watcher.process()[-1])
        assert any(o["flash_source"] == "balancer" for o in first), "the Vault lends at first"
        # two blocks with swaps: the catch-up reads their logs by range, the lenders go in a batch
        # of their own, before which the head is replaced by one where the Vault lends nothing
        market.v2_swap(v2[0], 30_000)
        market.v2_swap(v2[1], 30_000)
        orphan = _head(market)
        reorging.before = reorg
        update = watcher.process(orphan.number)[-1]
        assert reorging.before is None, "the lender reads went in their own batch"
        replacement = _head(market)
        assert replacement.number == orphan.number and replacement.hash != orphan.hash
        # its pinned lender reads found the orphan gone: not ranked (pools of one block, lenders of
        # another), the next head ranks every pool
        assert update.opportunities is None and update.error is not None
        assert "replaced" in update.error and "\n" not in update.error
        # the next head rolls the orphan back and ranks every pool at the new chain, lenders and all
        market.v2_swap(v2[2], 30_000)
        update = watcher.process()[-1]
        now = ranked(update)
        assert now == full_scan(market, tmp_path / "next")
        assert not any(o["flash_source"] == "balancer" for o in now), "the drained Vault lends nothing"

        # a head whose reads ride with its logs (its header known: one batch), replaced before that
        # batch: its logs are asked again at the replacement, and its lenders with them
        reorging.before = _refill_and_swap(market, v2[3])
        market.v2_swap(v2[0], 30_000)
        header = _head(market)
        update = watcher.process(header.number, header=header)[-1]
        assert reorging.before is None
        assert _head(market).hash != header.hash and update.block_hash == _head(market).hash
        now = ranked(update)
        assert now == full_scan(market, tmp_path / "ridden")
        assert any(o["flash_source"] == "balancer" for o in now), "the refilled Vault lends again"
    finally:
        watcher.ranker.close()
        reorging.close()


def test_a_provider_refusing_block_objects_is_asked_by_number_once_found_out(market, tmp_path):
    refusing = PinRefusingProxy(market.chain.rpc_url)
    watcher = live_watcher(market, tmp_path / "watch", refusing.url)
    v2 = market.pools("uniswap_v2")
    try:
        assert ranked(watcher.process()[-1]) == full_scan(market, tmp_path / "first")
        assert refusing.refused >= 1  # the first pinned read was refused, then asked by number
        refused = refusing.refused
        for i in range(2):
            market.v2_swap(v2[i], 30_000)
            header = _head(market)
            update = watcher.process(header.number, header=header)[-1]
            assert ranked(update) == full_scan(market, tmp_path / f"head{i}")
        assert refusing.refused == refused, "found out once: later heads ask by number"
    finally:
        watcher.ranker.close()
        refusing.close()
