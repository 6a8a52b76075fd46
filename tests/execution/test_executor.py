"""ArbExecutor on the real devnet: scanned opportunities execute under every flash-loan source and pay
exactly the profit our pool math predicts; unprofitable routes revert with InsufficientProfit; every
call from anyone but the executor (and every forged callback) reverts and leaves the contract as it was.
"""

from __future__ import annotations

import json
import re
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import replace
from typing import Any

import pytest
from devnet_support import covering, fund
from typer.testing import CliRunner
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD

from mevcli.arbitrage.flash import AAVE_V3, BALANCER, UNISWAP_V3, FlashSource, eligible, load_sources
from mevcli.arbitrage.opportunity import Opportunity
from mevcli.chain.multicall import Multicall
from mevcli.cli.app import app
from mevcli.execution.calldata import (
    ExecutorHop,
    Loan,
    build_execute_call,
    build_hops,
    build_loan,
    decode_revert,
    encode_execute,
)

runner = CliRunner()
OWNER, EXECUTOR, OUTSIDER = 0, 1, 5
GAS = 5_000_000
DEX_KIND = {
    "uniswap_v2": "uniswap_v2",
    "sushiswap": "uniswap_v2",
    "uniswap_v3": "uniswap_v3",
    "sushiswap_v3": "uniswap_v3",
    "pancakeswap_v3": "uniswap_v3",
    "balancer": "balancer",
    "curve": "curve",
}
ROGUE_FORGED_DATA, ROGUE_OTHER_CALLER, ROGUE_WRONG_INITIATOR, ROGUE_NO_CALLBACK = range(4)


# -- fixtures and helpers -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scanned(chain, tmp_path_factory) -> list[Opportunity]:
    env = chain.cli_env(tmp_path_factory.mktemp("scan") / "cache")
    result = runner.invoke(app, ["scan", "--json", "--max-hops", "4"], env=env)
    assert result.exit_code == 0, result.stderr
    opportunities = [Opportunity.from_json(o) for o in json.loads(result.stdout)]
    assert opportunities, "the devnet market must hold opportunities"
    return opportunities


def pool_info(chain) -> dict[str, dict[str, Any]]:
    """What the calldata builder needs per pool, straight from the devnet manifest (V4 pools by id)."""
    v4 = chain.manifest["uniswap_v4"]
    return {
        p["address"]: {
            "kind": DEX_KIND[p["dex"]],
            "fee": p["fee"],
            "pool_id": p.get("pool_id"),
            "coins": p["tokens"],
        }
        for p in chain.manifest["pools"]
    } | {p["pool_id"]: {**p, "kind": "uniswap_v4", "pool_manager": v4["pool_manager"]} for p in v4["pools"]}


def vault(chain) -> str:
    return chain.manifest["balancer"]["vault"]


def account(chain, index: int) -> str:
    return chain.w3.eth.accounts[index]


def deploy_executor(chain) -> Contract:
    return chain.deployer(OWNER).deploy("ArbExecutor", account(chain, OWNER), account(chain, EXECUTOR))


def erc20(chain, token: str) -> Contract:
    return chain.deployer().at("TestToken", token)


def balance(chain, token: str, holder: str) -> int:
    return erc20(chain, token).functions.balanceOf(holder).call()


def call(chain, sender: str, to: str, data: bytes | str, value: int = 0) -> tuple[bool, bytes]:
    """eth_call at latest: (success, return data or revert data)."""
    data = data if isinstance(data, str) else Web3.to_hex(data)
    tx = {"from": sender, "to": to, "data": data, "value": hex(value)}
    response = chain.w3.provider.make_request("eth_call", [tx, "latest"])
    if "error" in response:
        payload = response["error"].get("data")
        if isinstance(payload, dict):
            payload = payload.get("data")
        return False, bytes.fromhex(payload[2:]) if isinstance(payload, str) else b""
    return True, bytes.fromhex(response["result"][2:])


def send(chain, sender: str, to: str, data: bytes | str, value: int = 0) -> dict[str, Any]:
    """Mine the transaction whatever it does (fixed gas, no estimate); return the receipt."""
    tx_hash = chain.w3.eth.send_transaction(
        {"from": sender, "to": to, "data": data, "value": value, "gas": GAS}
    )
    return dict(chain.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.01))


