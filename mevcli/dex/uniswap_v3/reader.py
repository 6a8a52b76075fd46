"""Read Uniswap V3 pools for exact off-chain swaps, in three Multicall3 round trips for any number of pools.

1. slot0, liquidity, fee, tickSpacing, token0, token1 of every pool;
2. the tick bitmap words around each pool's current tick (a window wide enough for any realistic swap);
3. liquidityNet / liquidityGross of every initialized tick those words name.
All reads are pinned to one block, so the state is consistent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mevcli.chain.abi import decode
from mevcli.chain.addresses import to_checksum_address
from mevcli.chain.multicall import Call, Multicall, encode_call
from mevcli.dex.uniswap_v3.state import V3PoolState
from mevcli.dex.uniswap_v3.tick_bitmap import compress, position
from mevcli.dex.uniswap_v3.tick_math import MAX_TICK, MIN_TICK
from mevcli.errors import UnknownPool

# Ticks either side of the current one whose bitmap words we load by default: 2**16 ticks is a price
# move of about 700x, far past any swap an arbitrage would make. A swap that would leave the window
# raises IncompletePoolState; FULL_RANGE loads every word (what a pool-draining quote needs).
WINDOW_TICKS = 2**16
FULL_RANGE = 2 * MAX_TICK
_HEADER = [
    encode_call("slot0()"),
    encode_call("liquidity()"),
    encode_call("fee()"),
    encode_call("tickSpacing()"),
    encode_call("token0()"),
    encode_call("token1()"),
]
SLOT0_TYPES = ["uint160", "int24", "uint16", "uint16", "uint16", "uint8", "bool"]
_TICK_TYPES = ["uint128", "int128", "uint256", "uint256", "int56", "uint160", "uint32", "bool"]


@dataclass(frozen=True, slots=True)
class _Header:
    address: str
    token0: str
    token1: str
    fee: int
    tick_spacing: int
    sqrt_price_x96: int
    tick: int
    liquidity: int

    def word_range(self, window_ticks: int) -> tuple[int, int]:
        """Inclusive bitmap word positions covering the window, clamped to the usable tick range."""
        spacing = self.tick_spacing
        low = max(self.tick - window_ticks, MIN_TICK)
        high = min(self.tick + window_ticks, MAX_TICK)
        return position(compress(low, spacing))[0], position(compress(high, spacing))[0]

    def full_range(self) -> tuple[int, int]:
        return self.word_range(FULL_RANGE)


def _read_headers(
    mc: Multicall, addresses: Sequence[str], block: int, slot0_types: Sequence[Sequence[str]] | None
) -> list[_Header]:
    calls = [Call(a, data) for a in addresses for data in _HEADER]
    results = mc.call(calls, block)
    headers = []
    n = len(_HEADER)
    for i, address in enumerate(addresses):
        slot0, liquidity, fee, spacing, token0, token1 = results[i * n : (i + 1) * n]
        if not all(r.ok and len(r.data) >= 32 for r in (slot0, liquidity, fee, spacing, token0, token1)):
            raise UnknownPool(f"{address} is not a Uniswap V3 pool")
        types = SLOT0_TYPES if slot0_types is None else slot0_types[i]
        sqrt_price, tick, *_ = decode(types, slot0.data)
        headers.append(
            _Header(
                address=to_checksum_address(address),
                token0=to_checksum_address(decode(["address"], token0.data)[0]),
                token1=to_checksum_address(decode(["address"], token1.data)[0]),
                fee=decode(["uint24"], fee.data)[0],
                tick_spacing=decode(["int24"], spacing.data)[0],
                sqrt_price_x96=sqrt_price,
                tick=tick,
                liquidity=decode(["uint128"], liquidity.data)[0],
            )
        )
    return headers


def initialized_ticks(word_pos: int, word: int, spacing: int) -> list[int]:
    """Ticks whose bits are set in bitmap word `word_pos`."""
    ticks = []
    while word:
        bit = (word & -word).bit_length() - 1
        ticks.append((word_pos * 256 + bit) * spacing)
        word &= word - 1
    return ticks


def read_pools(
    mc: Multicall,
    addresses: Sequence[str],
    block: int,
    window_ticks: int = WINDOW_TICKS,
    slot0_types: Sequence[Sequence[str]] | None = None,
) -> list[V3PoolState]:
    """States of `addresses` at `block`; `slot0_types`: per pool, the ABI types of its fork's `slot0()`
    (Uniswap's when None)."""
    headers = _read_headers(mc, addresses, block, slot0_types)
    ranges = [h.word_range(window_ticks) for h in headers]
    word_calls = [
        Call(h.address, encode_call("tickBitmap(int16)", ["int16"], [w]))
        for h, (lo, hi) in zip(headers, ranges, strict=True)
        for w in range(lo, hi + 1)
    ]
    word_results = iter(mc.call(word_calls, block))
    bitmaps: list[dict[int, int]] = []
    tick_lists: list[list[int]] = []
    for h, (lo, hi) in zip(headers, ranges, strict=True):
        bitmap: dict[int, int] = {}
        ticks: list[int] = []
        for w in range(lo, hi + 1):
            word = int.from_bytes(next(word_results).data[:32], "big")
            if word:
                bitmap[w] = word
                ticks.extend(initialized_ticks(w, word, h.tick_spacing))
        bitmaps.append(bitmap)
        tick_lists.append(ticks)
    tick_calls = [
        Call(h.address, encode_call("ticks(int24)", ["int24"], [t]))
        for h, ticks in zip(headers, tick_lists, strict=True)
        for t in ticks
    ]
    tick_results = iter(mc.call(tick_calls, block))
    states = []
    for h, bitmap, ticks, words in zip(headers, bitmaps, tick_lists, ranges, strict=True):
        net: dict[int, int] = {}
        gross: dict[int, int] = {}
        for t in ticks:
            liquidity_gross, liquidity_net, *_ = decode(_TICK_TYPES, next(tick_results).data)
            net[t] = liquidity_net
            gross[t] = liquidity_gross
        states.append(
            V3PoolState(
                address=h.address,
                token0=h.token0,
                token1=h.token1,
                fee=h.fee,
                tick_spacing=h.tick_spacing,
                sqrt_price_x96=h.sqrt_price_x96,
                tick=h.tick,
                liquidity=h.liquidity,
                ticks=net,
                gross=gross,
                bitmap=bitmap,
                block=block,
                word_range=None if words == h.full_range() else words,
            )
        )
    return states
