"""Our stableswap-ng-style pool on the real devnet: the reader recognises it, our math (dynamic fee, A with
A_PRECISION, ng's D iteration) equals the pool's own `get_dy` to the wei (or both revert) over states
moved by real exchanges and deposits/withdrawals and over random pools; `exchange` and
`exchange_received` pay exactly the quote; every event applied to the state before it equals a fresh
read; ramps and fee changes invalidate, and a pool read mid-ramp is priced at that block's A."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from web3.exceptions import ContractLogicError

from mevcli.chain.multicall import Multicall
from mevcli.devnet.deployer import DeployError
from mevcli.dex.curve.events import apply_log
from mevcli.dex.curve.math import MAX_UINT256, StableSwapRevert, get_dy
from mevcli.dex.curve.reader import read_pools
from mevcli.dex.curve.state import CurvePoolState
from mevcli.errors import StaleState

CHAIN = settings(
    deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
REVERTS = (ContractLogicError, DeployError, ValueError)
DAY = 86_400


def _ng_pools(chain) -> list[dict]:
    return [p for p in chain.pools("curve") if p.get("variant") == "stableswap-ng"]


def _contract(chain, address: str):
    return chain.deployer().at("CurveStableSwapNG", address)


def _mc(chain) -> Multicall:
    return Multicall(chain.w3, chain.manifest["multicall3"])


def _read(chain, address: str) -> CurvePoolState:
    return read_pools(_mc(chain), [address], chain.w3.eth.block_number)[0]


def _fund(chain, account: int, coins, amounts, spender: str | None) -> str:
    d = chain.deployer(account)
    minter = chain.deployer(0)
    for coin, amount in zip(coins, amounts, strict=True):
        if amount:
            minter.send(minter.at("TestToken", coin).functions.mint(d.sender, amount))
            if spender:
                d.send(d.at("TestToken", coin).functions.approve(spender, MAX_UINT256))
    return d.sender


def _transact(chain, account: int, call) -> dict | None:
    try:
        return chain.deployer(account).send(call)
    except REVERTS:
        return None


def _chain_get_dy(contract, i: int, j: int, dx: int, block: int) -> int | None:
    try:
        return contract.functions.get_dy(i, j, dx).call(block_identifier=block)
    except REVERTS:
        return None


def _ours(state: CurvePoolState, i: int, j: int, dx: int) -> int | None:
    try:
        return get_dy(i, j, dx, state.balances, state.rates, state.A, state.fee, **state.math_kwargs())
    except StableSwapRevert:
        return None


def _pair(data, n: int) -> tuple[int, int]:
    i = data.draw(st.integers(0, n - 1), label="i")
    return i, (i + data.draw(st.integers(1, n - 1), label="j - i")) % n


def _amount(data, scale: int) -> int:
    bits = data.draw(
        st.sampled_from(range(max(scale, 1).bit_length() + 11)) | st.sampled_from(range(257)), label="bits"
    )
    return data.draw(st.integers(2**bits // 2, min(2**bits, MAX_UINT256)) | st.just(0), label="dx")


def _apply(state: CurvePoolState, receipt: dict, address: str) -> CurvePoolState:
    for log in receipt["logs"]:
        if log["address"] == address:
            state = apply_log(state, log)
    return state


def _random_action(chain, data, address: str, state: CurvePoolState) -> dict | None:
    n = len(state.coins)
    contract = _contract(chain, address)
    kind = data.draw(st.sampled_from(["exchange", "exchange", "received", "add", "remove"]), label="action")
    if kind in ("exchange", "received"):
        i, j = _pair(data, n)
        dx = data.draw(st.integers(1, max(1, state.balances[i] * data.draw(st.sampled_from([1, 3, 100])))))
        if kind == "exchange":
            _fund(chain, 1, [state.coins[i]], [dx], address)
            return _transact(chain, 1, contract.functions.exchange(i, j, dx, 0))
        _fund(chain, 1, [state.coins[i]], [dx], None)
        d = chain.deployer(1)
        d.send(d.at("TestToken", state.coins[i]).functions.transfer(address, dx))
        # Refused, the coins sent stay with the pool outside its balances (a later swap may take them).
        return _transact(chain, 1, contract.functions.exchange_received(i, j, dx, 0))
    if kind == "add":
        amounts = [
            data.draw(st.sampled_from([0, 1]) | st.integers(0, 2 * b + 1), label=f"add {k}")
            for k, b in enumerate(state.balances)
        ]
        _fund(chain, 0, state.coins, amounts, address)
        return _transact(chain, 0, contract.functions.add_liquidity(amounts, 0))
    lp = contract.functions.balanceOf(chain.deployer(0).sender).call()
    share = data.draw(st.integers(1, 1000), label="withdraw per mille")
    return _transact(chain, 0, contract.functions.remove_liquidity(lp * share // 1000, [0] * n))


def _move_and_check_events(chain, data, address: str, steps: int) -> CurvePoolState:
    state = _read(chain, address)
    for _ in range(steps):
        receipt = _random_action(chain, data, address, state)
        event("action refused" if receipt is None else "action applied")
        fresh = _read(chain, address)
        if receipt is None:
            assert fresh.balances == state.balances
        else:
            applied = _apply(state, receipt, address)
            assert (applied.balances, applied.block) == (fresh.balances, fresh.block)
        state = fresh
    return state


def _check_quote(chain, data, address: str, state: CurvePoolState) -> None:
    """Ours == the pool's get_dy (or both revert); `exchange` pays exactly that and its event applies."""
    contract = _contract(chain, address)
    i, j = _pair(data, len(state.coins))
    dx = _amount(data, state.balances[i])
    ours = _ours(state, i, j, dx)
    event("quote: both revert" if ours is None else "quote: equal")
    assert ours == _chain_get_dy(contract, i, j, dx, state.block), (state, i, j, dx)
    if ours is None or dx == 0 or dx >= 2**200:  # the pool refuses to exchange nothing (its get_dy answers)
        return
    trader = _fund(chain, 1, [state.coins[i]], [dx], address)
    out = chain.deployer(1).at("TestToken", state.coins[j])
    before = out.functions.balanceOf(trader).call()
    receipt = _transact(chain, 1, contract.functions.exchange(i, j, dx, ours))
    assert receipt is not None
    assert out.functions.balanceOf(trader).call() - before == ours
    assert _apply(state, receipt, address).balances == _read(chain, address).balances


