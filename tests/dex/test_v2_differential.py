"""Uniswap V2 / Sushi: our pair math equals the real router's getAmountsOut to the wei, on real pairs."""

from __future__ import annotations

from devnet_support import fund
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mevcli.chain.multicall import Multicall
from mevcli.dex.uniswap_v2.reader import read_pairs

MAX_UINT = 2**256 - 1


def _router(chain, dex: str):
    return chain.deployer().at("UniswapV2Router02", chain.manifest[dex]["router"])


def _swap(chain, dex: str, pair: dict, zero_for_one: bool, amount: int, account: int = 1) -> None:
    """A real swap through the router from `account`, moving the pair to a new state."""
    d = chain.deployer(account)
    token_in, token_out = pair["tokens"] if zero_for_one else pair["tokens"][::-1]
    token = d.at("TestToken", token_in)
    fund(chain, token_in, d.sender, amount)
    d.send(token.functions.approve(chain.manifest[dex]["router"], amount))
    router = _router(chain, dex)
    d.send(router.functions.swapExactTokensForTokens(amount, 0, [token_in, token_out], d.sender, 2**40))


def _v2_pools(chain):
    return chain.pools("uniswap_v2") + chain.pools("sushiswap")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_v2_quote_equals_router(chain, data):
    pools = _v2_pools(chain)
    pair = data.draw(st.sampled_from(pools))
    mc = Multicall(chain.w3, chain.manifest["multicall3"])
    with chain.snapshot():
        # Move the pair to a random new state with real swaps first.
        for _ in range(data.draw(st.integers(0, 2))):
            state = read_pairs(mc, [pair["address"]], chain.w3.eth.block_number)[0]
            zero_for_one = data.draw(st.booleans())
            reserve = state.reserve0 if zero_for_one else state.reserve1
            _swap(
                chain, pair["dex"], pair, zero_for_one, data.draw(st.integers(reserve // 10**5, reserve // 3))
            )
        block = chain.w3.eth.block_number
        state = read_pairs(mc, [pair["address"]], block)[0]
        zero_for_one = data.draw(st.booleans())
        token_in, token_out = (state.token0, state.token1) if zero_for_one else (state.token1, state.token0)
        reserve_in = state.reserve0 if zero_for_one else state.reserve1
        # From dust to several times the reserve (deep price impact).
        exponent = data.draw(st.integers(0, reserve_in.bit_length() + 3))
        amount = data.draw(st.integers(1, max(1, 2**exponent)))
        ours = state.quote(token_in, amount)
        theirs = (
            _router(chain, pair["dex"])
            .functions.getAmountsOut(amount, [token_in, token_out])
            .call(block_identifier=block)[-1]
        )
        assert ours == theirs


def test_v2_quote_matches_an_executed_swap(snapshot):
    chain = snapshot
    pair = _v2_pools(chain)[0]
    mc = Multicall(chain.w3, chain.manifest["multicall3"])
    state = read_pairs(mc, [pair["address"]], chain.w3.eth.block_number)[0]
    amount = state.reserve0 // 50
    expected = state.quote(state.token0, amount)
    d = chain.deployer(2)
    out_token = d.at("TestToken", state.token1)
    before = out_token.functions.balanceOf(d.sender).call()
    _swap(chain, pair["dex"], pair, True, amount, account=2)
    assert out_token.functions.balanceOf(d.sender).call() - before == expected