def expect_revert(chain, sender: str, to: str, data: bytes | str, reason: str, value: int = 0) -> None:
    """The call reverts with `reason` (decoded; a prefix is enough), and so does the mined transaction."""
    ok, out = call(chain, sender, to, data, value)
    assert not ok, f"expected {reason}, the call succeeded"
    assert decode_revert(out).startswith(reason), (to, decode_revert(out))
    assert send(chain, sender, to, data, value)["status"] == 0


def state_of(chain, executor: Contract, tokens: Iterable[str]) -> dict[str, Any]:
    """Everything an attacker could want to change: balances, ETH, roles."""
    holder = executor.address
    return {
        "tokens": {t: balance(chain, t, holder) for t in tokens},
        "eth": chain.w3.eth.get_balance(holder),
        "owner": executor.functions.owner().call(),
        "executor": executor.functions.executor().call(),
    }


def spenders(chain, opp: Opportunity) -> set[str]:
    m = chain.manifest
    return {
        *(p for p in opp.pools if len(p) == 42),  # addresses; a V4 pool is an id in the PoolManager
        m["uniswap_v4"]["pool_manager"],
        opp.flash_lender,
        m["uniswap_v2"]["router"],
        m["sushiswap"]["router"],
        m["uniswap_v3"]["swap_router"],
        m["balancer"]["vault"],
        m["aave_v3"]["pool"],
    }


def assert_no_allowances(chain, executor: Contract, opp: Opportunity) -> None:
    for token in set(opp.tokens):
        contract = erc20(chain, token)
        for spender in spenders(chain, opp):
            assert contract.functions.allowance(executor.address, spender).call() == 0, (token, spender)


def sources(chain, token: str) -> list[FlashSource]:
    """Every flash source for `token`, read the way the scanner reads them."""
    m = chain.manifest
    mc = Multicall(chain.w3, m["multicall3"])
    v3 = [(p["address"], p["tokens"][0], p["tokens"][1], p["fee"]) for p in chain.pools("uniswap_v3")]
    block = chain.w3.eth.block_number
    found = load_sources(
        mc, block, [token], balancer_vault=m["balancer"]["vault"], aave_pool=m["aave_v3"]["pool"], v3_pools=v3
    )
    return found[token]


def with_source(chain, opp: Opportunity, kind: str) -> Opportunity | None:
    """`opp` borrowing from a source of `kind` that may lend to its route (None if there is none)."""
    usable = [
        s
        for s in eligible(sources(chain, opp.base_token), set(opp.pools), "balancer" in opp.dexes)
        if s.kind == kind and s.available >= opp.amount_in
    ]
    if not usable:
        return None
    source = max(usable, key=lambda s: s.available)
    fee = source.fee(opp.amount_in)
    return replace(opp, flash_source=source.kind, flash_lender=source.lender, flash_fee=fee)


def predicted_profit(opp: Opportunity) -> int:
    """Our exact math: the route's output at the scan block, less what went in and the loan fee."""
    return opp.amount_out - opp.amount_in - opp.flash_fee


def execute(chain, executor: Contract, opp: Opportunity, min_profit: int = 0) -> dict[str, Any]:
    data = build_execute_call(opp, pool_info(chain), min_profit, vault(chain))
    return send(chain, account(chain, EXECUTOR), executor.address, data)


def check_execution(chain, executor: Contract, opp: Opportunity) -> dict[str, Any]:
    """Execute `opp` and check the executor kept exactly the predicted profit and nothing else."""
    expected = predicted_profit(opp)
    assert expected > 0, opp.id
    others = sorted(set(opp.tokens) - {opp.base_token})
    before = balance(chain, opp.base_token, executor.address)
    receipt = execute(chain, executor, opp)
    assert receipt["status"] == 1, (opp.id, opp.dexes, opp.flash_source)
    assert balance(chain, opp.base_token, executor.address) - before == expected, (opp.id, opp.dexes)
    assert all(balance(chain, t, executor.address) == 0 for t in others)  # every hop spends all it got
    (event,) = executor.events.Executed().process_receipt(receipt, errors=DISCARD)
    assert event["args"]["profit"] == expected and event["args"]["amount"] == opp.amount_in
    assert_no_allowances(chain, executor, opp)
    return receipt


def pick(scanned: Sequence[Opportunity], chain, kind: str, hops: int) -> Opportunity | None:
    """The best scanned route of `hops` hops that a source of `kind` can fund at a profit, re-pointed at
    it (a route sized for a fee-free lender may not cover another's fee)."""
    for opp in scanned:
        if len(opp.pools) == hops:
            moved = with_source(chain, opp, kind)
            if moved is not None and predicted_profit(moved) > 0:
                return moved
    return None


