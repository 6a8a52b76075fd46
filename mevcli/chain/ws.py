"""A synchronous JSON-RPC provider over a websocket (`ws://` / `wss://` RPC URLs).

web3 8 ships only an async websocket provider; the CLI is synchronous, so this one sends a request and
reads until the response with the same id arrives. A dropped connection is reopened on the next request;
a read-only request is retried once on a fresh connection (a `eth_send*` never is: it may have landed).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
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
        self.batches = True  # False once the node refused a batch as a whole: requests go one by one

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

        def ours(answer: Any) -> bool:
            return isinstance(answer, dict) and answer.get("id") == request_id

        return self._exchange(request.decode(), method.startswith("eth_send"), ours)

    def make_batch_request(self, requests: list[tuple[RPCEndpoint, Any]]) -> list[RPCResponse]:
        """One JSON-RPC batch over the socket (one round trip): the responses in the requests' order. A
        node that refuses a batch as a whole (one error object: no batching over this socket) is asked
        one request at a time from then on (NotImplementedError: `rpc_batch` sends them one by one)."""
        if not self.batches:
            raise NotImplementedError("the node refused a JSON-RPC batch over this websocket")
        bodies = [json.loads(self.encode_rpc_request(method, params)) for method, params in requests]
        ids = [body["id"] for body in bodies]

        def ours(answer: Any) -> bool:
            if isinstance(answer, list):
                return any(isinstance(r, dict) and r.get("id") in ids for r in answer)
            return isinstance(answer, dict) and answer.get("id") is None  # the batch refused as a whole

        sends = any(method.startswith("eth_send") for method, _ in requests)
        answer = self._exchange(json.dumps(bodies), sends, ours)
        if not isinstance(answer, list):
            self.batches = False
            raise NotImplementedError(f"the node refused a JSON-RPC batch: {str(answer)[:300]}")
        by_id = {r.get("id"): r for r in answer if isinstance(r, dict)}
        return [by_id[i] for i in ids] if all(i in by_id for i in ids) else answer

    def _exchange(self, text: str, sends: bool, ours: Callable[[Any], bool]) -> Any:
        """Send `text` and read until the answer `ours` recognises (other messages are skipped); a
        read-only request is sent once more on a fresh connection after a transport error."""
        retries = 0 if sends else 1
        with self._lock:
            for attempt in range(retries + 1):
                try:
                    connection = self._open()
                    connection.send(text)
                    while True:
                        raw = connection.recv(timeout=self.timeout)
                        answer = self.decode_rpc_response(raw.encode() if isinstance(raw, str) else raw)
                        if ours(answer):
                            return answer
                except TRANSPORT_ERRORS:
                    self.close()
                    if attempt == retries:
                        raise
        raise AssertionError("unreachable")
