"""Uniswap V3: our swap simulation equals the real QuoterV2 to the wei, on real pools, across all fee
tiers, both directions, exact input and exact output, with random extra positions and prior swaps."""

from __future__ import annotations

import contextlib

from devnet_support import fund
from eth_abi import decode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mevcli.chain.multicall import Multicall, encode_call
from mevcli.dex.uniswap_v3.reader import FULL_RANGE, read_pools
from mevcli.dex.uniswap_v3.swap import IncompletePoolState, swap

FAR = 2**40
SPACING = {100: 1, 500: 10, 3000: 60, 10000: 200}


def _quoter(chain, kind: str, token_in: str, token_out: str, amount: int, fee: int, block: int) -> int:
    signature = f"quoteExact{kind}Single((address,address,uint256,uint24,uint160))"
    data = encode_call(
        signature, ["(address,address,uint256,uint24,uint160)"], [(token_in, token_out, amount, fee, 0)]
    )
    raw = chain.w3.eth.call({"to": chain.manifest["uniswap_v3"]["quoter_v2"], "data": data}, block)
    return decode(["uint256", "uint160", "uint32", "uint256"], raw)[0]


def _mint_position(chain, pool: dict, tick: int, data) -> None:
    spacing = SPACING[pool["fee"]]
    lower = (tick // spacing + data.draw(st.integers(-300, 200), label="lower")) * spacing
    upper = lower + spacing * data.draw(st.integers(1, 300), label="width")
    t0, t1 = pool["tokens"]
    amount0 = data.draw(st.integers(10**4, 10**22), label="amount0")
    amount1 = data.draw(st.integers(10**4, 10**22), label="amount1")
    d = chain.deployer(0)
    fund(chain, t0, d.sender, amount0)
    fund(chain, t1, d.sender, amount1)
    manager = d.at("NonfungiblePositionManager", chain.manifest["uniswap_v3"]["position_manager"])
    params = (t0, t1, pool["fee"], lower, upper, amount0, amount1, 0, 0, d.sender, FAR)
    # A range far out of bounds or a zero liquidity makes the pool refuse: state unchanged, fine.
    with contextlib.suppress(Exception):
        d.send(manager.functions.mint(params))


def _router_swap(chain, pool: dict, zero_for_one: bool, amount: int) -> None:
    d = chain.deployer(1)
    token_in, token_out = pool["tokens"] if zero_for_one else pool["tokens"][::-1]
    fund(chain, token_in, d.sender, amount)
    router_address = chain.manifest["uniswap_v3"]["swap_router"]
    d.send(d.at("TestToken", token_in).functions.approve(router_address, amount))
    router = d.at("SwapRouter", router_address)
    params = (token_in, token_out, pool["fee"], d.sender, FAR, amount, 0, 0)
    d.send(router.functions.exactInputSingle(params))


def _amount(data, scale: int) -> int:
    exponent = data.draw(st.integers(0, scale.bit_length() + 4), label="exponent")
    return data.draw(st.integers(1, max(1, 2**exponent)), label="amount")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_v3_swap_equals_quoter_v2(chain, data):
    pool = data.draw(st.sampled_from(chain.pools("uniswap_v3")), label="pool")
    mc = Multicall(chain.w3, chain.manifest["multicall3"])
    with chain.snapshot():
        state = read_pools(mc, [pool["address"]], chain.w3.eth.block_number)[0]
        for _ in range(data.draw(st.integers(0, 3), label="extra positions")):
            _mint_position(chain, pool, state.tick, data)
        if data.draw(st.booleans(), label="prior swap"):
            zfo = data.draw(st.booleans())
            budget = 10 ** (18 if pool["tokens"][0 if zfo else 1] == chain.manifest["weth"] else 8)
            _router_swap(chain, pool, zfo, data.draw(st.integers(1, budget)))
        block = chain.w3.eth.block_number
        state = read_pools(mc, [pool["address"]], block)[0]
        zero_for_one = data.draw(st.booleans(), label="zero_for_one")
        token_in, token_out = (state.token0, state.token1) if zero_for_one else (state.token1, state.token0)
        balance = chain.deployer().at("TestToken", token_in).functions.balanceOf(pool["address"]).call()
        exact_input = data.draw(st.booleans(), label="exact input")
        if exact_input:
            amount = _amount(data, balance * 4)
        else:
            out_token = chain.deployer().at("TestToken", token_out)
            amount = _amount(data, max(out_token.functions.balanceOf(pool["address"]).call() // 2, 1))
        try:
            result = swap(state, zero_for_one, amount if exact_input else -amount)
        except IncompletePoolState:
            # The swap leaves the default bitmap window (it drains the pool): read every word, as quote does.
            state = read_pools(mc, [pool["address"]], block, FULL_RANGE)[0]
            assert state.word_range is None
            result = swap(state, zero_for_one, amount if exact_input else -amount)
        if exact_input:
            assert result.amount_out == _quoter(chain, "Input", token_in, token_out, amount, state.fee, block)
        elif result.amount_out == amount:  # else the pool cannot deliver that much and QuoterV2 reverts
            assert result.amount_in == _quoter(chain, "Output", token_in, token_out, amount, state.fee, block)


def test_every_fee_tier_is_seeded_and_crosses_ticks(chain):
    pools = chain.pools("uniswap_v3")
    assert {p["fee"] for p in pools} == {100, 500, 3000, 10000}
    mc = Multicall(chain.w3, chain.manifest["multicall3"])
    block = chain.w3.eth.block_number
    for state in read_pools(mc, [p["address"] for p in pools], block):
        assert len(state.ticks) >= 8  # several concentrated positions
        balance = chain.deployer().at("TestToken", state.token0).functions.balanceOf(state.address).call()
        # Selling as much token0 as the pool holds: a realistic large swap that must walk several ranges.
        result = swap(state, True, balance)
        assert result.ticks_crossed >= 2
        assert result.amount_out == _quoter(
            chain, "Input", state.token0, state.token1, balance, state.fee, block
        )
