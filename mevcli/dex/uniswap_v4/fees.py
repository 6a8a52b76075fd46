"""V4 fees in pips (1_000_000 = 100 %): LPFeeLibrary and ProtocolFeeLibrary of v4-core."""

from __future__ import annotations

from mevcli.dex.uniswap_v3.swap_math import FEE_DENOMINATOR

# 100 % in pips, under the names v4-core gives it (ProtocolFeeLibrary, LPFeeLibrary, SwapMath); V3's too.
PIPS_DENOMINATOR = MAX_LP_FEE = MAX_SWAP_FEE = FEE_DENOMINATOR
MAX_PROTOCOL_FEE = 1000
# A pool key whose fee is exactly this flag has a dynamic LP fee, kept in slot0 and set by its hook.
DYNAMIC_FEE_FLAG = 0x800000
# beforeSwap may return an LP fee with this bit set to override slot0's for one swap.
OVERRIDE_FEE_FLAG = 0x400000


def is_dynamic_fee(key_fee: int) -> bool:
    """LPFeeLibrary.isDynamicFee: the key's fee is the dynamic flag itself."""
    return key_fee == DYNAMIC_FEE_FLAG


def zero_for_one_fee(protocol_fee: int) -> int:
    """The protocol fee charged on token0 input (the low 12 bits of slot0's protocol fee)."""
    return protocol_fee & 0xFFF


def one_for_zero_fee(protocol_fee: int) -> int:
    """The protocol fee charged on token1 input (the high 12 bits)."""
    return (protocol_fee >> 12) & 0xFFF


def calculate_swap_fee(protocol_fee: int, lp_fee: int) -> int:
    """ProtocolFeeLibrary.calculateSwapFee: protocol fee first, the LP fee from the rest (rounded up)."""
    protocol_fee &= 0xFFF
    lp_fee &= 0xFFFFFF
    return protocol_fee + lp_fee - protocol_fee * lp_fee // PIPS_DENOMINATOR


def directional_protocol_fee(protocol_fee: int, zero_for_one: bool) -> int:
    return zero_for_one_fee(protocol_fee) if zero_for_one else one_for_zero_fee(protocol_fee)


def swap_fee(protocol_fee: int, lp_fee: int, zero_for_one: bool) -> int:
    """The fee Pool.swap charges in one direction: the LP fee alone, or combined with the protocol's."""
    directional = directional_protocol_fee(protocol_fee, zero_for_one)
    return lp_fee if directional == 0 else calculate_swap_fee(directional, lp_fee)
