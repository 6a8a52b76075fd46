"""A loopback JSON-RPC proxy in front of a node that counts methods and, at a given rate, injects faults.

Faults (`--kinds`): `drop` closes the connection without an answer (nothing forwarded), `delay` answers
after `--delay` seconds, `500` and `429` answer with that HTTP status (429 with a JSON-RPC rate-limit
error), `truncate` forwards and sends back half of the node's body. Which request gets which fault is drawn
from `random.Random(seed)` in arrival order, so a sequential client sees the same faults every run.

    python -m mevcli.devnet.fault_proxy --upstream http://127.0.0.1:8545 --port 8600 --rate 0.3 --seed 7
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import signal
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAULT_KINDS = ("drop", "delay", "500", "429", "truncate")
RATE_LIMITED = b'{"jsonrpc":"2.0","id":null,"error":{"code":-32005,"message":"rate limit exceeded"}}'


class RpcProxy:
    """Forwards every POST to `upstream` and counts the JSON-RPC methods seen (batches included)."""

    def __init__(self, upstream: str, port: int = 0, host: str = "127.0.0.1") -> None:
        self.upstream = upstream
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                proxy._count(body)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up
                    proxy.handle(self, body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def _count(self, body: bytes) -> None:
        try:
            payload = json.loads(body)
        except ValueError:
            return
        self._count_requests(payload if isinstance(payload, list) else [payload])

    def _count_requests(self, requests: list[Any]) -> None:
        """Count a body's JSON-RPC requests (one, or a batch's) by method."""
        with self._lock:
            self.counts.update(r.get("method", "?") if isinstance(r, dict) else "?" for r in requests)

    def forward(self, body: bytes) -> bytes:
        request = urllib.request.Request(
            self.upstream, data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            data: bytes = response.read()
        return data

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        """Answer one request (subclasses decide how)."""
        reply(handler, 200, self.forward(body))

    def reset(self) -> Counter[str]:
        """The counts so far, and start counting afresh."""
        with self._lock:
            seen, self.counts = self.counts, Counter()
        return seen

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def reply(
    handler: BaseHTTPRequestHandler, status: int, data: bytes, content_type: str = "application/json"
) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


class FaultProxy(RpcProxy):
    """An `RpcProxy` that gives a fraction `rate` of requests one of `kinds` of fault."""

    def __init__(
        self,
        upstream: str,
        port: int = 0,
        *,
        rate: float = 0.0,
        seed: int = 0,
        kinds: Sequence[str] = FAULT_KINDS,
        delay: float = 1.0,
        script: Sequence[str | None] = (),
        host: str = "127.0.0.1",
    ) -> None:
        """`script`: faults (None: none) for the first requests, in order, before the random draws."""
        unknown = sorted(set(kinds) - set(FAULT_KINDS) | {k for k in script if k} - set(FAULT_KINDS))
        if unknown or not kinds:
            raise ValueError(f"unknown fault kinds {unknown}: expected some of {', '.join(FAULT_KINDS)}")
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"fault rate {rate} is not between 0 and 1")
        self.rate = rate
        self.kinds = tuple(kinds)
        self.delay = delay
        self.faults: Counter[str] = Counter()
        self._random = random.Random(seed)
        self.script = list(script)
        super().__init__(upstream, port, host)

    def draw(self) -> str | None:
        """The fault for the next request, or None to pass it through."""
        with self._lock:
            if self.script:
                kind = self.script.pop(0)
            else:
                kind = self._random.choice(self.kinds) if self._random.random() < self.rate else None
            if kind is not None:
                self.faults[kind] += 1
        return kind

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        kind = self.draw()
        if kind == "drop":
            handler.close_connection = True  # no answer at all
            return
        if kind == "500":
            reply(handler, 500, b"internal server error", "text/plain")
            return
        if kind == "429":
            handler.send_response(429)
            handler.send_header("Retry-After", "0")
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(RATE_LIMITED)))
            handler.end_headers()
            handler.wfile.write(RATE_LIMITED)
            return
        if kind == "delay":
            time.sleep(self.delay)
        data = self.forward(body)
        reply(handler, 200, data[: len(data) // 2] if kind == "truncate" else data)


class LogLimitProxy(RpcProxy):
    """Plays a provider that caps `eth_getLogs`: a window wider than `max_range` blocks, or one whose
    answer would hold more than `max_results` logs, gets a JSON-RPC error (`range_error` /
    `results_error`: code and message; `{limit}` in the message is replaced by the cap).

    Every answered `eth_getLogs` is recorded in `answered` as (addresses, first block, last block).
    With `hold_after=N`, the answers after the first N wait until `release` is set (`held` is set when one
    is waiting): a test can kill its client mid-sync at a known point.
    """

    def __init__(
        self,
        upstream: str,
        port: int = 0,
        *,
        max_range: int | None = None,
        max_results: int | None = None,
        range_error: tuple[int, str] = (-32600, "eth_getLogs is limited to a {limit} range"),
        results_error: tuple[int, str] = (-32005, "query returned more than {limit} results"),
        hold_after: int | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.max_range = max_range
        self.max_results = max_results
        self.range_error = range_error
        self.results_error = results_error
        self.hold_after = hold_after
        self.answered: list[tuple[tuple[str, ...], int, int]] = []
        self.refused = 0
        self.held = threading.Event()
        self.release = threading.Event()
        super().__init__(upstream, port, host)

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        try:
            request = json.loads(body)
        except ValueError:
            request = None
        if not isinstance(request, dict) or request.get("method") != "eth_getLogs":
            reply(handler, 200, self.forward(body))
            return
        query = request["params"][0]
        first, last = int(query["fromBlock"], 16), int(query["toBlock"], 16)
        address = query.get("address") or ()
        addresses = tuple(sorted(a.lower() for a in ([address] if isinstance(address, str) else address)))
        if self.max_range is not None and last - first + 1 > self.max_range:
            self._refuse(handler, request, self.range_error, self.max_range)
            return
        data = self.forward(body)
        logs = json.loads(data).get("result")
        if self.max_results is not None and isinstance(logs, list) and len(logs) > self.max_results:
            self._refuse(handler, request, self.results_error, self.max_results)
            return
        with self._lock:
            hold = self.hold_after is not None and len(self.answered) >= self.hold_after
            if not hold:
                self.answered.append((addresses, first, last))
        if hold:
            self.held.set()
            self.release.wait()
        reply(handler, 200, data)

    def _refuse(
        self, handler: BaseHTTPRequestHandler, request: dict, error: tuple[int, str], limit: int
    ) -> None:
        with self._lock:
            self.refused += 1
        code, message = error
        answer = {
            "jsonrpc": "2.0",
            "id": request.get("id"),
            "error": {"code": code, "message": message.format(limit=limit)},
        }
        reply(handler, 200, json.dumps(answer).encode())


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m mevcli.devnet.fault_proxy", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--upstream", required=True, help="the node's HTTP JSON-RPC URL")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free one)")
    parser.add_argument("--rate", type=float, default=0.1, help="fraction of requests given a fault")
    parser.add_argument("--seed", type=int, default=0, help="seed of the fault sequence")
    parser.add_argument("--kinds", default=",".join(FAULT_KINDS), help="comma-separated fault kinds")
    parser.add_argument("--delay", type=float, default=1.0, help="seconds a `delay` fault waits")
    args = parser.parse_args(argv)
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    try:
        proxy = FaultProxy(
            args.upstream, args.port, rate=args.rate, seed=args.seed, kinds=kinds, delay=args.delay
        )
    except (ValueError, OSError) as exc:
        parser.error(str(exc))
    print(proxy.url, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        proxy.close()
        print(json.dumps({"requests": sum(proxy.counts.values()), "faults": dict(proxy.faults)}), flush=True)


if __name__ == "__main__":
    main()
