"""The one redaction rule for URLs: credentials never survive, scheme, host and port always do."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest
import requests
from requests.adapters import HTTPAdapter

from mevcli.cli.output import configure_logging
from mevcli.execution import journal
from mevcli.redact import first_line, redact_text, redact_url

SECRETS = ("S3CRETPW", "K3Yabc0123456789", "QK3Y")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:S3CRETPW@arb1.example.invalid/v2/APIKEY", "https://arb1.example.invalid/v2/***"),
        ("https://arb.example.com/v2/abcdefghijklmnop1234?apikey=xyz", "https://arb.example.com/v2/***"),
        ("https://mainnet.infura.io/v3/0123456789abcdef0123456789abcdef", "https://mainnet.infura.io/v3/***"),
        ("https://rpc.ankr.com/arbitrum/K3Yabc0123456789", "https://rpc.ankr.com/arbitrum/***"),
        ("https://name.quiknode.pro/QK3Y0123/", "https://name.quiknode.pro/***/"),
        ("http://127.0.0.1:8545", "http://127.0.0.1:8545"),
        ("wss://node.example.com:8546/ws", "wss://node.example.com:8546/ws"),
        ("http://u:p@[::1]:8545/rpc?k=QK3Y", "http://[::1]:8545/rpc"),
        ("https://hooks.slack.com/services/T0/B0/XXXX", "https://hooks.slack.com/***/***/***/***"),
        # a key can be a lower-case word: only the words providers put in RPC paths are kept
        ("https://h.example/v2/abcdefghijklmnopqrst", "https://h.example/v2/***"),
        ("https://h.example/arbitrum/secretword", "https://h.example/arbitrum/***"),
        ("https://h.example/rpc/my-secret-key", "https://h.example/rpc/***"),
        ("https://h.example/v22/x", "https://h.example/***/***"),
        (
            "https://h.example/arb-mainnet/eth-sepolia/arbitrum-one/v3",
            "https://h.example/arb-mainnet/eth-sepolia/arbitrum-one/v3",
        ),
        ("ftp://127.0.0.1:1", "ftp://127.0.0.1:1"),
        ("not a url", "***"),
    ],
)
def test_redact_url(url, shown):
    assert redact_url(url) == shown


def test_redact_text_finds_every_url_and_urllib3_paths():
    secret = "http://op:S3CRETPW@127.0.0.1:9/v3/K3Yabc0123456789?apikey=QK3Y"
    text = (
        f"eth_chainId failed after 4 attempts; last: {secret}: ConnectionError: HTTPConnectionPool("
        "host='127.0.0.1', port=9): Max retries exceeded with url: /v3/K3Yabc0123456789?apikey=QK3Y "
        f"(Caused by ...); also '{secret}', [{secret}] and {json.dumps({'url': secret})}"
    )
    shown = redact_text(text)
    assert not any(s in shown for s in SECRETS), shown
    assert shown.count("http://127.0.0.1:9/v3/***") == 4 and "with url: /v3/*** (Caused" in shown


@pytest.mark.parametrize(
    "text",
    [
        "last: https://u:pa;ss@h.example/v2/K3Yabc0123456789: refused",
        "'https://u:p,w@h.example/v2/K3Yabc0123456789'",
        "(https://op:S3CRETPW)@h.example/v2/K3Yabc0123456789)",
        "at https://u:p,a)s's@h.example/v2/K3Yabc0123456789 (refused)",
        "at https://h.example/v2/K3Yabc0123456789?apikey=QK3Y;S3CRETPW, refused",
        "(https://h.example/v2/K3Yabc0123456789?key=x,QK3Y#S3CRETPW)",
    ],
)
def test_redact_text_password_with_delimiters(text):
    """`;`, `,`, `'` and `)` are legal in a password (they once ended the URL before its `@`), and `;` and `,`
    in a query (they once ended it before the rest of the key)."""
    shown = redact_text(text)
    assert (
        "https://h.example/v2/***" in shown and "@" not in shown and not any(s in shown for s in SECRETS)
    ), shown


def test_urllib3_retry_warning_path_is_scrubbed():
    line = "Retrying (Retry(total=0)) after connection broken by 'Error(\"refused\")': /v2/K3Yabc0123456789"
    assert redact_text(line).endswith("': /v2/***")
    assert (
        redact_text("Incremented Retry for (url='/v2/K3Yabc0123456789'): x")
        == "Incremented Retry for (url='/v2/***'): x"
    )


@pytest.mark.parametrize(
    ("exc", "shown"),
    [
        (
            ValueError("\nat https://op:S3CRETPW@h.example/v2/K3Yabc0123456789\nsecond"),
            "at https://h.example/v2/***",
        ),
        (ValueError(""), "ValueError"),
        (ValueError("x " * 150), ("x " * 99).rstrip() + "…"),
    ],
)
def test_first_line_always_redacts(exc, shown):
    assert first_line(exc) == shown
    assert first_line(exc, 40, with_type=True).startswith("ValueError")


LIBRARY_LOGGERS = ("web3", "web3.providers", "urllib3", "urllib3.connectionpool", "urllib3.util.retry")
LIBRARY_LOGGERS += ("websockets", "websockets.client")


def _own(handler: logging.Handler) -> bool:
    """pytest's capture handlers and the libraries' own NullHandlers: what a CLI process would have."""
    return type(handler).__module__.startswith("_pytest") or isinstance(handler, logging.NullHandler)


@pytest.fixture
def pristine_logging():
    """Logging as a CLI process starts with. Imports in other tests configure logging process-wide
    (curvesim's dictConfig puts stderr handlers on the root and on `web3`, stops `web3` propagating and
    disables every logger that exists by then)."""
    loggers = [logging.getLogger(), *(logging.getLogger(n) for n in LIBRARY_LOGGERS)]
    saved = [(lg, lg.handlers[:], lg.level, lg.propagate, lg.disabled) for lg in loggers]
    for lg in loggers:
        lg.handlers = [h for h in lg.handlers if _own(h)]
        lg.propagate, lg.disabled = True, False
        if lg is not loggers[0]:
            lg.setLevel(logging.NOTSET)
    try:
        yield
    finally:
        for lg, handlers, level, propagate, disabled in saved:
            lg.handlers, lg.propagate, lg.disabled = handlers, propagate, disabled
            lg.setLevel(level)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_library_warnings_are_scrubbed(capsys, fmt, pristine_logging):
    """web3, urllib3 and websockets log through their own loggers; the CLI's set-up scrubs them too."""
    configure_logging(fmt=fmt)
    try:
        session = requests.Session()
        session.mount("http://", HTTPAdapter(max_retries=1))  # urllib3 logs a warning naming the path
        with pytest.raises(requests.ConnectionError):
            session.post(
                "http://op:S3CRETPW@127.0.0.1:9/v3/K3Yabc0123456789?apikey=QK3Y", data=b"{}", timeout=2
            )
        logging.getLogger("web3.providers").warning(
            "failed at https://op:S3CRETPW@h.example/v2/K3Yabc0123456789"
        )
        logging.getLogger("websockets.client").info("hidden: an info line of a library")
    finally:
        configure_logging()
    shown = capsys.readouterr().err
    assert "Retrying" in shown and "/v3/***" in shown and "https://h.example/v2/***" in shown, shown
    assert "hidden" not in shown and not any(s in shown for s in SECRETS), shown


