"""A loopback JSON-RPC proxy to anvil that can run a hook before forwarding a method, once, and
rewrite every request on the way.

Used to stage what happens between our simulation and our send: a competitor taking the same
opportunity first, or another process sending from our account (a nonce race); and to play an older
node (one that drops parameters it does not know).
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Hook = Callable[[dict[str, Any]], None]
Rewrite = Callable[[dict[str, Any]], dict[str, Any]]


class HookProxy:
    def __init__(self, upstream: str, rewrite: Rewrite | None = None) -> None:
        self.upstream = upstream
        self.rewrite = rewrite
        self.hooks: dict[str, Hook] = {}
        self.fired: list[str] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                payload = json.loads(body)
                for request in payload if isinstance(payload, list) else [payload]:
                    with proxy._lock:
                        hook = proxy.hooks.pop(request.get("method"), None)
                    if hook is not None:
                        hook(request)
                        proxy.fired.append(request["method"])
                if proxy.rewrite is not None:
                    rewritten = [
                        proxy.rewrite(r) for r in (payload if isinstance(payload, list) else [payload])
                    ]
                    body = json.dumps(rewritten if isinstance(payload, list) else rewritten[0]).encode()
                forward = urllib.request.Request(
                    proxy.upstream, data=body, headers={"Content-Type": "application/json"}
                )
                with urllib.request.urlopen(forward, timeout=60) as response:
                    data = response.read()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def once(self, method: str, hook: Hook) -> None:
        """Run `hook(request)` before forwarding the next `method` request."""
        with self._lock:
            self.hooks[method] = hook

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def hook_proxy(upstream: str, rewrite: Rewrite | None = None) -> Iterator[HookProxy]:
    proxy = HookProxy(upstream, rewrite)
    try:
        yield proxy
    finally:
        proxy.close()
