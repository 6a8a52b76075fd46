"""Uniswap V4: our swap loop equals the real PoolManager (through v4-core's PoolSwapTest) to the wei.

Random extra positions and prior swaps, both directions, exact input and output, price limits, protocol
fees, the dynamic-fee pool at random LP fees up to 100 %, native ETH; after each swap the pool's slot0
and liquidity and the protocol fees accrued equal what the model says.
"""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from v4_chain import (
    add_liquidity,
    key_of,
    make_rich,
    protocol_fees_accrued,
    read,
    router_swap,
    v4,
)
from web3.exceptions import ContractLogicError

from mevcli.devnet.deployer import DeployError
from mevcli.dex.uniswap_v3.tick_math import MAX_SQRT_RATIO, MIN_SQRT_RATIO
from mevcli.dex.uniswap_v4.fees import DYNAMIC_FEE_FLAG
from mevcli.dex.uniswap_v4.pool_key import NATIVE
from mevcli.dex.uniswap_v4.swap import InvalidFeeForExactOut, swap

TRADER = 2  # the anvil account that trades and adds liquidity here


@pytest.fixture(scope="module")
def trader(chain):
    """A rich, approved trader for this module; everything it does is reverted afterwards."""
    with chain.snapshot():
        account = chain.w3.eth.accounts[TRADER]
        make_rich(chain, account)
        yield account


def _priced_pools(chain) -> list[dict]:
    return [p for p in v4(chain)["pools"] if p["hooks"].lower() != v4(chain)["delta_hook"].lower()]


def _amount(data, top: int = 90) -> int:
    # Half the draws where the devnet pools cross several initialized ticks, half anywhere up to 2**top.
    exponent = data.draw(st.integers(0, top) | st.integers(36, min(top, 72)), label="exponent")
    return data.draw(st.integers(2**exponent // 2 + 1, 2**exponent), label="amount")


@settings(max_examples=35, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_v4_swap_equals_pool_manager(chain, trader, data):
    pool = data.draw(st.sampled_from(_priced_pools(chain)), label="pool")
    key = key_of(pool)
    d = chain.deployer(0)
    manager = d.at("PoolManager", v4(chain)["pool_manager"])
    with chain.snapshot():
        tick = read(chain, pool).tick
        for salt in range(data.draw(st.integers(0, 3), label="extra positions")):
            spacing = key.tick_spacing
            lower = (tick // spacing + data.draw(st.integers(-300, 200), label="lower")) * spacing
            upper = lower + spacing * data.draw(st.integers(1, 300), label="width")
            scale = data.draw(st.integers(1, 72), label="scale")
            liquidity = data.draw(st.integers(2 ** (scale - 1), 2**scale), label="liquidity")
            # Out of the tick range or above the per-tick maximum: refused, state unchanged.
            with contextlib.suppress(ContractLogicError, DeployError):
                add_liquidity(chain, key, lower, upper, liquidity, 1000 + salt, trader)
        if data.draw(st.booleans(), label="protocol fee"):
            fee0 = data.draw(st.integers(0, 1000), label="protocol fee 0")
            fee1 = data.draw(st.integers(0, 1000), label="protocol fee 1")
            d.send(manager.functions.setProtocolFee(key.as_tuple, fee0 | fee1 << 12))
        if key.fee == DYNAMIC_FEE_FLAG:
            lp_fee = data.draw(
                st.sampled_from([0, 1, 100, 2500, 30_000, 500_000, 999_999, 1_000_000]), label="lp fee"
            )
            hook = d.at("V4ObserverHook", v4(chain)["observer_hook"])
            d.send(hook.functions.setDynamicFee(key.as_tuple, lp_fee))
        for _ in range(data.draw(st.integers(0, 2), label="prior swaps")):
            zero_for_one = data.draw(st.booleans(), label="prior direction")
            with contextlib.suppress(ContractLogicError, DeployError):
                router_swap(
                    chain, key, zero_for_one, -_amount(data, 64), _no_limit(zero_for_one), trader, send=True
                )

        state = read(chain, pool)
        zero_for_one = data.draw(st.booleans(), label="direction")
        exact_input = data.draw(st.booleans(), label="exact input")
        amount = _amount(data)
        specified = -amount if exact_input else amount
        limit = _no_limit(zero_for_one)
        if data.draw(st.booleans(), label="with a limit"):
            far = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
            limit = data.draw(
                st.integers(min(far, state.sqrt_price_x96), max(far, state.sqrt_price_x96)), label="limit"
            )

        try:
            expected = swap(state, zero_for_one, specified, limit)
        except (ValueError, ArithmeticError, InvalidFeeForExactOut) as exc:
            event(f"refused: {type(exc).__name__}")
            try:
                router_swap(chain, key, zero_for_one, specified, limit, trader, send=False)
            except ContractLogicError:
                return
            raise AssertionError(f"the model refused ({exc!r}) but the PoolManager swapped") from exc

        currency_in = key.currency0 if zero_for_one else key.currency1
        fees_before = protocol_fees_accrued(chain, currency_in)
        event(f"ticks crossed: {min(expected.tick_crossings, 3)}")
        event(f"protocol fee taken: {expected.protocol_amount > 0}")
        event(f"native: {key.currency0 == NATIVE}; fee: {expected.swap_fee}")
        delta = router_swap(chain, key, zero_for_one, specified, limit, trader, send=True)
        assert delta == (expected.amount0, expected.amount1)
        after = read(chain, pool)
        assert (after.sqrt_price_x96, after.tick, after.liquidity) == (
            expected.sqrt_price_x96,
            expected.tick,
            expected.liquidity,
        )
        assert protocol_fees_accrued(chain, currency_in) - fees_before == expected.protocol_amount


def _no_limit(zero_for_one: bool) -> int:
    return MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
