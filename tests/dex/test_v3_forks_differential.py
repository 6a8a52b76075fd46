"""SushiSwap V3 and PancakeSwap V3: our Uniswap V3 swap simulation equals the real fork pools to the wei.

Random extra positions and prior swaps, both directions, amounts up to several times the pool's balance
(multi-tick swaps). Each exact-input quote is held against the fork's quoter AND against the real swap
executed on the pool: the amount received and the pool's price, tick and liquidity after. SushiSwap V3's
exact-output quotes are held against its QuoterV2 too.
"""

from __future__ import annotations

import contextlib

import pytest
from devnet_support import fund
from eth_abi import decode, encode
from eth_abi.exceptions import NonEmptyPaddingBytes
from eth_utils import keccak, to_checksum_address
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from mevcli.chain.multicall import Multicall, encode_call
from mevcli.devnet.artifacts import load
from mevcli.devnet.v3_forks import PANCAKE_V3_TICK_SPACING, liquidity_for_amounts
from mevcli.dex.uniswap_v3.forks import fork_of
from mevcli.dex.uniswap_v3.reader import FULL_RANGE, WINDOW_TICKS, read_pools
from mevcli.dex.uniswap_v3.state import V3PoolState
from mevcli.dex.uniswap_v3.swap import IncompletePoolState, swap
from mevcli.dex.uniswap_v3.tick_math import get_sqrt_ratio_at_tick

FAR = 2**40
SUSHI_SPACING = {100: 1, 500: 10, 3000: 60, 10000: 200}
FORKS = ("sushiswap_v3", "pancakeswap_v3")


def _balance(chain, token: str, holder: str) -> int:
    return chain.deployer().at("TestToken", token).functions.balanceOf(holder).call()


def _quoter(
    chain, dex: str, kind: str, token_in: str, token_out: str, amount: int, fee: int, block: int
) -> int:
    signature = f"quoteExact{kind}Single((address,address,uint256,uint24,uint160))"
    data = encode_call(
        signature, ["(address,address,uint256,uint24,uint160)"], [(token_in, token_out, amount, fee, 0)]
    )
    raw = chain.w3.eth.call({"to": chain.manifest[dex]["quoter_v2"], "data": data}, block)
    return decode(["uint256"], raw[:32])[0]


