"""A synchronous JSON-RPC provider over a websocket (`ws://` / `wss://` RPC URLs).

web3 8 ships only an async websocket provider; the CLI is synchronous, so this one sends a request and
reads until the response with the same id arrives. A dropped connection is reopened on the next request;
a read-only request is retried once on a fresh connection (a `eth_send*` never is: it may have landed).
"""

from __future__ import annotations

import json
import threading
from typing import Any

from web3._utils.caching import handle_request_caching
from web3.providers.base import JSONBaseProvider
from web3.types import RPCEndpoint, RPCResponse
from websockets.exceptions import WebSocketException
from websockets.sync.client import ClientConnection, connect

from mevcli.redact import redact_url

TRANSPORT_ERRORS = (WebSocketException, OSError, TimeoutError)


class WebSocketSyncProvider(JSONBaseProvider):
    def __init__(self, url: str, timeout: float = 10.0) -> None:
        # Like the HTTP client: cache eth_chainId, which web3 asks before every eth_call.
        # No validation threshold: web3 would spend a second eth_chainId on choosing one (it only
        # judges block-dependent answers, and eth_chainId is the only request cached here).
        super().__init__(
            cache_allowed_requests=True,
            cacheable_requests={RPCEndpoint("eth_chainId")},
            request_cache_validation_threshold=None,
        )
        self.url = url
        self.timeout = timeout
        self._connection: ClientConnection | None = None
        self._lock = threading.Lock()

    def __str__(self) -> str:
        return f"WebSocketSyncProvider({redact_url(self.url)})"

    def _open(self) -> ClientConnection:
        if self._connection is None:
            self._connection = connect(self.url, open_timeout=self.timeout, max_size=None)
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            finally:
                self._connection = None

    @handle_request_caching
    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        request = self.encode_rpc_request(method, params)
        request_id = json.loads(request)["id"]
        retries = 0 if method.startswith("eth_send") else 1
        with self._lock:
            for attempt in range(retries + 1):
                try:
                    connection = self._open()
                    connection.send(request.decode())
                    while True:
                        raw = connection.recv(timeout=self.timeout)
                        text = raw if isinstance(raw, str) else raw.decode()
                        if json.loads(text).get("id") == request_id:
                            return self.decode_rpc_response(text.encode())
                except TRANSPORT_ERRORS:
                    self.close()
                    if attempt == retries:
                        raise
        raise AssertionError("unreachable")
