"""Read V4 pools from the PoolManager with `extsload(bytes32[])`, in three batched rounds for any number
of pools, all at one block:

1. slot0 and liquidity of every pool;
2. the tick bitmap words around each pool's current tick (the same window V3 pools are read with);
3. the first word of every initialized tick those words name (liquidityGross, liquidityNet).

A pool's key (currencies, fee, tick spacing, hooks) is not in storage: it comes from the pool's
`Initialize` event or the devnet manifest, and its id is the key's hash.
"""

from __future__ import annotations

from collections.abc import Sequence

from mevcli.chain.abi import decode, encode
from mevcli.chain.multicall import Call, Multicall, selector
from mevcli.dex.uniswap_v3.reader import FULL_RANGE, WINDOW_TICKS, initialized_ticks
from mevcli.dex.uniswap_v3.tick_bitmap import compress, position
from mevcli.dex.uniswap_v3.tick_math import MAX_TICK, MIN_TICK
from mevcli.dex.uniswap_v4.pool_key import PoolKey
from mevcli.dex.uniswap_v4.slots import (
    decode_slot0,
    decode_tick_info,
    liquidity_slot,
    pool_state_slot,
    tick_bitmap_slot,
    tick_info_slot,
)
from mevcli.dex.uniswap_v4.state import V4PoolState
from mevcli.errors import UnknownPool

_EXTSLOAD = selector("extsload(bytes32[])")
SLOTS_PER_CALL = 1000


def extsload(mc: Multicall, manager: str, slots: Sequence[int], block: int) -> list[int]:
    """The words at `slots` of `manager`, SLOTS_PER_CALL to an extsload call, the calls batched."""
    chunks = [slots[i : i + SLOTS_PER_CALL] for i in range(0, len(slots), SLOTS_PER_CALL)]
    calls = [
        Call(manager, _EXTSLOAD + encode(["bytes32[]"], [[s.to_bytes(32, "big") for s in chunk]]))
        for chunk in chunks
    ]
    words: list[int] = []
    for chunk, result in zip(chunks, mc.call(calls, block), strict=True):
        if not result.ok:
            raise UnknownPool(f"{manager} does not answer extsload: not a V4 PoolManager")
        values = decode(["bytes32[]"], result.data)[0]
        if len(values) != len(chunk):
            raise UnknownPool(f"{manager} answered extsload with {len(values)} words for {len(chunk)} slots")
        words.extend(int.from_bytes(v, "big") for v in values)
    return words


def _word_range(tick: int, spacing: int, window_ticks: int) -> tuple[int, int]:
    low = max(tick - window_ticks, MIN_TICK)
    high = min(tick + window_ticks, MAX_TICK)
    return position(compress(low, spacing))[0], position(compress(high, spacing))[0]


def read_pools(
    mc: Multicall, manager: str, keys: Sequence[PoolKey], block: int, window_ticks: int = WINDOW_TICKS
) -> list[V4PoolState]:
    ids = [k.pool_id for k in keys]
    bases = [pool_state_slot(i) for i in ids]
    header = extsload(mc, manager, [s for b in bases for s in (b, liquidity_slot(b))], block)
    slot0s = [decode_slot0(w) for w in header[0::2]]
    liquidities = header[1::2]
    for pool_id, (sqrt_price, *_) in zip(ids, slot0s, strict=True):
        if sqrt_price == 0:
            raise UnknownPool(f"V4 pool {pool_id} is not initialized in PoolManager {manager}")

    ranges = [
        _word_range(tick, key.tick_spacing, window_ticks)
        for key, (_, tick, _, _) in zip(keys, slot0s, strict=True)
    ]
    word_slots = [
        tick_bitmap_slot(b, w) for b, (lo, hi) in zip(bases, ranges, strict=True) for w in range(lo, hi + 1)
    ]
    words = iter(extsload(mc, manager, word_slots, block))
    bitmaps: list[dict[int, int]] = []
    tick_lists: list[list[int]] = []
    for key, (lo, hi) in zip(keys, ranges, strict=True):
        bitmap: dict[int, int] = {}
        ticks: list[int] = []
        for w in range(lo, hi + 1):
            word = next(words)
            if word:
                bitmap[w] = word
                ticks.extend(initialized_ticks(w, word, key.tick_spacing))
        bitmaps.append(bitmap)
        tick_lists.append(ticks)

    tick_slots = [tick_info_slot(b, t) for b, ticks in zip(bases, tick_lists, strict=True) for t in ticks]
    infos = iter(extsload(mc, manager, tick_slots, block))
    states = []
    for key, pool_id, slot0, liquidity, bitmap, ticks, (lo, hi) in zip(
        keys, ids, slot0s, liquidities, bitmaps, tick_lists, ranges, strict=True
    ):
        net: dict[int, int] = {}
        gross: dict[int, int] = {}
        for t in ticks:
            gross[t], net[t] = decode_tick_info(next(infos))
        sqrt_price, tick, protocol_fee, lp_fee = slot0
        full = _word_range(tick, key.tick_spacing, FULL_RANGE)
        states.append(
            V4PoolState(
                pool_id=pool_id,
                pool_manager=manager,
                currency0=key.currency0,
                currency1=key.currency1,
                fee=key.fee,
                tick_spacing=key.tick_spacing,
                hooks=key.hooks,
                sqrt_price_x96=sqrt_price,
                tick=tick,
                protocol_fee=protocol_fee,
                lp_fee=lp_fee,
                liquidity=liquidity,
                ticks=net,
                gross=gross,
                bitmap=bitmap,
                block=block,
                word_range=None if (lo, hi) == full else (lo, hi),
            )
        )
    return states
