"""Balancer V2 weighted pools against the real 2021 Vault on the devnet: quotes equal `queryBatchSwap`
to the wei (given in and given out), events applied equal a fresh read, impostors are rejected."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from devnet_support import fund
from eth_abi import decode, encode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web3 import Web3
from web3.exceptions import ContractLogicError
from web3.logs import DISCARD

from mevcli.chain.multicall import Multicall
from mevcli.devnet.artifacts import Artifact
from mevcli.devnet.balancer import JOIN_KIND_INIT, create_weighted_pool, mint_or_wrap
from mevcli.devnet.deployer import Deployer
from mevcli.devnet.paths import node_modules
from mevcli.dex.balancer import base_pool
from mevcli.dex.balancer.errors import Errors, SwapRatioExceeded
from mevcli.dex.balancer.events import POOL_BALANCE_CHANGED, apply_logs
from mevcli.dex.balancer.reader import read_weighted_pools
from mevcli.dex.balancer.state import WeightedPoolState
from mevcli.dex.forks import BALANCER
from mevcli.dex.pools import quote, read_states
from mevcli.dex.registry import DexRegistry
from mevcli.errors import NoLiquidity, UnknownPool

GIVEN_IN, GIVEN_OUT = 0, 1
FAR = 2**40
ZERO = "0x" + "00" * 20
EXACT_TOKENS_IN_FOR_BPT_OUT = 1  # WeightedPool.JoinKind
EXACT_BPT_IN_FOR_TOKENS_OUT = 1  # WeightedPool.ExitKind


def weighted_pools(chain) -> list[dict[str, Any]]:
    """The devnet's weighted pools (the manifest also lists composable stable pools under balancer)."""
    return [p for p in chain.pools(BALANCER) if p["kind"] == "weighted"]


def multicall(chain) -> Multicall:
    return Multicall(chain.w3, chain.manifest["multicall3"])


def vault(chain, account: int = 0):
    return chain.deployer(account).at("Vault", chain.manifest["balancer"]["vault"])


def fund_and_approve(chain, account: int, token: str, amount: int) -> Deployer:
    d = chain.deployer(account)
    fund(chain, token, d.sender, amount)
    d.send(d.at("TestToken", token).functions.approve(chain.manifest["balancer"]["vault"], amount))
    return d


def swap(chain, pool_id: str, token_in: str, token_out: str, amount_in: int, account: int = 1) -> dict:
    """A real GIVEN_IN `Vault.swap`; returns the receipt."""
    d = fund_and_approve(chain, account, token_in, amount_in)
    single = (bytes.fromhex(pool_id[2:]), GIVEN_IN, token_in, token_out, amount_in, b"")
    funds = (d.sender, False, d.sender, False)
    return d.send(vault(chain, account).functions.swap(single, funds, 0, FAR))


def join(chain, pool_id: str, tokens: list[str], amounts: list[int], account: int = 2) -> dict:
    """A real EXACT_TOKENS_IN_FOR_BPT_OUT join; returns the receipt."""
    d = chain.deployer(account)
    for token, amount in zip(tokens, amounts, strict=True):
        if amount:
            fund_and_approve(chain, account, token, amount)
    user_data = encode(["uint256", "uint256[]", "uint256"], [EXACT_TOKENS_IN_FOR_BPT_OUT, amounts, 0])
    request = (tokens, amounts, user_data, False)
    return d.send(
        vault(chain, account).functions.joinPool(bytes.fromhex(pool_id[2:]), d.sender, d.sender, request)
    )


def exit_pool(chain, pool: dict, bpt_in: int, account: int = 0) -> dict:
    """A real proportional exit (EXACT_BPT_IN_FOR_TOKENS_OUT); returns the receipt."""
    d = chain.deployer(account)
    user_data = encode(["uint256", "uint256"], [EXACT_BPT_IN_FOR_TOKENS_OUT, bpt_in])
    request = (pool["tokens"], [0] * len(pool["tokens"]), user_data, False)
    pool_id = bytes.fromhex(pool["pool_id"][2:])
    return d.send(vault(chain, account).functions.exitPool(pool_id, d.sender, d.sender, request))


def query(chain, kind: int, pool_id: str, token_in: str, token_out: str, amount: int, block: int) -> int:
    """`Vault.queryBatchSwap` for one step: the amount out (GIVEN_IN) or in (GIVEN_OUT)."""
    step = (bytes.fromhex(pool_id[2:]), 0, 1, amount, b"")
    deltas = (
        vault(chain)
        .functions.queryBatchSwap(kind, [step], [token_in, token_out], (ZERO, False, ZERO, False))
        .call(block_identifier=block)
    )
    return -deltas[1] if kind == GIVEN_IN else deltas[0]


