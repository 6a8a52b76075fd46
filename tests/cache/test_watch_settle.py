"""`watch --top N` settles a head after its line (`Watcher.settle`: the routes that could not reach the top
are sized, the token policy judges the rest of the ranking, the document `execute ID` reads is stored).
A settle the node fails, or that Ctrl-C cuts short, neither ends the watch nor loses what was shown: the
stored document is the shown head's, with a full `scan`'s count of profitable opportunities."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from processes import rest_of_output
from test_reorg_chain import _reorg, _swap_tx
from watch_scans import context, ranked

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "arbitrage"))

from test_token_policy import seed_gap, through

from mevcli.arbitrage.scanner import ScanOptions, scan
from mevcli.arbitrage.watcher import LiveRanker, Watcher
from mevcli.devnet.fault_proxy import RpcProxy, reply

MEVCLI = str(Path(sys.executable).with_name("mevcli"))
BALANCE_OF = "0x70a08231"
REFUSED = b'{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"batch refused by the test"}}'
HOLD = 60.0  # seconds a held batch waits: far longer than the stop may take


class ProbeProxy(RpcProxy):
    """Forwards everything but the `nth` batch of the token probe's balance reads (a batch of plain
    `balanceOf` calls): with `refuse` it is answered with a JSON-RPC error, else held until
    `release`. The head's own top is probed in the first such batch; the tokens only the rest of the
    ranking goes through, when the head settles, in the second."""

    def __init__(self, upstream: str, nth: int, refuse: bool) -> None:
        self.nth, self.refuse = nth, refuse
        self.seen = 0
        self.held, self.release = threading.Event(), threading.Event()
        super().__init__(upstream)

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        requests = json.loads(body)
        if isinstance(requests, list) and requests and all(_balance_read(r) for r in requests):
            self.seen += 1
            if self.seen == self.nth:
                if self.refuse:
                    reply(handler, 200, REFUSED)
                    return
                self.held.set()
                self.release.wait(HOLD)
        reply(handler, 200, self.forward(body))


def _balance_read(request: dict[str, Any]) -> bool:
    params = request.get("params") or [{}]
    return request.get("method") == "eth_call" and str(params[0].get("data", "")).startswith(BALANCE_OF)


def _watch(market: Any, cache_dir: Path, url: str, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ETH_RPC_URL", "CHAIN", "MEVCLI_MANIFEST")}
    env.update(market.chain.cli_env(cache_dir))
    env["ETH_RPC_URL"] = url
    command = [MEVCLI, "--json", "watch", "--opportunities", "--top", "1", *args]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _stored(market: Any, cache_dir: Path) -> dict[str, Any]:
    path = cache_dir / "opportunities" / f"{market.chain.w3.eth.chain_id}.json"
    return json.loads(path.read_text())


def _assert_stored_as_shown(market: Any, tmp_path: Path, shown: dict[str, Any]) -> None:
    """The watch stored the head it showed, as a full scan at that block stores it."""
    stored = _stored(market, tmp_path / "cache")
    assert stored["block"] == shown["block"]
    assert list(stored["opportunities"]) == [o["id"] for o in shown["opportunities"]]
    _, scanned = _scan_stored(market, tmp_path / "scan", 1)
    assert stored == scanned and stored["profitable"] > 1


def test_a_settle_the_node_refuses_is_reported_and_done_again(market, tmp_path):
    market.fund()
    proxy = ProbeProxy(market.chain.rpc_url, nth=2, refuse=True)
    try:
        watch = _watch(market, tmp_path / "cache", proxy.url, "--once")
        out, err = rest_of_output(watch, 120)
    finally:
        proxy.close()
    assert proxy.seen >= 2, "the rest of the ranking probes tokens the top does not go through"
    assert watch.returncode == 0, err
    assert "Traceback" not in err and "batch refused by the test" in err and "watched blocks" in err
    shown = json.loads(out.splitlines()[0])
    assert shown["opportunities"] and "error" not in shown
    _assert_stored_as_shown(market, tmp_path, shown)


def test_ctrl_c_while_a_head_settles_keeps_its_document(market, tmp_path):
    market.fund()
    proxy = ProbeProxy(market.chain.rpc_url, nth=2, refuse=False)
    watch = _watch(market, tmp_path / "cache", proxy.url, "--poll-interval", "0.1")
    try:
        shown = json.loads(watch.stdout.readline())  # type: ignore[union-attr]
        assert proxy.held.wait(60), "the head's settle never probed the rest of the ranking"
        watch.send_signal(signal.SIGINT)
        out, err = rest_of_output(watch, 60)
    finally:
        watch.kill()
        proxy.release.set()
        proxy.close()
    assert watch.returncode == 0, err
    assert "Traceback" not in err and "watched blocks" in err
    assert json.loads(out.splitlines()[-1])["summary"]["heads"] == 1
    assert shown["opportunities"]
    _assert_stored_as_shown(market, tmp_path, shown)


def _scan_stored(market: Any, cache_dir: Path, top: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """What a `scan --top` from a cold cache of its own shows, and the document it stores."""
    report = scan(context(market, cache_dir), ScanOptions(top=top), lambda _message: None)
    return [o.to_json() for o in report.opportunities], _stored(market, cache_dir)


def test_heads_left_unsettled_and_a_reorg_show_and_store_a_full_scans_top(market, tmp_path):
    """Heads whose rest is left to the next ranking (no `settle` between them), a reorg that replaces
    a head left so, heads of several blocks: each shows a full scan's top at its block, and once
    settled (by the next head or `settle`) stores its document."""
    market.fund()
    top = 1
    ctx = context(market, tmp_path / "watch")
    ranker = LiveRanker(ctx, top)
    watcher = Watcher(ctx, ctx.reserve_cache, ranker)
    v2, v3 = market.pools("uniswap_v2"), market.pools("uniswap_v3")
    balancer, sushi = market.pools("balancer"), market.pools("sushiswap")
    steps: list[tuple[Callable[[], None], bool]] = [  # (what the chain does, whether `watch` settles)
        (lambda: None, False),
        (lambda: market.v2_swap(v2[0], 60_000), False),
        (lambda: _reorg(market, 1, [(_swap_tx(market, sushi[0], 30_000), 0)]), True),
        (lambda: (market.balancer_swap(balancer[0], 30_000), market.v3_swap(v3[0], 60_000)), False),
        (lambda: market.v2_swap(v2[1], 25_000, zero_for_one=False), True),
    ]
    unsettled: dict[str, Any] | None = None  # the document a full scan stored at the last head, if unsettled
    try:
        for i, (step, settles) in enumerate(steps):
            step()
            update = watcher.process(market.chain.w3.eth.block_number)[-1]
            assert update.error is None, update.error
            assert bool(update.reorgs) == (i == 2)
            shown = [o.to_json() for o in update.opportunities or ()]
            expected, stored = _scan_stored(market, tmp_path / f"scan{i}", top)
            assert len(shown) == top and shown == expected and stored["block"] == update.block
            if unsettled is not None:  # this ranking settled the last head first
                ranker.live.saver.flush()
                assert _stored(market, tmp_path / "watch") == unsettled
            unsettled = None
            if settles:
                watcher.settle()
                ranker.live.saver.flush()
                assert _stored(market, tmp_path / "watch") == stored
            else:
                unsettled = stored
    finally:
        ranker.close()


def _mint_into_pair(market: Any, token: str, dex: str, amount: int) -> None:
    """Mint `amount` of `token` into its V2 pair with WETH on `dex` and sync the pair (no transfer)."""
    d = market.chain.deployer()
    factory = d.at("UniswapV2Factory", market.manifest[dex]["factory"])
    pair = d.at("UniswapV2Pair", factory.functions.getPair(token, market.manifest["weth"]).call())
    d.send(d.at("HookToken", token).functions.mint(pair.address, amount))
    d.send(pair.functions.sync())


def test_a_head_the_token_policy_thins_is_filled_from_further_down(market, tmp_path):
    """A route through a token with a transfer hook (two pools far apart against WETH) leads the
    ranking: the token policy drops it from the head, and the watch sizes further down (`certain` with
    a larger top) until its top is plain: a full scan's, and so is the document it stores."""
    market.fund()
    hook = seed_gap(market.chain, "HookToken", "HOOK")
    _mint_into_pair(market, hook, "sushiswap", 1_000 * 10**18)  # HOOK at half the price there
    top = 2
    ctx = context(market, tmp_path / "watch")
    ranker = LiveRanker(ctx, top)
    watcher = Watcher(ctx, ctx.reserve_cache, ranker)
    try:
        shown = ranked(watcher.process()[-1])
        expected, stored = _scan_stored(market, tmp_path / "scan", top)
        assert shown == expected and len(shown) == top and not through(shown, hook)
        watcher.settle()
        ranker.live.saver.flush()
        assert _stored(market, tmp_path / "watch") == stored
        best = [o.to_json() for o in ranker.live.finder.finish()[:1]]
        assert through(best, hook), "the hook token's route leads the ranking before the policy"
    finally:
        ranker.close()