def route_args(chain, opp: Opportunity, min_profit: int = 0) -> tuple[Loan, list[ExecutorHop], int]:
    return build_loan(opp), build_hops(opp, pool_info(chain), vault(chain)), min_profit


def route_data(chain, opp: Opportunity) -> bytes:
    """abi.encode(loan, hops, minProfit): the bytes our executor hands the lender (and a copycat would)."""
    return encode_execute(*route_args(chain, opp))[4:]


# -- profitable execution ------------------------------------------------------------------------------


def _what_it_proves(opp: Opportunity) -> list[Hashable]:
    """Each pool in each direction (so each hop kind), its lender and its length."""
    return [*zip(opp.pools, opp.tokens, strict=False), (opp.flash_source, opp.flash_lender), len(opp.pools)]


def test_every_scanned_opportunity_pays_its_predicted_profit(chain, scanned):
    """Each opportunity as the scanner planned it (its own flash source) pays exactly its profit: the best
    20, then one for every pool direction, lender and route length the rest use."""
    sample = covering(scanned, _what_it_proves)
    with chain.snapshot():
        executor = deploy_executor(chain)
        for opp in sample:
            with chain.snapshot():
                check_execution(chain, executor, opp)
    assert {len(o.pools) for o in sample} >= {2, 3, 4}
    assert {k for o in scanned for k in _what_it_proves(o)} == {k for o in sample for k in _what_it_proves(o)}


@pytest.mark.parametrize("hops", [2, 3, 4])
@pytest.mark.parametrize("kind", [BALANCER, AAVE_V3, UNISWAP_V3])
def test_each_flash_source(chain, scanned, kind: str, hops: int):
    opp = pick(scanned, chain, kind, hops)
    assert opp is not None, f"no {hops}-hop route a {kind} source can fund"
    if kind == AAVE_V3:
        assert opp.flash_fee == (opp.amount_in * 5 + 5_000) // 10_000  # the devnet's 5 bps premium
    if kind == UNISWAP_V3:
        assert opp.flash_lender not in opp.pools and opp.flash_fee > 0
    with chain.snapshot():
        executor = deploy_executor(chain)
        receipt = check_execution(chain, executor, opp)
    print(f"\nGAS {kind} {hops} hops {'/'.join(opp.dexes)}: {receipt['gasUsed']}")


def test_profit_accumulates_and_owner_withdraws(chain, scanned):
    opp = pick(scanned, chain, AAVE_V3, 2)
    assert opp is not None
    owner = account(chain, OWNER)
    with chain.snapshot():
        executor = deploy_executor(chain)
        check_execution(chain, executor, opp)
        profit = balance(chain, opp.base_token, executor.address)
        assert profit == predicted_profit(opp)
        before = balance(chain, opp.base_token, owner)
        d = chain.deployer(OWNER)
        d.send(executor.functions.withdraw(opp.base_token, owner, profit))
        assert balance(chain, opp.base_token, owner) - before == profit
        assert balance(chain, opp.base_token, executor.address) == 0
        # ETH too (e.g. from an unwrap): anyone may send it, only the owner takes it out.
        stranger = account(chain, OUTSIDER)
        chain.w3.eth.wait_for_transaction_receipt(
            chain.w3.eth.send_transaction({"from": stranger, "to": executor.address, "value": 10**18})
        )
        receipt = d.send(executor.functions.withdrawETH(account(chain, 7), 10**18))
        assert receipt["status"] == 1
        assert chain.w3.eth.get_balance(executor.address) == 0


