"""A small read-only JSON-RPC client over one HTTP(S) URL, shaped like the part of a web3 client that
mevcli's read paths use, so a command that only reads (a warm `quote`) never imports web3.

Importing web3 costs most of a CPU second on a small machine (web3, eth_account, aiohttp, pydantic);
a warm quote needs four JSON-RPC methods: the head, a block's hash and time, the logs since the cache's
last processed block, and `eth_call` for whatever is not cached. `LightRpc` answers those with the
standard library (`http.client`): `eth.block_number`, `eth.chain_id`, `eth.get_block`, `eth.get_logs`,
`eth.call`, and `provider.make_request` / `make_batch_request` for JSON-RPC batches (`chain.batch`).

Retries follow `failover.py`'s rules for one URL: transport errors, HTTP 5xx, HTTP 429 and rate-limit
errors are tried again after a backoff, `retries + 1` attempts in all, then `RpcError`; any other JSON-RPC
error is the node's answer and raises `JsonRpcError` (a `ValueError`, as web3's errors are) carrying the
error object. Several URLs (fail-over) and ws:// stay with the web3 client.
"""

from __future__ import annotations

import http.client
import itertools
import json
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

from mevcli.errors import RpcError
from mevcli.redact import first_line, redact_url

BACKOFF_BASE = 0.1
BACKOFF_CAP = 2.0
RATE_LIMIT_CODES = frozenset({429, -32005})
RATE_LIMIT_WORDS = ("rate limit", "rate-limit", "ratelimit", "too many requests", "request limit")


class JsonRpcError(ValueError):
    """The node answered with a JSON-RPC error (`args[0]` is the error object, as with web3)."""


class BlockNotFound(LookupError):
    """`eth_getBlockByNumber` answered null: the chain has no such block (yet)."""


class _Transient(Exception):
    """An attempt worth repeating after a backoff (transport error, 5xx, 429, rate limit)."""


@dataclass(slots=True)
class LightStats:
    """The counters `metrics` reads from a provider (same names as `failover.ProviderStats`)."""

    calls: int = 0
    errors: int = 0
    retries: int = 0
    failovers: int = 0


def supports(urls: tuple[str, ...] | list[str]) -> bool:
    """Whether `LightRpc` can serve these URLs: exactly one, over HTTP(S)."""
    return len(urls) == 1 and urls[0].startswith(("http://", "https://"))


def _hex_bytes(value: Any) -> bytes:
    text = str(value or "0x").removeprefix("0x")
    return bytes.fromhex(text)


def _block_tag(block: Any) -> str:
    return hex(block) if isinstance(block, int) else str(block)


def _hex_data(data: Any) -> str:
    if isinstance(data, bytes | bytearray):
        return "0x" + bytes(data).hex()
    return str(data)


class LightRpc:
    """JSON-RPC reads over one HTTP(S) URL with the standard library (see the module docstring)."""

    def __init__(self, url: str, timeout: float = 10.0, retries: int = 3) -> None:
        parsed = urllib.parse.urlsplit(url)
        self.url = url
        self.timeout = timeout
        self.retries = retries
        self.stats = LightStats()
        self._https = parsed.scheme == "https"
        self._host = parsed.hostname or ""
        self._port = parsed.port
        self._path = (parsed.path or "/") + (f"?{parsed.query}" if parsed.query else "")
        self._headers = {"Content-Type": "application/json"}
        if parsed.username is not None:
            import base64

            userinfo = urllib.parse.unquote(parsed.netloc.rpartition("@")[0])
            self._headers["Authorization"] = "Basic " + base64.b64encode(userinfo.encode()).decode()
        self._connection: http.client.HTTPConnection | None = None
        self._ids = itertools.count(1)
        self._chain_id: int | None = None
        self.eth = _Eth(self)
        self.provider = self

    # -- web3-provider shape (chain.batch) -------------------------------------------------------
    @property
    def answered_url(self) -> str:
        return self.url

    def make_request(self, method: str, params: Any) -> dict[str, Any]:
        """The node's response object to one request (`result` or `error`)."""
        body = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
        return self._send(body, method)

    def make_batch_request(self, requests: list[tuple[str, Any]]) -> Any:
        """The responses to `requests` in their order, or what the node said instead of a list."""
        first = next(self._ids)
        self._ids = itertools.count(first + len(requests))
        bodies = [
            {"jsonrpc": "2.0", "id": first + i, "method": m, "params": p} for i, (m, p) in enumerate(requests)
        ]
        answer = self._send(bodies, "batch")
        if isinstance(answer, list):
            answer.sort(key=lambda r: r.get("id", 0) if isinstance(r, dict) else 0)
        return answer

    def request(self, method: str, params: Any) -> Any:
        """The `result` of one request; a JSON-RPC error raises `JsonRpcError`."""
        response = self.make_request(method, params)
        if not isinstance(response, dict) or "error" in response or "result" not in response:
            error = response.get("error", response) if isinstance(response, dict) else response
            raise JsonRpcError(error)
        return response["result"]

    # -- transport --------------------------------------------------------------------------------
    def _send(self, body: Any, label: str) -> Any:
        data = json.dumps(body).encode()
        self.stats.calls += 1
        delay = BACKOFF_BASE
        for attempt in range(self.retries + 1):
            if attempt:
                self.stats.retries += 1
                time.sleep(delay)
                delay = min(delay * 2, BACKOFF_CAP)
            try:
                return self._post(data)
            except _Transient as exc:
                last: BaseException = exc
        self.stats.errors += 1
        raise RpcError(
            f"{label} to {redact_url(self.url)} failed after {self.retries + 1} attempts: {first_line(last)}"
        ) from last

    def _post(self, data: bytes) -> Any:
        try:
            connection = self._connection or self._connect()
            connection.request("POST", self._path, data, self._headers)
            response = connection.getresponse()
            status, raw = response.status, response.read()
        except (OSError, http.client.HTTPException) as exc:
            self._close()
            raise _Transient(exc) from exc
        if response.getheader("connection", "").lower() == "close":
            self._close()
        try:
            answer = json.loads(raw)
        except ValueError:
            if status >= 500 or status == 429 or status < 300:
                raise _Transient(f"HTTP {status}: not a JSON-RPC answer") from None
            raise RpcError(f"HTTP {status} from {redact_url(self.url)}") from None
        error = answer.get("error") if isinstance(answer, dict) else None
        if status == 429 or _rate_limited(error):
            raise _Transient(f"rate limited: {str(error or status)[:200]}")
        if status >= 500 and error is None:
            raise _Transient(f"HTTP {status}")
        if status >= 400 and error is None:
            raise RpcError(f"HTTP {status} from {redact_url(self.url)}")
        return answer

    def _connect(self) -> http.client.HTTPConnection:
        if self._https:
            self._connection = http.client.HTTPSConnection(self._host, self._port, timeout=self.timeout)
        else:
            self._connection = http.client.HTTPConnection(self._host, self._port, timeout=self.timeout)
        return self._connection

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _rate_limited(error: Any) -> bool:
    if not isinstance(error, dict):
        return False
    message = str(error.get("message", "")).lower()
    return error.get("code") in RATE_LIMIT_CODES or any(w in message for w in RATE_LIMIT_WORDS)


