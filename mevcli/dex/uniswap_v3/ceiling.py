"""A Möbius map above every exact output of a concentrated-liquidity pool (Uniswap V3, its forks, V4).

Within a range a swap moves the price as a constant-product pool of the range's liquidity L would;
with more liquidity the price moves less and every further unit sells at a better price. So a swap
through ranges of liquidity L(p) ≤ L_max, from the current price, pays at most what one range of
L_max there would pay for the same fee-less input: `y·R_out / (R_in + y)`, with R_in, R_out the virtual
reserves of L_max at the current price. The contract takes its fee from the input first (the fee-less
input is at most y·γ/10⁶) and rounds every amount against the trader, so with R_in floored and R_out
rounded up

    quote(y) ≤ γ·R_out·y / (R_in·10⁶ + γ·y)        for every y.

L_max is the largest liquidity of the ranges the swap can enter: the current one and each one past an
initialized tick in the swap's direction, as far as the state's loaded bitmap words reach (a swap that
needs a word outside them, or a tick with no liquidityNet, raises instead of paying).
"""

from __future__ import annotations

from typing import Any

from mevcli.dex.uniswap_v3.steps import PIPS, upper_reserves
from mevcli.dex.uniswap_v3.tick_bitmap import compress, position


def liquidity_ceiling(state: Any, zero_for_one: bool) -> int:
    """The largest active liquidity a swap in this direction can meet (`state`: a V3 or V4 pool state
    with `tick`, `tick_spacing`, `liquidity`, `bitmap` and `ticks`)."""
    spacing = state.tick_spacing
    here = position(compress(state.tick, spacing))[0]
    initialized = []
    for word, bits in state.bitmap.items():
        if not bits or (word > here if zero_for_one else word < here):
            continue
        base = word * 256
        while bits:
            low = bits & -bits
            initialized.append((base + low.bit_length() - 1) * spacing)
            bits ^= low
    liquidity = highest = state.liquidity
    ticks = state.ticks
    # Selling token0 crosses the initialized ticks at or below the current one, downwards, each taking
    # its liquidityNet off; selling token1 those above it, upwards, each adding it.
    if zero_for_one:
        crossed = sorted((t for t in initialized if t <= state.tick), reverse=True)
    else:
        crossed = sorted(t for t in initialized if t > state.tick)
    for tick in crossed:
        net = ticks.get(tick)
        if net is None:
            break  # the swap raises here (no liquidityNet): it pays nothing past it
        liquidity += -net if zero_for_one else net
        if liquidity > highest:
            highest = liquidity
    return highest


def ceiling_form(state: Any, zero_for_one: bool, gamma: int) -> tuple[int, int, int] | None:
    """(a, b, c): a·y // (b + c·y) ≥ the pool's exact output for any input y, γ = 10⁶ − the fee in pips
    (see the module docstring); None without a price."""
    sqrt = state.sqrt_price_x96
    if sqrt <= 0:
        return None
    liquidity = liquidity_ceiling(state, zero_for_one)
    if liquidity <= 0:
        return 0, 1, 0  # nothing to sell: every quote pays 0 (or raises)
    reserve_in, reserve_out = upper_reserves(liquidity, sqrt, zero_for_one)
    if reserve_in <= 0:
        return None  # a floored reserve of 0 bounds nothing (a = ∞ at y → 0)
    return gamma * reserve_out, reserve_in * PIPS, gamma