def test_owner_rotates_executor_and_ownership(chain, scanned):
    opp = pick(scanned, chain, BALANCER, 2)
    assert opp is not None
    data = build_execute_call(opp, pool_info(chain), 0, vault(chain))
    with chain.snapshot():
        executor = deploy_executor(chain)
        d = chain.deployer(OWNER)
        receipt = d.send(executor.functions.setExecutor(account(chain, 2)))
        (changed,) = executor.events.ExecutorChanged().process_receipt(receipt, errors=DISCARD)
        assert changed["args"]["newExecutor"] == account(chain, 2)
        expect_revert(chain, account(chain, EXECUTOR), executor.address, data, "NotExecutor")
        assert send(chain, account(chain, 2), executor.address, data)["status"] == 1
        # Two steps: naming a successor changes nothing until it accepts; only it can accept.
        receipt = d.send(executor.functions.transferOwnership(account(chain, 3)))
        (started,) = executor.events.OwnershipTransferStarted().process_receipt(receipt, errors=DISCARD)
        assert started["args"]["newOwner"] == account(chain, 3)
        assert executor.functions.owner().call() == account(chain, OWNER)
        assert executor.functions.pendingOwner().call() == account(chain, 3)
        accept = executor.encode_abi("acceptOwnership", [])
        for who in (4, EXECUTOR, OWNER):
            expect_revert(chain, account(chain, who), executor.address, accept, "NotPendingOwner")
        receipt = send(chain, account(chain, 3), executor.address, accept)
        (moved,) = executor.events.OwnershipTransferred().process_receipt(receipt, errors=DISCARD)
        assert (moved["args"]["previousOwner"], moved["args"]["newOwner"]) == (
            account(chain, OWNER),
            account(chain, 3),
        )
        assert executor.functions.owner().call() == account(chain, 3)
        assert executor.functions.pendingOwner().call() == "0x" + "00" * 20
        expect_revert(chain, account(chain, 3), executor.address, accept, "NotPendingOwner")  # used up
        calldata = executor.encode_abi("setExecutor", [account(chain, 4)])
        expect_revert(chain, account(chain, OWNER), executor.address, calldata, "NotOwner")
        assert send(chain, account(chain, 3), executor.address, calldata)["status"] == 1
        assert executor.functions.executor().call() == account(chain, 4)
        zero = executor.encode_abi("setExecutor", ["0x" + "00" * 20])
        expect_revert(chain, account(chain, 3), executor.address, zero, "ZeroAddress")
        # A mistyped successor costs nothing: the owner names another, or cancels with the zero address.
        for typo in (account(chain, 6), "0x" + "00" * 20):
            rename = executor.encode_abi("transferOwnership", [typo])
            assert send(chain, account(chain, 3), executor.address, rename)["status"] == 1
            assert executor.functions.owner().call() == account(chain, 3)
        expect_revert(chain, account(chain, 6), executor.address, accept, "NotPendingOwner")


# -- unprofitable routes -------------------------------------------------------------------------------


def reversed_route(opp: Opportunity) -> Opportunity:
    return replace(
        opp,
        tokens=tuple(reversed(opp.tokens)),
        pools=tuple(reversed(opp.pools)),
        dexes=tuple(reversed(opp.dexes)),
    )


@pytest.mark.parametrize("kind", [BALANCER, AAVE_V3, UNISWAP_V3])
def test_reversed_cycle_reverts_with_insufficient_profit(chain, scanned, kind: str):
    """The same cycle backwards loses money: with a stash to cover the loss the repayment succeeds and
    the profit check is what reverts; without one, the repayment itself reverts."""
    opp = pick(scanned, chain, kind, 3)
    assert opp is not None
    data = build_execute_call(reversed_route(opp), pool_info(chain), 0, vault(chain))
    sender = account(chain, EXECUTOR)
    with chain.snapshot():
        executor = deploy_executor(chain)
        held = sorted(set(opp.tokens))
        ok, _ = call(chain, sender, executor.address, data)
        assert not ok
        stash = opp.amount_in
        fund(chain, opp.base_token, executor.address, stash)
        before = state_of(chain, executor, held)
        ok, out = call(chain, sender, executor.address, data)
        assert not ok
        reason = decode_revert(out)
        found = re.fullmatch(r"InsufficientProfit\(balanceAfter=(\d+), required=(\d+)\)", reason)
        assert found, reason
        assert int(found[2]) == stash and int(found[1]) < stash
        assert send(chain, sender, executor.address, data)["status"] == 0
        assert state_of(chain, executor, held) == before


def test_min_profit_is_the_exact_threshold(chain, scanned):
    opp = pick(scanned, chain, AAVE_V3, 4)
    assert opp is not None
    expected = predicted_profit(opp)
    with chain.snapshot():
        executor = deploy_executor(chain)
        stash = 12345  # profit already held: the check is on the growth, not the balance
        fund(chain, opp.base_token, executor.address, stash)
        too_much = build_execute_call(opp, pool_info(chain), expected + 1, vault(chain))
        ok, out = call(chain, account(chain, EXECUTOR), executor.address, too_much)
        assert not ok
        assert decode_revert(out) == (
            f"InsufficientProfit(balanceAfter={stash + expected}, required={stash + expected + 1})"
        )
        exact = build_execute_call(opp, pool_info(chain), expected, vault(chain))
        ok, out = call(chain, account(chain, EXECUTOR), executor.address, exact)
        assert ok and int.from_bytes(out, "big") == expected


