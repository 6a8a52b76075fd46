"""Cross-fork cycles (Uniswap V3, SushiSwap V3, PancakeSwap V3, the V2s) on the devnet: `scan` finds each
planted route, the executor pays exactly the profit our math predicts (swapping through
`pancakeV3SwapCallback`, and borrowing from a PancakeSwap V3 pool through `pancakeV3FlashCallback`), and the
CLI's simulate → execute realizes exactly the simulated profit."""

from __future__ import annotations

import json
from dataclasses import replace

from test_executor import (
    balance,
    check_execution,
    deploy_executor,
    scanned,  # noqa: F401 (a module fixture: one scan for this module too)
)
from typer.testing import CliRunner

from mevcli.arbitrage.flash import UNISWAP_V3, FlashSource
from mevcli.arbitrage.opportunity import Opportunity
from mevcli.cli.app import app
from mevcli.devnet.market_spec import PLANTED

runner = CliRunner()
FORKS = {"sushiswap_v3", "pancakeswap_v3"}


def _symbols(chain) -> dict[str, str]:
    return {address: symbol for symbol, address in chain.manifest["tokens"].items()}


def _planted_fork_routes(chain, scanned) -> list[Opportunity]:  # noqa: F811
    symbols = _symbols(chain)
    by_route: dict[tuple, Opportunity] = {}
    for o in scanned:  # best first: keep each route's most profitable pools
        by_route.setdefault((tuple(symbols[t] for t in o.tokens), tuple(o.dexes)), o)
    planted = [p for p in PLANTED if FORKS & set(p.dexes)]
    assert len(planted) >= 4
    missing = [p for p in planted if (p.tokens, p.dexes) not in by_route]
    assert not missing, missing
    return [by_route[(p.tokens, p.dexes)] for p in planted]


def test_each_planted_cross_fork_route_pays_its_predicted_profit(chain, scanned):  # noqa: F811
    routes = _planted_fork_routes(chain, scanned)
    assert {"sushiswap_v3", "pancakeswap_v3", "uniswap_v3", "sushiswap"} <= {
        d for o in routes for d in o.dexes
    }
    with chain.snapshot():
        executor = deploy_executor(chain)
        for opp in routes:
            with chain.snapshot():
                check_execution(chain, executor, opp)


def test_a_pancake_pool_lends_the_flash_loan(chain, scanned):  # noqa: F811
    """Borrow WETH from a PancakeSwap V3 pool the route does not touch: `flash` calls back
    `pancakeV3FlashCallback`, which repays the loan plus the pool's fee (amount·fee/10⁶, rounded up)."""
    weth = chain.manifest["weth"]
    opp = next(
        o
        for o in _planted_fork_routes(chain, scanned)
        if o.base_token == weth and "pancakeswap_v3" not in o.dexes
    )
    lender = min(
        (p for p in chain.pools("pancakeswap_v3") if weth in p["tokens"] and p["address"] not in opp.pools),
        key=lambda p: p["fee"],
    )
    available = balance(chain, weth, lender["address"])
    assert available >= opp.amount_in
    source = FlashSource(UNISWAP_V3, lender["address"], weth, available, lender["fee"], 10**6)
    moved = replace(
        opp, flash_source=UNISWAP_V3, flash_lender=lender["address"], flash_fee=source.fee(opp.amount_in)
    )
    assert moved.flash_fee == -(-opp.amount_in * lender["fee"] // 10**6) > 0
    with chain.snapshot():
        executor = deploy_executor(chain)
        receipt = check_execution(chain, executor, moved)
        assert balance(chain, weth, lender["address"]) == available + moved.flash_fee
    assert receipt["status"] == 1


def _cli(env: dict[str, str], *args: str) -> dict | list:
    result = runner.invoke(app, [*args, "--json"], env=env)
    assert result.exit_code == 0, (args, result.stdout, result.stderr)
    return json.loads(result.stdout)


def test_cli_scan_simulate_execute_through_pancake_and_sushi(snapshot, tmp_path):
    """Through the CLI: the best sushi3 → cake3 cycle simulates, executes, realizes the simulated profit."""
    chain = snapshot
    env = chain.cli_env(tmp_path / "cache")
    executor = _cli(env, "deploy", "balancer", "--broadcast")["address"]
    found = _cli(env, "scan", "--max-hops", "2", "--dex", "sushiswap_v3", "--dex", "pancakeswap_v3")
    route = next(o for o in found if set(o["dexes"]) == {"sushiswap_v3", "pancakeswap_v3"})
    sim = _cli(env, "simulate", route["id"])
    assert sim["ok"] and sim["token_profit"] == sim["hop_amounts"][-1] - sim["amount_in"] - sim["flash_fee"]
    before = balance(chain, route["base_token"], executor)
    done = _cli(env, "execute", route["id"], "--broadcast")
    assert done["status"] == "success" and done["token_profit"] == sim["token_profit"] > 0
    assert balance(chain, route["base_token"], executor) - before == sim["token_profit"]
