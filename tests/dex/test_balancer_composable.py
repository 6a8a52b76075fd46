"""Balancer composable stable pools (the real 2023 v3 factory) on the devnet: quotes equal the Vault's
`queryBatchSwap` to the wei in both directions, reverts (a drained balance) are errors where the pool
reverts, events applied equal a fresh read (with protocol fees on), discovery keeps them, and the
scanner routes through them and the executor settles exactly what it predicted."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from eth_abi import decode, encode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_balancer_chain import (
    GIVEN_IN,
    GIVEN_OUT,
    fund_and_approve,
    multicall,
    new_token,
    query,
    set_protocol_swap_fee,
    swap,
    vault,
)
from typer.testing import CliRunner
from web3.exceptions import ContractLogicError

from mevcli.arbitrage.discovery import identify_known
from mevcli.cache import ReserveCache
from mevcli.cli.app import app
from mevcli.devnet.balancer import create_composable_stable_pool
from mevcli.dex.balancer.events import POOL_BALANCE_CHANGED, apply_logs
from mevcli.dex.balancer.reader import read_balancer_pools, read_weighted_pools, supported_balancer_pools
from mevcli.dex.balancer.state import MAX_VAULT_BALANCE, ComposableStablePoolState
from mevcli.dex.forks import BALANCER
from mevcli.dex.pools import quote
from mevcli.dex.registry import DexRegistry
from mevcli.errors import NoLiquidity, UnknownPool, UnknownToken

runner = CliRunner()
EXACT_TOKENS_IN_FOR_BPT_OUT = 1  # StablePoolUserData.JoinKind
EXACT_BPT_IN_FOR_ALL_TOKENS_OUT = 2  # StablePoolUserData.ExitKind (composable pools)
SETTINGS = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def stable_pools(chain) -> list[dict[str, Any]]:
    return [p for p in chain.pools(BALANCER) if p["kind"] == "composable_stable"]


def read(chain, address: str) -> ComposableStablePoolState:
    state = read_balancer_pools(multicall(chain), [address], chain.w3.eth.block_number)[0]
    assert isinstance(state, ComposableStablePoolState)
    return state


def registered(chain, state: ComposableStablePoolState) -> list[str]:
    """The Vault's tokens for the pool: ours with the BPT at its index."""
    tokens = list(state.tokens)
    tokens.insert(state.bpt_index, state.address)
    return tokens


def join(chain, state: ComposableStablePoolState, amounts: list[int], account: int = 2) -> dict:
    """A real EXACT_TOKENS_IN_FOR_BPT_OUT join (amounts without the BPT); returns the receipt."""
    d = chain.deployer(account)
    for token, amount in zip(state.tokens, amounts, strict=True):
        if amount:
            fund_and_approve(chain, account, token, amount)
    user_data = encode(["uint256", "uint256[]", "uint256"], [EXACT_TOKENS_IN_FOR_BPT_OUT, amounts, 0])
    max_in = list(amounts)
    max_in.insert(state.bpt_index, 0)
    request = (registered(chain, state), max_in, user_data, False)
    pool_id = bytes.fromhex(state.pool_id[2:])
    return d.send(vault(chain, account).functions.joinPool(pool_id, d.sender, d.sender, request))


def exit_pool(chain, state: ComposableStablePoolState, bpt_in: int, account: int = 0) -> dict:
    """A real proportional exit (EXACT_BPT_IN_FOR_ALL_TOKENS_OUT) by the pool's creator."""
    d = chain.deployer(account)
    user_data = encode(["uint256", "uint256"], [EXACT_BPT_IN_FOR_ALL_TOKENS_OUT, bpt_in])
    request = (registered(chain, state), [0] * (len(state.tokens) + 1), user_data, False)
    pool_id = bytes.fromhex(state.pool_id[2:])
    return d.send(vault(chain, account).functions.exitPool(pool_id, d.sender, d.sender, request))


