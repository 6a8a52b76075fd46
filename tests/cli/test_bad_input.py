"""Malformed and hostile input on every subcommand: one `Error: …` line, a non-zero exit, no traceback,
nothing changed (no block mined, no deployment recorded, no execution logged).

Each case names the words the error line must contain, so a case cannot pass on some unrelated error.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from eth_account import Account
from typer.testing import CliRunner

from mevcli.cli.app import app

runner = CliRunner()

ANVIL_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"  # anvil account 0
BAD_ADDRESS = "0x12345"
NO_CODE = "0x" + "34" * 20
# a valid address with one letter's case flipped: the EIP-55 checksum no longer matches
GOOD_CHECKSUM = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
BAD_CHECKSUM = "0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
HUGE = str(2**256)
DEAD = "0x000000000000000000000000000000000000dEaD"  # no code on any chain


class NotANode:
    """A loopback HTTP server that answers every request with an HTML page, like a misconfigured URL."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                body = b"<html><body>It works!</body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def not_a_node() -> Iterator[NotANode]:
    server = NotANode()
    yield server
    server.close()


@pytest.fixture
def files(tmp_path: Path, chain) -> dict[str, str]:
    """Config files, a keystore and devnet addresses the cases refer to by name (`@name`)."""
    a_file = tmp_path / "a-file"
    a_file.write_text("not a directory\n")
    invalid = tmp_path / "invalid.toml"
    invalid.write_text("rpc_url = [unclosed\n")
    wrong_type = tmp_path / "wrong-type.toml"
    wrong_type.write_text('cache_ttl = "soon"\n')
    unknown_chain = tmp_path / "unknown-chain.toml"
    unknown_chain.write_text('chain = "mars"\n')
    executor_number = tmp_path / "executor-number.toml"
    executor_number.write_text("[chains.devnet]\nexecutor = 5\n")
    executor_short = tmp_path / "executor-short.toml"
    executor_short.write_text('[execution]\nexecutor = "0x12"\n')
    keystore = tmp_path / "keystore.json"
    keystore.write_text(json.dumps(Account.encrypt(ANVIL_KEY, "right horse battery")))
    wrong_password = tmp_path / "wrong-password"
    wrong_password.write_text("wrong horse\n")
    return {
        "invalid": str(invalid),
        "wrong-type": str(wrong_type),
        "unknown-chain": str(unknown_chain),
        "missing": str(tmp_path / "nowhere.toml"),
        "executor-number": str(executor_number),
        "executor-short": str(executor_short),
        "keystore": str(keystore),
        "wrong-password": str(wrong_password),
        "a-file": str(a_file),
        "under-a-file": str(a_file / "cache"),
        # a contract in no pool: the devnet's Multicall3
        "multicall3": chain.manifest["multicall3"],
    }


QUOTE = ["quote", "--pool", "uniswap_v2:WETH/USDC", "--token-in", "WETH"]
ROUTE = ["--pools", "uniswap_v2:WETH/USDC", "--token", "WETH", "--amount", "1000"]

