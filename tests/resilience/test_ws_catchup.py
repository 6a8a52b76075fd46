"""`mevcli watch` on a websocket that drops: it resubscribes and catches up from the last processed block,
applying the events of the blocks mined while it was cut off."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from cache_checks import assert_matches_chain, open_cache
from cache_market import Market
from websockets.sync.client import ClientConnection, connect
from websockets.sync.server import Server, ServerConnection, serve

MEVCLI = str(Path(sys.executable).with_name("mevcli"))


class WsRelay:
    """A loopback websocket relay to the node that can cut every connection and refuse new ones."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.port = 0
        self.pairs: list[tuple[ServerConnection, ClientConnection]] = []
        self.server: Server | None = None
        self.up()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def up(self) -> None:
        self.server = serve(self._relay, "127.0.0.1", self.port, max_size=None)
        self.port = self.server.socket.getsockname()[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def down(self) -> None:
        assert self.server is not None
        self.server.shutdown()
        for client, node in self.pairs:
            client.close()
            node.close()
        self.pairs.clear()

    def _relay(self, client: ServerConnection) -> None:
        with connect(self.upstream, max_size=None) as node:
            self.pairs.append((client, node))
            threading.Thread(target=_pump, args=(client, node), daemon=True).start()
            _pump(node, client)


def _pump(source: Any, target: Any) -> None:
    try:
        for message in source:
            target.send(message)
    except Exception:
        pass
    finally:
        target.close()


def test_watch_catches_up_the_blocks_mined_while_the_websocket_was_down(snapshot, tmp_path):
    chain, market, cache = snapshot, Market(snapshot), tmp_path / "cache"
    market.fund()
    relay = WsRelay(chain.rpc_url.replace("http://", "ws://"))
    env = {k: v for k, v in os.environ.items() if k not in ("ETH_RPC_URL", "CHAIN", "MEVCLI_MANIFEST")}
    env.update(chain.cli_env(cache), ETH_RPC_URL=relay.url)
    watch = subprocess.Popen(
        [MEVCLI, "--json", "watch", "--no-opportunities"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in watch.stdout], daemon=True).start()  # type: ignore[union-attr]
    try:
        first = json.loads(lines.get(timeout=60))
        time.sleep(0.5)  # subscribed
        relay.down()
        pools = [market.pools("uniswap_v2")[1], market.pools("sushiswap")[2]]
        missed = []
        for pool in pools:  # mined while watch is cut off
            market.v2_swap(pool, 5_000)
            missed.append(chain.w3.eth.block_number)
        relay.up()
        seen: list[dict[str, Any]] = []
        deadline = time.monotonic() + 30
        while (
            not any(u.get("hash") and u["block"] > missed[-1] for u in seen) and time.monotonic() < deadline
        ):
            chain.w3.provider.make_request("evm_mine", [])  # a new head once resubscribed
            try:
                seen.append(json.loads(lines.get(timeout=0.5)))
            except queue.Empty:
                continue
        watch.send_signal(signal.SIGINT)
        _out, err = watch.communicate(timeout=30)
    finally:
        watch.kill()
        relay.down()
    assert first["block"] < missed[0]
    updated = {u["block"]: u["updated"] for u in seen}
    for block, pool in zip(missed, pools, strict=True):
        assert pool["address"] in updated.get(block, []), (block, seen)
    assert "websocket lost" in err and "Traceback" not in err
    reserves = open_cache(chain, cache, ttl=3600.0)
    try:
        assert_matches_chain(reserves, list(reserves.tracked_refs().values()))
    finally:
        reserves.close()
