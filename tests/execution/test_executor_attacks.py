"""ArbExecutor against a stolen executor key: routes through our own attacker contracts on the devnet.

A stolen hot key can name any contract as a hop. `SwapCallbackThief` (contracts/test/) is a fake Uniswap
V3 pool that asks the swap callback for more than one payment (again and again, for the other token, from
inside the payment's transfer hook, through an accomplice); each ask after the first reverts
`UnexpectedCaller` and the executor keeps what it held. `LeakyExecutor` pays every ask, the flaw such a
drain needs: the balance invariant at the end of `execute` catches it on its own (`BalanceDecreased`).
"""

from __future__ import annotations

import re

import pytest
from eth_abi import encode
from test_executor import (
    EXECUTOR,
    OUTSIDER,
    OWNER,
    account,
    balance,
    call,
    deploy_executor,
    expect_revert,
    fund,
    pick,
    route_args,
    scanned,  # noqa: F401 (a module fixture: one scan for this module too)
    send,
    state_of,
    vault,
)
from web3.contract import Contract
from web3.logs import DISCARD

from mevcli.arbitrage.flash import BALANCER
from mevcli.execution.calldata import ExecutorHop, Loan, decode_revert, encode_execute

ONCE, LOOP, OTHER_TOKEN, NESTED, ACCOMPLICE = range(5)
# The swap callbacks the executor pays through `_payPool`: Uniswap V3's (SushiSwap V3's) and Pancake's.
CALLBACKS = ("uniswapV3SwapCallback", "pancakeV3SwapCallback")
LOAN_BALANCER, HOP_V3 = 0, 1
ZERO = "0x" + "00" * 20


def units(chain, symbol: str, amount: int) -> int:
    token = chain.manifest["tokens"][symbol]
    return amount * 10 ** chain.deployer().at("TestToken", token).functions.decimals().call()


def deploy_thieves(chain, count: int) -> list[Contract]:
    return [chain.deployer(OWNER).deploy("SwapCallbackThief") for _ in range(count)]


def thief_route(
    chain,
    executor: Contract,
    cycle: list[str],
    modes: list[int],
    payouts: list[int],
    callback: str = CALLBACKS[0],
) -> tuple[bytes, list[Contract]]:
    """Borrow 1 unit of cycle[0] from the real Balancer Vault and swap it through one fake V3 pool per
    hop; hop k's thief pays `payouts[k]` of its output token (funded here) after asking as `modes[k]` says,
    through `callback`."""
    thieves = deploy_thieves(chain, len(modes))
    d = chain.deployer(OWNER)
    hops = []
    selector = chain.w3.keccak(text=f"{callback}(int256,int256,bytes)")[:4]
    for k, (thief, mode, payout) in enumerate(zip(thieves, modes, payouts, strict=True)):
        token_in, token_out = cycle[k], cycle[(k + 1) % len(cycle)]
        d.send(thief.functions.configure(mode, token_in, token_out, payout))
        d.send(thief.functions.useCallback(selector))
        fund(chain, token_out, thief.address, payout)
        hops.append(ExecutorHop(kind=HOP_V3, pool=thief.address, token_in=token_in, token_out=token_out))
    loan = Loan(kind=LOAN_BALANCER, lender=vault(chain), token=cycle[0], amount=payouts[-1])
    return encode_execute(loan, hops, 0), thieves


@pytest.fixture
def stocked(chain):
    """A real executor holding 10 WETH, 10,000 USDC and 10,000 DAI (as in the reported drain)."""
    with chain.snapshot():
        executor = deploy_executor(chain)
        for symbol, amount in (("WETH", 10), ("USDC", 10_000), ("DAI", 10_000)):
            fund(chain, chain.manifest["tokens"][symbol], executor.address, units(chain, symbol, amount))
        yield executor


def drain_cycle(chain, loan_symbol: str) -> tuple[list[str], list[int]]:
    """The reported cycles: WETH→USDC→DAI→WETH, and USDC→WETH→DAI→USDC; each hop pays out 1 unit,
    except the hop into the stablecoins, 1,000 (so the loop has something to ask for many times)."""
    symbols = ["WETH", "USDC", "DAI"] if loan_symbol == "WETH" else ["USDC", "WETH", "DAI"]
    tokens = [chain.manifest["tokens"][s] for s in symbols]
    payouts = [units(chain, s, 1_000 if s in ("USDC", "DAI") else 1) for s in symbols[1:] + symbols[:1]]
    return tokens, payouts


