"""Gas in the landing block: an arbitrage is almost always on pools that moved in the latest block, and
the transaction lands in the next one, where the clock has moved on (Uniswap V2 pairs write their
cumulative prices, V3 pools their oracle observation, Aave its indexes). Simulation and the gas limit
must hold there: every send succeeds, realizes exactly the simulated profit, and a transaction that
would fail there is refused before it is signed."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from hook_proxy import hook_proxy
from test_cli_flow import _balance, cli
from test_watch_execute import watch_lines
from typer.testing import CliRunner

from mevcli.cli.app import app
from mevcli.execution.gas_limit import arbitrage_gas_limit
from mevcli.execution.landing import LATEST, landing_block
from mevcli.execution.simulate import presend_check

WETH_IN_PAIR = 100 * 10**18
FAR = 2**40
TRADER = 3
ANVIL_KEY_1 = "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"  # anvil's public test key
runner = CliRunner()
ERC20_TRANSFER_AND_APPROVE = [
    {
        "name": name,
        "type": "function",
        "stateMutability": "nonpayable",
        "inputs": [{"name": "to", "type": "address"}, {"name": "amount", "type": "uint256"}],
        "outputs": [{"name": "", "type": "bool"}],
    }
    for name in ("transfer", "approve")
]


def plant_fresh_v2_pairs(chain) -> tuple[str, str]:
    """A new token with a WETH pair on Uniswap V2 and on SushiSwap, priced 30% apart (the market's best
    opportunity), both created and seeded in the latest block (one block holds all the transactions);
    returns the two pairs."""
    d = chain.deployer()
    w3 = chain.w3
    token = d.deploy("TestToken", "Fresh", "FRSH", 18)
    weth = d.at("WETH9", chain.manifest["weth"])
    d.send(weth.functions.deposit(), value=2 * WETH_IN_PAIR)
    factories = [
        d.at("UniswapV2Factory", chain.manifest[dex]["factory"]) for dex in ("uniswap_v2", "sushiswap")
    ]
    for factory in factories:
        d.send(factory.functions.createPair(weth.address, token.address))
    pairs = [f.functions.getPair(weth.address, token.address).call() for f in factories]
    w3.provider.make_request("evm_setAutomine", [False])
    try:
        sent = []
        for pair, price in zip(pairs, (1000, 1300), strict=True):
            calls = (
                weth.functions.transfer(pair, WETH_IN_PAIR),
                token.functions.mint(pair, WETH_IN_PAIR * price),
                d.at("UniswapV2Pair", pair).functions.mint(d.sender),
            )
            sent += [c.transact({"from": d.sender, "gas": 500_000}) for c in calls]
        w3.provider.make_request("evm_mine", [])
    finally:
        w3.provider.make_request("evm_setAutomine", [True])
    latest = w3.eth.block_number
    assert all(w3.eth.get_transaction_receipt(h)["status"] == 1 for h in sent)
    assert {w3.eth.get_transaction_receipt(h)["blockNumber"] for h in sent} == {latest}
    return pairs[0], pairs[1]


def execute_and_check(
    chain, env: dict[str, str], opportunity: dict, *extra: str, covered: bool = True
) -> dict:
    """simulate then execute --broadcast: success, and the realized profit equals the simulated one to
    the wei; the transaction carries the rule's gas limit, and (`covered`) the estimate in the landing
    block covered what it used."""
    sim = cli(env, "simulate", opportunity["id"], *extra)
    assert sim["ok"], sim
    before = _balance(chain, sim["base_token"], sim["executor"])
    done = cli(env, "execute", opportunity["id"], *extra, "--broadcast", expect=None)
    assert done["status"] == "success", done
    assert done["token_profit"] == sim["token_profit"]
    assert _balance(chain, sim["base_token"], sim["executor"]) - before == sim["token_profit"]
    # The estimate in the landing block covered what the transaction used; the limit is the rule's.
    sent = chain.w3.eth.get_transaction(done["tx_hash"])
    assert sent["gas"] == done["gas_limit"] > sim["gas_used"]
    assert done["gas_used"] <= sim["gas_used"] or not covered
    return done


def fresh_pair_opportunity(chain, env: dict[str, str]) -> dict:
    """Deploy the executor, plant the fresh pairs, scan: the planted opportunity."""
    deployed = cli(env, "deploy", "balancer", "--broadcast")
    # The deployment too: estimated in the landing block, sent with that × 64/63.
    limit = chain.w3.eth.get_transaction(deployed["tx_hash"])["gas"]
    assert limit == deployed["gas_limit"] == -(-deployed["gas_estimate"] * 64 // 63) > deployed["gas_used"]
    pairs = plant_fresh_v2_pairs(chain)
    found = [o for o in cli(env, "scan", "--max-hops", "2") if set(o["pools"]) == set(pairs)]
    assert found, "the planted fresh-pair arbitrage must be found"
    return found[0]


def test_fresh_v2_pair_traded_in_the_latest_block_executes(snapshot, tmp_path):
    """The sequence of issue 17: it reverted out of gas when estimated at `latest` with × 1.25."""
    chain = snapshot
    env = chain.cli_env(tmp_path / "cache")
    opportunity = fresh_pair_opportunity(chain, env)
    latest = chain.w3.eth.block_number
    table = runner.invoke(app, ["simulate", opportunity["id"]], env=env).stdout
    assert f"in block {latest + 1} (block overrides)" in table and "gas limit:" in table
    done = execute_and_check(chain, env, opportunity)
    assert done["landing"] == f"block {latest + 1} (block overrides)" and done["block"] == latest + 1


def test_the_exact_transaction_is_checked_in_the_landing_block(snapshot, tmp_path):
    """The pre-send check runs the signed-to-be transaction in the landing block: with the gas limit the
    old rule gave (the estimate at `latest` × 1.25) it fails there, though it passes at `latest`; with
    the rule's limit it passes."""
    chain = snapshot
    w3 = chain.w3
    env = chain.cli_env(tmp_path / "cache")
    opportunity = fresh_pair_opportunity(chain, env)
    seen: list[dict] = []
    with hook_proxy(chain.rpc_url, rewrite=lambda r: seen.append(r) or r) as proxy:
        sim = cli({**env, "ETH_RPC_URL": proxy.url}, "simulate", opportunity["id"])
    executor = sim["executor"].lower()
    tx = next(
        r["params"][0]
        for r in seen
        if r["method"] == "eth_estimateGas" and r["params"][0].get("to", "").lower() == executor
    )
    landing = landing_block(w3)
    at_latest = int(w3.provider.make_request("eth_estimateGas", [tx, "latest"])["result"], 16)
    assert at_latest < sim["gas_used"]  # the clock moving on costs gas the latest block does not show
    fees = {"maxFeePerGas": 2 * w3.eth.get_block("latest")["baseFeePerGas"], "maxPriorityFeePerGas": 0}
    old = {**tx, **fees, "gas": at_latest * 5 // 4}
    error = presend_check(w3, landing)(old)
    assert error is not None and f"block {landing.number}" in error
    assert presend_check(w3, replace(landing, mode=LATEST))(old) is None
    assert presend_check(w3, landing)({**tx, **fees, "gas": sim["gas_limit"]}) is None


def test_a_sender_without_gas_money_is_refused_before_signing(snapshot, tmp_path):
    chain = snapshot
    cache = tmp_path / "cache"
    env = chain.cli_env(cache)
    opportunity = fresh_pair_opportunity(chain, env)
    sender = chain.w3.eth.accounts[0]
    chain.w3.provider.make_request("anvil_setBalance", [sender, "0x1"])
    nonce = chain.w3.eth.get_transaction_count(sender)
    refused = cli(env, "execute", opportunity["id"], "--broadcast", expect=1)
    assert refused["status"].startswith("refused: the exact transaction fails in block")
    assert "\n" not in refused["status"] and refused["tx_hash"] is None and refused["send_attempts"] == 0
    assert chain.w3.eth.get_transaction_count(sender) == nonce
    journal = (cache / "executions" / "31337.jsonl").read_text().splitlines()
    assert json.loads(journal[-1])["status"] == refused["status"]


def without_block_overrides(request: dict) -> dict:
    """An older node: `eth_call` / `eth_estimateGas` parameters past the state overrides are dropped."""
    if request.get("method") in ("eth_call", "eth_estimateGas"):
        return {**request, "params": request["params"][:3]}
    return request


def test_a_node_without_block_overrides_falls_back_and_the_headroom_carries_it(snapshot, tmp_path):
    chain = snapshot
    env = chain.cli_env(tmp_path / "cache")
    opportunity = fresh_pair_opportunity(chain, env)
    with hook_proxy(chain.rpc_url, rewrite=without_block_overrides) as proxy:
        done = execute_and_check(chain, {**env, "ETH_RPC_URL": proxy.url}, opportunity, covered=False)
    # anvil's pending block, or the latest only when the probe sees the pending one at the latest's time
    assert done["landing"].endswith(("(the pending block)", "(the latest block only)")), done["landing"]


def swap_once(chain, dex: str, pool: str, token_in: str, token_out: str, amount: int) -> int:
    """A small swap through `pool` from the trader account; returns the block it was mined in."""
    d = chain.deployer(TRADER)
    weth = chain.manifest["weth"]
    if token_in == weth:
        d.send(d.at("WETH9", weth).functions.deposit(), value=amount)
    else:
        d.send(d.at("TestToken", token_in).functions.mint(d.sender, amount))
    entry = next(p for p in chain.manifest["pools"] if p["address"] == pool)
    if dex == "uniswap_v3":
        spender = chain.manifest["uniswap_v3"]["swap_router"]
        call = d.at("SwapRouter", spender).functions.exactInputSingle(
            (token_in, token_out, entry["fee"], d.sender, FAR, amount, 0, 0)
        )
    elif dex == "balancer":
        spender = chain.manifest["balancer"]["vault"]
        call = d.at("Vault", spender).functions.swap(
            (bytes.fromhex(entry["pool_id"][2:]), 0, token_in, token_out, amount, b""),
            (d.sender, False, d.sender, False),
            0,
            FAR,
        )
    else:
        spender = pool
        coins = entry["tokens"]
        artifact = "CurveStableSwap3" if len(coins) == 3 else "CurveStableSwap2"
        call = d.at(artifact, pool).functions.exchange(
            coins.index(token_in), coins.index(token_out), amount, 0
        )
    d.send(d.at("TestToken", token_in).functions.approve(spender, amount))
    return d.send(call)["blockNumber"]


@pytest.mark.parametrize("dex", ["uniswap_v3", "balancer", "curve"])
def test_a_hop_through_a_pool_touched_in_the_latest_block(snapshot, tmp_path, dex):
    chain = snapshot
    env = chain.cli_env(tmp_path / "cache")
    cli(env, "deploy", "balancer", "--broadcast")
    opportunity = next(o for o in cli(env, "scan", "--max-hops", "3") if dex in o["dexes"])
    hop = opportunity["dexes"].index(dex)
    amount = (opportunity["hop_amounts"][hop - 1] if hop else opportunity["amount_in"]) // 1000
    tokens, pool = opportunity["tokens"], opportunity["pools"][hop]
    mined = swap_once(chain, dex, pool, tokens[hop], tokens[hop + 1], amount)
    assert mined == chain.w3.eth.block_number
    execute_and_check(chain, env, opportunity)


@pytest.mark.parametrize("flash", ["balancer", "aave_v3", "uniswap_v3"])
def test_each_flash_source_right_after_a_send_through_it(snapshot, tmp_path, flash):
    """Two executions in consecutive blocks through the same lender: the second one's lender (the Vault,
    the Aave pool and its reserve, a V3 pool) was touched in the latest block."""
    chain = snapshot
    env = chain.cli_env(tmp_path / "cache")
    cli(env, "deploy", "balancer", "--broadcast")
    chosen: list[dict] = []
    for o in cli(env, "scan", "--max-hops", "3"):
        if len(chosen) == 2 or any(set(o["pools"]) & set(c["pools"]) for c in chosen):
            continue
        result = runner.invoke(app, ["simulate", o["id"], "--flash", flash, "--json"], env=env)
        if result.exit_code == 0:  # this lender can lend it, and the route pays its fee
            chosen.append(o)
    first, second = chosen
    done = execute_and_check(chain, env, first, "--flash", flash)
    assert done["flash_source"] == flash and chain.w3.eth.block_number == done["block"]
    assert execute_and_check(chain, env, second, "--flash", flash)["block"] == done["block"] + 1


def test_gas_limit_rule():
    # 2 hops: two first writes of a cold slot each, the whole scaled by (64/63)^5, capped.
    limit = arbitrage_gas_limit(250_000, hops=2, block_gas_limit=30_000_000)
    assert limit == -(-(250_000 + 4 * 22_100) * 64**5 // 63**5)
    assert arbitrage_gas_limit(250_000, hops=2, block_gas_limit=300_000) == 300_000
    assert arbitrage_gas_limit(250_000, hops=3, block_gas_limit=30_000_000) > limit


def test_a_block_mined_after_the_simulation_is_seen_by_the_pre_send_check(snapshot, tmp_path):
    """A competitor takes the route after our final simulation, before our send: the check runs the
    exact transaction over the new head, so it is refused unsigned instead of reverting on chain."""
    chain = snapshot
    env = chain.cli_env(tmp_path / "cache")
    opportunity = fresh_pair_opportunity(chain, env)
    rival_env = chain.cli_env(tmp_path / "rival")
    rival = cli(rival_env, "deploy", "balancer", "--broadcast", "--private-key", ANVIL_KEY_1)["address"]
    calls: list[dict] = []
    receipts: list = []

    def record(request: dict) -> dict:
        if request.get("method") == "eth_estimateGas":
            calls.append(request["params"][0])
        # The fees are priced before the simulations; the first head lookup after the final simulation
        # (its estimate is the second or later) is the check's, just before the send.
        elif request.get("method") == "eth_getBlockByNumber" and len(calls) >= 2 and not receipts:
            front_run()
        return request

    def front_run() -> None:
        try:
            data = calls[-1]["data"]  # the final simulation's calldata
            tx = {"from": chain.w3.eth.accounts[1], "to": rival, "data": data, "gas": 2_000_000}
            receipts.append(chain.w3.eth.wait_for_transaction_receipt(chain.w3.eth.send_transaction(tx)))
        except Exception as exc:  # reported below: an exception here would only drop the request
            receipts.append(exc)

    sender = chain.w3.eth.accounts[0]
    with hook_proxy(chain.rpc_url, rewrite=record) as proxy:
        nonce = chain.w3.eth.get_transaction_count(sender)
        refused = cli(
            {**env, "ETH_RPC_URL": proxy.url}, "execute", opportunity["id"], "--broadcast", expect=1
        )
    assert len(receipts) == 1 and receipts[0]["status"] == 1, receipts  # the competitor took the route
    assert refused["status"].startswith("refused: the exact transaction fails in block")
    assert refused["tx_hash"] is None and refused["send_attempts"] == 0
    assert chain.w3.eth.get_transaction_count(sender) == nonce


def test_watch_execute_sends_the_fresh_pair_arbitrage_and_it_lands(snapshot, tmp_path):
    """`watch --execute` goes through the same chokepoint: the fresh pairs' arbitrage, the best of the
    block among the WETH/FRSH pools the config allows (the devnet plants larger stablecoin routes), is
    sent once and realizes its simulated profit."""
    chain = snapshot
    env = chain.cli_env(tmp_path / "cache")
    opportunity = fresh_pair_opportunity(chain, env)
    sim = cli(env, "simulate", opportunity["id"])
    config = tmp_path / "mevcli.toml"
    allowed = [chain.manifest["weth"], *(t for t in opportunity["tokens"] if t != chain.manifest["weth"])]
    config.write_text("[scan]\nallow_tokens = [" + ", ".join(f'"{t}"' for t in allowed) + "]\n")
    lines, summary = watch_lines({**env, "MEVCLI_CONFIG": str(config)}, "--once", "--execute", "--broadcast")
    execution = lines[-1]["execution"]
    assert execution["id"] == opportunity["id"] and execution["status"] == "success", execution
    assert execution["token_profit"] == sim["token_profit"] and summary["executions"]["success"] == 1