def _same_as_vault(chain, state: ComposableStablePoolState, kind: int, i: int, o: int, amount: int) -> None:
    """Ours equals queryBatchSwap at the state's block, or raises NoLiquidity exactly where it reverts."""
    t_in, t_out = state.tokens[i], state.tokens[o]
    try:
        expected = query(chain, kind, state.pool_id, t_in, t_out, amount, state.block)
    except ContractLogicError as exc:
        with pytest.raises(NoLiquidity) as raised:
            (state.quote(t_in, amount, t_out) if kind == GIVEN_IN else state.quote_in(t_in, t_out, amount))
        code = getattr(raised.value, "code", None)
        if code is not None:
            assert f"BAL#{int(code):03d}" in str(exc), (str(exc), code)
        return
    if kind == GIVEN_IN:
        assert state.quote(t_in, amount, t_out) == expected
        assert quote(state, t_in, amount, t_out) == expected  # the generic interface agrees
    else:
        assert state.quote_in(t_in, t_out, amount) == expected


def _amount(data, balance: int, label: str) -> int:
    """Dust, log-uniform up to ten balances, just under / at / over the balance, or up to the Vault's cap."""
    shape = data.draw(st.sampled_from(["dust", "log", "near", "huge"]), label=f"{label} shape")
    if shape == "dust":
        return data.draw(st.integers(1, 1000), label=label)
    if shape == "near":
        return max(1, balance + data.draw(st.integers(-(10**6), 3), label=f"{label} near balance"))
    if shape == "huge":
        return data.draw(st.integers(balance, MAX_VAULT_BALANCE), label=label)
    bits = data.draw(st.integers(0, (10 * balance).bit_length()), label=f"{label} bits")
    return data.draw(st.integers(1, max(1, 2**bits)), label=label)


def _check_quotes(chain, state: ComposableStablePoolState, data) -> None:
    i, o = data.draw(st.permutations(range(len(state.tokens))), label="direction")[:2]
    _same_as_vault(chain, state, GIVEN_IN, i, o, _amount(data, state.balances[i], "amount in"))
    _same_as_vault(chain, state, GIVEN_OUT, i, o, _amount(data, state.balances[o], "amount out"))