@pytest.mark.parametrize("callback", CALLBACKS)
def test_honest_fake_pools_run(chain, stocked, callback: str):
    """The attack routes' shape works: with pools that ask once, the route executes (profit 0) and each
    pool is paid exactly once, so every revert below comes from a second ask."""
    executor = stocked
    tokens, payouts = drain_cycle(chain, "WETH")
    data, thieves = thief_route(chain, executor, tokens, [ONCE] * 3, payouts, callback)
    before = state_of(chain, executor, tokens)
    receipt = send(chain, account(chain, EXECUTOR), executor.address, data)
    assert receipt["status"] == 1
    (event,) = executor.events.Executed().process_receipt(receipt, errors=DISCARD)
    assert event["args"]["profit"] == 0
    assert [t.functions.asks().call() for t in thieves] == [1, 1, 1]
    assert state_of(chain, executor, tokens) == before


@pytest.mark.parametrize("callback", CALLBACKS)
@pytest.mark.parametrize("loan_symbol", ["WETH", "USDC"])
def test_repeated_swap_callback_cannot_drain(chain, stocked, loan_symbol: str, callback: str):
    """Fake pools looping on the swap callback (the reported drain): the second ask reverts."""
    executor = stocked
    tokens, payouts = drain_cycle(chain, loan_symbol)
    data, _ = thief_route(chain, executor, tokens, [ONCE, LOOP, LOOP], payouts, callback)
    before = state_of(chain, executor, tokens)
    expect_revert(chain, account(chain, EXECUTOR), executor.address, data, "UnexpectedCaller()")
    assert state_of(chain, executor, tokens) == before


@pytest.mark.parametrize("callback", CALLBACKS)
@pytest.mark.parametrize("mode", [OTHER_TOKEN, ACCOMPLICE], ids=["other-token", "accomplice"])
def test_second_ask_for_another_token_or_from_another_address_reverts(
    chain, stocked, mode: int, callback: str
):
    executor = stocked
    tokens, payouts = drain_cycle(chain, "WETH")
    data, _ = thief_route(chain, executor, tokens, [ONCE, mode, ONCE], payouts, callback)
    before = state_of(chain, executor, tokens)
    expect_revert(chain, account(chain, EXECUTOR), executor.address, data, "UnexpectedCaller()")
    assert state_of(chain, executor, tokens) == before


def hook_cycle(chain, executor: Contract) -> tuple[list[str], list[int]]:
    """WETH→HOOK→DAI→WETH where HOOK is a token with a transfer hook; the executor holds 10,000 HOOK."""
    hook = chain.deployer(OWNER).deploy("HookToken", "Hook", "HOOK", 18)
    chain.deployer(OWNER).send(hook.functions.mint(executor.address, 10**22))
    tokens = [chain.manifest["tokens"]["WETH"], hook.address, chain.manifest["tokens"]["DAI"]]
    return tokens, [10**21, units(chain, "DAI", 1_000), 10**18]


@pytest.mark.parametrize("callback", CALLBACKS)
def test_ask_from_inside_the_payment_is_refused(chain, stocked, callback: str):
    """The hop's input has a transfer hook: while the executor pays the pool, the token calls the pool,
    which asks again from inside that transfer. The marker is consumed before paying: the nested ask is
    refused (the token swallows the revert) and the executor ends where it began."""
    executor = stocked
    tokens, payouts = hook_cycle(chain, executor)
    before = state_of(chain, executor, tokens)
    data, thieves = thief_route(chain, executor, tokens, [ONCE, NESTED, ONCE], payouts, callback)
    assert send(chain, account(chain, EXECUTOR), executor.address, data)["status"] == 1
    assert (thieves[1].functions.asks().call(), thieves[1].functions.refused().call()) == (1, 1)
    assert state_of(chain, executor, tokens) == before


def test_foreign_pool_callbacks_are_not_accepted(chain, stocked):
    """Callbacks of pool kinds the executor does not swap in (V2 flash swaps, Algebra) do not exist on it:
    no function, no fallback, nothing paid."""
    executor = stocked
    outsider = account(chain, OUTSIDER)
    values = {"address": outsider, "uint256": 10**18, "int256": 10**18, "bytes": b""}
    asks = {
        "uniswapV2Call": ["address", "uint256", "uint256", "bytes"],
        "algebraSwapCallback": ["int256", "int256", "bytes"],
    }
    for name, types in asks.items():
        selector = chain.w3.keccak(text=f"{name}({','.join(types)})")[:4]
        data = selector + encode(types, [values[t] for t in types])
        expect_revert(chain, outsider, executor.address, data, "reverted without data")


