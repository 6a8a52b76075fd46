"""End to end on the devnet, through the CLI: deploy the executor, scan, simulate, execute for each flash
source; the executor's balance grows by exactly the simulated profit; stale opportunities are refused;
the execution log and the alert webhook record what happened."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from mevcli.cli.app import app

runner = CliRunner()
ERC20_BALANCE = [
    {
        "name": "balanceOf",
        "type": "function",
        "stateMutability": "view",
        "inputs": [{"name": "a", "type": "address"}],
        "outputs": [{"name": "", "type": "uint256"}],
    }
]


def cli(env: dict[str, str], *args: str, expect: int | None = 0) -> dict | list:
    """Run a command with --json; `expect` is the exit code (None: any)."""
    result = runner.invoke(app, [*args, "--json"], env=env)
    assert expect is None or result.exit_code == expect, (args, result.stdout, result.stderr)
    return json.loads(result.stdout)


def _balance(chain, token: str, holder: str) -> int:
    return chain.w3.eth.contract(address=token, abi=ERC20_BALANCE).functions.balanceOf(holder).call()


def test_deploy_scan_simulate_execute_each_flash_source(snapshot, tmp_path, webhook):
    chain = snapshot
    env = chain.cli_env(tmp_path / "cache")
    url, bodies = webhook

    plan = cli(env, "deploy", "balancer")
    assert plan["tx_hash"] is None and plan["address"] is None and plan["gas_estimate"] > 0
    assert not (tmp_path / "cache" / "deployments").exists()  # nothing sent without --broadcast
    deployed = cli(env, "deploy", "balancer", "--broadcast")
    executor = deployed["address"]
    assert deployed["tx_hash"] and chain.w3.eth.get_code(executor)
    again = cli(env, "deploy", "balancer", "--broadcast")
    assert again["address"] == executor and again["tx_hash"] is None and again["chain_id"] == 31337

    opportunities = cli(env, "scan", "--max-hops", "3")
    assert opportunities
    used_pools: set[str] = set()
    executed = []
    for flash in ("balancer", "aave_v3", "uniswap_v3"):
        # The first route, disjoint from those already executed (whose pools moved), that is still
        # profitable with this lender's fee.
        for opportunity in opportunities:
            if set(opportunity["pools"]) & used_pools:
                continue
            args = [opportunity["id"], "--flash", flash]
            sim = cli(env, "simulate", *args, expect=None)
            if sim["ok"]:
                break
        else:
            pytest.fail(f"no opportunity is profitable with a {flash} flash loan")
        assert sim["error"] is None and sim["gas_used"] > 0 and sim["flash_source"] == flash
        # Our exact math predicted the executor's gain: amount out − amount in − flash fee.
        assert sim["token_profit"] == sim["hop_amounts"][-1] - sim["amount_in"] - sim["flash_fee"]
        assert (sim["flash_fee"] > 0) == (flash != "balancer")
        token = sim["base_token"]
        before = _balance(chain, token, executor)
        done = cli(env, "execute", *args, "--broadcast", "--alert-webhook", url)
        assert done["status"] == "success" and done["tx_hash"]
        assert done["token_profit"] == sim["token_profit"]
        assert _balance(chain, token, executor) - before == sim["token_profit"]
        used_pools.update(opportunity["pools"])
        executed.append(opportunity["id"])
    chosen = dict(enumerate(executed))

    # The same opportunity again: the state moved, the re-check refuses, nothing is sent.
    first = executed[0]
    nonce = chain.w3.eth.get_transaction_count(chain.w3.eth.accounts[0])
    refused = cli(env, "execute", first, "--broadcast", "--alert-webhook", url, expect=1)
    assert refused["status"].startswith("refused") and refused["tx_hash"] is None
    assert chain.w3.eth.get_transaction_count(chain.w3.eth.accounts[0]) == nonce

    log_lines = (tmp_path / "cache" / "executions" / "31337.jsonl").read_text().splitlines()
    kinds = [json.loads(line)["kind"] for line in log_lines]
    assert kinds.count("simulate") >= len(chosen) and kinds.count("execute") == len(chosen) + 1
    received = [json.loads(body) for body in bodies]
    statuses = [m["mevcli"]["status"] for m in received]
    assert statuses[: len(chosen)] == ["success"] * len(chosen) and statuses[-1].startswith("refused")
    assert all("text" in m for m in received)


def test_simulate_reports_a_decoded_revert(snapshot, tmp_path):
    chain = snapshot
    env = chain.cli_env(tmp_path / "cache")
    cli(env, "deploy", "balancer", "--broadcast")
    best = cli(env, "scan")[0]
    # The reverse cycle loses money: the executor's profit check must reject it, decoded.
    reverse_pools = ",".join(reversed(best["pools"]))
    amount = str(best["amount_in"])
    sim = cli(
        env, "simulate", "--pools", reverse_pools, "--token", best["base_token"], "--amount", amount, expect=1
    )
    assert sim["ok"] is False and sim["error"]
    refused = cli(
        env,
        "execute",
        "--pools",
        reverse_pools,
        "--token",
        best["base_token"],
        "--amount",
        amount,
        "--broadcast",
        expect=1,
    )
    assert refused["status"].startswith("refused") and refused["tx_hash"] is None


@pytest.mark.parametrize(
    "args,needle",
    [
        (["simulate", "ffffffffffff"], "unknown opportunity"),
        (["simulate"], "name an opportunity"),
        (["execute", "ffffffffffff", "--flash", "dydx"], "unknown --flash"),
        (["execute", "ffffffffffff", "--broadcast", "--private-key", "0x1234"], "invalid --private-key"),
        (
            [
                "simulate",
                "--pools",
                "0x" + "12" * 20,
                "--token",
                "WETH",
                "--amount",
                "1",
                "--executor-address",
                "0x" + "34" * 20,
            ],
            "has no code",
        ),
    ],
)
def test_bad_execution_input(chain, tmp_path, args, needle):
    result = runner.invoke(app, args, env=chain.cli_env(tmp_path / "cache"))
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:") and needle in lines[0], result.stderr
    assert "1234" not in result.stderr or needle != "invalid --private-key"


def test_executor_address_from_the_config_per_chain(snapshot, tmp_path):
    """`[chains.NAME] executor` wins over `[execution] executor`, which wins over the deployments file;
    `--executor-address` wins over all."""
    chain = snapshot
    env = chain.cli_env(tmp_path / "cache")
    deployed = cli(env, "deploy", "balancer", "--broadcast")["address"]
    opportunity = cli(env, "scan", "--max-hops", "2", "--top", "1")[0]["id"]
    codeless = "0x" + "34" * 20
    config = tmp_path / "mevcli.toml"

    def simulate(*args: str) -> tuple[int, str]:
        result = runner.invoke(
            app, ["--config", str(config), "simulate", opportunity, *args, "--json"], env=env
        )
        return result.exit_code, result.stdout + result.stderr

    config.write_text(f'[execution]\nexecutor = "{codeless}"\n')
    code, output = simulate()
    assert code != 0 and "has no code" in output and codeless[2:] in output.lower()

    config.write_text(f'[execution]\nexecutor = "{codeless}"\n\n[chains.devnet]\nexecutor = "{deployed}"\n')
    code, output = simulate()
    assert code == 0 and json.loads(output)["executor"] == deployed

    config.write_text(f'[chains.devnet]\nexecutor = "{codeless}"\n')
    code, output = simulate("--executor-address", deployed)
    assert code == 0 and json.loads(output)["executor"] == deployed
