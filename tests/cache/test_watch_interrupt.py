"""Ctrl-C while a head's reads are in flight (they run on the head's thread, riding its logs batch):
`watch` stops at once, exits 0 with its summary and no traceback, and the last ranking stays stored."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from processes import rest_of_output

from mevcli.devnet.fault_proxy import RpcProxy, reply

MEVCLI = str(Path(sys.executable).with_name("mevcli"))
HOLD = 60.0  # seconds the head's batch is held: far longer than the stop may take


class HoldingProxy(RpcProxy):
    """Forwards everything; once `armed`, holds the next batch asking a block's logs until `release`."""

    def __init__(self, upstream: str) -> None:
        self.armed = False
        self.held, self.release = threading.Event(), threading.Event()
        super().__init__(upstream)

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        requests = json.loads(body)
        if self.armed and isinstance(requests, list) and any(r["method"] == "eth_getLogs" for r in requests):
            self.armed = False
            self.held.set()
            self.release.wait(HOLD)
        reply(handler, 200, self.forward(body))


def test_ctrl_c_while_a_heads_batch_is_in_flight(market, tmp_path):
    market.fund()
    proxy = HoldingProxy(market.chain.rpc_url)
    env = {k: v for k, v in os.environ.items() if k not in ("ETH_RPC_URL", "CHAIN", "MEVCLI_MANIFEST")}
    env.update(market.chain.cli_env(tmp_path / "cache"))
    env["ETH_RPC_URL"] = proxy.url
    args = [MEVCLI, "--json", "watch", "--opportunities", "--top", "3", "--poll-interval", "0.1"]
    watch = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        first = json.loads(watch.stdout.readline())  # type: ignore[union-attr]
        assert first["opportunities"]
        proxy.armed = True
        market.v2_swap(market.pools("uniswap_v2")[0], 40_000)
        assert proxy.held.wait(60), "the next head's logs batch was never sent"
        time.sleep(0.5)
        stopped = time.monotonic()
        watch.send_signal(signal.SIGINT)
        out, err = rest_of_output(watch, 30)
        took = time.monotonic() - stopped
    finally:
        watch.kill()
        proxy.release.set()
        proxy.close()
    assert watch.returncode == 0, err
    assert took < 10, f"the stop waited {took:.1f}s for the read in flight"
    assert "Traceback" not in err and "watched blocks" in err
    assert json.loads(out.splitlines()[-1])["summary"]["heads"] >= 1
    stored_path = tmp_path / "cache" / "opportunities" / f"{market.chain.w3.eth.chain_id}.json"
    stored = json.loads(stored_path.read_text())
    assert stored["block"] == first["block"]
    assert list(stored["opportunities"]) == [o["id"] for o in first["opportunities"]]