@pytest.mark.parametrize(
    ("name", "types", "error"),
    [
        ("pancakeV3SwapCallback", ["int256", "int256", "bytes"], "UnexpectedCaller()"),
        ("pancakeV3FlashCallback", ["uint256", "uint256", "bytes"], "NotInFlight()"),
        ("unlockCallback", ["bytes"], "NotInFlight()"),
    ],
)
def test_pancake_callbacks_from_an_outsider_revert(chain, stocked, name: str, types: list[str], error: str):
    """PancakeSwap V3's callbacks and Uniswap V4's `unlockCallback` exist (the executor swaps in and
    borrows from their pools) and, like Uniswap V3's, pay nobody outside a swap or loan of our own in
    flight."""
    executor = stocked
    outsider = account(chain, OUTSIDER)
    values = {"uint256": 10**18, "int256": 10**18, "bytes": b""}
    tokens = [chain.manifest["tokens"][s] for s in ("WETH", "USDC", "DAI")]
    before = state_of(chain, executor, tokens)
    data = chain.w3.keccak(text=f"{name}({','.join(types)})")[:4] + encode(types, [values[t] for t in types])
    expect_revert(chain, outsider, executor.address, data, error)
    assert state_of(chain, executor, tokens) == before


# -- the balance invariant on its own ------------------------------------------------------------------


@pytest.fixture
def leaky(chain):
    """LeakyExecutor (pays a pool every time it asks) holding the same stock as `stocked`."""
    with chain.snapshot():
        executor = chain.deployer(OWNER).deploy(
            "LeakyExecutor", account(chain, OWNER), account(chain, EXECUTOR)
        )
        for symbol, amount in (("WETH", 10), ("USDC", 10_000), ("DAI", 10_000)):
            fund(chain, chain.manifest["tokens"][symbol], executor.address, units(chain, symbol, amount))
        yield executor


@pytest.mark.parametrize("loan_symbol,drained", [("WETH", "USDC"), ("USDC", "WETH")])
def test_balance_invariant_catches_a_drain_the_callback_let_through(chain, leaky, loan_symbol, drained):
    """With the callback guard gone, the looping pools are paid over and over; the route still repays the
    loan with profit 0, and the balance check over every token the hops name reverts it."""
    executor = leaky
    tokens, payouts = drain_cycle(chain, loan_symbol)
    data, _ = thief_route(chain, executor, tokens, [ONCE, LOOP, LOOP], payouts)
    before = state_of(chain, executor, tokens)
    ok, out = call(chain, account(chain, EXECUTOR), executor.address, data)
    assert not ok
    reason = decode_revert(out)
    found = re.fullmatch(
        r"BalanceDecreased\(token=(0x[0-9a-fA-F]{40}), balanceBefore=(\d+), balanceAfter=(\d+)\)", reason
    )
    assert found, reason
    token = chain.manifest["tokens"][drained]
    assert found[1].lower() == token.lower()
    assert int(found[2]) == before["tokens"][token] and int(found[3]) < int(found[2])
    assert send(chain, account(chain, EXECUTOR), executor.address, data)["status"] == 0
    assert state_of(chain, executor, tokens) == before


def test_balance_invariant_catches_a_nested_ask_the_callback_let_through(chain, leaky):
    executor = leaky
    tokens, payouts = hook_cycle(chain, executor)
    data, _ = thief_route(chain, executor, tokens, [ONCE, NESTED, ONCE], payouts)
    expect_revert(
        chain, account(chain, EXECUTOR), executor.address, data, f"BalanceDecreased(token={tokens[1]}"
    )


def test_real_route_with_every_token_stocked_pays_its_profit(chain, scanned):  # noqa: F811
    """The invariant does not get in the way of a real route when the executor holds every route token."""
    opp = pick(scanned, chain, BALANCER, 3)
    assert opp is not None
    with chain.snapshot():
        executor = deploy_executor(chain)
        for token in sorted(set(opp.tokens) - {opp.base_token}):
            fund(chain, token, executor.address, 10**9)
        others = {t: balance(chain, t, executor.address) for t in set(opp.tokens) - {opp.base_token}}
        before = balance(chain, opp.base_token, executor.address)
        loan, hops, _ = route_args(chain, opp)
        receipt = send(chain, account(chain, EXECUTOR), executor.address, encode_execute(loan, hops, 0))
        assert receipt["status"] == 1
        profit = balance(chain, opp.base_token, executor.address) - before
        assert profit == opp.amount_out - opp.amount_in - opp.flash_fee
        assert {t: balance(chain, t, executor.address) for t in others} == others
