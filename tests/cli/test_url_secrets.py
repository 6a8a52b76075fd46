"""A secret planted in the RPC URLs (userinfo, a key path segment, a query key) appears in no output
channel: stdout, stderr, log files (text and JSON), metrics files, the execution journal, every file in
the cache dir, the alert webhook's body, --debug tracebacks, `status`, and scripts/deploy-multi-dex.sh.

One URL reaches anvil through a loopback proxy that ignores the path and credentials (and drops
transaction sends, so a send failure naming the URL lands in the journal and the alert); the other is
unreachable, so errors, retries and fail-over all name it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from typer.testing import CliRunner

from mevcli.cli.app import app
from mevcli.devnet.fault_proxy import RpcProxy

ROOT = Path(__file__).resolve().parents[2]
MEVCLI = str(Path(sys.executable).with_name("mevcli"))
USER, PASSWORD, KEY, QUERY_KEY = "mevop", "pw5ecretXYZ", "K3Yabcdef0123456789", "QK3Yapikey42"
SECRETS = (f"{USER}:", PASSWORD, KEY, QUERY_KEY)
QUOTE = ["quote", "--pool", "uniswap_v2:WETH/USDC", "--token-in", "WETH", "--amount-in", "1000"]


def secret_url(port: int, version: str) -> str:
    return f"http://{USER}:{PASSWORD}@127.0.0.1:{port}/{version}/{KEY}?apikey={QUERY_KEY}"


class DropsSends(RpcProxy):
    """Forwards JSON-RPC to the node, except transaction sends: those get no answer at all."""

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        if b"eth_sendTransaction" in body or b"eth_sendRawTransaction" in body:
            handler.close_connection = True
            return
        super().handle(handler, body)


def test_a_secret_in_the_rpc_url_appears_in_no_output(snapshot, tmp_path, webhook):
    chain = snapshot
    hook_url, hook_bodies = webhook
    proxy = DropsSends(chain.rpc_url)
    good, dead = secret_url(proxy.server.server_address[1], "v2"), secret_url(9, "v3")
    shown_good, shown_dead = f"127.0.0.1:{proxy.server.server_address[1]}/v2/***", "127.0.0.1:9/v3/***"
    cache, prom = tmp_path / "cache", tmp_path / "textfile"
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ETH_RPC_URL", "MEVCLI_", "CHAIN"))}
    base.update(
        MEVCLI_CACHE_DIR=str(cache),
        MEVCLI_MANIFEST=str(chain.manifest_path),
        MEVCLI_METRICS_DIR=str(prom),
        MEVCLI_RPC_RETRIES="1",
    )
    outputs: dict[str, str] = {}

    def run(name: str, rpc: str, *args: str, script: bool = False) -> subprocess.CompletedProcess[str]:
        log = tmp_path / f"{name}.log"
        argv = ["bash", str(ROOT / "scripts" / "deploy-multi-dex.sh"), *args] if script else [MEVCLI, *args]
        env = (
            {**base, "MEVCLI": MEVCLI, "ETH_RPC_URL_DEVNET": rpc} if script else {**base, "ETH_RPC_URL": rpc}
        )
        with log.open("w") as stderr:  # the log file a cron job keeps
            done = subprocess.run(
                argv, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env, timeout=300
            )
        outputs[f"{name} stdout"] = done.stdout
        outputs[f"{name} log"] = log.read_text()
        return done

    try:
        # The executor, deployed over the plain URL (sends through the proxy are dropped).
        deployed = CliRunner().invoke(
            app, ["--json", "deploy", "balancer", "--broadcast"], env=chain.cli_env(cache)
        )
        assert deployed.exit_code == 0, deployed.stderr

        # Fail-over from the dead URL to the live one, JSON logs, --json output, metrics.
        scan = run(
            "scan", f"{dead},{good}", "--verbose", "--log-format", "json", "--json", "scan", "--top", "1"
        )
        assert scan.returncode == 0, outputs["scan log"]
        assert f"failing over from http://{shown_dead} to http://{shown_good}" in outputs["scan log"]
        opportunity = json.loads(scan.stdout)[0]["id"]

        # A send that gets no answer: the failure names the URL in the journal, the alert and the log.
        executed = run(
            "execute", good, "--verbose", "execute", opportunity, "--broadcast", "--alert-webhook", hook_url
        )
        assert executed.returncode == 1
        (entry,) = [
            json.loads(line) for line in (cache / "executions" / "31337.jsonl").read_text().splitlines()
        ]
        assert entry["status"].startswith("failed:") and shown_good in entry["status"], entry["status"]
        (body,) = hook_bodies
        assert shown_good in body.decode()

        # The dead URL alone: error lines, text and JSON, a --debug traceback, status, the deploy script.
        quoted = run("quote", dead, *QUOTE)
        assert quoted.returncode == 1 and outputs["quote log"].count("Error: ") == 1
        assert f"http://{shown_dead}" in outputs["quote log"]
        assert run("quote-json", dead, "--log-format", "json", *QUOTE).returncode == 1
        traced = run("debug", dead, "--debug", "scan")
        assert traced.returncode == 1 and "Traceback" in outputs["debug log"]
        assert f"http://{shown_dead}" in outputs["debug log"]
        status = run("status", dead, "--json", "status")
        assert json.loads(status.stdout)["node"]["rpc_url"] == f"http://{shown_dead}"
        scripted = run("deploy-script", dead, "devnet", script=True)
        assert scripted.returncode == 1 and shown_dead in scripted.stdout
    finally:
        proxy.close()

    files = {
        str(p.relative_to(tmp_path)): p.read_bytes().decode("utf-8", "replace")
        for p in tmp_path.rglob("*")
        if p.is_file()
    }
    assert any(name.startswith("textfile/") for name in files) and "cache/executions/31337.jsonl" in files
    channels = {**outputs, **files, **{f"webhook body {i}": b.decode() for i, b in enumerate(hook_bodies)}}
    leaks = [(name, secret) for name, text in channels.items() for secret in SECRETS if secret in text]
    assert not leaks, leaks
