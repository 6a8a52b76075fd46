"""`mevcli scan` on the real devnet: planted opportunities are found, sized at the true optimum, and
pay exactly what the chain pays when the same swaps are executed; a fair market yields nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from devnet_support import covering, fund
from typer.testing import CliRunner
from web3 import Web3
from web3.providers.rpc import HTTPProvider

from mevcli.arbitrage.cycles import Cycle, Edge
from mevcli.arbitrage.discovery import identify_known
from mevcli.arbitrage.liquidity import liquidity_in_native, native_prices, pool_depth
from mevcli.arbitrage.sizing import cycle_output
from mevcli.chain.multicall import Multicall
from mevcli.cli.app import app
from mevcli.devnet.market import deploy_market
from mevcli.devnet.market_spec import PLANTED
from mevcli.devnet.node import AnvilNode
from mevcli.dex.pools import read_states
from mevcli.dex.registry import DexRegistry
from mevcli.dex.uniswap_v3.tick_math import MAX_SQRT_RATIO, MIN_SQRT_RATIO
from mevcli.errors import MevcliError

runner = CliRunner()
FAR = 2**40


def scan_json(chain, tmp_path: Path, *args: str) -> list[dict]:
    result = runner.invoke(app, ["scan", "--json", *args], env=chain.cli_env(tmp_path / "cache"))
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _symbols(chain) -> dict[str, str]:
    return {address: symbol for symbol, address in chain.manifest["tokens"].items()}


@pytest.fixture(scope="module")
def scanned(chain, tmp_path_factory) -> list[dict]:
    return scan_json(chain, tmp_path_factory.mktemp("scan"), "--max-hops", "4")


def test_planted_routes_are_found(chain, scanned):
    symbols = _symbols(chain)
    routes = {(tuple(symbols[t] for t in o["tokens"]), tuple(o["dexes"])) for o in scanned}
    for planted in PLANTED:
        assert (planted.tokens, planted.dexes) in routes, planted
    assert {len(o["pools"]) for o in scanned} >= {2, 3, 4}


def test_opportunity_fields_are_consistent(chain, scanned):
    assert scanned, "the devnet market must hold opportunities"
    assert (
        scanned == sorted(scanned, key=lambda o: -o["net_profit"])
        or len({o["base_token"] for o in scanned}) > 1
    )
    for o in scanned:
        assert o["tokens"][0] == o["tokens"][-1] == o["base_token"]
        assert len(o["tokens"]) == len(o["pools"]) + 1 == len(o["dexes"]) + 1
        assert o["profit"] == o["amount_out"] - o["amount_in"]
        assert o["net_profit"] == o["profit"] - o["flash_fee"] - o["gas_cost"] > 0
        assert o["block"] == chain.w3.eth.block_number
        assert o["hop_amounts"][-1] == o["amount_out"]
        # Never borrow from a pool the route swaps in.
        assert o["flash_lender"] not in o["pools"]


def _cycle(o: dict) -> Cycle:
    tokens = o["tokens"]
    return Cycle(tuple(Edge(p, tokens[i], tokens[i + 1]) for i, p in enumerate(o["pools"])))


def test_amount_in_is_the_true_optimum(chain, scanned):
    mc = Multicall(chain.w3, chain.manifest["multicall3"])
    registry = DexRegistry.from_manifest(chain.manifest)
    block = scanned[0]["block"]
    pools = sorted({p for o in scanned for p in o["pools"]})
    states = read_states(mc, registry.identify(mc, pools, block), block)
    for o in scanned:
        cycle = _cycle(o)
        fee_rate = (o["flash_fee"], o["amount_in"])

        def profit(x: int, cycle: Cycle = cycle, fee_rate: tuple[int, int] = fee_rate) -> int:
            try:
                out, _ = cycle_output(cycle, states, x)
            except (MevcliError, ValueError, ArithmeticError):
                return -(2**255)  # the pools cannot take that much: infeasible, as the scanner treats it
            return out - x - fee_rate[0] * x // fee_rate[1]

        best = profit(o["amount_in"])
        assert best == o["profit"] - o["flash_fee"]
        # Brute force: no amount on a fine grid from a quarter to four times the choice does better.
        x = o["amount_in"]
        grid = [x * k // 1000 for k in range(250, 4001, 25)] + [x + d for d in range(-50, 51)]
        tolerance = max(x >> 24, 2)  # wei-level rounding of the fee line, far below any profit
        assert max(profit(g) for g in grid if g > 0) <= best + tolerance, o["id"]


def _execute_hop(chain, dex: str, pool: str, token_in: str, token_out: str, amount: int, account: int) -> int:
    """Swap through the DEX's own router; return what the account received."""
    d = chain.deployer(account)
    out_token = d.at("TestToken", token_out)
    before = out_token.functions.balanceOf(d.sender).call()
    if dex in ("uniswap_v2", "sushiswap"):
        router = chain.manifest[dex]["router"]
        d.send(d.at("TestToken", token_in).functions.approve(router, amount))
        call = d.at("UniswapV2Router02", router).functions.swapExactTokensForTokens(
            amount, 0, [token_in, token_out], d.sender, FAR
        )
    elif dex in ("uniswap_v3", "sushiswap_v3"):
        router = chain.manifest[dex]["swap_router"]
        fee = next(p["fee"] for p in chain.manifest["pools"] if p["address"] == pool)
        d.send(d.at("TestToken", token_in).functions.approve(router, amount))
        call = d.at("SwapRouter", router).functions.exactInputSingle(
            (token_in, token_out, fee, d.sender, FAR, amount, 0, 0)
        )
    elif dex == "pancakeswap_v3":  # no router on the devnet: our helper sells exactly `amount` in the pool
        helper = chain.manifest[dex]["helper"]
        d.send(d.at("TestToken", token_in).functions.approve(helper, amount))
        zero_for_one = int(token_in, 16) < int(token_out, 16)
        call = d.at("PancakeV3Helper", helper).functions.swap(pool, d.sender, zero_for_one, amount)
    elif dex == "balancer":
        entry = next(p for p in chain.manifest["pools"] if p["address"] == pool)
        vault = chain.manifest["balancer"]["vault"]
        d.send(d.at("TestToken", token_in).functions.approve(vault, amount))
        call = d.at("Vault", vault).functions.swap(
            (bytes.fromhex(entry["pool_id"][2:]), 0, token_in, token_out, amount, b""),
            (d.sender, False, d.sender, False),
            0,
            FAR,
        )
    elif dex == "curve":
        coins = next(p for p in chain.manifest["pools"] if p["address"] == pool)["tokens"]
        d.send(d.at("TestToken", token_in).functions.approve(pool, amount))
        artifact = "CurveStableSwap3" if len(coins) == 3 else "CurveStableSwap2"
        call = d.at(artifact, pool).functions.exchange(
            coins.index(token_in), coins.index(token_out), amount, 0
        )
    elif dex == "uniswap_v4":  # v4-core's PoolSwapTest: exact input is a negative amount
        entry = next(p for p in chain.manifest["uniswap_v4"]["pools"] if p["pool_id"] == pool)
        router = chain.manifest["uniswap_v4"]["pool_swap_test"]
        d.send(d.at("TestToken", token_in).functions.approve(router, amount))
        zero_for_one = entry["tokens"][0] == token_in
        key = (*entry["tokens"], entry["fee"], entry["tick_spacing"], entry["hooks"])
        limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
        call = d.at("PoolSwapTest", router).functions.swap(
            key, (zero_for_one, -amount, limit), (False, False), b""
        )
    else:
        raise AssertionError(f"no on-chain execution for {dex} hops in this test")
    d.send(call)
    return out_token.functions.balanceOf(d.sender).call() - before


