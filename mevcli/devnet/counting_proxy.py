"""A loopback JSON-RPC proxy that counts what a client costs the node: HTTP round trips, JSON-RPC methods,
and every call inside a Multicall3 `aggregate3` batch (by target and by function selector).

    proxy = CountingProxy(node_url)
    ... point the client at proxy.url ...
    figures = proxy.take()     # RpcCount: round_trips, methods, inner calls; counting starts afresh
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from eth_abi import decode
from eth_utils import keccak

from mevcli.devnet.fault_proxy import RpcProxy

_AGGREGATE3 = keccak(text="aggregate3((address,bool,bytes)[])")[:4]


@dataclass(slots=True)
class RpcCount:
    round_trips: int = 0  # HTTP requests (a JSON-RPC batch is one)
    methods: Counter[str] = field(default_factory=Counter)
    targets: Counter[str] = field(default_factory=Counter)  # lower-case address -> calls inside batches
    selectors: Counter[str] = field(default_factory=Counter)  # 0x selector -> calls inside batches
    calls: Counter[tuple[str, str]] = field(default_factory=Counter)  # (target, selector) -> calls

    @property
    def eth_calls(self) -> int:
        return self.methods["eth_call"]

    @property
    def batched_calls(self) -> int:
        return sum(self.targets.values())

    def calls_to(self, addresses: Any) -> int:
        """Calls inside batches (and direct eth_calls) addressed to any of `addresses`."""
        wanted = {a.lower() for a in addresses}
        return sum(n for target, n in self.targets.items() if target in wanted)

    def to_json(self) -> dict[str, Any]:
        return {
            "round_trips": self.round_trips,
            "eth_calls": self.eth_calls,
            "batched_calls": self.batched_calls,
            "methods": dict(self.methods),
        }


def _inner_calls(params: Any) -> list[tuple[str, str]]:
    """(target, selector) of each call of an `eth_call` (an aggregate3 batch counts its calls)."""
    try:
        tx = params[0]
        to = str(tx.get("to", "")).lower()
        data = bytes.fromhex(str(tx.get("data") or tx.get("input") or "0x").removeprefix("0x"))
    except (IndexError, AttributeError, TypeError, ValueError):
        return []
    if not to:  # a reader's creation code run by eth_call: the pools it reads, when it is ours
        return _created_reader_calls(data)
    if data[:4] != _AGGREGATE3:
        return [(to, "0x" + data[:4].hex())]
    try:
        (calls,) = decode(["(address,bool,bytes)[]"], data[4:])
    except Exception:
        return [(to, "0x" + data[:4].hex())]
    return [(target.lower(), "0x" + bytes(inner[:4]).hex()) for target, _, inner in calls]


def _created_reader_calls(data: bytes) -> list[tuple[str, str]]:
    """A `TickWindowReader` run counts as one tickBitmap call to each pool it reads; other creation
    code as one call to no address."""
    from mevcli.dex.uniswap_v3.window_reader import TICK_BITMAP, creation_code

    code = creation_code()
    if not data.startswith(code):
        return [("", "0x" + data[:4].hex())]
    try:
        pools, *_ = decode(["address[]", "int256[]", "int256[]", "int256[]"], data[len(code) :])
    except Exception:
        return [("", "0x" + data[:4].hex())]
    return [(pool.lower(), "0x" + TICK_BITMAP.hex()) for pool in pools]


class CountingProxy(RpcProxy):
    """An `RpcProxy` that also counts round trips and the calls inside Multicall3 batches."""

    def __init__(self, upstream: str, port: int = 0, host: str = "127.0.0.1") -> None:
        self.count = RpcCount()
        self._count_lock = threading.Lock()
        super().__init__(upstream, port, host)

    def _count_requests(self, requests: list[Any]) -> None:
        super()._count_requests(requests)
        with self._count_lock:
            self.count.round_trips += 1
            for request in requests:
                if not isinstance(request, dict):
                    continue
                method = request.get("method", "?")
                self.count.methods[method] += 1
                if method == "eth_call":
                    for target, sel in _inner_calls(request.get("params")):
                        self.count.targets[target] += 1
                        self.count.selectors[sel] += 1
                        self.count.calls[(target, sel)] += 1

    def take(self) -> RpcCount:
        """The figures so far; counting starts afresh."""
        with self._count_lock:
            seen, self.count = self.count, RpcCount()
        self.reset()
        return seen
