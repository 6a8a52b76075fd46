"""Storage slots of the PoolManager that StateLibrary of v4-core documents, for `extsload`.

`pools` is mapping slot 6; a pool's Pool.State starts at keccak256(poolId . 6): slot0 at +0, liquidity
at +3, the `ticks` mapping at +4 and the `tickBitmap` mapping at +5.
"""

from __future__ import annotations

from mevcli.chain.addresses import keccak

POOLS_SLOT = 6
LIQUIDITY_OFFSET = 3
TICKS_OFFSET = 4
TICK_BITMAP_OFFSET = 5
_MASK160 = (1 << 160) - 1
_MASK24 = (1 << 24) - 1
_MASK128 = (1 << 128) - 1


def _word(value: int) -> bytes:
    return (value % 2**256).to_bytes(32, "big")


def pool_state_slot(pool_id: str) -> int:
    return int.from_bytes(keccak(bytes.fromhex(pool_id[2:]) + _word(POOLS_SLOT)), "big")


def liquidity_slot(state_slot: int) -> int:
    return state_slot + LIQUIDITY_OFFSET


def tick_bitmap_slot(state_slot: int, word_pos: int) -> int:
    """`pools[id].tickBitmap[word_pos]` (the key is abi-encoded as int256)."""
    return int.from_bytes(keccak(_word(word_pos) + _word(state_slot + TICK_BITMAP_OFFSET)), "big")


def tick_info_slot(state_slot: int, tick: int) -> int:
    """The first word of `pools[id].ticks[tick]`: liquidityGross (low 128 bits), liquidityNet (high)."""
    return int.from_bytes(keccak(_word(tick) + _word(state_slot + TICKS_OFFSET)), "big")


def decode_slot0(word: int) -> tuple[int, int, int, int]:
    """(sqrtPriceX96, tick, protocolFee, lpFee) packed as StateLibrary.getSlot0 unpacks them."""
    sqrt_price = word & _MASK160
    tick = (word >> 160) & _MASK24
    if tick >= 1 << 23:
        tick -= 1 << 24
    return sqrt_price, tick, (word >> 184) & _MASK24, (word >> 208) & _MASK24


def decode_tick_info(word: int) -> tuple[int, int]:
    """(liquidityGross, liquidityNet) of a tick's first word."""
    gross = word & _MASK128
    net = word >> 128
    if net >= 1 << 127:
        net -= 1 << 128
    return gross, net
