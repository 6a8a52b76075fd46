"""Execution accounting on anvil, as an operator would see it: the tip is counted, gas is priced in every
token, realized figures come from each transaction's own receipt and Executed event, a revert costs only
its gas, and one opportunity is sent once at a time. In every case the operator's real balance change
(ETH the sender spent + tokens the executor gained, valued at the send's rate) equals the journal's
realized net to the wei, and a route whose net is below --min-profit is never sent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from test_cli_flow import ERC20_BALANCE, _balance, cli
from typer.testing import CliRunner

from mevcli.arbitrage.gas import to_base_token
from mevcli.cli.app import app
from mevcli.execution.costs import executed_profit

runner = CliRunner()
GWEI = 10**9
MEVCLI = Path(sys.executable).with_name("mevcli")
V2_PAIR = [
    {"name": "sync", "type": "function", "stateMutability": "nonpayable", "inputs": [], "outputs": []},
    {
        "name": "getReserves",
        "type": "function",
        "stateMutability": "view",
        "inputs": [],
        "outputs": [
            {"name": "r0", "type": "uint112"},
            {"name": "r1", "type": "uint112"},
            {"name": "t", "type": "uint32"},
        ],
    },
    {
        "name": "token0",
        "type": "function",
        "stateMutability": "view",
        "inputs": [],
        "outputs": [{"type": "address"}],
    },
]
WETH_ABI = [
    *ERC20_BALANCE,
    {"name": "deposit", "type": "function", "stateMutability": "payable", "inputs": [], "outputs": []},
    {
        "name": "transfer",
        "type": "function",
        "stateMutability": "nonpayable",
        "inputs": [{"name": "to", "type": "address"}, {"name": "amount", "type": "uint256"}],
        "outputs": [{"type": "bool"}],
    },
]


def balance_at(chain, token: str, holder: str, block: int) -> int:
    contract = chain.w3.eth.contract(address=token, abi=ERC20_BALANCE)
    return contract.functions.balanceOf(holder).call(block_identifier=block)


def real_net(chain, executor: str, token: str, block: int, before: int, rate: list[int] | None = None) -> int:
    """What the operator really made between block `before` and `block`: the executor's gain in `token`
    less the ETH its sender (devnet account 0) spent, at `rate` (token units per wei; WETH: 1:1)."""
    sender = chain.w3.eth.accounts[0]
    gained = balance_at(chain, token, executor, block) - balance_at(chain, token, executor, before)
    spent = chain.w3.eth.get_balance(sender, before) - chain.w3.eth.get_balance(sender, block)
    cost = to_base_token(spent, tuple(rate) if rate else (1, 1))
    assert cost is not None
    return gained - cost


def exact_sample(text: str, name: str, token: str) -> int:
    """The integer value of the metric sample `name{…token="…"…}` in an exposition text."""
    lines = text.splitlines()
    (line,) = [x for x in lines if x.startswith(name + "{") and f'token="{token}"' in x]
    return int(line.rpartition(" ")[2])


def journal(tmp_path: Path) -> list[dict]:
    lines = (tmp_path / "cache" / "executions" / "31337.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


@contextmanager
def manual_mining(chain) -> Iterator[None]:
    chain.w3.provider.make_request("evm_setAutomine", [False])
    try:
        yield
    finally:
        chain.w3.provider.make_request("evm_setAutomine", [True])


def pending(chain) -> int:
    return int(chain.w3.provider.make_request("txpool_status", [])["result"]["pending"], 16)


def wait_pending(chain, count: int, processes: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + 90
    while pending(chain) < count:
        for p in processes:
            if p.poll() is not None:
                pytest.fail(f"execute ended before sending: {p.communicate()}")
        assert time.monotonic() < deadline, "the sends never reached the node"
        time.sleep(0.2)


@contextmanager
def executes(env: dict[str, str], *argvs: list[str]) -> Iterator[list[subprocess.Popen]]:
    """`mevcli execute … --json` in separate processes (as two operators' shells would run them)."""
    processes = [
        subprocess.Popen(
            [str(MEVCLI), "execute", *argv, "--json"],
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for argv in argvs
    ]
    try:
        yield processes
    finally:
        for p in processes:
            if p.poll() is None:
                p.kill()
                p.wait()


def finished(process: subprocess.Popen) -> tuple[int, dict]:
    out, err = process.communicate(timeout=120)
    assert out.strip(), err
    return process.returncode, json.loads(out)


def weth_routes(opportunities: list[dict], weth: str) -> list[dict]:
    return [o for o in opportunities if o["base_token"] == weth]


def test_the_tip_is_counted_and_min_profit_is_net_of_it(snapshot, tmp_path):
    chain = snapshot
    env = chain.cli_env(tmp_path / "cache")
    executor = cli(env, "deploy", "balancer", "--broadcast")["address"]
    weth = chain.manifest["weth"]
    best = weth_routes(cli(env, "scan"), weth)[0]
    sim = cli(env, "simulate", best["id"])
    assert sim["ok"] and sim["gas_price"] == sim["base_fee"] + sim["priority_fee"]
    profit, units = sim["token_profit"], sim["gas_used"]
    # A tip that costs about half the profit: a floor met only if the tip were left out is refused.
    tip = profit // (2 * units)
    without_tip = profit - units * sim["base_fee"]
    nonce = chain.w3.eth.get_transaction_count(chain.w3.eth.accounts[0])
    tipped = ["--priority-gas-price", str(tip)]
    refused = cli(
        env, "execute", best["id"], *tipped, "--min-profit", str(without_tip - 1), "--broadcast", expect=1
    )
    assert refused["status"].startswith("refused: net profit") and refused["tx_hash"] is None
    assert refused["priority_fee"] == tip and refused["gas_price"] == refused["base_fee"] + tip
    assert refused["gas_cost"] == units * (refused["base_fee"] + tip) + refused["l1_fee_wei"]
    assert chain.w3.eth.get_transaction_count(chain.w3.eth.accounts[0]) == nonce

    min_profit = profit // 4
    before = chain.w3.eth.block_number
    done = cli(env, "execute", best["id"], *tipped, "--min-profit", str(min_profit), "--broadcast")
    assert done["status"] == "success" and done["floor"] == done["estimated"]["gas_cost"] + min_profit
    receipt = chain.w3.eth.get_transaction_receipt(done["tx_hash"])
    assert receipt["effectiveGasPrice"] == done["estimated"]["gas_price"] == done["base_fee"] + tip
    assert done["gas_paid_wei"] == receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert done["net_profit"] == done["token_profit"] - done["gas_paid_wei"]
    assert real_net(chain, executor, weth, done["block"], before) == done["net_profit"] >= min_profit
    entry = journal(tmp_path)[-1]
    assert (
        entry["net_profit"] == done["net_profit"]
        and entry["estimated"]["net_profit"] == sim["token_profit"] - (done["estimated"]["gas_cost"])
    )
    stats = cli(env, "cache", "stats")["executions"]
    assert stats["realized_net"] == {weth: done["net_profit"]}
    assert stats["estimated_net"] == {weth: done["estimated"]["net_profit"]}
    assert stats["gas_paid_wei"] == done["gas_paid_wei"] and stats["refusals"] == 1


def test_a_pools_route_in_another_token_pays_its_gas_in_that_token(snapshot, tmp_path):
    chain = snapshot
    env = chain.cli_env(tmp_path / "cache")
    executor = cli(env, "deploy", "balancer", "--broadcast")["address"]
    weth = chain.manifest["weth"]
    route = next(o for o in cli(env, "scan") if o["base_token"] != weth)
    token = route["base_token"]
    args = ["--pools", ",".join(route["pools"]), "--token", token, "--amount", str(route["amount_in"])]
    sim = cli(env, "simulate", *args)
    assert sim["ok"] and sim["gas_cost"] > 0 and sim["gas_rate"][0] > 0
    profit_in_wei = sim["token_profit"] * sim["gas_rate"][1] // sim["gas_rate"][0]
    base_fee = max(800 * GWEI, 2 * profit_in_wei // sim["gas_used"])

    # A base fee at which the route's gas costs more than it makes (>= 800 gwei): refused, nothing sent.
    normal = chain.w3.eth.get_block("latest")["baseFeePerGas"]
    nonce = chain.w3.eth.get_transaction_count(chain.w3.eth.accounts[0])
    chain.w3.provider.make_request("anvil_setNextBlockBaseFeePerGas", [hex(base_fee)])
    chain.w3.provider.make_request("evm_mine", [])
    refused = cli(env, "execute", *args, "--min-profit", "0", "--broadcast", expect=1)
    assert refused["status"].startswith("refused: net profit") and refused["tx_hash"] is None
    assert refused["gas_cost"] > refused["token_profit"] > 0 and refused["base_fee"] >= base_fee * 7 // 8
    wei = refused["gas_used"] * refused["gas_price"]
    assert refused["gas_cost"] == to_base_token(wei, tuple(refused["gas_rate"]))
    assert chain.w3.eth.get_transaction_count(chain.w3.eth.accounts[0]) == nonce

    # At the usual base fee with a 1 gwei tip: sent, its gas paid in the token at the market's rate.
    chain.w3.provider.make_request("anvil_setNextBlockBaseFeePerGas", [hex(normal)])
    chain.w3.provider.make_request("evm_mine", [])
    before = chain.w3.eth.block_number
    done = cli(env, "execute", *args, "--priority-gas-price", str(GWEI), "--min-profit", "0", "--broadcast")
    assert done["status"] == "success" and done["token_profit"] == sim["token_profit"]
    rate = done["gas_rate"]
    assert done["gas_cost"] == to_base_token(done["gas_paid_wei"], tuple(rate)) > 0
    assert real_net(chain, executor, token, done["block"], before, rate) == done["net_profit"]


def test_a_token_without_a_native_pool_is_refused_not_sent_gas_free(snapshot, tmp_path):
    """Gas that cannot be priced in the borrowed token refuses the route (never net = token profit)."""
    chain = snapshot
    env = chain.cli_env(tmp_path / "cache")
    cli(env, "deploy", "balancer", "--broadcast")
    weth = chain.manifest["weth"]
    route = next(o for o in cli(env, "scan") if o["base_token"] != weth)
    args = [
        "--pools",
        ",".join(route["pools"]),
        "--token",
        route["base_token"],
        "--amount",
        str(route["amount_in"]),
    ]
    manifest = json.loads(chain.manifest_path.read_text())
    manifest["weth"] = "0x" + "77" * 20  # a native token no pool trades
    other = tmp_path / "manifest.json"
    other.write_text(json.dumps(manifest))
    nonce = chain.w3.eth.get_transaction_count(chain.w3.eth.accounts[0])
    refused = cli({**env, "MEVCLI_MANIFEST": str(other)}, "execute", *args, "--broadcast", expect=1)
    assert "gas cannot be priced" in refused["status"] and refused["tx_hash"] is None
    assert chain.w3.eth.get_transaction_count(chain.w3.eth.accounts[0]) == nonce


def test_two_sends_in_one_block_each_realize_their_own_profit(snapshot, tmp_path):
    chain = snapshot
    env = chain.cli_env(tmp_path / "cache")
    executor = cli(env, "deploy", "balancer", "--broadcast")["address"]
    weth = chain.manifest["weth"]
    chosen: list[dict] = []
    for o in weth_routes(cli(env, "scan"), weth):
        if all(not set(o["pools"]) & set(c["pools"]) for c in chosen):
            chosen.append(o)
    assert len(chosen) >= 2
    first, second = chosen[:2]
    simulated = [cli(env, "simulate", o["id"])["token_profit"] for o in (first, second)]
    before = chain.w3.eth.block_number
    with (
        manual_mining(chain),
        executes(env, [first["id"], "--broadcast"], [second["id"], "--broadcast"]) as ps,
    ):
        wait_pending(chain, 2, ps)
        chain.w3.provider.make_request("evm_mine", [])
        results = [finished(p) for p in ps]
    assert [code for code, _ in results] == [0, 0]
    done = [r for _, r in results]
    assert done[0]["block"] == done[1]["block"] == before + 1
    for result, predicted in zip(done, simulated, strict=True):
        receipt = chain.w3.eth.get_transaction_receipt(result["tx_hash"])
        assert result["token_profit"] == predicted == executed_profit(receipt, executor, weth)[0]
    gained = _balance(chain, weth, executor) - balance_at(chain, weth, executor, before)
    assert sum(r["token_profit"] for r in done) == gained
    assert real_net(chain, executor, weth, before + 1, before) == sum(r["net_profit"] for r in done)
    stats = cli(env, "cache", "stats")["executions"]
    assert stats["realized_profit"] == {weth: sum(simulated)} and stats["successes"] == 2


def test_a_revert_records_only_its_gas(snapshot, tmp_path):
    chain = snapshot
    env = chain.cli_env(tmp_path / "cache")
    executor = cli(env, "deploy", "balancer", "--broadcast")["address"]
    weth = chain.manifest["weth"]
    v2 = {p["address"] for p in chain.pools("uniswap_v2")}
    route = next(o for o in weth_routes(cli(env, "scan"), weth) if o["pools"][0] in v2)
    pair = chain.w3.eth.contract(address=route["pools"][0], abi=V2_PAIR)
    r0, r1, _ = pair.functions.getReserves().call()
    donation = 2 * (r0 if pair.functions.token0().call() == weth else r1)
    spoiler = chain.w3.eth.accounts[1]
    chain.w3.provider.make_request("anvil_setBalance", [spoiler, hex(donation + 10**20)])
    token = chain.w3.eth.contract(address=weth, abi=WETH_ABI)
    fees = {"from": spoiler, "maxFeePerGas": 2000 * GWEI, "maxPriorityFeePerGas": 1000 * GWEI}
    before = chain.w3.eth.block_number
    with manual_mining(chain), executes(env, [route["id"], "--broadcast"]) as ps:
        wait_pending(chain, 1, ps)
        # Ahead of it in the block (a higher tip): the route's first pool is given twice its WETH.
        token.functions.deposit().transact({**fees, "value": donation, "gas": 100_000})
        token.functions.transfer(pair.address, donation).transact({**fees, "gas": 100_000})
        pair.functions.sync().transact({**fees, "gas": 200_000})
        chain.w3.provider.make_request("evm_mine", [])
        code, result = finished(ps[0])
    assert code == 1 and result["status"] == "reverted" and result["block"] == before + 1
    assert result["token_profit"] == 0 and result["estimated"]["token_profit"] > 0
    assert result["net_profit"] == -result["gas_cost"] == -result["gas_paid_wei"] < 0
    assert real_net(chain, executor, weth, before + 1, before) == result["net_profit"]
    metrics_file = tmp_path / "metrics.prom"
    stats = cli({**env, "MEVCLI_METRICS_FILE": str(metrics_file)}, "cache", "stats")["executions"]
    assert stats["reverts"] == 1 and stats["realized_profit"] == {}
    assert stats["realized_net"] == {weth: result["net_profit"]}
    assert stats["estimated_net"] == {weth: result["estimated"]["net_profit"]}
    written = metrics_file.read_text()
    assert exact_sample(written, "mevcli_executions_realized_net", weth) == result["net_profit"]
    assert exact_sample(written, "mevcli_executions_estimated_net", weth) == result["estimated"]["net_profit"]


def test_one_opportunity_is_sent_once_at_a_time(snapshot, tmp_path):
    chain = snapshot
    env = chain.cli_env(tmp_path / "cache")
    executor = cli(env, "deploy", "balancer", "--broadcast")["address"]
    weth = chain.manifest["weth"]
    best = weth_routes(cli(env, "scan"), weth)[0]
    before = chain.w3.eth.block_number
    with manual_mining(chain), executes(env, [best["id"], "--broadcast"]) as ps:
        wait_pending(chain, 1, ps)
        second = runner.invoke(app, ["execute", best["id"], "--broadcast", "--json"], env=env)
        assert second.exit_code == 1
        refused = json.loads(second.stdout)
        assert refused["status"].startswith(
            f"refused: opportunity {best['id']} is already being sent by process"
        )
        assert pending(chain) == 1
        # The same route given by its pools is the same claim.
        args = ["--pools", ",".join(best["pools"]), "--token", weth, "--amount", str(best["amount_in"])]
        by_route = runner.invoke(app, ["execute", *args, "--broadcast", "--json"], env=env)
        assert by_route.exit_code == 1 and "already being sent" in json.loads(by_route.stdout)["status"]
        chain.w3.provider.make_request("evm_mine", [])
        code, done = finished(ps[0])
    assert code == 0 and done["status"] == "success" and pending(chain) == 0
    assert real_net(chain, executor, weth, before + 1, before) == done["net_profit"]
    statuses = [e["status"] for e in journal(tmp_path) if e["kind"] == "execute"]
    assert sorted(s.split(":")[0] for s in statuses) == ["refused", "refused", "success"]
    # Released once final: the id can be sent again (here refused by its own re-check, not by the claim).
    again = cli(env, "execute", best["id"], "--broadcast", expect=None)
    assert "already being sent" not in again["status"]