def _pool_directions(o: dict) -> zip:
    """(pool, token in) per hop: what `covering` keeps one of each of (the devnet's 4-hop scan holds
    hundreds of opportunities over a few dozen pools)."""
    return zip(o["pools"], o["tokens"], strict=False)


def test_amount_out_equals_executing_the_swaps(chain, scanned):
    account = 3
    trader = chain.w3.eth.accounts[account]
    for o in covering(scanned, _pool_directions):
        with chain.snapshot():
            fund(chain, o["base_token"], trader, o["amount_in"])
            amount = o["amount_in"]
            for i, (pool, dex) in enumerate(zip(o["pools"], o["dexes"], strict=True)):
                amount = _execute_hop(chain, dex, pool, o["tokens"][i], o["tokens"][i + 1], amount, account)
                assert amount == o["hop_amounts"][i], (o["id"], i)
            assert amount == o["amount_out"]


def test_gas_and_min_profit_filter(chain, scanned, tmp_path):
    expensive = scan_json(chain, tmp_path, "--max-hops", "4", "--gas-price", str(10**15))
    cheap_ids = {o["id"] for o in scanned}
    assert len(expensive) < len(scanned)
    for o in expensive:
        assert o["id"] in cheap_ids and o["gas_price"] == 10**15
        assert o["net_profit"] == o["profit"] - o["flash_fee"] - o["gas_cost"] > 0
    assert scan_json(chain, tmp_path, "--min-profit", str(10**30)) == []


