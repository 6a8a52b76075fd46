"""Read Uniswap V2-style pairs (Uniswap, Sushi, any fork) in one Multicall3 round trip."""

from __future__ import annotations

from collections.abc import Sequence

from mevcli.chain.abi import decode
from mevcli.chain.addresses import to_checksum_address
from mevcli.chain.multicall import Call, Multicall, encode_call
from mevcli.dex.uniswap_v2.state import V2PairState
from mevcli.errors import UnknownPool

_TOKEN0 = encode_call("token0()")
_TOKEN1 = encode_call("token1()")
_RESERVES = encode_call("getReserves()")
_CALLS_PER_PAIR = 3


def read_pairs(
    mc: Multicall, addresses: Sequence[str], block: int, fee_pips: Sequence[int] | int = 3000
) -> list[V2PairState]:
    """States of `addresses` at `block`; `fee_pips` per pair (or one for all) comes from the DEX preset."""
    calls = [Call(a, data) for a in addresses for data in (_TOKEN0, _TOKEN1, _RESERVES)]
    results = mc.call(calls, block)
    fees = [fee_pips] * len(addresses) if isinstance(fee_pips, int) else list(fee_pips)
    states = []
    for i, address in enumerate(addresses):
        t0, t1, reserves = results[i * _CALLS_PER_PAIR : (i + 1) * _CALLS_PER_PAIR]
        if not (t0.ok and t1.ok and reserves.ok) or len(reserves.data) < 96:
            raise UnknownPool(f"{address} is not a Uniswap V2-style pair")
        reserve0, reserve1, _ = decode(["uint112", "uint112", "uint32"], reserves.data)
        states.append(
            V2PairState(
                address=to_checksum_address(address),
                token0=to_checksum_address(decode(["address"], t0.data)[0]),
                token1=to_checksum_address(decode(["address"], t1.data)[0]),
                reserve0=reserve0,
                reserve1=reserve1,
                fee_pips=fees[i],
                block=block,
            )
        )
    return states
