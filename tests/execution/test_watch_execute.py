"""`mevcli watch --execute` on a live anvil node: each block's best opportunity goes through the same
chokepoint as `mevcli execute`; it is sent only with --broadcast, once, and the executor's balance grows
by exactly the simulated profit."""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

from test_cli_flow import _balance, cli
from typer.testing import CliRunner

from mevcli.cli.app import app

runner = CliRunner()


@contextmanager
def mining(chain, interval: float) -> Iterator[None]:
    """Mine an empty block every `interval` seconds (anvil mines on demand otherwise)."""
    stop = threading.Event()

    def mine() -> None:
        while not stop.wait(interval):
            chain.w3.provider.make_request("evm_mine", [])

    thread = threading.Thread(target=mine, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def watch_lines(env: dict[str, str], *args: str) -> tuple[list[dict], dict]:
    """Run `watch --json`; (per-block lines, summary document)."""
    result = runner.invoke(app, ["watch", "--json", "--poll-interval", "0.1", *args], env=env)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return lines[:-1], lines[-1]


def test_watch_execute_sends_the_best_once_and_only_with_broadcast(snapshot, tmp_path):
    chain = snapshot
    env = chain.cli_env(tmp_path / "cache")
    executor = cli(env, "deploy", "balancer", "--broadcast")["address"]
    best = cli(env, "scan")[0]
    predicted = cli(env, "simulate", best["id"])
    assert predicted["ok"] and predicted["token_profit"] > 0
    sender = chain.w3.eth.accounts[0]

    # Without --broadcast: simulated through the chokepoint, nothing sent.
    nonce, block = chain.w3.eth.get_transaction_count(sender), chain.w3.eth.block_number
    lines, summary = watch_lines(env, "--once", "--execute")
    execution = lines[-1]["execution"]
    assert execution["id"] == best["id"] and execution["status"] == "simulated"
    assert execution["tx_hash"] is None and execution["token_profit"] == predicted["token_profit"]
    assert chain.w3.eth.get_transaction_count(sender) == nonce and chain.w3.eth.block_number == block
    assert summary["executions"] == {
        "broadcast": False,
        "simulated": 1,
        "sent": 0,
        "success": 0,
        "reverted": 0,
        "refused": 0,
        "failed": 0,
    }

    before = {t: _balance(chain, t, executor) for t in chain.manifest["tokens"].values()}
    with mining(chain, 0.4):
        lines, summary = watch_lines(env, "--execute", "--broadcast", "--blocks", "4")
    executions = [line["execution"] for line in lines if "execution" in line]
    sent = [e for e in executions if e["tx_hash"]]
    # The planted best opportunity first, executed once, realizing exactly the simulated profit.
    assert sent and sent[0]["id"] == best["id"] and sent[0]["status"] == "success"
    assert sent[0]["token_profit"] == predicted["token_profit"]
    ids = [e["id"] for e in sent]
    assert len(ids) == len(set(ids)), ids  # nothing sent twice
    # The next ranked head (the block that mined our transaction, or a later one) no longer offers the
    # opportunity it consumed.
    after = next(
        line for line in lines if line["block"] >= sent[0]["block"] and line.get("opportunities") is not None
    )
    assert best["id"] not in [o["id"] for o in after["opportunities"]]
    assert all(e["status"] == "success" for e in sent)
    gained: dict[str, int] = defaultdict(int)
    for e in sent:
        gained[e["base_token"]] += e["token_profit"]
    for token, start in before.items():
        assert _balance(chain, token, executor) - start == gained.get(token, 0)
    assert summary["executions"]["sent"] == summary["executions"]["success"] == len(sent)
    journal = (tmp_path / "cache" / "executions" / "31337.jsonl").read_text().splitlines()
    watched = [json.loads(line) for line in journal if json.loads(line)["kind"] == "watch"]
    assert [e["tx_hash"] for e in watched if e["tx_hash"]] == [e["tx_hash"] for e in sent]
