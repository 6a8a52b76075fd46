"""Follow new chain heads: `eth_subscribe("newHeads")` over a websocket, HTTP polling otherwise.

With a `ws://`/`wss://` URL the follower subscribes; a dropped connection is reopened and the
subscription renewed, with backoff. After `len(backoff)` failures in a row it polls `eth_blockNumber`
instead and tries the websocket again after `ws_retry_after` seconds. Every head is yielded (a reorg
can bring a new block at the same height); consumers only need "something new may be there".
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from web3 import Web3
from websockets.sync.client import ClientConnection, connect

from mevcli.chain.ws import TRANSPORT_ERRORS
from mevcli.redact import first_line

Log = Callable[[str], None]


def is_ws(url: str | None) -> bool:
    return bool(url) and str(url).startswith(("ws://", "wss://"))


class SubscriptionError(RuntimeError):
    """The node refused `eth_subscribe`."""


class HeadFollower:
    def __init__(
        self,
        w3: Web3,
        ws_url: str | None = None,
        *,
        poll_interval: float = 1.0,
        backoff: tuple[float, ...] = (0.5, 1.0, 2.0, 5.0),
        ws_retry_after: float = 30.0,
        log: Log | None = None,
        stop: threading.Event | None = None,
        after: int | None = None,
    ) -> None:
        self.w3 = w3
        self.ws_url = ws_url if is_ws(ws_url) else None
        self.poll_interval = poll_interval
        self.backoff = backoff
        self.ws_retry_after = ws_retry_after
        self.log = log or (lambda _message: None)
        self.stop = stop or threading.Event()
        self.subscriptions = 0  # eth_subscribe calls made (reconnects resubscribe)
        self.mode = "ws" if self.ws_url else "poll"
        self.after = after  # the head the consumer already has: polling yields only a different one
        # when the head last yielded arrived: unix time, and perf_counter for latencies
        self.arrived: tuple[float, float] = (time.time(), time.perf_counter())
        # the header of the head last yielded, as a `newHeads` message carries it (None when polling)
        self.header: dict[str, Any] | None = None

    def heads(self) -> Iterator[int]:
        failures = 0
        ws_next_try = 0.0
        last: int | None = self.after
        while not self.stop.is_set():
            if self.ws_url and time.monotonic() >= ws_next_try:
                self.mode = "ws"
                try:
                    for number in self._ws_heads(last):
                        failures = 0
                        last = number
                        yield number
                    return  # stopped
                except (*TRANSPORT_ERRORS, SubscriptionError, ValueError) as exc:
                    failures += 1
                    if failures <= len(self.backoff):
                        self.log(f"websocket lost ({first_line(exc, 120)}); resubscribing")
                        self.stop.wait(self.backoff[failures - 1])
                        continue
                    self.log(f"websocket unavailable ({first_line(exc, 120)}); polling over HTTP")
                    failures = 0
                    ws_next_try = time.monotonic() + self.ws_retry_after
            self.mode = "poll"
            try:
                number = int(self.w3.eth.block_number)
                self.arrived = (time.time(), time.perf_counter())
                self.header = None
            except Exception as exc:  # transport trouble: keep following, say so
                self.log(f"polling failed ({first_line(exc, 120)}); retrying")
                self.stop.wait(self.poll_interval)
                continue
            if number != last:
                last = number
                yield number
            self.stop.wait(self.poll_interval)

    def _ws_heads(self, last: int | None) -> Iterator[int]:
        """Heads from `newHeads`; first, once subscribed, the chain's head when it is not `last` (the
        consumer's): one mined before the subscription (while the consumer worked, or the socket was
        down) would otherwise wait for the next block."""
        assert self.ws_url is not None
        with connect(self.ws_url, open_timeout=10, max_size=None) as connection:
            self._subscribe(connection)
            if last is not None:
                try:
                    number = int(self.w3.eth.block_number)
                except Exception:  # the next `newHeads` brings the head instead
                    number = last
                if number != last:
                    self.arrived = (time.time(), time.perf_counter())
                    self.header = None
                    yield number
            while not self.stop.is_set():
                try:
                    raw = connection.recv(timeout=0.5)
                except TimeoutError:
                    continue
                arrived = (time.time(), time.perf_counter())
                header = _head(raw)
                if header is None:
                    continue
                while True:  # heads that queued up while the consumer worked: only the newest matters
                    try:
                        later = _head(connection.recv(timeout=0))
                    except TRANSPORT_ERRORS:  # none queued, or closed: this head first, the loss next
                        break
                    if later is not None:  # the node's head now, even at the same height (a reorg)
                        header, arrived = later, (time.time(), time.perf_counter())
                self.arrived = arrived
                self.header = header
                yield _number(header)

    def _subscribe(self, connection: ClientConnection) -> None:
        connection.send(
            json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe", "params": ["newHeads"]})
        )
        self.subscriptions += 1
        while True:
            reply: dict[str, Any] = json.loads(connection.recv(timeout=10))
            if reply.get("id") == 1:
                if "error" in reply:
                    raise SubscriptionError(str(reply["error"]))
                return


def _head(raw: str | bytes) -> dict[str, Any] | None:
    """The header a `newHeads` message carries (None for any other message)."""
    message = json.loads(raw)
    if message.get("method") != "eth_subscription":
        return None
    return dict(message["params"]["result"])


def _number(header: dict[str, Any]) -> int:
    return int(header["number"], 16)
