"""Gas in the landing block: an arbitrage is almost always on pools that moved in the latest block, and
the transaction lands in the next one, where the clock has moved on (Uniswap V2 pairs write their
cumulative prices, V3 pools their oracle observation, Aave its indexes). Simulation and the gas limit
must hold there: every send succeeds, realizes exactly the simulated profit, and a transaction that
would fail there is refused before it is signed."""

from __future__ import annotations

from test_cli_flow import _balance, cli

WETH_IN_PAIR = 100 * 10**18
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
    """A new token with a WETH pair on Uniswap V2 and on SushiSwap, priced 3% apart, both created and
    seeded in the latest block (one block holds all the transactions); returns the two pairs."""
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
        for pair, price in zip(pairs, (1000, 1030), strict=True):
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


def execute_and_check(chain, env: dict[str, str], opportunity: dict, *extra: str) -> dict:
    """simulate then execute --broadcast: success, and the realized profit equals the simulated one to
    the wei; the receipt's gas fits in the simulated estimate."""
    sim = cli(env, "simulate", opportunity["id"], *extra)
    assert sim["ok"], sim
    before = _balance(chain, sim["base_token"], sim["executor"])
    done = cli(env, "execute", opportunity["id"], *extra, "--broadcast", expect=None)
    assert done["status"] == "success", done
    assert done["token_profit"] == sim["token_profit"]
    assert _balance(chain, sim["base_token"], sim["executor"]) - before == sim["token_profit"]
    # The estimate in the landing block covered what the transaction used; the limit is the rule's.
    sent = chain.w3.eth.get_transaction(done["tx_hash"])
    assert done["gas_used"] <= sim["gas_used"] < sent["gas"] == done["gas_limit"]
    return done


def test_fresh_v2_pair_traded_in_the_latest_block_executes(snapshot, tmp_path):
    chain = snapshot
    env = chain.cli_env(tmp_path / "cache")
    cli(env, "deploy", "balancer", "--broadcast")
    pairs = plant_fresh_v2_pairs(chain)
    found = [o for o in cli(env, "scan", "--max-hops", "2") if set(o["pools"]) == set(pairs)]
    assert found, "the planted fresh-pair arbitrage must be found"
    execute_and_check(chain, env, found[0])


def test_gas_limit_rule():
    from mevcli.execution.gas_limit import arbitrage_gas_limit

    # 2 hops: two first writes of a cold slot each, the whole scaled by (64/63)^5, capped.
    limit = arbitrage_gas_limit(250_000, hops=2, block_gas_limit=30_000_000)
    assert limit == -(-(250_000 + 4 * 22_100) * 64**5 // 63**5)
    assert arbitrage_gas_limit(250_000, hops=2, block_gas_limit=300_000) == 300_000
    assert arbitrage_gas_limit(250_000, hops=3, block_gas_limit=30_000_000) > limit