# (case id, arguments, words the one error line must contain, exit code or None for "non-zero")
CASES: list[tuple[str, list[str], tuple[str, ...], int | None]] = [
    # quote
    (
        "quote-bad-pool-address",
        ["quote", "--pool", BAD_ADDRESS, "--token-in", "WETH", "--amount-in", "1"],
        ("invalid",),
        2,
    ),
    (
        "quote-bad-checksum",
        ["quote", "--pool", BAD_CHECKSUM, "--token-in", "WETH", "--amount-in", "1"],
        ("checksum",),
        2,
    ),
    ("quote-bad-token-address", [*QUOTE[:4], BAD_ADDRESS, "--amount-in", "1"], ("invalid",), 2),
    ("quote-unknown-token", [*QUOTE[:4], "NOPE", "--amount-in", "1"], ("NOPE",), None),
    ("quote-token-not-in-pool", [*QUOTE[:4], "WBTC", "--amount-in", "1"], ("is not in pool",), None),
    (
        "quote-unknown-pool",
        ["quote", "--pool", NO_CODE, "--token-in", "WETH", "--amount-in", "1"],
        ("0x3434",),
        None,
    ),
    (
        "quote-unknown-dex",
        ["quote", "--pool", "dydx:WETH/USDC", "--token-in", "WETH", "--amount-in", "1"],
        ("dydx",),
        None,
    ),
    ("quote-zero", [*QUOTE, "--amount-in", "0"], ("amount",), 2),
    ("quote-negative", [*QUOTE, "--amount-in", "-5"], ("amount",), 2),
    ("quote-not-a-number", [*QUOTE, "--amount-in", "lots"], ("amount",), 2),
    ("quote-huge", [*QUOTE, "--amount-in", HUGE], ("amount",), None),
    ("quote-float-without-human", [*QUOTE, "--amount-in", "1.5"], ("amount",), 2),
    # scan
    ("scan-one-hop", ["scan", "--max-hops", "1"], ("max-hops",), 2),
    ("scan-nine-hops", ["scan", "--max-hops", "9"], ("max-hops",), 2),
    ("scan-unknown-dex", ["scan", "--dex", "dydx"], ("dydx",), 2),
    ("scan-unknown-base-token", ["scan", "--base-token", "NOPE"], ("NOPE",), None),
    ("scan-bad-base-token-address", ["scan", "--base-token", BAD_CHECKSUM], ("checksum",), 2),
    ("scan-negative-min-profit", ["scan", "--min-profit", "-1"], ("min-profit",), 2),
    ("scan-top-zero", ["scan", "--top", "0"], ("top",), 2),
    ("scan-base-token-no-code", ["scan", "--base-token", DEAD], (DEAD, "not a contract"), 1),
    # (--quiet: known only once the pools are read, after the progress lines)
    (
        "scan-base-token-in-no-pool",
        ["--quiet", "scan", "--base-token", "@multicall3"],
        ("--base-token", "in none of the", "pools"),
        1,
    ),
    (
        "scan-one-good-one-unpooled-base-token",
        ["--quiet", "scan", "--base-token", "WETH", "--base-token", "@multicall3"],
        ("--base-token", "in none of the"),
        1,
    ),
    # simulate / execute
    ("simulate-unknown-id", ["simulate", "ffffffffffff"], ("unknown opportunity",), None),
    (
        "simulate-no-code-executor",
        ["simulate", *ROUTE, "--executor-address", NO_CODE],
        ("has no code",),
        None,
    ),
    ("simulate-bad-executor", ["simulate", *ROUTE, "--executor-address", BAD_ADDRESS], ("invalid",), 2),
    (
        "simulate-zero-amount",
        ["simulate", "--pools", "uniswap_v2:WETH/USDC", "--token", "WETH", "--amount", "0"],
        ("amount",),
        2,
    ),
    (
        "execute-unknown-id",
        ["execute", "ffffffffffff", "--broadcast", "--private-key", ANVIL_KEY],
        ("unknown opportunity",),
        None,
    ),
    (
        "execute-bad-key",
        ["execute", "ffffffffffff", "--broadcast", "--private-key", "0x1234"],
        ("private-key",),
        2,
    ),
    (
        "execute-wrong-password",
        ["execute", *ROUTE, "--broadcast", "--keystore", "@keystore", "--password-file", "@wrong-password"],
        ("password",),
        None,
    ),
    (
        "execute-missing-keystore",
        [
            "execute",
            *ROUTE,
            "--broadcast",
            "--keystore",
            "/nonexistent/ks.json",
            "--password-file",
            "@wrong-password",
        ],
        ("keystore",),
        None,
    ),
    ("execute-unknown-flash", ["execute", *ROUTE, "--flash", "dydx"], ("flash",), 2),
    ("execute-no-code-executor", ["execute", *ROUTE, "--executor-address", NO_CODE], ("has no code",), None),
    # deploy
    ("deploy-bad-owner", ["deploy", "balancer", "--owner", BAD_ADDRESS], ("owner",), 2),
    ("deploy-bad-executor-checksum", ["deploy", "balancer", "--executor", BAD_CHECKSUM], ("checksum",), 2),
    (
        "deploy-wrong-password",
        [
            "deploy",
            "balancer",
            "--broadcast",
            "--keystore",
            "@keystore",
            "--password-file",
            "@wrong-password",
        ],
        ("password",),
        None,
    ),
    # watch and cache
    ("watch-zero-blocks", ["watch", "--blocks", "0"], ("blocks",), 2),
    ("cache-unknown-subcommand", ["cache", "shrink"], ("shrink",), 2),
    # global options, config and chain
    ("chain-unknown", ["--chain", "mars", "scan"], ("mars",), 2),
    ("config-missing", ["--config", "@missing", "scan"], ("nowhere.toml",), None),
    ("config-invalid", ["--config", "@invalid", "scan"], ("invalid.toml",), None),
    ("config-wrong-type", ["--config", "@wrong-type", "scan"], ("cache_ttl",), None),
    ("config-unknown-chain", ["--config", "@unknown-chain", "scan"], ("mars",), None),
    (
        "config-executor-number",
        ["--config", "@executor-number", "simulate", *ROUTE],
        ("chains.devnet.executor",),
        2,
    ),
    ("config-executor-short", ["--config", "@executor-short", "execute", *ROUTE], ("execution.executor",), 2),
    ("config-l1-fee-model", ["scan", "--l1-fee-model", "zk"], ("--l1-fee-model", "zk"), 2),
    ("cache-dir-is-a-file", ["--cache-dir", "@a-file", "cache", "stats"], ("a-file", "not a directory"), 2),
    (
        "cache-dir-under-a-file",
        ["--cache-dir", "@under-a-file", "scan"],
        ("cannot be created", "is not a directory"),
        2,
    ),
    ("rpc-bad-scheme", ["--rpc-url", "ftp://127.0.0.1:1", "scan"], ("ftp://",), None),
    ("rpc-refused", ["--rpc-url", "http://127.0.0.1:9", "--chain", "devnet", "scan"], ("127.0.0.1:9",), None),
]