def new_token(chain, decimals: int) -> str:
    d = chain.deployer(0)
    return d.deploy("TestToken", f"Test {decimals}", f"T{decimals}", decimals).address


def new_pool(
    chain, decimals: list[int], weights: list[int], swap_fee: int, balances: list[int]
) -> dict[str, Any]:
    """A fresh weighted pool from the real 2021 factory over fresh tokens of the given decimals."""
    tokens = [new_token(chain, dec) for dec in decimals]
    return create_weighted_pool(
        chain.deployer(0), chain.manifest["balancer"], tokens, weights, swap_fee, balances
    )


def new_two_token_pool(
    chain, decimals: list[int], weights: list[int], swap_fee: int, balances: list[int], oracle: bool
) -> str:
    """A WeightedPool2Tokens (the 2021 two-token variant with a price oracle, e.g. mainnet's 80BAL/20WETH)
    from its real 2021 factory, seeded with an INIT join; returns the pool address."""
    task = node_modules() / "@balancer-labs/v2-deployments/dist/tasks/20210418-weighted-pool"
    name = "WeightedPool2TokensFactory"
    abi = json.loads((task / "abi" / f"{name}.json").read_text())
    code = json.loads((task / "bytecode" / f"{name}.json").read_text())["creationCode"]
    d = chain.deployer(0)
    factory = d.deploy(
        Artifact(name, abi, code if code.startswith("0x") else "0x" + code), vault(chain).address
    )
    fresh = [new_token(chain, dec) for dec in decimals]
    rows = sorted(zip(fresh, weights, balances, strict=True), key=lambda r: int(r[0], 16))
    tokens = [t for t, _, _ in rows]
    receipt = d.send(
        factory.functions.create("2T", "2T", tokens, [w for _, w, _ in rows], swap_fee, oracle, d.sender)
    )
    created = factory.events.PoolCreated().process_receipt(receipt, errors=DISCARD)
    pool = next(e["args"]["pool"] for e in created if e["address"] == factory.address)
    amounts = [b for _, _, b in rows]
    for token, amount in zip(tokens, amounts, strict=True):
        mint_or_wrap(d, token, amount, None)
        d.send(d.at("TestToken", token).functions.approve(vault(chain).address, amount))
    pool_id = d.at("WeightedPool", pool).functions.getPoolId().call()
    user_data = encode(["uint256", "uint256[]"], [JOIN_KIND_INIT, amounts])
    d.send(vault(chain).functions.joinPool(pool_id, d.sender, d.sender, (tokens, amounts, user_data, False)))
    return pool


def set_protocol_swap_fee(chain, fee: int) -> None:
    """Grant the deployer the collector's setSwapFeePercentage action and set it (max 50%)."""
    d = chain.deployer(0)
    collector = vault(chain).functions.getProtocolFeesCollector().call()
    selector = Web3.keccak(text="setSwapFeePercentage(uint256)")[:4]
    get_action = Web3.keccak(text="getActionId(bytes4)")[:4] + encode(["bytes4"], [selector])
    action_id = chain.w3.eth.call({"to": collector, "data": get_action})
    authorizer = d.at("Authorizer", chain.manifest["balancer"]["authorizer"])
    d.send(authorizer.functions.grantRole(action_id, d.sender))
    set_fee = Web3.keccak(text="setSwapFeePercentage(uint256)")[:4] + encode(["uint256"], [fee])
    receipt = chain.w3.eth.wait_for_transaction_receipt(
        chain.w3.eth.send_transaction({"from": d.sender, "to": collector, "data": set_fee})
    )
    assert receipt["status"] == 1


# -- tests -----------------------------------------------------------------------------------------


def read(chain, address: str, block: int | None = None) -> WeightedPoolState:
    block = chain.w3.eth.block_number if block is None else block
    return read_weighted_pools(multicall(chain), [address], block)[0]


def _amount(data, limit: int) -> int:
    """Dust, log-uniform up to the in-ratio limit, or right at it."""
    shape = data.draw(st.sampled_from(["dust", "log", "edge"]), label="amount shape")
    if shape == "dust":
        return data.draw(st.integers(1, 1000), label="dust")
    if shape == "edge":
        return max(1, limit - data.draw(st.integers(0, 3), label="below limit"))
    bits = data.draw(st.integers(0, max(limit.bit_length(), 1)), label="bits")
    return data.draw(st.integers(1, max(1, min(limit, 2**bits))), label="amount")


