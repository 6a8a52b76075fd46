"""The execution log as operators see it: `mevcli cache stats` counts simulations, sends, refusals and
reverts with the realized profit per token, and `mevcli cache history` lists the journal, after real
outcomes on anvil (a success, a refusal, and a revert: a competitor takes the route first)."""

from __future__ import annotations

import json

from hook_proxy import hook_proxy
from test_cli_flow import cli
from test_sending import disjoint
from typer.testing import CliRunner

from mevcli.cli.app import app

runner = CliRunner()
ANVIL_KEY_1 = "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"  # anvil's public test key


def test_cache_stats_and_history_show_the_execution_log(snapshot, tmp_path):
    chain = snapshot
    cache = tmp_path / "cache"
    env = chain.cli_env(cache)
    executor = cli(env, "deploy", "balancer", "--broadcast")["address"]
    # A competitor with its own executor (another cache dir, anvil's second account).
    rival_env = chain.cli_env(tmp_path / "rival")
    rival = cli(rival_env, "deploy", "balancer", "--broadcast", "--private-key", ANVIL_KEY_1)["address"]
    first, second = disjoint(cli(env, "scan"), 2)

    sim = cli(env, "simulate", first["id"])
    assert cli(env, "execute", first["id"])["status"] == "simulated"
    done = cli(env, "execute", first["id"], "--broadcast")
    assert done["status"] == "success" and done["token_profit"] == sim["token_profit"]
    refused = cli(env, "execute", first["id"], "--broadcast", expect=1)
    assert refused["status"].startswith("refused")

    # Between our simulation and our send the competitor executes the same route: ours reverts on chain.
    def front_run(request: dict) -> None:
        tx = request["params"][0]
        assert tx["to"].lower() == executor.lower()
        chain.w3.eth.send_transaction(
            {"from": chain.w3.eth.accounts[1], "to": rival, "data": tx["data"], "gas": int(tx["gas"], 16)}
        )

    with hook_proxy(chain.rpc_url) as proxy:
        proxy.once("eth_sendTransaction", front_run)
        reverted = cli({**env, "ETH_RPC_URL": proxy.url}, "execute", second["id"], "--broadcast", expect=1)
        assert proxy.fired == ["eth_sendTransaction"]
    assert reverted["status"] == "reverted" and reverted["tx_hash"] and reverted["token_profit"] == 0

    stats = cli(env, "cache", "stats")
    figures = stats["executions"]
    assert stats["chain_id"] == 31337
    assert figures["entries"] == 5
    assert (figures["simulations"], figures["sends"], figures["successes"]) == (2, 2, 1)
    assert (figures["reverts"], figures["refusals"], figures["failures"]) == (1, 1, 0)
    assert figures["realized_profit"] == {done["base_token"]: done["token_profit"]}
    paid = sum(e["gas_used"] * e["effective_gas_price"] for e in (done, reverted))
    assert figures["gas_paid_wei"] == paid > 0
    table = runner.invoke(app, ["cache", "stats"], env=env).stdout
    assert "transactions sent" in table and "reverted" in table
    symbol = next(s for s, a in chain.manifest["tokens"].items() if a.lower() == done["base_token"].lower())
    assert f"realized profit {symbol}" in table and f"{done['token_profit']:,}" in table

    history = cli(env, "cache", "history")
    assert [e["kind"] for e in history] == ["simulate", "execute", "execute", "execute", "execute"]
    assert [e.get("status") for e in history[1:]] == ["simulated", "success", refused["status"], "reverted"]
    assert [e["tx_hash"] for e in history[1:]] == [None, done["tx_hash"], None, reverted["tx_hash"]]
    assert all(e["chain_id"] == 31337 and isinstance(e["time"], int) for e in history)
    last_two = cli(env, "cache", "history", "--limit", "2")
    assert last_two == history[-2:]
    table = runner.invoke(app, ["cache", "history", "--limit", "2"], env=env).stdout
    assert reverted["tx_hash"] in table and done["tx_hash"] not in table
    assert json.dumps(history)  # ints and strings only
