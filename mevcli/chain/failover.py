"""A JSON-RPC provider over several HTTP(S) URLs: bounded retries with backoff, fail-over, back to primary.

Every request goes to the most preferred URL that is not cooling down (the order of `--rpc-url`). What is
retried is decided by `classify_exception` / `classify_response`:

- transport errors (refused, reset, dropped, timed out): the URL cools down and the next attempt goes to the
  next URL at once (or, with none left, to the same one after a backoff);
- HTTP 5xx without a JSON-RPC error body, HTTP 429 and JSON-RPC rate-limit errors, truncated or non-JSON
  bodies: another attempt after a backoff (0.1 s doubling, at most 2 s, or the server's Retry-After);
- any other JSON-RPC error response (a revert, a nonce error, bad params) is the node's answer and goes
  back to the caller untouched, as web3's HTTPProvider does; other HTTP 4xx raise at once.

`eth_send*` may have landed when its answer is lost, so it is retried only when it provably never reached a
node (connection refused, connect timeout, HTTP 429). A URL is used for anything else only after it has
answered `eth_chainId` with the chain the first URL serves. After `retries + 1` attempts the request raises
`RpcError`. `stats` counts calls, failed calls, extra attempts and fail-overs for `--metrics-file`.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, cast

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NameResolutionError, NewConnectionError
from web3._utils.batching import sort_batch_response_by_response_ids
from web3._utils.caching import handle_request_caching
from web3.providers.base import JSONBaseProvider
from web3.types import RPCEndpoint, RPCResponse

from mevcli.errors import RpcError
from mevcli.redact import first_line, redact_text, redact_url

logger = logging.getLogger("mevcli.rpc")

DEFAULT_RETRIES = 3
DEFAULT_COOLDOWN = 30.0  # seconds a failed URL is skipped before it is tried again
BACKOFF_BASE = 0.1
BACKOFF_CAP = 2.0
RATE_LIMIT_CODES = frozenset({429, -32005})
RATE_LIMIT_WORDS = ("rate limit", "rate-limit", "ratelimit", "too many requests", "request limit")
SEND_METHODS = frozenset({"eth_sendRawTransaction", "eth_sendTransaction"})
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (requests.ConnectionError, requests.Timeout, OSError)


class EndpointRejected(requests.ConnectionError):
    """A URL that did not pass its `eth_chainId` check; nothing was sent to it."""


class Verdict(Enum):
    ANSWER = "answer"  # hand the decoded body to the caller (results and JSON-RPC errors alike)
    RETRY = "retry"  # a passing server fault: try again after a backoff
    FAILOVER = "failover"  # the URL is unreachable: cool it down, try the next
    FAIL = "fail"  # an HTTP error no retry fixes (401, 404, ...)


@dataclass(slots=True)
class ProviderStats:
    """`calls`: requests made (a batch is one); `errors`: calls that raised after every attempt;
    `retries`: attempts beyond each call's first; `failovers`: attempts moved to another URL."""

    calls: int = 0
    errors: int = 0
    retries: int = 0
    failovers: int = 0


def is_rate_limit_error(error: Any) -> bool:
    """A JSON-RPC error object that says "slow down" (code 429 / -32005, or the words) rather than "no"."""
    if not isinstance(error, dict):
        return False
    message = str(error.get("message", "")).lower()
    if any(word in message for word in RATE_LIMIT_WORDS):
        return True
    # -32005 is "limit exceeded"; Infura also uses it for eth_getLogs ranges with too many results.
    return error.get("code") in RATE_LIMIT_CODES and "more than" not in message


def _is_response(item: Any) -> bool:
    return isinstance(item, dict) and ("result" in item or "error" in item)


def classify_response(status: int, body: bytes) -> tuple[Verdict, Any]:
    """What to do with an HTTP answer: (ANSWER, decoded JSON) or (RETRY | FAIL, a reason)."""
    try:
        decoded: Any = json.loads(body)
    except ValueError:
        decoded = None
    items = decoded if isinstance(decoded, list) and decoded else [decoded]
    is_jsonrpc = all(_is_response(item) for item in items)
    if status == 429 or (is_jsonrpc and any(is_rate_limit_error(i.get("error")) for i in items)):
        return Verdict.RETRY, f"rate limited (HTTP {status})"
    if is_jsonrpc and (200 <= status < 300 or any("error" in item for item in items)):
        return Verdict.ANSWER, decoded  # the node answered; an error in it is the caller's business
    if status >= 500:
        return Verdict.RETRY, f"HTTP {status}"
    if not 200 <= status < 300:
        return Verdict.FAIL, f"HTTP {status}"
    return Verdict.RETRY, "truncated or non-JSON body" if decoded is None else "not a JSON-RPC response"


