"""Uniswap V4 through the executor, on the devnet's real PoolManager: the default scan finds cycles that
mix V4 pools with V2/V3/Balancer/Curve; they simulate and execute with `--broadcast`, and the executor's
balance grows by exactly the simulated profit, whether the loan comes from the PoolManager itself (fee
0, the route's V4 hops swap inside its unlock) or from another lender (each V4 hop unlocks on its own).
A fake PoolManager, as a lender or as a hop's PoolManager, and an outsider get nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace

import pytest
from devnet_support import fund
from test_executor import EXECUTOR, OWNER, account, deploy_executor, expect_revert, route_args
from typer.testing import CliRunner

from mevcli.arbitrage.flash import UNISWAP_V4, load_sources
from mevcli.arbitrage.opportunity import Opportunity
from mevcli.chain.multicall import Multicall
from mevcli.cli.app import app
from mevcli.devnet.uniswap_v4 import liquidity_for_amounts
from mevcli.dex.uniswap_v3.tick_math import get_sqrt_ratio_at_tick, get_tick_at_sqrt_ratio
from mevcli.dex.uniswap_v4.pool_key import NATIVE, PoolKey
from mevcli.dex.uniswap_v4.reader import read_pools
from mevcli.execution.calldata import ExecutorHop, Loan, encode_execute

runner = CliRunner()
V4 = "uniswap_v4"
FORGED_DATA, OTHER_CALLER, NO_CALLBACK, REENTER, OVERCHARGE = 0, 1, 3, 4, 5  # RogueLender.Mode
LOAN_V4, HOP_V4 = 3, 4
ACCOUNT = 7


def cli(env: dict[str, str], *args: str, expect: int | None = 0) -> dict | list:
    result = runner.invoke(app, [*args, "--json"], env=env)
    assert expect is None or result.exit_code == expect, (args, result.stdout, result.stderr)
    return json.loads(result.stdout)


def key_of(entry: dict) -> PoolKey:
    """The key of a V4 pool listed in the manifest."""
    c0, c1 = entry["tokens"]
    return PoolKey(
        currency0=c0, currency1=c1, fee=entry["fee"], tick_spacing=entry["tick_spacing"], hooks=entry["hooks"]
    )


def token_balance(chain, token: str, holder: str) -> int:
    return chain.deployer().at("TestToken", token).functions.balanceOf(holder).call()


@pytest.fixture(scope="module")
def market(chain, tmp_path_factory) -> Iterator[tuple[dict[str, str], str, list[dict]]]:
    """(CLI env, a deployed executor, the default scan's opportunities), reverted after the module."""
    with chain.snapshot():
        env = chain.cli_env(tmp_path_factory.mktemp("v4exec") / "cache")
        executor = cli(env, "deploy", "balancer", "--broadcast")["address"]
        opportunities = cli(env, "scan", "--max-hops", "3")
        yield env, executor, opportunities


def mixed(o: dict) -> bool:
    return V4 in o["dexes"] and any(d != V4 for d in o["dexes"])


def test_default_scan_routes_through_priced_v4_pools(chain, market):
    _, _, found = market
    assert any(mixed(o) for o in found), "the default scan must find cycles mixing V4 with other DEXes"
    assert {d for o in found if mixed(o) for d in o["dexes"]} >= {V4, "balancer", "uniswap_v2"}
    entry = chain.manifest["uniswap_v4"]
    unpriced = {p["pool_id"] for p in entry["pools"] if p["hooks"] == entry["delta_hook"]}
    assert not unpriced & {p for o in found for p in o["pools"]}
    # The PoolManager lends for free: routes through the Balancer Vault (which cannot lend to them)
    # borrow from it, and it lends no more than it holds.
    from_v4 = [o for o in found if o["flash_source"] == V4]
    assert from_v4
    assert all(o["flash_fee"] == 0 and o["flash_lender"] == entry["pool_manager"] for o in from_v4)
    assert any("balancer" in o["dexes"] for o in from_v4)
    for o in from_v4:
        assert token_balance(chain, o["base_token"], entry["pool_manager"]) >= o["amount_in"]


def test_the_pool_manager_is_a_fee_free_source_of_what_it_holds(chain):
    manager = chain.manifest["uniswap_v4"]["pool_manager"]
    tokens = [chain.manifest["tokens"][s] for s in ("WETH", "USDC", "DAI")]
    mc = Multicall(chain.w3, chain.manifest["multicall3"])
    found = load_sources(
        mc, chain.w3.eth.block_number, tokens, balancer_vault=None, aave_pool=None, v4_managers=[manager]
    )
    for token in tokens:
        (source,) = found[token]
        assert (source.kind, source.lender) == (UNISWAP_V4, manager)
        assert source.available == token_balance(chain, token, manager) > 0
        assert source.fee(source.available) == 0


def _run(chain, env: dict[str, str], executor: str, o: dict, *flash: str) -> dict:
    """Simulate, then execute with --broadcast: the balance grows by exactly the simulated profit."""
    args = [o["id"], *flash]
    sim = cli(env, "simulate", *args)
    assert sim["ok"] and sim["error"] is None and sim["token_profit"] > 0
    assert sim["token_profit"] == sim["hop_amounts"][-1] - sim["amount_in"] - sim["flash_fee"]
    before = token_balance(chain, o["base_token"], executor)
    done = cli(env, "execute", *args, "--broadcast")
    assert done["status"] == "success" and done["tx_hash"]
    assert done["token_profit"] == sim["token_profit"]
    assert token_balance(chain, o["base_token"], executor) - before == sim["token_profit"]
    return sim


def test_mixed_v4_routes_execute_to_the_simulated_profit(chain, market):
    """Two V4 hops in one route; a V4 loan to a route with a V4 hop and others (the hops swap inside the
    loan's unlock); a Balancer loan to a route with a V4 hop (it opens its own unlock). Routes disjoint
    from those already run (whose pools moved)."""
    env, executor, found = market
    used: set[str] = set()
    wanted = {
        "two v4 hops": (lambda o: o["dexes"].count(V4) >= 2, ()),
        "v4 loan": (lambda o: o["flash_source"] == V4, ()),
        "balancer loan": (lambda o: "balancer" not in o["dexes"], ("--flash", "balancer")),
    }
    ran = {}
    for label, (fits, flash) in wanted.items():
        for o in found:
            if mixed(o) and fits(o) and not set(o["pools"]) & used:
                sim = cli(env, "simulate", o["id"], *flash, expect=None)
                if sim["ok"]:
                    break
        else:
            pytest.fail(f"no profitable mixed V4 route for {label}")
        ran[label] = _run(chain, env, executor, o, *flash)
        used.update(o["pools"])
    assert ran["v4 loan"]["flash_source"] == V4 and ran["v4 loan"]["flash_fee"] == 0
    assert ran["balancer loan"]["flash_source"] == "balancer"
    print({label: (sim["dexes"], sim["flash_source"], sim["gas_used"]) for label, sim in ran.items()})


def test_forced_v4_loan_to_a_route_without_v4_hops(chain, market):
    """`--flash uniswap_v4` lends to any route: here one with no V4 pool at all."""
    env, executor, found = market
    for o in found:
        if V4 not in o["dexes"] and "balancer" not in o["dexes"]:
            sim = cli(env, "simulate", o["id"], "--flash", V4, expect=None)
            if sim["ok"]:
                break
    else:
        pytest.fail("no profitable route without V4 hops for a V4 loan")
    assert _run(chain, env, executor, o, "--flash", V4)["flash_source"] == V4


# -- a fake PoolManager --------------------------------------------------------------------------------


@pytest.fixture
def rogue_route(chain, market) -> Iterator[tuple[object, object, Opportunity]]:
    """A fresh executor, the RogueLender, and a 3-hop non-V4 route borrowing from the Balancer Vault."""
    _, _, found = market
    plain = next(o for o in found if len(o["pools"]) == 3 and not {V4, "balancer"} & set(o["dexes"]))
    opp = Opportunity.from_json({**plain, "flash_source": "balancer"})
    opp = replace(opp, flash_lender=chain.manifest["balancer"]["vault"])
    with chain.snapshot():
        yield deploy_executor(chain), chain.deployer(OWNER).deploy("RogueLender"), opp


@pytest.mark.parametrize(
    "mode,reason",
    [(FORGED_DATA, "RouteMismatch"), (OTHER_CALLER, "UnexpectedCaller"), (NO_CALLBACK, "LoanNotTaken")],
)
def test_fake_pool_manager_as_lender(chain, rogue_route, mode: int, reason: str):
    executor, rogue, opp = rogue_route
    chain.deployer(OWNER).send(rogue.functions.configure(mode, opp.base_token, opp.tokens[1]))
    loan, hops, _ = route_args(chain, opp)
    data = encode_execute(replace(loan, kind=LOAN_V4, lender=rogue.address), hops, 0)
    expect_revert(chain, account(chain, EXECUTOR), executor.address, data, reason)


@pytest.mark.parametrize(
    "mode,reason",
    [
        (FORGED_DATA, "RouteMismatch"),
        (OTHER_CALLER, "UnexpectedCaller"),
        (NO_CALLBACK, "BadHop(index=1)"),
        (REENTER, "UnexpectedCaller"),  # unlockCallback again from inside the swap
        (OVERCHARGE, "Overpayment(owed="),
    ],
)
def test_fake_pool_manager_as_a_hops_pool_manager(chain, rogue_route, mode: int, reason: str):
    """A V4 hop naming a fake PoolManager: a forged or second callback, a callback from elsewhere, none
    at all, or a swap asking one wei more than the hop's input: all revert, even with the input token
    stocked (a stash is not the route's to pay)."""
    executor, rogue, opp = rogue_route
    token_in, token_out = opp.tokens[1], opp.tokens[2]
    fund(chain, token_in, executor.address, 10**24)
    chain.deployer(OWNER).send(rogue.functions.configure(mode, token_in, token_out))
    loan, hops, _ = route_args(chain, opp)
    currency0, currency1 = sorted((token_in, token_out), key=lambda a: int(a, 16))
    key = PoolKey(currency0=currency0, currency1=currency1, fee=3000, tick_spacing=60)
    hops[1] = ExecutorHop(
        kind=HOP_V4,
        pool=key.hooks,
        token_in=token_in,
        token_out=token_out,
        fee=key.fee,
        pool_id=bytes.fromhex(key.pool_id[2:]),
        i=key.tick_spacing,
        vault=rogue.address,
    )
    data = encode_execute(loan, hops, 0)
    expect_revert(chain, account(chain, EXECUTOR), executor.address, data, reason)


def test_a_hop_whose_key_is_not_its_pool_id_reverts(chain):
    """The executor rebuilds the key from the hop and checks it against the pool id the plan quoted: a
    hop naming a real pool's id with another fee swaps nowhere."""
    entry = next(p for p in chain.manifest["uniswap_v4"]["pools"] if p["tokens"][0] != "0x" + "00" * 20)
    key = key_of(entry)
    assert key.pool_id == entry["pool_id"]
    hop = ExecutorHop(
        kind=HOP_V4,
        pool=key.hooks,
        token_in=key.currency0,
        token_out=key.currency1,
        fee=key.fee + 1,  # not the pool's fee: another key
        pool_id=bytes.fromhex(key.pool_id[2:]),
        i=key.tick_spacing,
        vault=chain.manifest["uniswap_v4"]["pool_manager"],
    )
    loan = Loan(kind=0, lender=chain.manifest["balancer"]["vault"], token=key.currency0, amount=10**6)
    with chain.snapshot():
        executor = deploy_executor(chain)
        data = encode_execute(loan, [hop], 0)
        expect_revert(chain, account(chain, EXECUTOR), executor.address, data, "BadHop(index=0)")


# -- native ETH ------------------------------------------------------------------------------------------


def test_a_route_through_native_eth_executes(chain, tmp_path):
    """A second native-ETH pool (ETH/DAI, priced 2 % off the WETH/DAI pool) makes a cycle through ETH
    between two V4 pools: the executor takes ETH from one and settles it into the next with
    `settle{value}`; the scan finds it, and execute realizes exactly the simulated profit."""
    entry = chain.manifest["uniswap_v4"]
    weth, dai = chain.manifest["weth"], chain.manifest["tokens"]["DAI"]
    rich = chain.w3.eth.accounts[ACCOUNT]
    d = chain.deployer(0)
    with chain.snapshot():
        chain.w3.provider.make_request("anvil_setBalance", [rich, hex(10**24)])
        ref = next(p for p in entry["pools"] if set(p["tokens"]) == {weth, dai})
        mc = Multicall(chain.w3, chain.manifest["multicall3"])
        ref_key = key_of(ref)
        block = chain.w3.eth.block_number
        sqrt_price = read_pools(mc, entry["pool_manager"], [ref_key], block, 1)[0].sqrt_price_x96
        if ref["tokens"][0] != weth:  # as DAI per ETH: ETH (the zero address) is currency0
            sqrt_price = 2**192 // sqrt_price
        sqrt_price = sqrt_price * 1010 // 1000  # ETH about 2 % dearer than WETH on the WETH/DAI pool
        key = PoolKey(currency0=NATIVE, currency1=dai, fee=3000, tick_spacing=60)
        manager = d.at("PoolManager", entry["pool_manager"])
        d.send(manager.functions.initialize(key.as_tuple, sqrt_price), "initialize")
        tick = get_tick_at_sqrt_ratio(sqrt_price) // 60 * 60
        lower, upper = tick - 1200, tick + 1200
        liquidity = liquidity_for_amounts(
            sqrt_price, get_sqrt_ratio_at_tick(lower), get_sqrt_ratio_at_tick(upper), 200 * 10**18, 10**30
        )
        router = d.at("PoolModifyLiquidityTest", entry["pool_modify_liquidity_test"])
        d.send(d.at("TestToken", dai).functions.mint(rich, 10**30))
        d.send(d.at("TestToken", dai).functions.approve(router.address, 2**256 - 1), sender=rich)
        params = (lower, upper, liquidity, (1).to_bytes(32, "big"))
        add = router.functions.modifyLiquidity(key.as_tuple, params, b"")
        d.send(add, "V4 liquidity", value=10**23, sender=rich)
        pool = {"dex": V4, "pool_id": key.pool_id, "tokens": [NATIVE, dai], "fee": 3000, "tick_spacing": 60}
        manifest = {
            **chain.manifest,
            "uniswap_v4": {**entry, "pools": [*entry["pools"], {**pool, "hooks": NATIVE}]},
        }
        path = tmp_path / "manifest.json"
        path.write_text(json.dumps(manifest))
        env = {**chain.cli_env(tmp_path / "cache"), "MEVCLI_MANIFEST": str(path)}
        executor = cli(env, "deploy", "balancer", "--broadcast")["address"]
        found = cli(env, "scan", "--max-hops", "3")
        through_eth = [o for o in found if NATIVE in o["tokens"] and key.pool_id in o["pools"]]
        assert through_eth, "the scan must find the cycle through native ETH"
        sim = _run(chain, env, executor, through_eth[0])
        assert chain.w3.eth.get_balance(executor) == 0  # every wei of ETH taken was settled
        print(sim["dexes"], sim["flash_source"], sim["gas_used"])