def test_library_warnings_through_the_cli(tmp_path):
    """In a fresh process, after the CLI's own start-up, a library's warning on stderr is scrubbed."""
    script = """
import logging, sys
from mevcli.cli.app import main
sys.argv = ["mevcli", "--version"]
try:
    main()
except SystemExit:
    pass
logging.getLogger("urllib3.connectionpool").warning(
    "Retrying after connection broken by %r: %s", "x", "/v2/K3Yabc0123456789?apikey=QK3Y")
logging.getLogger("web3.providers.HTTPProvider").warning("at https://op:pa;ss@h.example/v2/K3Yabc0123456789")
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    shown = done.stderr
    assert "urllib3.connectionpool: Retrying" in shown and "'x': /v2/***" in shown, shown
    assert "https://h.example/v2/***" in shown and not any(s in shown for s in (*SECRETS, "ss@")), shown


def test_a_real_requests_error_is_scrubbed():
    """What requests raises for an unreachable URL names its path; the redacted text does not."""
    url = "http://op:S3CRETPW@127.0.0.1:9/v3/K3Yabc0123456789?apikey=QK3Y"
    with pytest.raises(requests.ConnectionError) as caught:
        requests.post(url, data=b"{}", timeout=2)
    assert "K3Yabc0123456789" in str(caught.value)  # the raw message would leak the key
    assert not any(s in redact_text(str(caught.value)) for s in SECRETS)


def test_debug_traceback_is_scrubbed(capsys):
    """--debug shows the whole chain of exceptions; urllib3's message in the cause names the key path."""
    from mevcli.cli.app import show_traceback
    from mevcli.errors import RpcError

    url = "http://op:S3CRETPW@127.0.0.1:9/v3/K3Yabc0123456789?apikey=QK3Y"
    try:
        try:
            requests.post(url, data=b"{}", timeout=2)
        except requests.ConnectionError as exc:
            raise RpcError(f"eth_chainId failed at {url}") from exc
    except RpcError as exc:
        show_traceback(exc)
    shown = capsys.readouterr().err
    assert "Traceback" in shown and "ConnectionError" in shown and "with url: /v3/***" in shown
    assert "http://127.0.0.1:9/v3/***" in shown and not any(s in shown for s in SECRETS), shown


def test_the_shell_filter():
    line = "Error: cannot reach https://op:S3CRETPW@node.example.com/v2/K3Yabc0123456789: refused\n"
    out = subprocess.run(
        [sys.executable, "-m", "mevcli.redact"], input=line, capture_output=True, text=True, check=True
    ).stdout
    assert out == "Error: cannot reach https://node.example.com/v2/***: refused\n"


def test_journal_and_alert_keep_no_url_secret(tmp_path, webhook):
    hook_url, received = webhook
    status = "failed: eth_sendRawTransaction failed at https://op:S3CRETPW@n.example/v2/K3Yabc0123456789"
    entry = {"kind": "execute", "id": "ab", "status": status}
    journal.record(tmp_path, 1, entry)
    assert journal.alert(hook_url, entry) is None
    failed = journal.alert("http://127.0.0.1:9/services/T0/B0/QK3Y", entry, timeout=2)
    written = journal.journal_path(tmp_path, 1).read_text()
    assert "https://n.example/v2/***" in written and not any(s in written for s in SECRETS)
    (body,) = received
    assert b"https://n.example/v2/***" in body and not any(s.encode() in body for s in SECRETS)
    assert failed is not None and "QK3Y" not in failed
