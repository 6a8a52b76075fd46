"""A loopback JSON-RPC proxy that forwards to anvil and counts the methods it sees (batches included).

Subprocesses point ETH_RPC_URL at it, so RPC made by another process can be counted.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class CountingProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    payload = json.loads(body)
                    requests = payload if isinstance(payload, list) else [payload]
                    with proxy._lock:
                        proxy.counts.update(r.get("method", "?") for r in requests)
                except ValueError:
                    pass
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

    def reset(self) -> Counter[str]:
        with self._lock:
            seen, self.counts = self.counts, Counter()
        return seen

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
