"""Read Uniswap V3 pools for exact off-chain swaps, in two round trips for any number of pools.

1. slot0, liquidity, fee, tickSpacing, token0, token1 of every pool (Multicall3);
2. the tick bitmap words around each pool's current tick (a window wide enough for any realistic swap)
   and liquidityNet / liquidityGross of every initialized tick those words name, by `window_reader`:
   one eth_call per few thousand words instead of a Multicall3 call per word and per tick. Where the
   node refuses that call, two Multicall3 rounds instead (words, then ticks).
All reads are pinned to one block, so the state is consistent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TypeVar

from mevcli.chain.abi import decode
from mevcli.chain.addresses import to_checksum_address
from mevcli.chain.multicall import Call, Multicall, encode_call
from mevcli.dex.uniswap_v3.state import TickedState, V3PoolState
from mevcli.dex.uniswap_v3.tick_bitmap import compress, position
from mevcli.dex.uniswap_v3.tick_math import MAX_TICK, MIN_TICK
from mevcli.dex.uniswap_v3.window_reader import Window, read_windows_at_once
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


def word_range(tick: int, spacing: int, window_ticks: int) -> tuple[int, int]:
    """Inclusive bitmap word positions covering `window_ticks` either side of `tick`, clamped to the usable
    tick range."""
    low = max(tick - window_ticks, MIN_TICK)
    high = min(tick + window_ticks, MAX_TICK)
    return position(compress(low, spacing))[0], position(compress(high, spacing))[0]


def _read_headers(
    mc: Multicall, addresses: Sequence[str], block: int, slot0_types: Sequence[Sequence[str]] | None
) -> list[V3PoolState]:
    """Each pool's state without its ticks: slot0, liquidity, fee, spacing and tokens."""
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
            V3PoolState(
                address=to_checksum_address(address),
                token0=to_checksum_address(decode(["address"], token0.data)[0]),
                token1=to_checksum_address(decode(["address"], token1.data)[0]),
                fee=decode(["uint24"], fee.data)[0],
                tick_spacing=decode(["int24"], spacing.data)[0],
                sqrt_price_x96=sqrt_price,
                tick=tick,
                liquidity=decode(["uint128"], liquidity.data)[0],
                ticks={},
                bitmap={},
                block=block,
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


P = TypeVar("P", bound=TickedState)


def read_tick_windows(
    headers: Sequence[P],
    window_ticks: int,
    read_words: Callable[[list[tuple[P, int]]], Sequence[int]],
    read_ticks: Callable[[list[tuple[P, int]]], Sequence[tuple[int, int]]],
    read_windows: Callable[[list[tuple[P, int, int]]], Sequence[Window | None]] | None = None,
) -> list[P]:
    """`headers` (states without ticks) with their tick structure. With `read_windows` (pool, first word,
    last word -> the pool's window, or None), one read for all pools; for the pools it answered None (or
    without it), two batched reads: the bitmap words within `window_ticks` of each price (`read_words` of
    (pool, word position) pairs), then every initialized tick those words name (`read_ticks` of (pool,
    tick) pairs: liquidityGross, liquidityNet). `word_range` stays None when the window covers every word."""
    ranges = [word_range(h.tick, h.tick_spacing, window_ticks) for h in headers]
    windows: list[Window | None] = [None] * len(headers)
    if read_windows is not None and headers:
        windows = list(read_windows([(h, lo, hi) for h, (lo, hi) in zip(headers, ranges, strict=True)]))
    rest = [i for i, w in enumerate(windows) if w is None]
    spans = {i: range(ranges[i][0], ranges[i][1] + 1) for i in rest}
    words = iter(read_words([(headers[i], w) for i in rest for w in spans[i]]))
    bitmaps = {i: {w: word for w in spans[i] if (word := next(words))} for i in rest}
    tick_lists = {i: _bitmap_ticks(bitmaps[i], headers[i].tick_spacing) for i in rest}
    infos = iter(read_ticks([(headers[i], t) for i in rest for t in tick_lists[i]]))
    for i in rest:
        windows[i] = (bitmaps[i], [next(infos) for _ in tick_lists[i]])
    states = []
    for h, window, loaded in zip(headers, windows, ranges, strict=True):
        assert window is not None
        bitmap, answers = window
        ticks = _bitmap_ticks(bitmap, h.tick_spacing)
        gross = {t: g for t, (g, _) in zip(ticks, answers, strict=True)}
        net = {t: n for t, (_, n) in zip(ticks, answers, strict=True)}
        complete = loaded == word_range(h.tick, h.tick_spacing, FULL_RANGE)
        states.append(
            replace(h, ticks=net, gross=gross, bitmap=bitmap, word_range=None if complete else loaded)
        )
    return states


def _bitmap_ticks(bitmap: dict[int, int], spacing: int) -> list[int]:
    """The initialized ticks a window's non-zero words name, words ascending, bits ascending."""
    return [t for w, word in bitmap.items() for t in initialized_ticks(w, word, spacing)]


def read_pools(
    mc: Multicall,
    addresses: Sequence[str],
    block: int,
    window_ticks: int = WINDOW_TICKS,
    slot0_types: Sequence[Sequence[str]] | None = None,
) -> list[V3PoolState]:
    """States of `addresses` at `block`; `slot0_types`: per pool, the ABI types of its fork's `slot0()`
    (Uniswap's when None)."""

    def read_words(requests: list[tuple[V3PoolState, int]]) -> list[int]:
        calls = [Call(h.address, encode_call("tickBitmap(int16)", ["int16"], [w])) for h, w in requests]
        return [int.from_bytes(r.data[:32], "big") for r in mc.call(calls, block)]

    def read_ticks(requests: list[tuple[V3PoolState, int]]) -> list[tuple[int, int]]:
        calls = [Call(h.address, encode_call("ticks(int24)", ["int24"], [t])) for h, t in requests]
        return [tuple(decode(_TICK_TYPES, r.data)[:2]) for r in mc.call(calls, block)]

    def read_windows(requests: list[tuple[V3PoolState, int, int]]) -> list[Window | None]:
        pools = [(h.address, h.tick_spacing, low, high) for h, low, high in requests]
        return read_windows_at_once(mc, pools, block)

    headers = _read_headers(mc, addresses, block, slot0_types)
    return read_tick_windows(headers, window_ticks, read_words, read_ticks, read_windows)