WRONG_CHAIN_COMMANDS = [
    ["scan"],
    [*QUOTE, "--amount-in", "1000"],
    ["simulate", *ROUTE],
    ["execute", *ROUTE],
    ["deploy", "balancer"],
    ["cache", "warm"],
    ["watch", "--once"],
]


def _resolve(args: list[str], files: dict[str, str]) -> list[str]:
    return [files[a[1:]] if a.startswith("@") else a for a in args]


def _assert_one_error_line(result, words: tuple[str, ...], exit_code: int | None) -> None:
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for word in words:
        assert word.lower() in lines[0].lower(), lines[0]
    if exit_code is None:
        assert result.exit_code != 0
    else:
        assert result.exit_code == exit_code, (result.exit_code, lines[0])
    assert ANVIL_KEY[2:] not in output and ANVIL_KEY[2:] not in repr(result.exception)


def _footprint(chain, cache: Path) -> tuple[int, list[str]]:
    """What a refused command must not change: the chain's head and the records it would write."""
    records = (
        sorted(
            str(p.relative_to(cache))
            for p in cache.rglob("*")
            if p.is_file()
            and p.parts[-2:-1] != ("devnet",)
            and ("executions" in p.parts or "deployments" in p.parts or p.name.startswith("deployments"))
        )
        if cache.exists()
        else []
    )
    return chain.w3.eth.block_number, records


@pytest.mark.parametrize(("args", "words", "exit_code"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_gets_one_error_line(chain, tmp_path, files, args, words, exit_code):
    cache = tmp_path / "cache"
    before = _footprint(chain, cache)
    result = runner.invoke(app, _resolve(args, files), env=chain.cli_env(cache))
    _assert_one_error_line(result, words, exit_code)
    assert _footprint(chain, cache) == before


@pytest.mark.parametrize("args", WRONG_CHAIN_COMMANDS, ids=lambda a: "-".join(a[:2]))
def test_wrong_chain_id_is_refused_before_anything(chain, tmp_path, args):
    cache = tmp_path / "cache"
    before = _footprint(chain, cache)
    result = runner.invoke(app, ["--chain", "arbitrum", *args], env=chain.cli_env(cache))
    _assert_one_error_line(result, ("chain id",), None)
    assert _footprint(chain, cache) == before


@pytest.mark.parametrize(
    "args", [["scan"], [*QUOTE, "--amount-in", "1000"], ["cache", "warm"]], ids=lambda a: a[0]
)
def test_an_rpc_that_is_not_a_node(chain, tmp_path, not_a_node, args):
    env = {**chain.cli_env(tmp_path / "cache"), "ETH_RPC_URL": not_a_node.url}
    result = runner.invoke(app, ["--chain", "devnet", *args], env=env)
    _assert_one_error_line(result, ("json-rpc",), None)


CACHE_DIR_COMMANDS = [
    ["scan"],
    [*QUOTE, "--amount-in", "1000"],
    ["simulate", *ROUTE],
    ["execute", *ROUTE],
    ["deploy", "balancer"],
    ["watch", "--once"],
    ["status"],
    ["cache", "stats"],
    ["cache", "clear"],
    ["cache", "warm"],
    ["cache", "history"],
    ["devnet", "up"],
    ["devnet", "status"],
    ["devnet", "down"],
]


@pytest.mark.parametrize("args", CACHE_DIR_COMMANDS, ids=lambda a: "-".join(a[:2]))
def test_a_cache_dir_that_is_a_file_stops_every_command(chain, tmp_path, args):
    not_a_dir = tmp_path / "cache"
    not_a_dir.write_text("keep me\n")
    before = chain.w3.eth.block_number
    result = runner.invoke(app, ["--json", *args], env=chain.cli_env(not_a_dir))
    _assert_one_error_line(result, (str(not_a_dir), "not a directory"), 2)
    assert result.stdout == "" and not_a_dir.read_text() == "keep me\n"
    assert chain.w3.eth.block_number == before


def test_checksummed_address_is_accepted_where_the_bad_one_is_refused(chain, tmp_path):
    # the control for the checksum cases: the same address with the right case passes parsing
    result = runner.invoke(
        app,
        ["quote", "--pool", GOOD_CHECKSUM, "--token-in", "WETH", "--amount-in", "1"],
        env=chain.cli_env(tmp_path / "cache"),
    )
    assert result.exit_code != 0 and "checksum" not in result.stderr
