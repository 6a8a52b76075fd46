"""Exact quoters of one Balancer pool state in one direction, for sizing's many quotes of one state.

What does not depend on the amount is done once per state and direction: the token indices, the
upscaled balances, the invariant and the balance solve's own constants (composable stable), the
upscaled balances, the 30 % in-ratio limit and the weights' exponent (weighted). Each quote then
runs only the amount's own steps, in the pool's order and rounding (`base_pool.on_swap_given_in`,
`composable_stable.on_swap_given_in`). Anything out of the ordinary (an amount of 0 or past the ratio
limit, a math revert) is handed to `pools.quote`, which raises the pool's own error: the quoter
answers exactly what `pools.quote` answers.
"""

from __future__ import annotations

from mevcli.dex.balancer import fixed_point as fp
from mevcli.dex.balancer.composable_stable import upscaled_and_invariant
from mevcli.dex.balancer.errors import BalancerMathError
from mevcli.dex.balancer.stable_math import out_given_in_quoter
from mevcli.dex.balancer.state import MAX_VAULT_BALANCE, ComposableStablePoolState, WeightedPoolState
from mevcli.dex.balancer.weighted_math import MAX_IN_RATIO
from mevcli.dex.kind import HopQuoter
from mevcli.errors import MevcliError

ONE = fp.ONE
MAX_UINT256 = fp.MAX_UINT256
# Amounts below this cannot overflow amount·fee nor amount·scaling factor: no check needed per quote.
_PLAIN_AMOUNT = 2**128
_REFUSALS = (MevcliError, ArithmeticError, ValueError)  # what the math raises where the pool reverts


def _less_fee(amount: int, fee: int) -> int:
    """`base_pool.subtract_swap_fee_amount` (the fee rounded up) of an amount below _PLAIN_AMOUNT, which
    cannot overflow: no checks."""
    charged = amount * fee
    return amount - (0 if charged == 0 else (charged - 1) // ONE + 1)


def exact_hop(state: object, token_in: str, token_out: str) -> HopQuoter | None:
    """amount -> `state.quote(token_in, amount, token_out)`, the same integers; None when the state
    cannot swap (paused, an empty balance) or is not a kind this module knows."""
    if getattr(state, "paused", True):
        return None
    try:
        i, o = state.index(token_in), state.index(token_out)  # type: ignore[attr-defined]
    except MevcliError:  # not one of its tokens: the generic quote says so
        return None
    if i == o or state.balances[i] == 0 or state.balances[o] == 0:  # type: ignore[attr-defined]
        return None
    from mevcli.dex.pools import fallback_quoter  # the kinds' registry imports this module

    slow = fallback_quoter(state, token_in, token_out)  # type: ignore[arg-type]

    if type(state) is WeightedPoolState:
        return _weighted(state, i, o, slow)
    if type(state) is ComposableStablePoolState:
        return _stable(state, i, o, slow)
    return None


def _weighted(state: WeightedPoolState, i: int, o: int, slow: HopQuoter) -> HopQuoter | None:
    fee = state.swap_fee
    scale_in, scale_out = state.scaling_factors[i], state.scaling_factors[o]
    balance_in = state.balances[i] * scale_in
    balance_out = state.balances[o] * scale_out
    if balance_in * ONE > MAX_UINT256 or balance_out * ONE > MAX_UINT256:
        return None  # the checked path decides what such a pool does
    limit = fp.mul_down(balance_in, MAX_IN_RATIO)
    inflated_in = balance_in * ONE
    exponent = fp.div_down(state.weights[i], state.weights[o])
    pow_up = fp.pow_up

    def quote(amount: int) -> int:
        if not 0 < amount < _PLAIN_AMOUNT:
            return slow(amount)
        x = _less_fee(amount, fee) * scale_in
        if x > limit:
            return slow(amount)  # the pool's BAL#304, with its limit
        try:
            power = pow_up((inflated_in - 1) // (balance_in + x) + 1, exponent)
        except _REFUSALS:
            return slow(amount)
        return balance_out * (ONE - power if power < ONE else 0) // ONE // scale_out

    return quote


def _stable(state: ComposableStablePoolState, i: int, o: int, slow: HopQuoter) -> HopQuoter | None:
    try:
        upscaled, invariant = upscaled_and_invariant(state.balances, state.scaling_factors, state.amp)
    except BalancerMathError:
        return None
    fee, amp = state.swap_fee, state.amp
    factor_in, factor_out = state.scaling_factors[i], state.scaling_factors[o]
    if factor_in >= _PLAIN_AMOUNT:
        return None
    room = MAX_VAULT_BALANCE - state.balances[i]
    out_given_in = out_given_in_quoter(amp, upscaled, i, o, invariant)

    def quote(amount: int) -> int:
        if not 0 < amount <= room or amount >= _PLAIN_AMOUNT:
            return slow(amount)
        x = _less_fee(amount, fee) * factor_in // ONE
        try:
            out = out_given_in(x)
        except _REFUSALS:
            return slow(amount)  # the pool's revert, worded as the state words it
        if out * ONE > MAX_UINT256:
            return slow(amount)
        return out * ONE // factor_out

    return quote
