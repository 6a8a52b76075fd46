"""Uniswap V4: the sizing search's quoter (`V4Hop`, steps found once per state and direction) pays what
the full swap pays (`UniswapV4Kind.quote`, equal to the PoolManager by `test_v4_differential.py`), and
refuses what it refuses, on devnet pools reshaped at random: extra positions, protocol fees, dynamic LP
fees up to 100 %, prior swaps, tick windows that leave words unloaded."""

from __future__ import annotations

import contextlib
import random

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from test_v4_differential import trader  # noqa: F401 (the rich, approved trader fixture)
from v4_chain import add_liquidity, key_of, read, router_swap, v4
from web3.exceptions import ContractLogicError

from mevcli.devnet.deployer import DeployError
from mevcli.dex.uniswap_v3.tick_math import MAX_SQRT_RATIO, MIN_SQRT_RATIO
from mevcli.dex.uniswap_v4.fees import DYNAMIC_FEE_FLAG
from mevcli.dex.uniswap_v4.hop import V4Hop
from mevcli.dex.uniswap_v4.kind import UniswapV4Kind
from mevcli.errors import MevcliError


def _outcome(quote, amount: int) -> int | tuple[type, int | None]:
    """The quote, or the error's type and what the pool would have filled."""
    try:
        return quote(amount)
    except MevcliError as exc:
        return type(exc), getattr(exc, "filled", None)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_v4_hop_quotes_as_the_full_swap(chain, trader, data):  # noqa: F811 (the fixture)
    pools = [p for p in v4(chain)["pools"] if p["hooks"].lower() != v4(chain)["delta_hook"].lower()]
    pool = data.draw(st.sampled_from(pools), label="pool")
    key = key_of(pool)
    d = chain.deployer(0)
    with chain.snapshot():
        at = read(chain, pool).tick // key.tick_spacing
        shape = st.tuples(st.integers(-300, 200), st.integers(1, 300), st.integers(1, 72))
        for salt, (offset, width, scale) in enumerate(
            data.draw(st.lists(shape, max_size=3), label="positions")
        ):
            ticks = ((at + offset) * key.tick_spacing, (at + offset + width) * key.tick_spacing)
            with contextlib.suppress(ContractLogicError, DeployError):
                add_liquidity(chain, key, *ticks, 2**scale, 2000 + salt, trader)
        if data.draw(st.booleans(), label="protocol fee"):
            fees = data.draw(st.integers(0, 1000), label="fee 0") | data.draw(st.integers(0, 1000)) << 12
            manager = d.at("PoolManager", v4(chain)["pool_manager"])
            d.send(manager.functions.setProtocolFee(key.as_tuple, fees))
        if key.fee == DYNAMIC_FEE_FLAG:
            lp_fee = data.draw(st.sampled_from([0, 100, 3000, 999_999, 1_000_000]), label="lp fee")
            hook = d.at("V4ObserverHook", v4(chain)["observer_hook"])
            d.send(hook.functions.setDynamicFee(key.as_tuple, lp_fee))
        if data.draw(st.booleans(), label="prior swap"):
            zero_for_one = data.draw(st.booleans(), label="prior direction")
            limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
            with contextlib.suppress(ContractLogicError, DeployError):
                router_swap(
                    chain, key, zero_for_one, -(10 ** data.draw(st.integers(3, 24))), limit, trader, send=True
                )
        window = data.draw(st.sampled_from([None, 1, 3]), label="window words")
        state = (
            read(chain, pool) if window is None else read(chain, pool, window=window * 256 * key.tick_spacing)
        )
    kind = UniswapV4Kind()
    rng = random.Random(data.draw(st.integers(0, 2**32), label="seed"))
    for token_in in (state.currency0, state.currency1):
        hop = kind.exact_hop(state, token_in, "")
        assert isinstance(hop, V4Hop)
        amounts = [rng.randint(1, 2 ** rng.randint(1, 110)) for _ in range(40)]
        for amount in amounts + amounts[:10]:  # asked again: the steps found are reused
            full = _outcome(lambda a, t=token_in: kind.quote(state, t, a, None), amount)
            assert _outcome(hop, amount) == full
            event(type(full).__name__ if isinstance(full, int) else full[0].__name__)
        event(f"steps found: {min(len(hop.steps), 4)}")