def test_filters_and_ids_are_stable(chain, scanned, tmp_path):
    v2_only = scan_json(chain, tmp_path, "--dex", "uniswap_v2", "--dex", "sushiswap")
    assert v2_only and all(set(o["dexes"]) <= {"uniswap_v2", "sushiswap"} for o in v2_only)
    by_id = {o["id"]: o for o in scanned}
    assert all(o["id"] in by_id or len(o["pools"]) > 3 for o in v2_only)
    top = scan_json(chain, tmp_path, "--top", "2", "--max-hops", "4")
    assert [o["id"] for o in top] == [o["id"] for o in scanned[:2]]
    usdc = scan_json(chain, tmp_path, "--base-token", "USDC", "--max-hops", "2")
    assert all(o["base_token"] == chain.manifest["tokens"]["USDC"] for o in usdc)
    stored = json.loads((tmp_path / "cache" / "opportunities" / "31337.json").read_text())
    assert set(stored["opportunities"]) == {o["id"] for o in usdc}  # the last scan's, and only those


def test_max_candidates_sizes_only_the_best_listed_cycles(chain, scanned, tmp_path):
    env = chain.cli_env(tmp_path / "cache")
    by_id = {o["id"]: o for o in scanned}
    capped = runner.invoke(app, ["scan", "--json", "--max-hops", "4", "--max-candidates", "3"], env=env)
    assert capped.exit_code == 0, capped.stderr
    assert "left unsized by --max-candidates 3" in capped.stderr
    few = json.loads(capped.stdout)
    assert 0 < len(few) <= 3 and all(by_id[o["id"]] == o for o in few)  # the same figures, to the wei
    roomy = scan_json(chain, tmp_path, "--max-hops", "4", "--max-candidates", "1000000")
    assert roomy == scanned
    config = tmp_path / "mevcli.toml"
    config.write_text("[scan]\nmax_candidates = 0\n")
    bad = runner.invoke(app, ["--config", str(config), "scan"], env=env)
    assert bad.exit_code != 0 and "scan.max_candidates" in bad.stderr and "Traceback" not in bad.stdout


