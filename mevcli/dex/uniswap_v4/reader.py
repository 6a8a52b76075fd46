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
from mevcli.dex.uniswap_v3.reader import WINDOW_TICKS, read_tick_windows
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


def read_pools(
    mc: Multicall, manager: str, keys: Sequence[PoolKey], block: int, window_ticks: int = WINDOW_TICKS
) -> list[V4PoolState]:
    ids = [k.pool_id for k in keys]
    bases = {pool_id: pool_state_slot(pool_id) for pool_id in ids}
    header = extsload(mc, manager, [s for b in bases.values() for s in (b, liquidity_slot(b))], block)
    headers = []
    for key, pool_id, slot0, liquidity in zip(keys, ids, header[0::2], header[1::2], strict=True):
        sqrt_price, tick, protocol_fee, lp_fee = decode_slot0(slot0)
        if sqrt_price == 0:
            raise UnknownPool(f"V4 pool {pool_id} is not initialized in PoolManager {manager}")
        headers.append(
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
                ticks={},
                bitmap={},
                block=block,
            )
        )

    def read_words(requests: list[tuple[V4PoolState, int]]) -> list[int]:
        return extsload(mc, manager, [tick_bitmap_slot(bases[h.pool_id], w) for h, w in requests], block)

    def read_ticks(requests: list[tuple[V4PoolState, int]]) -> list[tuple[int, int]]:
        slots = [tick_info_slot(bases[h.pool_id], t) for h, t in requests]
        return [decode_tick_info(word) for word in extsload(mc, manager, slots, block)]

    return read_tick_windows(headers, window_ticks, read_words, read_ticks)
