"""Curve StableSwap on the real devnet: our math equals the pool's own `get_dy` to the wei (or both revert),
over states moved by real exchanges and deposits/withdrawals, over extra pools with random A, fees and
decimals; every event applied to the state before it equals a fresh read; curvesim agrees as well."""

from __future__ import annotations

import pytest
from curvesim.pool.stableswap.pool import CurvePool
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from web3.exceptions import ContractLogicError

from mevcli.chain.multicall import Multicall
from mevcli.devnet.deployer import DeployError
from mevcli.devnet.vyper_build import check_artifacts
from mevcli.dex.curve.events import apply_log
from mevcli.dex.curve.math import MAX_UINT256, StableSwapRevert, get_dy
from mevcli.dex.curve.reader import read_pools
from mevcli.dex.curve.state import CurvePoolState
from mevcli.dex.forks import CURVE
from mevcli.dex.pools import quote, read_states
from mevcli.dex.registry import DexRegistry
from mevcli.errors import NoLiquidity

CHAIN = settings(
    deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
REVERTS = (ContractLogicError, DeployError, ValueError)  # what web3 / Deployer raise for a reverting call


def reference_exchange(state: CurvePoolState, i: int, j: int, dx: int) -> tuple[int, list[int]]:
    """curvesim's (dy, balances after) of the same exchange on the same state."""
    pool = CurvePool(A=state.A, D=1, n=len(state.coins), rates=list(state.rates), fee=state.fee)
    pool.balances, pool.admin_fee = list(state.balances), state.admin_fee
    dy, _ = pool.exchange(i, j, dx)
    return int(dy), [int(b) for b in pool.balances]


def _classic(chain) -> list[dict]:
    """The devnet's classic pools (`CurveStableSwap<N>`; the stableswap-ng one has its own tests)."""
    return [p for p in chain.pools("curve") if p.get("variant") != "stableswap-ng"]


def _pool(chain, address: str, n: int):
    return chain.deployer().at(f"CurveStableSwap{n}", address)


def _mc(chain) -> Multicall:
    return Multicall(chain.w3, chain.manifest["multicall3"])


def _read(chain, address: str) -> CurvePoolState:
    return read_pools(_mc(chain), [address], chain.w3.eth.block_number)[0]


def _fund_and_approve(chain, account: int, coins, amounts, spender: str) -> str:
    d = chain.deployer(account)
    minter = chain.deployer(0)
    for coin, amount in zip(coins, amounts, strict=True):
        if amount:
            minter.send(minter.at("TestToken", coin).functions.mint(d.sender, amount))
            d.send(d.at("TestToken", coin).functions.approve(spender, MAX_UINT256))
    return d.sender


def _transact(chain, account: int, call) -> dict | None:
    """The receipt, or None when the pool refuses (reverts)."""
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
        return get_dy(i, j, dx, state.balances, state.rates, state.A, state.fee)
    except StableSwapRevert:
        return None


def _amount(data, scale: int, label: str) -> int:
    """Any magnitude from dust to ~1000x `scale` (uniform in bits), now and then up to 2**256 - 1."""
    bits = data.draw(
        st.sampled_from(range(max(scale, 1).bit_length() + 11)) | st.sampled_from(range(257)),
        label=f"{label} bits",
    )
    return data.draw(st.integers(2**bits // 2, min(2**bits, MAX_UINT256)) | st.just(0), label=label)


def _pair(data, n: int) -> tuple[int, int]:
    i = data.draw(st.integers(0, n - 1), label="i")
    return i, (i + data.draw(st.integers(1, n - 1), label="j - i")) % n


def _random_action(chain, data, address: str, state: CurvePoolState) -> dict | None:
    """A real exchange, deposit or withdrawal from the pool's current state; its receipt (None if refused)."""
    n = len(state.coins)
    contract = _pool(chain, address, n)
    kind = data.draw(st.sampled_from(["exchange", "exchange", "add", "remove"]), label="action")
    if kind == "exchange":
        i, j = _pair(data, n)
        dx = data.draw(st.integers(1, max(1, state.balances[i] * data.draw(st.sampled_from([1, 3, 1000])))))
        _fund_and_approve(chain, 1, [state.coins[i]], [dx], address)
        return _transact(chain, 1, contract.functions.exchange(i, j, dx, 0))
    if kind == "add":
        amounts = [
            data.draw(st.sampled_from([0, 1]) | st.integers(0, 2 * b + 1), label=f"add {k}")
            for k, b in enumerate(state.balances)
        ]
        account = data.draw(st.sampled_from([0, 2]), label="provider")
        _fund_and_approve(chain, account, state.coins, amounts, address)
        return _transact(chain, account, contract.functions.add_liquidity(amounts, 0))
    lp = contract.functions.balanceOf(chain.deployer(0).sender).call()
    share = data.draw(st.integers(1, 1000), label="withdraw per mille")
    return _transact(chain, 0, contract.functions.remove_liquidity(lp * share // 1000, [0] * n))


def _move_and_check_events(chain, data, address: str, steps: int) -> CurvePoolState:
    """Apply `steps` random actions; after each, the state + its logs must equal a fresh read."""
    state = _read(chain, address)
    for _ in range(steps):
        receipt = _random_action(chain, data, address, state)
        event("action refused" if receipt is None else f"action applied (admin fee {state.admin_fee > 0})")
        fresh = _read(chain, address)
        if receipt is None:
            assert fresh.balances == state.balances
        else:
            applied = state
            for log in receipt["logs"]:
                if log["address"] == address:
                    applied = apply_log(applied, log)
            assert applied.balances == fresh.balances
            assert applied.block == fresh.block
        state = fresh
    return state


def _check_quote(chain, data, address: str, state: CurvePoolState) -> None:
    """Ours == the pool's get_dy (or both revert) == curvesim; and `exchange` pays exactly that."""
    n = len(state.coins)
    contract = _pool(chain, address, n)
    i, j = _pair(data, n)
    dx = _amount(data, state.balances[i], "dx")
    ours = _ours(state, i, j, dx)
    if ours is None:
        event("quote: both revert")
    else:
        event(f"quote: equal, dx/balance ~ 2^{(dx.bit_length() - state.balances[i].bit_length()) // 10 * 10}")
        event(
            f"quote: output {'above' if ours * 100 > state.balances[j] * 99 else 'below'} 99% of the balance"
        )
    assert ours == _chain_get_dy(contract, i, j, dx, state.block), (state, i, j, dx)
    if ours is None:
        return
    reference = reference_exchange(state, i, j, dx)
    assert reference[0] == ours
    if dx < 2**200:  # execute it: the pool pays exactly the quote, and the event applies exactly
        trader = _fund_and_approve(chain, 1, [state.coins[i]], [dx], address)
        out = chain.deployer(1).at("TestToken", state.coins[j])
        before = out.functions.balanceOf(trader).call()
        receipt = _transact(chain, 1, contract.functions.exchange(i, j, dx, ours))
        assert receipt is not None
        assert out.functions.balanceOf(trader).call() - before == ours
        applied = state
        for log in receipt["logs"]:
            if log["address"] == address:
                applied = apply_log(applied, log)
        assert applied.balances == _read(chain, address).balances == tuple(reference[1])


@settings(CHAIN, max_examples=70)
@given(data=st.data())
def test_devnet_pools_quote_like_get_dy_after_real_actions(chain, data):
    pool = data.draw(st.sampled_from(_classic(chain)), label="pool")
    with chain.snapshot():
        state = _move_and_check_events(
            chain, data, pool["address"], data.draw(st.integers(0, 3), label="steps")
        )
        _check_quote(chain, data, pool["address"], state)


def _deploy_random_pool(chain, data) -> str | None:
    n = data.draw(st.sampled_from([2, 3]), label="n")
    decimals = data.draw(st.lists(st.integers(0, 18), min_size=n, max_size=n), label="decimals")
    d = chain.deployer(0)
    coins = [d.deploy("TestToken", f"T{k}", f"T{k}", dec).address for k, dec in enumerate(decimals)]
    amp = data.draw(st.integers(1, 10**6) | st.sampled_from([1, 10, 100, 2000]), label="A")
    fee = data.draw(st.integers(0, 5 * 10**9) | st.sampled_from([0, 10**6, 4 * 10**6]), label="fee")
    admin_fee = data.draw(st.sampled_from([0, 5 * 10**9, 10**10]) | st.integers(0, 10**10), label="admin fee")
    pool = d.deploy(f"CurveStableSwap{n}", coins, amp, fee, admin_fee, "Test", "TST")
    # Whole-token amounts from 1e-3 to 1e9 each, so the seed itself may be lopsided.
    amounts = [
        max(1, data.draw(st.integers(10**15, 10**27), label=f"seed {k}") * 10**dec // 10**18)
        for k, dec in enumerate(decimals)
    ]
    _fund_and_approve(chain, 0, coins, amounts, pool.address)
    if _transact(chain, 0, pool.functions.add_liquidity(amounts, 0)) is None:
        return None  # the seed's D does not converge: nothing to quote
    return pool.address


@settings(CHAIN, max_examples=40)
@given(data=st.data())
def test_random_pools_quote_like_get_dy(chain, data):
    with chain.snapshot():
        address = _deploy_random_pool(chain, data)
        if address is None:
            return
        state = _move_and_check_events(chain, data, address, data.draw(st.integers(0, 2), label="steps"))
        for _ in range(3):
            _check_quote(chain, data, address, state)
            state = _read(chain, address)


def test_devnet_pools_in_the_manifest(chain):
    pools = chain.pools("curve")
    tokens = chain.manifest["tokens"]
    assert [p["tokens"] for p in pools] == [
        [tokens["USDC"], tokens["USDT"], tokens["DAI"]],
        [tokens["USDC"], tokens["USDT"]],
        [tokens["DAI"], tokens["USDC"]],
    ]
    assert [p["variant"] for p in pools] == ["classic-v1", "classic-v1", "stableswap-ng"]
    assert chain.manifest["curve"]["pools"] == [p["address"] for p in pools]
    three = _read(chain, pools[0]["address"])
    assert (three.A, three.fee, pools[0]["fee"], pools[0]["A"]) == (200, 4 * 10**6, 400, 200)


def test_registry_reads_and_quotes_curve_next_to_uniswap(chain):
    curve3, curve2 = (p["address"] for p in _classic(chain))
    v2 = chain.pools("uniswap_v2")[0]["address"]
    block = chain.w3.eth.block_number
    mc = _mc(chain)
    refs = DexRegistry.from_manifest(chain.manifest).identify(mc, [curve3, v2, curve2], block)
    assert [r.address for r in refs] == [curve3, v2, curve2]
    assert [r.dex.kind for r in refs] == [CURVE, "uniswap_v2", CURVE]
    states = read_states(mc, refs, block)
    usdc, usdt, dai = (chain.manifest["tokens"][s] for s in ("USDC", "USDT", "DAI"))
    contract = _pool(chain, curve3, 3)
    assert quote(states[curve3], usdc, 10**9, dai) == contract.functions.get_dy(0, 2, 10**9).call()
    assert quote(states[curve2], usdt, 10**9) == _pool(chain, curve2, 2).functions.get_dy(1, 0, 10**9).call()
    with pytest.raises(NoLiquidity, match="reverts"):
        quote(states[curve3], dai, 0, usdc)  # the pool reverts for a zero amount: no number


def test_planted_deviation_is_a_cross_dex_arbitrage(chain):
    """USDC is cheap in the 2-coin Curve pool and rich in Uniswap V3's 1 bp USDC/USDT pool."""
    curve2 = chain.pools("curve")[1]["address"]
    usdc, usdt = (chain.manifest["tokens"][s] for s in ("USDC", "USDT"))
    v3 = next(p for p in chain.pools("uniswap_v3") if set(p["tokens"]) == {usdc, usdt})
    block = chain.w3.eth.block_number
    mc = _mc(chain)
    refs = DexRegistry.from_manifest(chain.manifest).identify(mc, [curve2, v3["address"]], block)
    states = read_states(mc, refs, block)
    amount = 10_000 * 10**6
    usdc_back = quote(states[curve2], usdt, quote(states[v3["address"]], usdc, amount, usdt), usdc)
    assert usdc_back > amount * 10_040 // 10_000  # more than 40 bps after both fees


def test_guards_of_the_pool_contract(snapshot):
    chain = snapshot
    address = chain.pools("curve")[0]["address"]
    contract = _pool(chain, address, 3)
    state = _read(chain, address)
    assert _chain_get_dy(contract, 0, 0, 10**6, state.block) is None  # same coin
    assert _chain_get_dy(contract, 0, 3, 10**6, state.block) is None  # no such coin
    assert _chain_get_dy(contract, -1, 1, 10**6, state.block) is None
    assert _chain_get_dy(contract, 0, 1, 0, state.block) is None and _ours(state, 0, 1, 0) is None
    _fund_and_approve(chain, 1, [state.coins[0]], [10**9], address)
    expected = state.quote(state.coins[0], 10**9, state.coins[1])
    assert _transact(chain, 1, contract.functions.exchange(0, 1, 10**9, expected + 1)) is None  # min_dy
    assert _transact(chain, 1, contract.functions.exchange(0, 1, 10**9, expected)) is not None
    admin = contract.functions.admin_balances(1).call()
    assert admin > 0  # half of the fee is the admin's, kept outside `balances`
    assert _read(chain, address).balances[1] == state.balances[1] - expected - admin


def test_vyper_artifacts_are_a_fresh_compile():
    assert check_artifacts() == []