def _random_swaps(chain, state: ComposableStablePoolState, data) -> ComposableStablePoolState:
    for _ in range(data.draw(st.integers(0, 3), label="prior swaps")):
        i, o = data.draw(st.permutations(range(len(state.tokens))), label="swap direction")[:2]
        low = max(1, state.balances[i] // 10**4)
        amount = data.draw(st.integers(low, max(low, state.balances[i])), label="swap amount")
        try:
            state.quote(state.tokens[i], amount, state.tokens[o])
        except NoLiquidity:
            continue  # dust buys nothing and the pool reverts (BAL#001): `_check_quotes` covers that
        swap(chain, state.pool_id, state.tokens[i], state.tokens[o], amount)
        state = read(chain, state.address)
    return state


@SETTINGS
@given(data=st.data())
def test_devnet_pool_quotes_equal_query_batch_swap(chain, data):
    pool = data.draw(st.sampled_from(stable_pools(chain)), label="pool")
    with chain.snapshot():
        state = _random_swaps(chain, read(chain, pool["address"]), data)
        _check_quotes(chain, state, data)


@SETTINGS
@given(data=st.data())
def test_random_pools_quote_equal_query_batch_swap(chain, data):
    n = data.draw(st.integers(2, 4), label="tokens")
    decimals = [data.draw(st.sampled_from([0, 2, 6, 8, 18]), label="decimals") for _ in range(n)]
    amp = data.draw(st.integers(1, 5000), label="amplification")
    swap_fee = data.draw(st.integers(10**12, 10**17), label="swap fee")  # the pool's 0.0001% .. 10%
    # A stable pool: whole-token balances from 100 to a billion, each within 20x of the first
    # (a pool seeded 1e8x off balance cannot even find its invariant: the INIT join reverts BAL#321).
    whole = data.draw(st.integers(100, 10**9), label="whole tokens")
    skews = [data.draw(st.integers(50, 2000), label="skew %") for _ in decimals]
    balances = [whole * skew // 100 * 10**d for skew, d in zip(skews, decimals, strict=True)]
    with chain.snapshot():
        tokens = [new_token(chain, dec) for dec in decimals]
        created = create_composable_stable_pool(
            chain.deployer(0), chain.manifest["balancer"], tokens, amp, swap_fee, balances
        )
        state = read(chain, created["address"])
        assert state.amp == amp * 1000 and not state.amp_updating and state.swap_fee == swap_fee
        assert sorted(state.scaling_factors) == sorted(10 ** (36 - d) for d in decimals)
        assert state.tokens == tuple(created["tokens"])
        state = _random_swaps(chain, state, data)
        _check_quotes(chain, state, data)


def test_bpt_is_not_a_swappable_token(chain):
    state = read(chain, stable_pools(chain)[0]["address"])
    assert state.address not in state.tokens and len(state.tokens) == 3
    with pytest.raises(UnknownToken):
        quote(state, state.address, 10**18, state.tokens[0])
    with pytest.raises(UnknownToken):
        state.quote(state.tokens[0], 10**6, state.address)


def test_events_with_protocol_fees_give_a_fresh_read(chain):
    """Swaps, a join and an exit applied to the old state equal re-reading the pool. With a protocol swap
    fee on, the join pays it by minting BPT to the fee collector: no token balance moves for it (the
    event's protocolFeeAmounts are zero), so swap quotes stay exact before and after."""
    for protocol_fee in (0, 5 * 10**17):
        with chain.snapshot():
            pool = stable_pools(chain)[0]
            contract = chain.deployer(0).at("ComposableStablePool", pool["address"])
            collector = vault(chain).functions.getProtocolFeesCollector().call()
            if protocol_fee:
                set_protocol_swap_fee(chain, protocol_fee)
                chain.deployer(0).send(contract.functions.updateProtocolFeePercentageCache())
            state = read(chain, pool["address"])
            t0, t1, t2 = state.tokens
            receipts = [
                swap(chain, state.pool_id, t0, t1, state.balances[0] // 5),
                swap(chain, state.pool_id, t1, t2, state.balances[1] // 3),
            ]
            between = read(chain, pool["address"])
            assert apply_logs(state, [log for r in receipts for log in r["logs"]]) == between
            fees_before = contract.functions.balanceOf(collector).call()
            receipts.append(join(chain, between, [b // 50 for b in between.balances]))
            minted = contract.functions.balanceOf(collector).call() - fees_before
            assert (minted > 0) == bool(protocol_fee)
            receipts += [
                swap(chain, state.pool_id, t2, t0, state.balances[2] // 9),
                exit_pool(chain, state, 10**20),
            ]
            logs = [log for r in receipts for log in r["logs"]]
            fresh = read(chain, pool["address"])
            assert apply_logs(state, logs) == fresh
            changes = [log for log in logs if log["topics"][0] == POOL_BALANCE_CHANGED]
            assert len(changes) == 2
            for log in changes:
                _, deltas, fees = decode(["address[]", "int256[]", "uint256[]"], bytes(log["data"]))
                assert not any(fees) and deltas[fresh.bpt_index] == 0
            for i, o in ((0, 1), (1, 2), (2, 0)):
                amount = fresh.balances[i] // 7
                expected = query(
                    chain, GIVEN_IN, fresh.pool_id, fresh.tokens[i], fresh.tokens[o], amount, fresh.block
                )
                assert fresh.quote(fresh.tokens[i], amount, fresh.tokens[o]) == expected


def test_registry_and_discovery_keep_composable_pools(chain):
    mc = multicall(chain)
    block = chain.w3.eth.block_number
    registry = DexRegistry.from_manifest(chain.manifest)
    addresses = [p["address"] for p in chain.pools(BALANCER)]
    refs = identify_known(registry, mc, addresses, block)
    assert [r.address for r in refs] == addresses and {r.dex.kind for r in refs} == {BALANCER}
    assert supported_balancer_pools(mc, addresses, block) == addresses
    stable = [p["address"] for p in stable_pools(chain)]
    assert stable
    with pytest.raises(UnknownPool, match="not a Balancer weighted pool"):
        read_weighted_pools(mc, stable, block)


def test_quote_cli_with_check_matches_vault(chain, tmp_path):
    pool = stable_pools(chain)[0]
    env = chain.cli_env(tmp_path / "cache")
    for token_in, token_out, amount in (("USDC", "DAI", "250000"), ("DAI", "USDT", "1.5")):
        args = ["quote", "--pool", pool["address"], "--token-in", token_in, "--token-out", token_out]
        result = runner.invoke(app, [*args, "--amount-in", amount, "--human", "--json", "--check"], env=env)
        assert result.exit_code == 0, result.stderr
        data = json.loads(result.stdout)
        assert data["dexes"] == ["balancer"] and data["pools"] == [pool["address"]]
        assert data["amount_out"] > 0 and data["check"]["match"] is True
    base = ["quote", "--pool", pool["address"], "--token-in", "DAI"]
    # One wei of DAI buys nothing: the pool reverts (BAL#001) and so do we, in one line.
    result = runner.invoke(app, [*base, "--token-out", "USDC", "--amount-in", "1"], env=env)
    lines = result.stderr.strip().splitlines()
    assert (
        result.exit_code == 1 and len(lines) == 1 and lines[0].startswith("Error: ") and "BAL#001" in lines[0]
    )
    result = runner.invoke(app, [*base, "--amount-in", "10"], env=env)
    assert result.exit_code == 2 and "--token-out" in result.stderr


def test_scan_routes_through_the_pool_and_the_executor_settles_it(snapshot, tmp_path):
    """The scanner finds a cycle through the composable pool; simulate and execute it with the real
    executor: the executor's balance grows by exactly the profit our math predicted."""
    chain = snapshot
    env = chain.cli_env(tmp_path / "cache")

    def cli(*args: str) -> Any:
        result = runner.invoke(app, [*args, "--json"], env=env)
        assert result.exit_code == 0, (args, result.stdout, result.stderr)
        return json.loads(result.stdout)

    executor = cli("deploy", "balancer", "--broadcast")["address"]
    stable = {p["address"] for p in stable_pools(chain)}
    opportunities = [o for o in cli("scan", "--max-hops", "3") if stable & set(o["pools"])]
    assert opportunities, "no route through the composable stable pool"
    best = opportunities[0]
    sim = cli("simulate", best["id"])
    assert sim["ok"] and sim["token_profit"] == sim["hop_amounts"][-1] - sim["amount_in"] - sim["flash_fee"]
    assert sim["flash_source"] != "balancer"  # the Vault cannot lend while the route swaps through it
    token = chain.deployer(0).at("TestToken", sim["base_token"])
    before = token.functions.balanceOf(executor).call()
    done = cli("execute", best["id"], "--broadcast")
    assert done["status"] == "success"
    assert token.functions.balanceOf(executor).call() - before == sim["token_profit"] > 0


def test_amplification_ramp_quotes_and_cache(snapshot, tmp_path):
    """During an amplification ramp the pool prices with A interpolated at the block's time: quotes read
    at each block equal the Vault's; the ramp's event is refused by apply_log, and the reserve cache
    reads such a pool again at every request instead of serving a stale A."""
    chain = snapshot
    pool = stable_pools(chain)[0]
    contract = chain.deployer(0).at("ComposableStablePool", pool["address"])
    before = read(chain, pool["address"])
    refs = DexRegistry.from_manifest(chain.manifest).identify(
        multicall(chain), [pool["address"]], before.block
    )
    cache = ReserveCache.open(tmp_path, chain.w3.eth.chain_id, chain.w3, multicall(chain))
    cache.snapshot(refs)
    now = chain.w3.eth.get_block("latest")["timestamp"]
    receipt = chain.deployer(0).send(
        contract.functions.startAmplificationParameterUpdate(400, now + 2 * 86_400)
    )
    started = apply_logs(before, receipt["logs"])  # A at the ramp's start; later blocks need a read
    assert started.amp_updating and started.amp == before.amp
    amps = []
    for _ in range(3):
        chain.w3.provider.make_request("evm_increaseTime", [12 * 3600])
        chain.w3.provider.make_request("evm_mine", [])
        state = read(chain, pool["address"])
        assert state.amp_updating
        amps.append(state.amp)
        t_in, t_out = state.tokens[0], state.tokens[2]
        amount = state.balances[0] // 3
        expected = query(chain, GIVEN_IN, state.pool_id, t_in, t_out, amount, state.block)
        assert state.quote(t_in, amount, t_out) == expected
        served = cache.snapshot(refs).states[pool["address"]]
        assert served.amp == state.amp and pool["address"] in cache.snapshot(refs).read
    assert 200_000 < amps[0] < amps[1] < amps[2] < 400_000


def test_token_rates_are_honoured_and_expired_caches_refreshed(snapshot):
    """Rate providers: the pool prices with its cached rates until a cache expires; the first swap after
    that refreshes the rate before pricing, and so does our reader. Quotes equal the Vault's throughout."""
    chain = snapshot
    d = chain.deployer(0)
    tokens = [new_token(chain, dec) for dec in (18, 6, 18)]
    providers = [d.deploy("TestRateProvider") for _ in range(2)]
    d.send(providers[0].functions.setRate(1_050_000_000_000_000_000))
    d.send(providers[1].functions.setRate(1_234_567_890_123_456_789))
    zero = "0x" + "00" * 20
    created = create_composable_stable_pool(
        d,
        chain.manifest["balancer"],
        tokens,
        300,
        10**15,
        [3_000_000 * 10**18, 3_100_000 * 10**6, 2_500_000 * 10**18],
        rate_providers=[providers[0].address, zero, providers[1].address],
        cache_durations=[3_600, 0, 600],
    )
    contract = d.at("ComposableStablePool", created["address"])

    def check() -> ComposableStablePoolState:
        state = read(chain, created["address"])
        for i, o in ((0, 1), (1, 2), (2, 0), (0, 2)):
            amount = state.balances[i] // 11
            _same_as_vault(chain, state, GIVEN_IN, i, o, amount)
            _same_as_vault(chain, state, GIVEN_OUT, i, o, state.balances[o] // 13)
        return state

    state = check()
    by_token = dict(zip(state.tokens, state.scaling_factors, strict=True))
    assert by_token[tokens[0]] == 10**18 * 105 // 100 and by_token[tokens[1]] == 10**30
    # New rates, caches not expired: the pool (and we) still price with the cached ones.
    d.send(providers[0].functions.setRate(1_100_000_000_000_000_000))
    d.send(providers[1].functions.setRate(1_300_000_000_000_000_000))
    assert check().scaling_factors == state.scaling_factors
    # Past the 600 s cache only: that rate is refreshed by the next swap, and by our reader.
    chain.w3.provider.make_request("evm_increaseTime", [700])
    chain.w3.provider.make_request("evm_mine", [])
    state = check()
    factors = dict(zip(state.tokens, state.scaling_factors, strict=True))
    assert factors[tokens[2]] == 13 * 10**17 and factors[tokens[0]] == by_token[tokens[0]]
    assert 13 * 10**17 not in contract.functions.getScalingFactors().call()  # the pool's view is stale
    # The swap that refreshes it emits TokenRateCacheUpdated (the new rate) before its Swap: applied,
    # they give what a fresh read gives.
    receipt = swap(chain, state.pool_id, state.tokens[0], state.tokens[1], state.balances[0] // 100)
    applied, fresh = apply_logs(state, receipt["logs"]), check()
    assert applied.rates_expire <= fresh.rates_expire  # a log does not carry the refreshed expiry
    assert replace(applied, rates_expire=fresh.rates_expire) == fresh
