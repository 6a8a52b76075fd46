"""Uniswap V4: one PoolManager holds every pool; state through `extsload`, exact swap math as Pool.swap.

Modules mirror v4-core: fees (LPFeeLibrary, ProtocolFeeLibrary), hooks (Hooks' permission bits),
pool_key (PoolKey, PoolId), slots (StateLibrary's storage layout), swap_math (SwapMath), swap (Pool.swap).
The tick math, bitmap and liquidity math are V3's, which V4 keeps unchanged.
"""
