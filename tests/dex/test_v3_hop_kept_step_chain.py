"""A V3 hop asked in a shuffled order (so it often answers from the step its last walk ended in) gives the
real QuoterV2's output to the wei, on the devnet's V3 pools of every fee tier, both directions, for
amounts at, just below and just past the ends of the swap steps the pool's liquidity covers."""

from __future__ import annotations

import random

from eth_abi import decode

from mevcli.chain.multicall import Multicall, encode_call
from mevcli.dex.uniswap_v3.reader import FULL_RANGE, read_pools
from mevcli.dex.uniswap_v3.steps import PIPS, QUOTE_ERRORS, V3Hop
from mevcli.dex.uniswap_v3.swap import quote_exact_input


def _quoter(chain, token_in: str, token_out: str, amount: int, fee: int, block: int) -> int:
    data = encode_call(
        "quoteExactInputSingle((address,address,uint256,uint24,uint160))",
        ["(address,address,uint256,uint24,uint160)"],
        [(token_in, token_out, amount, fee, 0)],
    )
    raw = chain.w3.eth.call({"to": chain.manifest["uniswap_v3"]["quoter_v2"], "data": data}, block)
    return decode(["uint256", "uint160", "uint32", "uint256"], raw)[0]


def _step_ends(state, token_in: str, rng: random.Random) -> list[list[int]]:
    """Per step (up to 8): two amounts inside it, a unit below its end, its end (the input that completes
    it) and a unit past it (the next step's first)."""
    probe = V3Hop(state, token_in)
    groups, before = [], 0
    for i in range(8):
        while len(probe._steps) <= i and probe._end is None:
            probe._extend()
        if len(probe._steps) <= i or isinstance(probe._steps[i][4], Exception):
            break
        reach, reached = probe._steps[i][3:5]
        end = before - (-reach * PIPS // (PIPS - probe.fee))
        inside = [before + rng.randrange(1, end - before + 1) for _ in range(2)]
        groups.append([a for a in [*inside, end - 1, end, end + 1] if a > 0])
        before += reached[0]
    return groups


def test_a_hop_asked_in_shuffled_order_equals_quoter_v2(chain):
    rng = random.Random(5)
    mc = Multicall(chain.w3, chain.manifest["multicall3"])
    block = chain.w3.eth.block_number
    pools = [p["address"] for p in chain.pools("uniswap_v3")]
    compared = kept = past_first = 0
    for state in read_pools(mc, pools, block, FULL_RANGE):
        for token_in, token_out in ((state.token0, state.token1), (state.token1, state.token0)):
            groups = _step_ends(state, token_in, rng)
            hop = V3Hop(state, token_in)
            order = []  # steps in random order, each step's amounts shuffled, a large amount between some
            for group in rng.sample(groups, len(groups)):
                order += rng.sample(group, len(group)) + ([10**30] if rng.random() < 0.5 else [])
            order += rng.sample(order, len(order) // 3)  # and some in no order at all
            for amount in order:
                near = hop._near
                kept += near is not None and near[0] < amount < near[1]
                try:
                    got = hop(amount)
                except QUOTE_ERRORS:
                    continue  # past the liquidity: QuoterV2 quotes the partial fill, the pool loop refuses
                where = (state.address, token_in, amount)
                assert got == quote_exact_input(state, token_in, amount), where
                assert got == _quoter(chain, token_in, token_out, amount, state.fee, block), where
                compared += 1
                past_first += amount >= hop.first_end
    assert compared > 300 and kept > 80 and past_first > 250