class _Eth:
    """`w3.eth`'s read methods, with web3's return shapes where mevcli reads them."""

    def __init__(self, rpc: LightRpc) -> None:
        self._rpc = rpc

    @property
    def chain_id(self) -> int:
        if self._rpc._chain_id is None:
            self._rpc._chain_id = int(self._rpc.request("eth_chainId", []), 16)
        return self._rpc._chain_id

    @property
    def block_number(self) -> int:
        return int(self._rpc.request("eth_blockNumber", []), 16)

    def get_block(self, block: int | str = "latest") -> dict[str, Any]:
        """The block header (`hash` as bytes, numbers as ints); `BlockNotFound` when there is none."""
        raw = self._rpc.request("eth_getBlockByNumber", [_block_tag(block), False])
        if raw is None:
            raise BlockNotFound(f"block {block} not found")
        out = dict(raw)
        out["hash"] = _hex_bytes(raw.get("hash"))
        out["parentHash"] = _hex_bytes(raw.get("parentHash"))
        for key in ("number", "timestamp", "gasLimit", "gasUsed", "baseFeePerGas"):
            if raw.get(key) is not None:
                out[key] = int(raw[key], 16)
        return out

    def get_logs(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        query = dict(params)
        for key in ("fromBlock", "toBlock"):
            if key in query:
                query[key] = _block_tag(query[key])
        logs = []
        for raw in self._rpc.request("eth_getLogs", [query]):
            log = dict(raw)
            for key in ("blockNumber", "logIndex", "transactionIndex"):
                if isinstance(raw.get(key), str):
                    log[key] = int(raw[key], 16)
            for key in ("data", "blockHash", "transactionHash"):  # bytes, as web3 gives them
                if isinstance(raw.get(key), str):
                    log[key] = _hex_bytes(raw[key])
            log["topics"] = [_hex_bytes(t) for t in raw.get("topics") or []]
            logs.append(log)
        return logs

    def get_code(self, address: str, block: int | str = "latest") -> bytes:
        return _hex_bytes(self._rpc.request("eth_getCode", [address, _block_tag(block)]))

    def call(self, transaction: dict[str, Any], block: int | str = "latest") -> bytes:
        tx = {k: (_hex_data(v) if k == "data" else v) for k, v in transaction.items()}
        return _hex_bytes(self._rpc.request("eth_call", [tx, _block_tag(block)]))


def connect(url: str, timeout: float = 10.0, retries: int = 3) -> LightRpc:
    """A `LightRpc` verified to answer JSON-RPC (one `eth_chainId`), as `chain.client.connect` checks."""
    client = LightRpc(url, timeout, retries)
    try:
        client.eth.chain_id  # noqa: B018 - the call itself is the probe
    except Exception as exc:  # transport errors, non-JSON bodies, JSON-RPC errors
        cause = exc.__cause__ if isinstance(exc, RpcError) and exc.__cause__ is not None else exc
        raise RpcError(f"cannot reach a JSON-RPC node at {redact_url(url)}: {first_line(cause)}") from exc
    return client


def block_or_none(w3: Any, number: int) -> Any:
    """Block `number` from a web3 client or a `LightRpc`, None when the chain has no such block."""
    if isinstance(w3, LightRpc):
        try:
            return w3.eth.get_block(number)
        except BlockNotFound:
            return None
    from web3.exceptions import BlockNotFound as Web3BlockNotFound

    try:
        return w3.eth.get_block(number)
    except Web3BlockNotFound:
        return None
