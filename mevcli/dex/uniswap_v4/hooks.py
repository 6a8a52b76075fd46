"""Hook permissions, read from the low 14 bits of the hook address (Hooks.sol of v4-core).

A hook that can change what a swap pays or receives makes a pool unpriceable off-chain: a return delta
from beforeSwap or afterSwap, or any beforeSwap (on a dynamic-fee pool it may override the LP fee per
swap; on any pool it runs before the amounts are fixed and may move the pool first). A hook that only
observes (afterSwap without a return delta, liquidity/donate/initialize hooks) cannot change a swap's
amounts, so such pools are priced like hookless ones.
"""

from __future__ import annotations

from mevcli.dex.uniswap_v4.fees import is_dynamic_fee

BEFORE_INITIALIZE = 1 << 13
AFTER_INITIALIZE = 1 << 12
BEFORE_ADD_LIQUIDITY = 1 << 11
AFTER_ADD_LIQUIDITY = 1 << 10
BEFORE_REMOVE_LIQUIDITY = 1 << 9
AFTER_REMOVE_LIQUIDITY = 1 << 8
BEFORE_SWAP = 1 << 7
AFTER_SWAP = 1 << 6
BEFORE_DONATE = 1 << 5
AFTER_DONATE = 1 << 4
BEFORE_SWAP_RETURNS_DELTA = 1 << 3
AFTER_SWAP_RETURNS_DELTA = 1 << 2
AFTER_ADD_LIQUIDITY_RETURNS_DELTA = 1 << 1
AFTER_REMOVE_LIQUIDITY_RETURNS_DELTA = 1 << 0
ALL_HOOK_MASK = (1 << 14) - 1

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


def permissions(hooks: str) -> int:
    """The permission bits an address grants."""
    return int(hooks, 16) & ALL_HOOK_MASK


def unpriced_reason(hooks: str, key_fee: int) -> str | None:
    """Why a pool with this hook and key fee cannot be priced exactly off-chain, or None if it can."""
    flags = permissions(hooks)
    if flags & BEFORE_SWAP_RETURNS_DELTA:
        return f"its hook {hooks} may change swap amounts (beforeSwap returns a delta)"
    if flags & AFTER_SWAP_RETURNS_DELTA:
        return f"its hook {hooks} may change swap amounts (afterSwap returns a delta)"
    if flags & BEFORE_SWAP and is_dynamic_fee(key_fee):
        return f"its hook {hooks} may set the LP fee per swap (beforeSwap on a dynamic-fee pool)"
    if flags & BEFORE_SWAP:
        return f"its hook {hooks} runs before each swap and may move the pool (beforeSwap)"
    return None
