"""The per-state fast quoters against the real pools on the devnet at edge amounts: Curve (classic and
stableswap-ng, 2 and 3 coins, 6/8/18 decimals, A at 1 and at its maximum) against the pool's `get_dy`,
Balancer composable stable pools (amp 1 and 5000) against `Vault.queryBatchSwap`, one either side of
the room left to the Vault's 112-bit balance limit included. Each quote equals the contract's, or the
quoter refuses (NoLiquidity) exactly where the contract reverts."""

from __future__ import annotations

import itertools

import pytest
from test_balancer_chain import GIVEN_IN, multicall, new_token, query
from web3.exceptions import ContractLogicError

from mevcli.devnet.balancer import create_composable_stable_pool
from mevcli.devnet.deployer import DeployError
from mevcli.dex.balancer.hop import exact_hop
from mevcli.dex.balancer.reader import read_balancer_pools
from mevcli.dex.balancer.state import MAX_VAULT_BALANCE
from mevcli.dex.curve.math import MAX_UINT256
from mevcli.dex.curve.reader import read_pools
from mevcli.errors import NoLiquidity

REVERTS = (ContractLogicError, DeployError, ValueError)


def _contract_or_none(call, **kwargs) -> int | None:
    try:
        return call(**kwargs)
    except REVERTS:
        return None


def _ours_or_none(quoter, amount: int) -> int | None:
    try:
        return quoter(amount)
    except NoLiquidity:
        return None


def _curve_edges(balance: int, rate: int) -> list[int]:
    dx_max = MAX_UINT256 // rate  # past it dx·rate leaves uint256
    return [0, 1, 2, 3, balance // 2, balance, balance * 1000, dx_max - 1, dx_max, dx_max + 1, 2**128, 2**255]


CURVE_POOLS = (  # (contract, decimals, A, fee, offpeg multiplier, whole tokens per coin)
    ("CurveStableSwap2", (6, 18), 1, 4 * 10**6, None, (1000, 3)),
    ("CurveStableSwap3", (8, 6, 18), 10**6, 10**8, None, (10**6, 10**6, 10**6)),
    ("CurveStableSwapNG", (18, 6), 1, 4 * 10**6, 2 * 10**10, (5, 10**4)),
    ("CurveStableSwapNG", (8, 6, 18), 10**6 - 1, 10**6, 5 * 10**10, (10**5, 10**5, 3 * 10**5)),
)


@pytest.mark.parametrize("spec", CURVE_POOLS, ids=lambda s: f"{s[0]}-A{s[2]}")
def test_curve_quoter_equals_get_dy_at_edge_amounts(snapshot, spec) -> None:
    chain = snapshot
    name, decimals, amp, fee, offpeg, whole = spec
    d = chain.deployer(0)
    coins = [d.deploy("TestToken", f"T{k}", f"T{k}", dec).address for k, dec in enumerate(decimals)]
    if offpeg is None:
        pool = d.deploy(name, coins, amp, fee, 0, "Test", "TST")
    else:
        pool = d.deploy(name, coins, amp, fee, offpeg, "Test", "TST")
    amounts = [w * 10**dec for w, dec in zip(whole, decimals, strict=True)]
    for coin, amount in zip(coins, amounts, strict=True):
        token = d.at("TestToken", coin)
        d.send(token.functions.mint(d.sender, amount))
        d.send(token.functions.approve(pool.address, MAX_UINT256))
    d.send(pool.functions.add_liquidity(amounts, 0))
    block = chain.w3.eth.block_number
    state = read_pools(multicall(chain), [pool.address], block)[0]
    assert state.ng == (offpeg is not None)
    checked = 0
    for i, j in itertools.permutations(range(len(coins)), 2):
        quoter = state.quoter(coins[i], coins[j])
        assert quoter is not None
        for dx in _curve_edges(state.balances[i], state.rates[i]):
            expected = _contract_or_none(pool.functions.get_dy(i, j, dx).call, block_identifier=block)
            assert _ours_or_none(quoter, dx) == expected, (name, i, j, dx)
            checked += expected is not None
    assert checked >= 6  # not all refusals


# (amp, decimals, balances): the INIT join mints the invariant out of the 2^111 preminted BPT, so the
# largest pools hold 2^109 a side; the room left to the Vault's 112-bit limit is then 7·2^109
BALANCER_POOLS = (
    (1, (6, 18), (10**9 * 10**6, 2 * 10**9 * 10**18)),
    (5000, (6, 18), (10**3 * 10**6, 10**3 * 10**18)),
    (1, (18, 18), (2**109, 2**109 // 3)),
    (5000, (18, 6), (2**109, 2**109 // 10**12)),
)


@pytest.mark.parametrize("spec", BALANCER_POOLS)
def test_balancer_stable_hop_equals_query_batch_swap_at_edge_amounts(snapshot, spec) -> None:
    chain = snapshot
    amp, decimals, balances = spec
    tokens = [new_token(chain, dec) for dec in decimals]
    created = create_composable_stable_pool(
        chain.deployer(0), chain.manifest["balancer"], tokens, amp, 10**15, list(balances)
    )
    block = chain.w3.eth.block_number
    state = read_balancer_pools(multicall(chain), [created["address"]], block)[0]
    checked = 0
    for i, o in ((0, 1), (1, 0)):
        hop = exact_hop(state, state.tokens[i], state.tokens[o])
        assert hop is not None
        room = MAX_VAULT_BALANCE - state.balances[i]
        for amount in (
            1,
            2,
            1000,
            state.balances[i] // 1000,
            state.balances[i],
            room - 1,
            room,
            room + 1,
            2**128,
        ):
            try:
                expected = query(
                    chain, GIVEN_IN, state.pool_id, state.tokens[i], state.tokens[o], amount, block
                )
            except ContractLogicError:
                expected = None
            assert _ours_or_none(hop, amount) == expected, (amp, i, o, amount)
            checked += expected is not None
    assert checked >= 4
