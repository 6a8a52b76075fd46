"""What a composable stable pool does around StableMath in `onSwap` for a token-to-token swap
(BaseGeneralPool._swapGivenIn/_swapGivenOut, then ComposableStablePool._onRegularSwap).

Balances, indices and scaling factors here leave the pool's BPT out already (`_dropBptItem`). The
invariant is computed afresh from the current balances with the current amplification on every swap.
Protocol fees are not a step of a token-to-token swap: the pool pays them by minting BPT before a
join or exit, which moves no token balance.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from mevcli.dex.balancer.base_pool import (
    add_swap_fee_amount,
    downscale_down_fp,
    downscale_up_fp,
    subtract_swap_fee_amount,
    upscale_fp,
)
from mevcli.dex.balancer.fixed_point import ONE
from mevcli.dex.balancer.stable_math import (
    calc_in_given_out,
    calc_out_given_in,
    calculate_invariant,
)
from mevcli.dex.balancer.stable_math import marginal_rate as _marginal_rate


@lru_cache(maxsize=4096)
def _invariant(amp: int, upscaled: tuple[int, ...]) -> int:
    """The invariant of one state: sizing quotes the same state many times, the balances stay put."""
    return calculate_invariant(amp, upscaled)


def upscaled_and_invariant(
    balances: Sequence[int], scaling_factors: Sequence[int], amp: int
) -> tuple[tuple[int, ...], int]:
    """The 18-decimal balances the math sees, and their invariant."""
    upscaled = tuple(upscale_fp(b, f) for b, f in zip(balances, scaling_factors, strict=True))
    return upscaled, _invariant(amp, upscaled)


def on_swap_given_in(
    amount_in: int,
    balances: Sequence[int],
    index_in: int,
    index_out: int,
    scaling_factors: Sequence[int],
    amp: int,
    swap_fee: int,
) -> int:
    """Amount out (raw units) for a raw `amount_in`: fee off first, then upscale, math, downscale down."""
    amount = upscale_fp(subtract_swap_fee_amount(amount_in, swap_fee), scaling_factors[index_in])
    upscaled, invariant = upscaled_and_invariant(balances, scaling_factors, amp)
    amount_out = calc_out_given_in(amp, upscaled, index_in, index_out, amount, invariant)
    return downscale_down_fp(amount_out, scaling_factors[index_out])


def on_swap_given_out(
    amount_out: int,
    balances: Sequence[int],
    index_in: int,
    index_out: int,
    scaling_factors: Sequence[int],
    amp: int,
    swap_fee: int,
) -> int:
    """Amount in (raw units, fee included) that buys a raw `amount_out`."""
    amount = upscale_fp(amount_out, scaling_factors[index_out])
    upscaled, invariant = upscaled_and_invariant(balances, scaling_factors, amp)
    amount_in = calc_in_given_out(amp, upscaled, index_in, index_out, amount, invariant)
    return add_swap_fee_amount(downscale_up_fp(amount_in, scaling_factors[index_in]), swap_fee)


def marginal_rate(
    balances: Sequence[int],
    index_in: int,
    index_out: int,
    scaling_factors: Sequence[int],
    amp: int,
    swap_fee: int,
) -> tuple[int, int]:
    """(num, den): raw units out per raw unit in for an infinitesimal `on_swap_given_in`, fee included
    (1 − fee, then scaling_in / scaling_out around StableMath's rate on the upscaled balances)."""
    upscaled, invariant = upscaled_and_invariant(balances, scaling_factors, amp)
    num, den = _marginal_rate(amp, upscaled, index_in, index_out, invariant)
    return num * (ONE - swap_fee) * scaling_factors[index_in], den * ONE * scaling_factors[index_out]