def test_devnet_ng_pool_is_recognised(chain):
    (pool,) = _ng_pools(chain)
    state = _read(chain, pool["address"])
    assert (state.variant, state.ng, state.a_precision) == ("stableswap-ng", True, 100)
    assert state.A == 200 * 100 and state.fee == 3_000_000
    assert state.offpeg_fee_multiplier == 20_000_000_000 and state.admin_fee == 5_000_000_000
    classic = [_read(chain, p["address"]) for p in chain.pools("curve") if p["address"] != pool["address"]]
    assert {s.variant for s in classic} == {"classic-v1"}
    assert all(s.a_precision == 1 and s.offpeg_fee_multiplier == 0 for s in classic)


@settings(CHAIN, max_examples=50)
@given(data=st.data())
def test_ng_pool_quotes_like_get_dy_after_real_actions(chain, data):
    (pool,) = _ng_pools(chain)
    with chain.snapshot():
        state = _move_and_check_events(chain, data, pool["address"], data.draw(st.integers(0, 3)))
        _check_quote(chain, data, pool["address"], state)


def _deploy_random_ng_pool(chain, data) -> str | None:
    n = data.draw(st.integers(2, 4), label="n")
    decimals = data.draw(st.lists(st.integers(0, 18), min_size=n, max_size=n), label="decimals")
    d = chain.deployer(0)
    coins = [d.deploy("TestToken", f"T{k}", f"T{k}", dec).address for k, dec in enumerate(decimals)]
    amp = data.draw(st.integers(1, 10**6 - 1) | st.sampled_from([1, 100, 2000]), label="A")
    fee = data.draw(st.integers(0, 10**8) | st.sampled_from([0, 10**6, 4 * 10**6]), label="fee")
    mult = data.draw(st.sampled_from([0, 10**10, 2 * 10**10, 5 * 10**10]) | st.integers(0, 10**11), label="m")
    if fee and mult * fee > 5 * 10**19:
        mult = 5 * 10**19 // fee
    pool = d.deploy("CurveStableSwapNG", coins, amp, fee, mult, "Test", "TST")
    amounts = [
        max(1, data.draw(st.integers(10**15, 10**27), label=f"seed {k}") * 10**dec // 10**18)
        for k, dec in enumerate(decimals)
    ]
    _fund(chain, 0, coins, amounts, pool.address)
    if _transact(chain, 0, pool.functions.add_liquidity(amounts, 0)) is None:
        return None
    return pool.address


@settings(CHAIN, max_examples=35)
@given(data=st.data())
def test_random_ng_pools_quote_like_get_dy(chain, data):
    with chain.snapshot():
        address = _deploy_random_ng_pool(chain, data)
        if address is None:
            return
        state = _move_and_check_events(chain, data, address, data.draw(st.integers(0, 2), label="steps"))
        for _ in range(2):
            _check_quote(chain, data, address, state)
            state = _read(chain, address)


def _warp(chain, seconds: int) -> None:
    chain.w3.provider.make_request("evm_increaseTime", [seconds])
    chain.w3.provider.make_request("evm_mine", [])


def test_ramp_invalidates_prices_at_the_block_and_a_stopped_ramp_prices_with_a_precision(snapshot):
    chain = snapshot
    (pool,) = _ng_pools(chain)
    address = pool["address"]
    contract = _contract(chain, address)
    before = _read(chain, address)
    _warp(chain, 2 * DAY)
    now = chain.w3.eth.get_block("latest")["timestamp"]
    receipt = chain.deployer(0).send(contract.functions.ramp_A(333, now + 10 * DAY))
    with pytest.raises(StaleState, match="not modelled"):
        _apply(before, receipt, address)
    # Mid-ramp: priced at this block's A, and marked so the cache reads it again for any later block.
    _warp(chain, DAY + 33)
    ramping = _read(chain, address)
    assert ramping.ramp_end == now + 10 * DAY and not ramping.holds_at(0)
    assert contract.functions.A_precise().call() == ramping.A != before.A
    for i, j, dx in ((0, 1, 10**24), (1, 0, 3 * 10**12)):
        assert _ours(ramping, i, j, dx) == contract.functions.get_dy(i, j, dx).call()
    _warp(chain, 2 * DAY + 44)
    receipt = chain.deployer(0).send(contract.functions.stop_ramp_A())
    with pytest.raises(StaleState):
        _apply(before, receipt, address)
    state = _read(chain, address)
    assert contract.functions.A_precise().call() == state.A and state.A % 100 != 0
    assert state.ramp_end == 0 and state.holds_at(0) and before.holds_at(0)
    for i, j, dx in ((0, 1, 10**24), (1, 0, 3 * 10**12), (0, 1, 10**15)):
        assert _ours(state, i, j, dx) == contract.functions.get_dy(i, j, dx).call()


def test_fee_change_invalidates_and_the_new_fee_prices(snapshot):
    chain = snapshot
    (pool,) = _ng_pools(chain)
    address = pool["address"]
    contract = _contract(chain, address)
    before = _read(chain, address)
    receipt = chain.deployer(0).send(contract.functions.set_new_fee(10**7, 4 * 10**10))
    with pytest.raises(StaleState):
        _apply(before, receipt, address)
    state = _read(chain, address)
    assert (state.fee, state.offpeg_fee_multiplier) == (10**7, 4 * 10**10)
    assert _ours(state, 0, 1, 10**23) == contract.functions.get_dy(0, 1, 10**23).call()


def test_dynamic_fee_grows_off_peg_like_the_pool_says(snapshot):
    chain = snapshot
    (pool,) = _ng_pools(chain)
    contract = _contract(chain, pool["address"])
    at_seed = contract.functions.dynamic_fee(0, 1).call()
    state = _read(chain, pool["address"])
    dx = state.balances[0] * 2
    _fund(chain, 1, [state.coins[0]], [dx], pool["address"])
    chain.deployer(1).send(contract.functions.exchange(0, 1, dx, 0))
    far = contract.functions.dynamic_fee(0, 1).call()
    assert state.fee <= at_seed < far <= state.fee * state.offpeg_fee_multiplier // 10**10