# -- outsiders -----------------------------------------------------------------------------------------


@pytest.fixture
def armed(chain, scanned):
    """A deployed executor holding some of every route token, and a real route an attacker could copy."""
    opp = pick(scanned, chain, BALANCER, 3)
    assert opp is not None
    with chain.snapshot():
        executor = deploy_executor(chain)
        tokens = sorted(set(opp.tokens))
        for token in tokens:
            fund(chain, token, executor.address, 10**9)
        chain.w3.eth.wait_for_transaction_receipt(
            chain.w3.eth.send_transaction(
                {"from": account(chain, OWNER), "to": executor.address, "value": 10**18}
            )
        )
        before = state_of(chain, executor, tokens)
        yield executor, opp
        assert state_of(chain, executor, tokens) == before


def test_outsider_cannot_execute(chain, armed):
    executor, opp = armed
    data = build_execute_call(opp, pool_info(chain), 0, vault(chain))
    for who in (OUTSIDER, OWNER):  # the owner manages funds but does not trade
        expect_revert(chain, account(chain, who), executor.address, data, "NotExecutor")


def test_outsider_cannot_call_the_callbacks(chain, armed):
    executor, opp = armed
    outsider = account(chain, OUTSIDER)
    route = route_data(chain, opp)
    token, amount = opp.base_token, opp.amount_in
    calls = {
        "NotInFlight": [
            executor.encode_abi("receiveFlashLoan", [[token], [amount], [0], route]),
            executor.encode_abi("executeOperation", [token, amount, 0, executor.address, route]),
            executor.encode_abi("uniswapV3FlashCallback", [0, 0, route]),
        ],
        "UnexpectedCaller": [
            executor.encode_abi("uniswapV3SwapCallback", [10**9, 0, b""]),
            executor.encode_abi("uniswapV3SwapCallback", [0, 10**9, b""]),
        ],
    }
    for reason, datas in calls.items():
        for data in datas:
            expect_revert(chain, outsider, executor.address, data, reason)


def test_outsider_cannot_borrow_in_our_name(chain, armed):
    """Balancer and Aave call back the receiver a stranger names (Balancer names no initiator). Our route
    data copied byte for byte still fails: nothing of ours is in flight."""
    executor, opp = armed
    outsider = account(chain, OUTSIDER)
    d = chain.deployer()
    route = route_data(chain, opp)
    weth = chain.manifest["weth"]
    bal_vault = d.at("Vault", vault(chain))
    data = bal_vault.encode_abi("flashLoan", [executor.address, [opp.base_token], [opp.amount_in], route])
    expect_revert(chain, outsider, bal_vault.address, data, "NotInFlight")
    aave = d.at("aave:protocol/pool/Pool.sol/Pool", chain.manifest["aave_v3"]["pool"])
    data = aave.encode_abi("flashLoanSimple", [executor.address, weth, 10**18, route, 0])
    expect_revert(chain, outsider, aave.address, data, "NotInFlight")
    lender = next(
        p for p in chain.pools("uniswap_v3") if weth in p["tokens"] and p["address"] not in opp.pools
    )
    pool = d.at("UniswapV3Pool", lender["address"])
    amounts = [10**18, 0] if lender["tokens"][0] == weth else [0, 10**18]
    data = pool.encode_abi("flash", [executor.address, *amounts, route])
    # A V3 pool calls back its caller (msg.sender), never the recipient: here a bare account.
    expect_revert(chain, outsider, pool.address, data, "reverted without data")


def test_outsider_cannot_touch_funds_or_roles(chain, armed):
    executor, opp = armed
    outsider = account(chain, OUTSIDER)
    for who in (OUTSIDER, EXECUTOR):  # the hot key cannot take funds either
        sender = account(chain, who)
        for data in (
            executor.encode_abi("withdraw", [opp.base_token, sender, 1]),
            executor.encode_abi("withdrawETH", [sender, 1]),
            executor.encode_abi("setExecutor", [sender]),
            executor.encode_abi("transferOwnership", [sender]),
        ):
            expect_revert(chain, sender, executor.address, data, "NotOwner")
        accept = executor.encode_abi("acceptOwnership", [])
        expect_revert(chain, sender, executor.address, accept, "NotPendingOwner")
    assert executor.functions.owner().call() == account(chain, OWNER)
    assert executor.functions.executor().call() == account(chain, EXECUTOR) != outsider


# -- forged callbacks while our own loan is in flight ---------------------------------------------------