def _check_quotes(chain, state: WeightedPoolState, data) -> None:
    """Given in and given out, ours against queryBatchSwap at the state's block, and the over-limit
    cases: ours raises SwapRatioExceeded exactly where the pool reverts with BAL#304 / BAL#305."""
    i, o = data.draw(st.permutations(range(len(state.tokens))), label="direction")[:2]
    t_in, t_out = state.tokens[i], state.tokens[o]
    limit = base_pool.max_amount_in(state.balances[i], state.scaling_factors[i], state.swap_fee)
    amount = _amount(data, limit)
    ours = state.quote(t_in, amount, t_out)
    assert ours == query(chain, GIVEN_IN, state.pool_id, t_in, t_out, amount, state.block)
    assert quote(state, t_in, amount, t_out) == ours  # the generic interface agrees

    over = limit + data.draw(st.integers(1, 10**6), label="over limit")
    with pytest.raises(SwapRatioExceeded) as raised:
        state.quote(t_in, over, t_out)
    assert raised.value.code == Errors.MAX_IN_RATIO and raised.value.limit == limit
    with pytest.raises(ContractLogicError, match="BAL#304"):
        query(chain, GIVEN_IN, state.pool_id, t_in, t_out, over, state.block)

    out_limit = base_pool.max_amount_out(state.balances[o], state.scaling_factors[o])
    wanted = _amount(data, out_limit)
    assert state.quote_in(t_in, t_out, wanted) == query(
        chain, GIVEN_OUT, state.pool_id, t_in, t_out, wanted, state.block
    )
    with pytest.raises(SwapRatioExceeded):
        state.quote_in(t_in, t_out, out_limit + 1)
    with pytest.raises(ContractLogicError, match="BAL#305"):
        query(chain, GIVEN_OUT, state.pool_id, t_in, t_out, out_limit + 1, state.block)


