"""What the fail-over provider retries, fails over on, or hands back to the caller, decided on bytes alone."""

from __future__ import annotations

import http.client
import json

import pytest
import requests
from urllib3.exceptions import NewConnectionError

from mevcli.chain.failover import (
    Verdict,
    classify_exception,
    classify_response,
    is_rate_limit_error,
    never_delivered,
)


def body(**fields: object) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": 1, **fields}).encode()


REVERT = body(error={"code": 3, "message": "execution reverted: STF", "data": "0x08c379a0"})
NONCE = body(error={"code": -32000, "message": "nonce too low: next nonce 5, tx nonce 4"})
UNDERPRICED = body(error={"code": -32000, "message": "replacement transaction underpriced"})


@pytest.mark.parametrize(
    ("status", "payload"),
    [(200, REVERT), (200, NONCE), (200, UNDERPRICED), (200, body(result="0x1")), (500, REVERT), (500, NONCE)],
)
def test_node_answers_and_json_rpc_errors_go_back_to_the_caller(status, payload):
    verdict, decoded = classify_response(status, payload)
    assert verdict is Verdict.ANSWER
    assert decoded == json.loads(payload)


@pytest.mark.parametrize(
    ("status", "payload"),
    [
        (429, b"Too Many Requests"),
        (429, body(error={"code": -32000, "message": "whatever"})),
        (200, body(error={"code": -32005, "message": "daily request count exceeded"})),
        (200, body(error={"code": -32000, "message": "Too Many Requests, slow down"})),
        (
            200,
            json.dumps(
                [json.loads(body(result="0x1")), {"id": 2, "error": {"code": 429, "message": "x"}}]
            ).encode(),
        ),
        (500, b"internal server error"),
        (502, b"<html>Bad Gateway</html>"),
        (503, body(message="upstream unavailable")),
        (200, REVERT[: len(REVERT) // 2]),
        (200, b"<html>maintenance</html>"),
        (200, b""),
    ],
)
def test_rate_limits_server_errors_and_broken_bodies_are_retried(status, payload):
    assert classify_response(status, payload)[0] is Verdict.RETRY


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_other_http_errors_are_not_retried(status):
    assert classify_response(status, b"forbidden")[0] is Verdict.FAIL


def test_rate_limit_words_and_codes():
    assert is_rate_limit_error({"code": -32005, "message": "limit exceeded"})
    assert is_rate_limit_error({"code": -32000, "message": "Rate limit reached"})
    assert not is_rate_limit_error({"code": -32005, "message": "query returned more than 10000 results"})
    assert not is_rate_limit_error({"code": 3, "message": "execution reverted"})
    assert not is_rate_limit_error(None)


def _refused() -> requests.ConnectionError:
    cause = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused")
    return requests.ConnectionError(cause)


def test_transport_errors_fail_over_and_only_undelivered_ones_are_safe_to_resend():
    reset = requests.ConnectionError(ConnectionResetError(104, "Connection reset by peer"))
    dropped = requests.ConnectionError(http.client.RemoteDisconnected("closed without response"))
    read_timeout = requests.ReadTimeout("read timed out")
    connect_timeout = requests.ConnectTimeout("connect timed out")
    for exc in (_refused(), reset, dropped, read_timeout, connect_timeout):
        assert classify_exception(exc) is Verdict.FAILOVER
    assert classify_exception(requests.exceptions.ChunkedEncodingError("broken")) is Verdict.RETRY
    assert classify_exception(ValueError("a bug")) is Verdict.FAIL
    assert never_delivered(_refused()) and never_delivered(connect_timeout)
    assert not any(never_delivered(e) for e in (reset, dropped, read_timeout))