@pytest.fixture
def rogue(chain):
    with chain.snapshot():
        yield chain.deployer(OWNER).deploy("RogueLender")


@pytest.mark.parametrize(
    "loan_kind,mode,reason",
    [
        (0, ROGUE_FORGED_DATA, "RouteMismatch"),
        (1, ROGUE_FORGED_DATA, "RouteMismatch"),
        (2, ROGUE_FORGED_DATA, "RouteMismatch"),
        (0, ROGUE_OTHER_CALLER, "UnexpectedCaller"),
        (1, ROGUE_OTHER_CALLER, "UnexpectedCaller"),
        (2, ROGUE_OTHER_CALLER, "UnexpectedCaller"),
        (1, ROGUE_WRONG_INITIATOR, "BadInitiator"),
        (0, ROGUE_NO_CALLBACK, "LoanNotTaken"),
        (2, ROGUE_NO_CALLBACK, "LoanNotTaken"),
    ],
)
def test_forged_flash_callbacks_revert(chain, scanned, rogue, loan_kind: int, mode: int, reason: str):
    opp = pick(scanned, chain, BALANCER, 2)
    assert opp is not None
    executor = deploy_executor(chain)
    other = next(t for t in opp.tokens if t != opp.base_token)
    chain.deployer(OWNER).send(rogue.functions.configure(mode, opp.base_token, other))
    loan, hops, _ = route_args(chain, opp)
    data = encode_execute(replace(loan, kind=loan_kind, lender=rogue.address), hops, 0)
    expect_revert(chain, account(chain, EXECUTOR), executor.address, data, reason)


@pytest.mark.parametrize(
    "mode,reason", [(ROGUE_OTHER_CALLER, "UnexpectedCaller()"), (ROGUE_FORGED_DATA, "Overpayment(owed=")]
)
def test_v3_swap_callback_is_bounded(chain, scanned, rogue, mode: int, reason: str):
    """A V3 hop's 'pool' that gets another address to ask for payment, or asks for one wei more than the
    hop's input: neither is paid, even when the executor holds that token (a stash is not the route's)."""
    opp = pick(scanned, chain, BALANCER, 3)
    assert opp is not None
    executor = deploy_executor(chain)
    fund(chain, opp.tokens[1], executor.address, 10**24)
    chain.deployer(OWNER).send(rogue.functions.configure(mode, opp.tokens[1], opp.tokens[2]))
    loan, hops, _ = route_args(chain, opp)
    hops[1] = replace(hops[1], kind=1, pool=rogue.address)
    data = encode_execute(loan, hops, 0)
    expect_revert(chain, account(chain, EXECUTOR), executor.address, data, reason)


def test_malformed_routes_revert(chain, scanned):
    opp = pick(scanned, chain, AAVE_V3, 3)
    assert opp is not None
    with chain.snapshot():
        executor = deploy_executor(chain)
        loan, hops, _ = route_args(chain, opp)
        sender = account(chain, EXECUTOR)
        cases = [
            (encode_execute(loan, [], 0), "EmptyRoute"),
            (encode_execute(replace(loan, kind=9), hops, 0), "BadLoan"),
            (encode_execute(replace(loan, amount=0), hops, 0), "BadLoan"),
            (encode_execute(loan, [hops[1], hops[0], hops[2]], 0), "BadHop(index=0)"),
            (encode_execute(loan, [hops[0], hops[2], hops[1]], 0), "BadHop(index=1)"),
            (encode_execute(loan, hops[:2], 0), "BadHop(index=1)"),  # does not close the cycle
            (encode_execute(loan, [*hops[:2], replace(hops[2], kind=9)], 0), "BadHop(index=2)"),
        ]
        for data, reason in cases:
            expect_revert(chain, sender, executor.address, data, reason)


def test_vault_cannot_lend_to_a_route_that_swaps_in_it(chain, scanned):
    """The calldata builder refuses it; forced through anyway, the Vault's own lock reverts it."""
    opp = next((o for o in scanned if "balancer" in o.dexes), None)
    if opp is None:
        pytest.skip("no scanned route swaps in the Balancer Vault")
    with chain.snapshot():
        executor = deploy_executor(chain)
        loan, hops, _ = route_args(chain, opp)
        data = encode_execute(replace(loan, kind=0, lender=vault(chain)), hops, 0)
        ok, out = call(chain, account(chain, EXECUTOR), executor.address, data)
        assert not ok and decode_revert(out) == "BAL#400"  # REENTRANCY