def _random_swaps(chain, state: WeightedPoolState, data) -> None:
    for _ in range(data.draw(st.integers(0, 3), label="prior swaps")):
        i, o = data.draw(st.permutations(range(len(state.tokens))), label="swap direction")[:2]
        limit = base_pool.max_amount_in(state.balances[i], state.scaling_factors[i], state.swap_fee)
        amount = data.draw(st.integers(1, max(1, limit // 2)), label="swap amount")
        swap(chain, state.pool_id, state.tokens[i], state.tokens[o], amount)
        state = read(chain, state.address)


SETTINGS = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(data=st.data())
def test_devnet_pools_quote_equals_query_batch_swap(chain, data):
    pool = data.draw(st.sampled_from(weighted_pools(chain)), label="pool")
    with chain.snapshot():
        _random_swaps(chain, read(chain, pool["address"]), data)
        _check_quotes(chain, read(chain, pool["address"]), data)


@st.composite
def _weights(draw, n: int) -> list[int]:
    """n weights of at least 2% summing to exactly 1e18, most of them not round numbers."""
    floor = 2 * 10**16
    raw = [draw(st.integers(1, 10**6)) for _ in range(n)]
    spare = 10**18 - n * floor
    weights = [floor + spare * r // sum(raw) for r in raw]
    weights[-1] += 10**18 - sum(weights)
    return weights


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_pools_quote_equals_query_batch_swap(chain, data):
    n = data.draw(st.integers(2, 4), label="tokens")
    decimals = [data.draw(st.sampled_from([6, 8, 18]), label="decimals") for _ in range(n)]
    weights = data.draw(_weights(n), label="weights")
    swap_fee = data.draw(st.integers(10**12, 10**17), label="swap fee")  # the factory's 0.0001% .. 10%
    balances = [data.draw(st.integers(10**d, 10 ** (d + 9)), label="balance") for d in decimals]
    two_tokens = n == 2 and data.draw(st.booleans(), label="WeightedPool2Tokens")
    with chain.snapshot():
        if two_tokens:
            oracle = data.draw(st.booleans(), label="oracle")
            address = new_two_token_pool(chain, decimals, weights, swap_fee, balances, oracle)
        else:
            address = new_pool(chain, decimals, weights, swap_fee, balances)["address"]
        refs = DexRegistry.from_manifest(chain.manifest).identify(
            multicall(chain), [address], chain.w3.eth.block_number
        )
        assert refs[0].dex.kind == BALANCER
        state = read(chain, address)
        assert sorted(state.weights) == sorted(weights) and state.swap_fee == swap_fee
        assert sorted(state.scaling_factors) == sorted(10 ** (18 - d) for d in decimals)
        _random_swaps(chain, state, data)
        _check_quotes(chain, read(chain, address), data)


def test_fifty_fifty_pool_takes_the_log_exp_path(chain):
    """The 2021 FixedPoint has no `y == 1` shortcut: a 50/50 pool still pays the pow error margin."""
    pool = next(p for p in weighted_pools(chain) if len(set(p["weights"])) == 1)
    state = read(chain, pool["address"])
    t_in, t_out = state.tokens
    amount = state.balances[0] // 100
    assert state.quote(t_in, amount, t_out) == query(
        chain, GIVEN_IN, state.pool_id, t_in, t_out, amount, state.block
    )


def test_swap_and_join_and_exit_events_give_a_fresh_read(chain):
    """Real Swap / PoolBalanceChanged logs applied to the old state equal re-reading the pool, with
    and without a protocol swap fee (which the Vault takes on joins and exits, not on swaps)."""
    for protocol_fee in (0, 3 * 10**17):
        with chain.snapshot():
            if protocol_fee:
                set_protocol_swap_fee(chain, protocol_fee)
            for pool in weighted_pools(chain):
                state = read(chain, pool["address"])
                t0, t1 = state.tokens[0], state.tokens[-1]
                receipts = [
                    swap(chain, state.pool_id, t0, t1, state.balances[0] // 20),
                    swap(chain, state.pool_id, t1, t0, state.balances[-1] // 7),
                    join(chain, state.pool_id, list(state.tokens), [b // 50 for b in state.balances]),
                    swap(chain, state.pool_id, t0, t1, state.balances[0] // 9),
                    exit_pool(chain, pool, 10**18),
                ]
                logs = [log for r in receipts for log in r["logs"]]
                fresh = read(chain, pool["address"])
                assert apply_logs(state, logs) == fresh
                fees = [log for log in logs if log["topics"][0] == POOL_BALANCE_CHANGED]
                assert len(fees) == 2
                if protocol_fee:
                    assert any(any(decode_fees(log)) for log in fees)  # the fee path was really taken


def decode_fees(log) -> list[int]:
    """The protocolFeeAmounts of a PoolBalanceChanged log."""
    return decode(["address[]", "int256[]", "uint256[]"], bytes(log["data"]))[2]


def test_registry_identifies_balancer_pools_and_rejects_impostors(chain):
    mc = multicall(chain)
    block = chain.w3.eth.block_number
    registry = DexRegistry.from_manifest(chain.manifest)
    pools = [p["address"] for p in weighted_pools(chain)]
    mixed = [*pools, chain.pools("uniswap_v2")[0]["address"], chain.pools("uniswap_v3")[0]["address"]]
    refs = registry.identify(mc, mixed, block)
    assert [r.dex.kind for r in refs] == [BALANCER] * len(pools) + ["uniswap_v2", "uniswap_v3"]
    states = read_states(mc, refs, block)
    assert all(isinstance(states[a], WeightedPoolState) for a in pools)

    with chain.snapshot():
        # An impostor: a contract answering getVault() with the real Vault and getPoolId() with a real
        # pool's id (runtime code: return the word at calldata-selected constant).
        real = read(chain, pools[0])
        impostor = _impostor(chain, real.vault, real.pool_id)
        with pytest.raises(UnknownPool, match="disowns"):
            registry.identify(mc, [impostor], chain.w3.eth.block_number)
    other_vault = DexRegistry.from_manifest({"balancer": {"vault": chain.manifest["deployer"]}})
    with pytest.raises(UnknownPool):
        other_vault.identify(mc, pools[:1], block)


def _impostor(chain, vault_address: str, pool_id: str) -> str:
    """Deploy bytecode answering getVault() with `vault_address` and every other call with `pool_id`."""
    selector = Web3.keccak(text="getVault()")[:4].hex()
    ret = "60005260206000f3"  # PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN
    # PUSH4 selector, PUSH1 0, CALLDATALOAD, PUSH1 224, SHR, EQ, PUSH1 56, JUMPI (15 bytes), then
    # PUSH32 pool_id + ret (41 bytes), then at 56: JUMPDEST, PUSH32 vault word + ret.
    runtime = (
        f"63{selector}60003560e01c146038577f{pool_id[2:]}{ret}5b7f{'00' * 12}{vault_address[2:].lower()}{ret}"
    )
    size = len(runtime) // 2
    init = f"61{size:04x}80600c6000396000f3" + runtime  # copy the runtime (at byte 12) and return it
    d = chain.deployer(0)
    tx = chain.w3.eth.send_transaction({"from": d.sender, "data": "0x" + init})
    return chain.w3.eth.wait_for_transaction_receipt(tx)["contractAddress"]


def test_empty_or_paused_states_raise_no_liquidity(chain):
    state = read(chain, weighted_pools(chain)[0]["address"])
    t_in, t_out = state.tokens[:2]
    empty = WeightedPoolState(**{**_fields(state), "balances": (0,) * len(state.tokens)})
    with pytest.raises(NoLiquidity, match="no liquidity"):
        empty.quote(t_in, 10, t_out)
    with pytest.raises(NoLiquidity, match="paused"):
        state.with_paused(True, state.block).quote(t_in, 10, t_out)


def _fields(state: WeightedPoolState) -> dict[str, Any]:
    return {f.name: getattr(state, f.name) for f in dataclasses.fields(state)}
