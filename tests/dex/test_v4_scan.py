"""`scan --dex uniswap_v3 --dex uniswap_v4` finds cycles through V4 pools at their exact optimum (brute
force around it finds no better amount) and each hop's amount equals swapping on chain (V3 through its
SwapRouter, V4 through the PoolManager's PoolSwapTest); the unpriced hook pool never appears; such an
opportunity simulates through the executor's V4 hop to the profit the scan sized."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner
from v4_chain import key_of, make_rich, router_swap, v4

from mevcli.arbitrage.cycles import Cycle, Edge
from mevcli.arbitrage.sizing import cycle_output
from mevcli.chain.multicall import Multicall
from mevcli.cli.app import app
from mevcli.dex.pools import read_states
from mevcli.dex.registry import DexRegistry
from mevcli.dex.uniswap_v3.tick_math import MAX_SQRT_RATIO, MIN_SQRT_RATIO
from mevcli.errors import MevcliError

runner = CliRunner()
FAR = 2**40
ACCOUNT = 7


@pytest.fixture(scope="module")
def scanned(chain, tmp_path_factory) -> tuple[list[dict], object]:
    cache = tmp_path_factory.mktemp("v4scan") / "cache"
    args = ["scan", "--json", "--max-hops", "3", "--dex", "uniswap_v3", "--dex", "uniswap_v4"]
    result = runner.invoke(app, args, env=chain.cli_env(cache))
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout), cache


def _opportunities(scanned) -> list[dict]:
    return scanned[0]


def test_cycles_through_v4_are_found_and_exactly_sized(chain, scanned):
    found = _opportunities(scanned)
    through_v4 = [o for o in found if "uniswap_v4" in o["dexes"]]
    assert through_v4 and {"uniswap_v3"} <= {d for o in through_v4 for d in o["dexes"]}
    unpriced = next(p["pool_id"] for p in v4(chain)["pools"] if p["hooks"] == v4(chain)["delta_hook"])
    assert all(unpriced not in o["pools"] for o in found)

    mc = Multicall(chain.w3, chain.manifest["multicall3"])
    registry = DexRegistry.from_manifest(chain.manifest)
    block = found[0]["block"]
    pools = sorted({p for o in through_v4 for p in o["pools"]})
    states = read_states(mc, registry.identify(mc, pools, block), block, 2**16)
    for o in through_v4:
        cycle = Cycle(tuple(Edge(p, o["tokens"][i], o["tokens"][i + 1]) for i, p in enumerate(o["pools"])))

        def profit(x: int, cycle: Cycle = cycle, o: dict = o) -> int:
            try:
                out, _ = cycle_output(cycle, states, x)
            except MevcliError:
                return -(2**255)
            return out - x - o["flash_fee"] * x // o["amount_in"]

        best = profit(o["amount_in"])
        assert best == o["profit"] - o["flash_fee"]
        x = o["amount_in"]
        grid = [x * k // 1000 for k in range(250, 4001, 25)] + [x + d for d in range(-50, 51)]
        assert max(profit(g) for g in grid if g > 0) <= best + max(x >> 24, 2), o["id"]


def _v3_swap(chain, pool: str, token_in: str, token_out: str, amount: int, sender: str) -> None:
    d = chain.deployer(0)
    router = chain.manifest["uniswap_v3"]["swap_router"]
    fee = next(p["fee"] for p in chain.manifest["pools"] if p["address"] == pool)
    d.send(d.at("TestToken", token_in).functions.approve(router, amount), sender=sender)
    call = d.at("SwapRouter", router).functions.exactInputSingle(
        (token_in, token_out, fee, sender, FAR, amount, 0, 0)
    )
    d.send(call, sender=sender)


def test_each_hop_equals_swapping_on_chain(chain, scanned):
    through_v4 = [o for o in _opportunities(scanned) if "uniswap_v4" in o["dexes"]]
    trader = chain.w3.eth.accounts[ACCOUNT]
    by_id = {p["pool_id"]: p for p in v4(chain)["pools"]}
    for o in through_v4:
        with chain.snapshot():
            make_rich(chain, trader)
            amount = o["amount_in"]
            for i, (pool, dex) in enumerate(zip(o["pools"], o["dexes"], strict=True)):
                token_in, token_out = o["tokens"][i], o["tokens"][i + 1]
                balance = chain.deployer(0).at("TestToken", token_out).functions.balanceOf(trader)
                before = balance.call()
                if dex == "uniswap_v4":
                    zero_for_one = by_id[pool]["tokens"][0] == token_in
                    limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
                    router_swap(chain, key_of(by_id[pool]), zero_for_one, -amount, limit, trader, send=True)
                else:
                    _v3_swap(chain, pool, token_in, token_out, amount, trader)
                amount = balance.call() - before
                assert amount == o["hop_amounts"][i], (o["id"], i)
            assert amount == o["amount_out"]


def test_a_v4_route_simulates_to_its_sized_profit(chain, scanned):
    through_v4 = next(o for o in _opportunities(scanned) if "uniswap_v4" in o["dexes"])
    env = chain.cli_env(scanned[1])
    with chain.snapshot():
        assert runner.invoke(app, ["deploy", "balancer", "--broadcast"], env=env).exit_code == 0
        result = runner.invoke(app, ["simulate", through_v4["id"], "--json"], env=env)
        assert result.exit_code == 0, result.stderr
        sim = json.loads(result.stdout)
    assert sim["ok"] and sim["error"] is None
    assert sim["hop_amounts"] == through_v4["hop_amounts"]
    assert sim["token_profit"] == through_v4["amount_out"] - through_v4["amount_in"] - sim["flash_fee"]