def classify_exception(exc: BaseException) -> Verdict:
    """Transport errors move on to the next URL; anything else is not ours to retry."""
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return Verdict.RETRY  # the body broke off mid-way: the server is there
    if isinstance(exc, TRANSPORT_ERRORS):
        return Verdict.FAILOVER
    return Verdict.FAIL


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and everything it wraps (causes, contexts, urllib3's `reason`, exception arguments)."""
    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        item = stack.pop()
        if isinstance(item, BaseException) and id(item) not in seen:
            seen.add(id(item))
            yield item
            stack.extend([item.__cause__, item.__context__, getattr(item, "reason", None), *item.args])


def never_delivered(exc: BaseException) -> bool:
    """True when the request cannot have reached a node (safe to resend even an `eth_send*`)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    return any(
        isinstance(c, ConnectionRefusedError | EndpointRejected | NewConnectionError) for c in _causes(exc)
    )


def _session_for(url: str) -> requests.Session:
    """A session for one URL, with what the environment says of it (proxies, CA bundle, .netrc
    credentials) read once: by default requests reads the environment again on every request."""
    session = requests.Session()
    session.mount(url, HTTPAdapter(max_retries=0))
    settings = session.merge_environment_settings(url, {}, None, None, None)
    auth = requests.utils.get_netrc_auth(url)
    session.trust_env = False
    session.proxies = settings["proxies"]
    session.verify = settings["verify"]
    if settings["cert"] is not None:
        session.cert = settings["cert"]
    if auth is not None:
        session.auth = auth
    return session


class _Endpoint:
    def __init__(self, url: str, timeout: float) -> None:
        self.url = url
        self.label = redact_url(url)  # what messages and logs show: never the credentials
        self.timeout = (min(timeout, 5.0), timeout)  # (connect, read)
        self.session = _session_for(url)
        self.down_until = 0.0
        self.verified = False
        self.disabled = False  # serves another chain
        self.answered = False  # a request to this URL got a JSON-RPC answer (in this process)
        self.error: str | None = None  # why the last attempt at this URL failed, if it did

    def post(self, data: bytes) -> tuple[int, bytes, float | None]:
        response = self.session.post(
            self.url, data=data, headers={"Content-Type": "application/json"}, timeout=self.timeout
        )
        with response:
            body = response.content
            retry_after = response.headers.get("Retry-After")
        try:
            wait = float(retry_after) if retry_after else None
        except ValueError:
            wait = None
        return response.status_code, body, wait


class FailoverHTTPProvider(JSONBaseProvider):
    def __init__(
        self,
        urls: Sequence[str],
        timeout: float = 10.0,
        retries: int = DEFAULT_RETRIES,
        cooldown: float = DEFAULT_COOLDOWN,
        backoff: float = BACKOFF_BASE,
    ) -> None:
        # web3 asks eth_chainId before every eth_call; a node's chain id never changes: cache that only.
        # No validation threshold: web3 would spend a second eth_chainId on choosing one (it only
        # judges block-dependent answers, and eth_chainId is the only request cached here).
        super().__init__(
            cache_allowed_requests=True,
            cacheable_requests={RPCEndpoint("eth_chainId")},
            request_cache_validation_threshold=None,
        )
        if not urls:
            raise RpcError("no RPC URL given")
        self.endpoints = [_Endpoint(url, timeout) for url in urls]
        self.retries = retries
        self.cooldown = cooldown
        self.backoff = backoff
        self.stats = ProviderStats()
        self.chain_id: int | None = None
        self._answered: _Endpoint | None = None
        self._lock = threading.Lock()

    def __str__(self) -> str:
        return f"FailoverHTTPProvider({', '.join(e.label for e in self.endpoints)})"

    @property
    def endpoint_uri(self) -> str:
        """The URL the next request goes to."""
        return self.endpoints[self._pick()].url

    @property
    def answered_url(self) -> str | None:
        """The URL that gave the latest answer (None before any)."""
        return self._answered.url if self._answered is not None else None

    def endpoint_report(self) -> list[tuple[str, bool | None, str | None]]:
        """(url, reachable, error) per URL in order of preference; reachable is None for a URL never
        tried because a more preferred one answered."""
        report: list[tuple[str, bool | None, str | None]] = []
        for e in self.endpoints:
            reachable = True if e.answered and e.error is None else False if e.error else None
            report.append((e.url, reachable, e.error))
        return report

    @handle_request_caching
    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        data = self.encode_rpc_request(method, params)
        return cast(RPCResponse, self._send(str(method), data))

    def make_batch_request(self, requests: list[tuple[RPCEndpoint, Any]]) -> list[RPCResponse] | RPCResponse:
        methods = {str(method) for method, _params in requests}
        label = f"batch of {len(requests)}"
        response = self._send(
            label, self.encode_batch_rpc_request(requests), sends=bool(methods & SEND_METHODS)
        )
        if not isinstance(response, list):
            return cast(RPCResponse, response)  # an error for the whole batch
        return cast(list[RPCResponse], sort_batch_response_by_response_ids(response))

    # -- the policy ------------------------------------------------------------------------------
    def _send(self, label: str, data: bytes, *, sends: bool | None = None) -> Any:
        sends = label in SEND_METHODS if sends is None else sends
        with self._lock:
            self.stats.calls += 1
        reason = ""
        failures = 0
        index = self._pick()
        for attempt in range(self.retries + 1):
            if attempt:
                with self._lock:
                    self.stats.retries += 1
            endpoint = self.endpoints[index]
            retry_after: float | None = None
            try:
                if not endpoint.verified and self.chain_id is not None:
                    self._verify(endpoint)
                status, body, retry_after = endpoint.post(data)
            except Exception as exc:
                verdict = classify_exception(exc)
                endpoint.error = _short(exc)
                reason = f"{endpoint.label}: {endpoint.error}"
                if verdict is Verdict.FAIL or (sends and not never_delivered(exc)):
                    self._give_up()
                    raise RpcError(f"{label} failed at {reason}") from exc
                if verdict is Verdict.FAILOVER:
                    index = self._fail_over(index, reason)
                    if (
                        self.endpoints[index] is not endpoint
                        and self.endpoints[index].down_until <= time.monotonic()
                    ):
                        continue  # another URL that is up: no need to wait
            else:
                verdict, value = classify_response(status, body)
                if verdict is Verdict.ANSWER:
                    endpoint.down_until = 0.0
                    endpoint.answered, endpoint.error, self._answered = True, None, endpoint
                    self._note_chain_id(label, value, endpoint)
                    return value
                endpoint.error = redact_text(str(value))
                reason = f"{endpoint.label}: {endpoint.error}"
                rejected = str(value).startswith("rate limited")  # refused unprocessed: safe to resend
                if verdict is Verdict.FAIL or (sends and not rejected):
                    self._give_up()
                    raise RpcError(f"{label} failed at {reason}")
            failures += 1
            if attempt < self.retries:
                delay = min(BACKOFF_CAP, self.backoff * 2 ** (failures - 1))
                time.sleep(min(BACKOFF_CAP, max(delay, retry_after or 0.0)))
                logger.info("retrying %s (%s)", label, reason)
        self._give_up()
        raise RpcError(f"{label} failed after {self.retries + 1} attempts; last: {reason}")

    def _pick(self) -> int:
        """The most preferred usable URL not cooling down; else the one whose cool-down ends first."""
        now = time.monotonic()
        usable = [i for i, e in enumerate(self.endpoints) if not e.disabled] or list(
            range(len(self.endpoints))
        )
        for i in usable:
            if self.endpoints[i].down_until <= now:
                return i
        return min(usable, key=lambda i: self.endpoints[i].down_until)

    def _fail_over(self, index: int, reason: str) -> int:
        self.endpoints[index].down_until = time.monotonic() + self.cooldown
        nxt = self._pick()
        if nxt != index:
            with self._lock:
                self.stats.failovers += 1
            logger.info(
                "failing over from %s to %s (%s)",
                self.endpoints[index].label,
                self.endpoints[nxt].label,
                reason,
            )
        return nxt

    def _give_up(self) -> None:
        with self._lock:
            self.stats.errors += 1

    def _verify(self, endpoint: _Endpoint) -> None:
        """Check that a URL serves the chain the first one did before it answers anything else."""
        status, body, _ = endpoint.post(self.encode_rpc_request(RPCEndpoint("eth_chainId"), []))
        verdict, value = classify_response(status, body)
        if verdict is not Verdict.ANSWER or "result" not in value:
            raise EndpointRejected(
                f"eth_chainId probe answered {value if verdict is not Verdict.ANSWER else value['error']}"
            )
        actual = int(value["result"], 16)
        if actual != self.chain_id:
            endpoint.disabled = True
            raise EndpointRejected(f"serves chain id {actual}, not {self.chain_id}: not used")
        endpoint.verified = True

    def _note_chain_id(self, label: str, value: Any, endpoint: _Endpoint) -> None:
        if label == "eth_chainId" and self.chain_id is None and isinstance(value, dict) and "result" in value:
            self.chain_id = int(value["result"], 16)
            endpoint.verified = True


def _short(exc: BaseException) -> str:
    """A one-line cause: "connection refused", "timed out", ... rather than urllib3's pool message."""
    if isinstance(exc, requests.Timeout):
        return "timed out"
    for cause in _causes(exc):
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, ConnectionResetError | http.client.RemoteDisconnected):
            return "connection closed without an answer"
        if isinstance(cause, NameResolutionError | socket.gaierror):
            return "host name not found"
    return first_line(exc, 160, with_type=True)