def _mint_position(chain, pool: dict, tick: int, data) -> None:
    spacing = (PANCAKE_V3_TICK_SPACING if pool["dex"] == "pancakeswap_v3" else SUSHI_SPACING)[pool["fee"]]
    lower = (tick // spacing + data.draw(st.integers(-300, 200), label="lower")) * spacing
    upper = lower + spacing * data.draw(st.integers(1, 300), label="width")
    t0, t1 = pool["tokens"]
    amount0 = data.draw(st.integers(10**4, 10**22), label="amount0")
    amount1 = data.draw(st.integers(10**4, 10**22), label="amount1")
    d = chain.deployer(0)
    fund(chain, t0, d.sender, amount0)
    fund(chain, t1, d.sender, amount1)
    # A range far out of bounds or a zero liquidity makes the pool refuse: state unchanged, fine.
    with contextlib.suppress(Exception):
        if pool["dex"] == "pancakeswap_v3":
            slot0 = d.at("PancakeV3Pool", pool["address"]).functions.slot0().call()
            liquidity = liquidity_for_amounts(
                slot0[0], get_sqrt_ratio_at_tick(lower), get_sqrt_ratio_at_tick(upper), amount0, amount1
            )
            helper = d.at("PancakeV3Helper", chain.manifest["pancakeswap_v3"]["helper"])
            d.send(helper.functions.mint(pool["address"], d.sender, lower, upper, liquidity))
        else:
            manager = d.at("NonfungiblePositionManager", chain.manifest["sushiswap_v3"]["position_manager"])
            params = (t0, t1, pool["fee"], lower, upper, amount0, amount1, 0, 0, d.sender, FAR)
            d.send(manager.functions.mint(params))


def _swap_on_chain(chain, pool: dict, zero_for_one: bool, amount: int, account: int = 1) -> int:
    """Sell exactly `amount` in the real pool; return what the recipient received."""
    d = chain.deployer(account)
    token_in, token_out = pool["tokens"] if zero_for_one else pool["tokens"][::-1]
    fund(chain, token_in, d.sender, amount)
    before = _balance(chain, token_out, d.sender)
    if pool["dex"] == "pancakeswap_v3":
        helper = chain.manifest["pancakeswap_v3"]["helper"]
        d.send(d.at("TestToken", token_in).functions.approve(helper, amount))
        d.send(
            d.at("PancakeV3Helper", helper).functions.swap(pool["address"], d.sender, zero_for_one, amount)
        )
    else:
        router_address = chain.manifest["sushiswap_v3"]["swap_router"]
        d.send(d.at("TestToken", token_in).functions.approve(router_address, amount))
        params = (token_in, token_out, pool["fee"], d.sender, FAR, amount, 0, 0)
        d.send(d.at("SwapRouter", router_address).functions.exactInputSingle(params))
    return _balance(chain, token_out, d.sender) - before


def _read(mc: Multicall, pool: dict, block: int, window: int = WINDOW_TICKS) -> V3PoolState:
    """The pool's state, its slot0 decoded with its fork's types (as the pool kind reads it)."""
    return read_pools(mc, [pool["address"]], block, window, [fork_of(pool["dex"]).slot0_types])[0]


def _amount(data, scale: int) -> int:
    """Up to about twice `scale`, log-spread over the top 24 bits: most swaps move the price, many cross
    initialized ticks, some drain the pool."""
    low = max(scale.bit_length() - 24, 0)
    exponent = data.draw(st.integers(low, scale.bit_length() + 1), label="exponent")
    return data.draw(st.integers(max(1, 2 ** (exponent - 1)), max(1, 2**exponent)), label="amount")


def _fork_pools(chain) -> list[dict]:
    return [p for dex in FORKS for p in chain.pools(dex)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fork_swap_equals_the_real_pool(chain, data):
    pool = data.draw(st.sampled_from(_fork_pools(chain)), label="pool")
    mc = Multicall(chain.w3, chain.manifest["multicall3"])
    with chain.snapshot():
        state = _read(mc, pool, chain.w3.eth.block_number)
        for _ in range(data.draw(st.integers(0, 3), label="extra positions")):
            _mint_position(chain, pool, state.tick, data)
        if data.draw(st.booleans(), label="prior swap"):
            zfo = data.draw(st.booleans())
            budget = 10 ** (18 if pool["tokens"][0 if zfo else 1] == chain.manifest["weth"] else 8)
            with contextlib.suppress(Exception):  # a tiny amount can round to nothing: the pool refuses
                _swap_on_chain(chain, pool, zfo, data.draw(st.integers(1, budget)))
        block = chain.w3.eth.block_number
        state = _read(mc, pool, block)
        zero_for_one = data.draw(st.booleans(), label="zero_for_one")
        token_in, token_out = (state.token0, state.token1) if zero_for_one else (state.token1, state.token0)
        exact_input = pool["dex"] == "pancakeswap_v3" or data.draw(st.booleans(), label="exact input")
        if exact_input:
            amount = _amount(data, _balance(chain, token_in, pool["address"]))
        else:
            amount = _amount(data, max(_balance(chain, token_out, pool["address"]) // 2, 1))
        try:
            result = swap(state, zero_for_one, amount if exact_input else -amount)
        except IncompletePoolState:
            state = _read(mc, pool, block, FULL_RANGE)
            result = swap(state, zero_for_one, amount if exact_input else -amount)
        if not exact_input:
            if result.amount_out == amount:  # else the pool cannot deliver that much and QuoterV2 reverts
                quoted = _quoter(chain, pool["dex"], "Output", token_in, token_out, amount, state.fee, block)
                assert result.amount_in == quoted
                event(f"{pool['dex']}: exact output checked")
            return
        if result.amount_in != amount:  # the pool runs dry first: the quoters refuse, the swap fills part
            event(f"{pool['dex']}: the pool runs dry first")
            return
        assert result.amount_out == _quoter(
            chain, pool["dex"], "Input", token_in, token_out, amount, state.fee, block
        )
        if result.amount_out == 0:
            return  # routers refuse a swap that pays nothing
        assert _swap_on_chain(chain, pool, zero_for_one, amount, account=2) == result.amount_out
        after = _read(mc, pool, chain.w3.eth.block_number)
        assert (after.sqrt_price_x96, after.tick, after.liquidity) == (
            result.sqrt_price_x96,
            result.tick,
            result.liquidity,
        )
        event(f"{pool['dex']}: executed swap checked, {'multi' if result.tick_crossings else 'no'}-tick")


def test_fork_pools_cross_ticks_in_every_tier(chain):
    """Selling as much token0 as each fork pool holds walks several ranges; the real pool agrees."""
    pools = _fork_pools(chain)
    assert {p["fee"] for p in chain.pools("pancakeswap_v3")} >= {100, 2500, 10000}
    mc = Multicall(chain.w3, chain.manifest["multicall3"])
    block = chain.w3.eth.block_number
    for pool in pools:
        state = _read(mc, pool, block)
        assert len(state.ticks) >= 8
        balance = _balance(chain, state.token0, state.address)
        result = swap(state, True, balance)
        assert result.tick_crossings >= 2
        with chain.snapshot():
            assert _swap_on_chain(chain, pool, True, balance) == result.amount_out


def test_pancake_slot0_has_a_uint32_fee_protocol(chain):
    """The real Pancake pool's feeProtocol does not fit Uniswap's uint8: read with the fork's slot0 types."""
    pool = chain.pools("pancakeswap_v3")[0]
    raw = chain.w3.eth.call({"to": pool["address"], "data": encode_call("slot0()")})
    fee_protocol = decode(["uint160", "int24", "uint16", "uint16", "uint16", "uint32", "bool"], raw)[5]
    assert fee_protocol > 255
    mc = Multicall(chain.w3, chain.manifest["multicall3"])
    with pytest.raises(NonEmptyPaddingBytes):  # Uniswap's slot0 types cannot hold it
        read_pools(mc, [pool["address"]], chain.w3.eth.block_number)
    state = _read(mc, pool, chain.w3.eth.block_number)
    assert state.sqrt_price_x96 == decode(["uint160"], raw[:32])[0]


def test_pancake_pools_derive_from_the_pool_deployer(chain):
    """CREATE2 from the deployer (salt: token0, token1, fee; the pool's creation code), not the factory."""
    entry = chain.manifest["pancakeswap_v3"]
    init_hash = keccak(bytes.fromhex(load("PancakeV3Pool").bytecode.removeprefix("0x")))
    for pool in chain.pools("pancakeswap_v3"):
        t0, t1 = pool["tokens"]
        salt = keccak(encode(["address", "address", "uint24"], [t0, t1, pool["fee"]]))

        def create2(origin: str, salt: bytes = salt) -> str:
            return to_checksum_address(keccak(b"\xff" + bytes.fromhex(origin[2:]) + salt + init_hash)[12:])

        assert create2(entry["pool_deployer"]) == pool["address"]
        assert create2(entry["factory"]) != pool["address"]
