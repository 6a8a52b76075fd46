"""`LightRpc` answers the reads a warm quote makes exactly as web3 does, on a real anvil; a warm `quote`
process imports neither web3 nor eth_abi nor eth_utils nor eth_hash (nor pydantic), nor (a V2 pool, as
JSON) rich or another pool kind's modules; errors and retries follow the fail-over rules."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mevcli.chain.batch import rpc_batch
from mevcli.chain.light import JsonRpcError, LightRpc, block_or_none
from mevcli.chain.logs import get_logs
from mevcli.chain.multicall import Call, Multicall, encode_call
from mevcli.errors import RpcError

MEVCLI = os.path.join(os.path.dirname(sys.executable), "mevcli")
SYNC = "0x1c411e9a96e071241c2f21f7726b17ae89e3cab4c78be50e062b03a9fffbbad1"  # Sync(uint112,uint112)


def test_reads_equal_web3s(chain) -> None:
    light = LightRpc(chain.rpc_url)
    head = chain.w3.eth.block_number
    assert light.eth.chain_id == chain.w3.eth.chain_id
    assert light.eth.block_number == head
    block = light.eth.get_block(head)
    expected = chain.w3.eth.get_block(head)
    assert block["hash"] == bytes(expected["hash"]) and block["timestamp"] == expected["timestamp"]
    assert block_or_none(light, head + 1000) is None and block_or_none(chain.w3, head + 1000) is None

    pairs = [p["address"] for p in chain.pools("uniswap_v2")]
    topics = [bytes.fromhex(SYNC[2:])]
    assert get_logs(light, pairs, topics, 0, head) == get_logs(chain.w3, pairs, topics, 0, head)
    assert get_logs(light, pairs, topics, 0, head), "the seeded pairs emitted Sync logs"

    calls = [Call(p, encode_call("getReserves()")) for p in pairs]
    assert Multicall(light, chain.manifest["multicall3"]).call(calls, head) == Multicall(
        chain.w3, chain.manifest["multicall3"]
    ).call(calls, head)
    answers = rpc_batch(light, [("eth_blockNumber", []), ("eth_chainId", [])], "test")
    assert [int(a["result"], 16) for a in answers] == [head, chain.w3.eth.chain_id]


def test_node_errors_raise_with_their_code(chain) -> None:
    light = LightRpc(chain.rpc_url, retries=0)
    with pytest.raises(JsonRpcError) as caught:
        light.request("eth_noSuchMethod", [])
    assert isinstance(caught.value.args[0], dict) and isinstance(caught.value.args[0].get("code"), int)
    with pytest.raises(ValueError):  # a revert is the node's answer, as web3 reports it
        light.eth.call(
            {
                "to": chain.manifest["weth"],
                "data": encode_call(
                    "transferFrom(address,address,uint256)",
                    ["address", "address", "uint256"],
                    [chain.manifest["weth"], chain.manifest["weth"], 10**30],
                ),
            }
        )


class _Flaky(BaseHTTPRequestHandler):
    """Answers HTTP 503 to the first `failures` posts, then a JSON-RPC result."""

    failures = 2
    posts = 0

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).posts += 1
        if type(self).posts <= type(self).failures:
            self.send_response(503)
            self.end_headers()
            return
        answer = json.dumps({"jsonrpc": "2.0", "id": body["id"], "result": "0x2a"}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def flaky() -> Iterator[str]:
    _Flaky.posts = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def test_server_faults_are_retried_then_reported(flaky: str) -> None:
    client = LightRpc(flaky, timeout=5, retries=3)
    assert client.eth.block_number == 42
    assert client.stats.retries == 2 and client.stats.errors == 0
    _Flaky.posts = 0
    with pytest.raises(RpcError, match="failed"):
        LightRpc(flaky, timeout=5, retries=1).eth.block_number  # noqa: B018 - the read is the test


def test_warm_quote_process_imports_no_web3(chain, tmp_path) -> None:
    env = {**os.environ, **chain.cli_env(tmp_path / "cache")}
    pool = chain.pools("uniswap_v2")[0]
    args = ["quote", "--pool", pool["address"], "--token-in", pool["tokens"][0], "--amount-in", "1000"]
    first = subprocess.run([MEVCLI, *args], env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    probe = "\n".join(
        [
            "import sys",
            "from mevcli.cli.app import main",
            f"sys.argv = ['mevcli', '--json', *{args!r}]",
            "try:",
            "    main()",
            "except SystemExit as exc:",
            "    assert not exc.code, exc.code",
            "heavy = ('web3', 'eth_abi', 'eth_utils', 'eth_account', 'pydantic', 'rich', 'eth_hash')",
            "other = ('balancer', 'curve', 'uniswap_v3', 'uniswap_v4')",
            "light = ('uniswap_v4', 'uniswap_v4.pool_id', 'uniswap_v4.deployments')",  # id parsing, addresses
            "dex = [m.removeprefix('mevcli.dex.') for m in sys.modules if m.startswith('mevcli.dex.')]",
            "unused = [m for m in dex if m.split('.')[0] in other and m not in light]",
            "unused += [m for m in sys.modules if m == 'mevcli.cli.quote_v4']",
            "v2 = 'mevcli.dex.uniswap_v2.kind' in sys.modules",
            "print([m for m in heavy if m in sys.modules] + unused, v2)",
        ]
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120, cwd="/"
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert json.loads("\n".join(lines[:-1]))["amount_out"] > 0
    assert lines[-1] == "[] True", "a --json quote of a V2 pool loads V2's kind, no other kind, no rich"