def test_best_routes_keeps_the_highest_summed_weights():
    from mevcli.arbitrage.cycles import WeightedHop
    from mevcli.arbitrage.finder import FinderStats, _best_routes

    def route(*weights: float) -> tuple[WeightedHop, ...]:
        return tuple(WeightedHop(f"p{i}", "A", "B", w, False, None) for i, w in enumerate(weights))

    routes = [route(0.1, 0.1), route(0.5, -0.1), route(0.3, -0.1), route(0.2, 0.0), route(float("inf"), -5)]
    stats = FinderStats()
    best = _best_routes(iter(routes), 3, stats)
    # inf first; 0.4 before the two routes of 0.2, which keep their search order
    assert best == [routes[4], routes[1], routes[0]] and stats.not_sized == 2
    assert _best_routes(iter(routes), 10, FinderStats()) == sorted(
        routes, key=lambda r: -sum(h.weight for h in r)
    )


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--max-hops", "5"], "max-hops"),
        (["--max-candidates", "0"], "max-candidates"),
        (["--dex", "pancake"], "unknown --dex"),
        (["--base-token", "NOPE"], "unknown token"),
        (["--min-profit", "-1"], "negative"),
    ],
)
def test_bad_scan_options(chain, tmp_path, args, needle):
    result = runner.invoke(app, ["scan", *args], env=chain.cli_env(tmp_path / "cache"))
    assert result.exit_code != 0
    assert result.stderr.strip().startswith("Error:") and needle in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_fair_market_yields_no_false_positives(tmp_path):
    node = AnvilNode.start(tmp_path / "anvil.log")
    try:
        w3 = Web3(HTTPProvider(node.rpc_url, request_kwargs={"timeout": 60}))
        manifest = deploy_market(w3, fair=True)
        manifest_path = tmp_path / "manifest.json"
        manifest_path.write_text(json.dumps(manifest))
        env = {
            "ETH_RPC_URL": node.rpc_url,
            "MEVCLI_MANIFEST": str(manifest_path),
            "MEVCLI_CACHE_DIR": str(tmp_path / "cache"),
        }
        result = runner.invoke(app, ["scan", "--json", "--max-hops", "4", "--gas-price", "0"], env=env)
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout) == []
        assert "cycles" in result.stderr  # it did search
    finally:
        node.stop()


def _liquidity_by_pool(chain) -> dict[str, int]:
    """Each devnet pool's depth valued in WETH wei, by our own valuation over a fresh chain read."""
    registry = DexRegistry.from_manifest(chain.manifest)
    block = chain.w3.eth.block_number
    multicall = Multicall(chain.w3, chain.manifest["multicall3"])
    pools = [p["address"] for p in chain.manifest["pools"]]
    pools += [p["pool_id"] for p in chain.manifest["uniswap_v4"]["pools"]]
    refs = identify_known(registry, multicall, pools, block)
    states = read_states(multicall, refs, block)
    rates = native_prices(states, chain.manifest["weth"])
    return {a: v for a, s in states.items() if (v := liquidity_in_native(s, rates)) is not None}


def test_min_liquidity_drops_shallow_pools(chain, scanned, tmp_path):
    liquidity = _liquidity_by_pool(chain)
    used = {p for o in scanned for p in o["pools"]}
    # a threshold that keeps some of the pools the unfiltered scan used and drops others
    values = sorted(liquidity[p] for p in used if p in liquidity)
    threshold = values[len(values) // 2]
    filtered = scan_json(chain, tmp_path, "--max-hops", "4", "--min-liquidity", str(threshold))
    assert filtered and len(filtered) < len(scanned)
    assert all(liquidity.get(p, -1) >= threshold for o in filtered for p in o["pools"])
    dropped = {o["id"] for o in scanned} - {o["id"] for o in filtered}
    assert all(
        any(liquidity.get(p, -1) < threshold for p in o["pools"]) for o in scanned if o["id"] in dropped
    )


def test_v2_depth_is_the_pair_balance_valued_at_the_market_price(chain):
    pair = next(p for p in chain.pools("uniswap_v2") if chain.manifest["weth"] in p["tokens"])
    registry = DexRegistry.from_manifest(chain.manifest)
    multicall = Multicall(chain.w3, chain.manifest["multicall3"])
    block = chain.w3.eth.block_number
    (state,) = read_states(
        multicall, identify_known(registry, multicall, [pair["address"]], block), block
    ).values()
    erc20 = [
        {
            "name": "balanceOf",
            "type": "function",
            "stateMutability": "view",
            "inputs": [{"name": "a", "type": "address"}],
            "outputs": [{"name": "", "type": "uint256"}],
        }
    ]
    for token, depth in pool_depth(state).items():
        balance = chain.w3.eth.contract(address=token, abi=erc20).functions.balanceOf(pair["address"]).call()
        assert depth == balance
    assert _liquidity_by_pool(chain)[pair["address"]] >= pool_depth(state)[chain.manifest["weth"]]
