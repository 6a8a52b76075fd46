"""The swap loop of v4-core's Pool.swap on a `V4PoolState`, and quotes from it.

Signs follow V4: `amount_specified` < 0 is exact input, > 0 exact output; the result's `amount0` /
`amount1` are the swapper's BalanceDelta (< 0 owed to the PoolManager, > 0 owed to the swapper). The
protocol fee is combined with the LP fee as Pool.swap does; its split does not change the amounts.
"""

from __future__ import annotations

from dataclasses import dataclass

from mevcli.dex.uniswap_v3.full_math import MAX_INT256, MIN_INT256, MathOverflow
from mevcli.dex.uniswap_v3.liquidity_math import add_delta
from mevcli.dex.uniswap_v3.swap import IncompletePoolState, InsufficientLiquidity, InvalidPriceLimit
from mevcli.dex.uniswap_v3.tick_bitmap import compress, next_initialized_tick_within_one_word, position
from mevcli.dex.uniswap_v3.tick_math import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
)
from mevcli.dex.uniswap_v4.fees import MAX_SWAP_FEE, PIPS_DENOMINATOR, directional_protocol_fee
from mevcli.dex.uniswap_v4.state import V4PoolState
from mevcli.dex.uniswap_v4.swap_math import compute_swap_step, get_sqrt_price_target
from mevcli.errors import MevcliError, PoolMathError

MAX_INT128 = 2**127 - 1
MIN_INT128 = -(2**127)


class InvalidFeeForExactOut(PoolMathError):
    """A 100 % swap fee leaves nothing to buy an exact output with (Pool.InvalidFeeForExactOut)."""


class UnpricedPool(MevcliError):
    """The pool's hook may change swaps, so no off-chain quote is exact."""


@dataclass(frozen=True, slots=True, kw_only=True)
class V4SwapResult:
    zero_for_one: bool
    amount0: int
    amount1: int
    sqrt_price_x96: int
    tick: int
    liquidity: int
    swap_fee: int  # pips, what the Swap event names
    fee_amount: int  # LP fee paid in the input token
    protocol_amount: int  # protocol fee paid in the input token
    tick_crossings: int

    @property
    def amount_in(self) -> int:
        return -(self.amount0 if self.zero_for_one else self.amount1)

    @property
    def amount_out(self) -> int:
        return self.amount1 if self.zero_for_one else self.amount0


def _to_int128(value: int) -> int:
    if not MIN_INT128 <= value <= MAX_INT128:
        raise MathOverflow("SafeCast.toInt128: value does not fit in int128")
    return value


def _checked_int256(value: int) -> int:
    if not MIN_INT256 <= value <= MAX_INT256:
        raise MathOverflow("int256 overflow")
    return value


def swap(
    state: V4PoolState, zero_for_one: bool, amount_specified: int, sqrt_price_limit_x96: int | None = None
) -> V4SwapResult:
    """Simulate PoolManager.swap of a pool whose hook cannot change the swap (the caller checks that).

    Without a limit the swap may run to MIN_SQRT_PRICE + 1 / MAX_SQRT_PRICE - 1.
    """
    if amount_specified == 0:
        raise ValueError("amount_specified must be non-zero (SwapAmountCannotBeZero)")
    if not MIN_INT256 <= amount_specified <= MAX_INT256:
        raise MathOverflow("amount_specified does not fit in int256")
    if sqrt_price_limit_x96 is None:
        sqrt_price_limit_x96 = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1

    protocol_fee = directional_protocol_fee(state.protocol_fee, zero_for_one)
    fee = state.swap_fee(zero_for_one)
    if fee >= MAX_SWAP_FEE and amount_specified > 0:
        raise InvalidFeeForExactOut(f"pool {state.pool_id}: a {fee} pip fee cannot buy an exact output")
    if zero_for_one:
        if not MIN_SQRT_RATIO < sqrt_price_limit_x96 < state.sqrt_price_x96:
            raise InvalidPriceLimit(
                f"price limit {sqrt_price_limit_x96} not in (MIN_SQRT_PRICE, {state.sqrt_price_x96})"
            )
    elif not state.sqrt_price_x96 < sqrt_price_limit_x96 < MAX_SQRT_RATIO:
        raise InvalidPriceLimit(
            f"price limit {sqrt_price_limit_x96} not in ({state.sqrt_price_x96}, MAX_SQRT_PRICE)"
        )

    exact_output = amount_specified > 0
    ticks, bitmap, spacing = state.ticks, state.bitmap, state.tick_spacing
    remaining = amount_specified
    calculated = 0
    sqrt_price_x96, tick, liquidity = state.sqrt_price_x96, state.tick, state.liquidity
    fee_total = protocol_total = crossings = 0

    while remaining != 0 and sqrt_price_x96 != sqrt_price_limit_x96:
        start = sqrt_price_x96
        if state.word_range is not None:
            word = position(compress(tick, spacing) + (0 if zero_for_one else 1))[0]
            if not state.word_range[0] <= word <= state.word_range[1]:
                raise IncompletePoolState(
                    f"V4 pool {state.pool_id}: the swap reaches tick bitmap word {word}, outside the loaded "
                    f"words {state.word_range[0]}..{state.word_range[1]}"
                )
        tick_next, initialized = next_initialized_tick_within_one_word(bitmap, tick, spacing, zero_for_one)
        tick_next = min(max(tick_next, MIN_TICK), MAX_TICK)
        sqrt_price_next = get_sqrt_ratio_at_tick(tick_next)
        target = get_sqrt_price_target(zero_for_one, sqrt_price_next, sqrt_price_limit_x96)

        sqrt_price_x96, step_in, step_out, step_fee = compute_swap_step(
            sqrt_price_x96, target, liquidity, remaining, fee
        )
        if exact_output:
            remaining -= step_out
            calculated = _checked_int256(calculated - (step_in + step_fee))
        else:
            remaining += step_in + step_fee
            calculated = _checked_int256(calculated + step_out)

        if protocol_fee > 0:
            delta = (
                step_fee if fee == protocol_fee else (step_in + step_fee) * protocol_fee // PIPS_DENOMINATOR
            )
            step_fee -= delta
            protocol_total += delta
        fee_total += step_fee

        if sqrt_price_x96 == sqrt_price_next:
            if initialized:
                try:
                    net = ticks[tick_next]
                except KeyError:
                    raise IncompletePoolState(
                        f"V4 pool {state.pool_id}: tick {tick_next} is set in the bitmap but has no "
                        "liquidityNet"
                    ) from None
                liquidity = add_delta(liquidity, -net if zero_for_one else net)
                crossings += 1
            tick = tick_next - 1 if zero_for_one else tick_next
        elif sqrt_price_x96 != start:
            tick = get_tick_at_sqrt_ratio(sqrt_price_x96)

    specified = _to_int128(amount_specified - remaining)
    calculated = _to_int128(calculated)
    if zero_for_one != (amount_specified < 0):
        amount0, amount1 = calculated, specified
    else:
        amount0, amount1 = specified, calculated
    return V4SwapResult(
        zero_for_one=zero_for_one,
        amount0=amount0,
        amount1=amount1,
        sqrt_price_x96=sqrt_price_x96,
        tick=tick,
        liquidity=liquidity,
        swap_fee=fee,
        fee_amount=fee_total,
        protocol_amount=protocol_total,
        tick_crossings=crossings,
    )


def _priced(state: V4PoolState) -> None:
    reason = state.unpriced_reason
    if reason is not None:
        raise UnpricedPool(f"V4 pool {state.pool_id} is not priced: {reason}")


def quote_exact_input(
    state: V4PoolState, token_in: str, amount_in: int, *, allow_partial: bool = False
) -> int:
    """Amount out for selling exactly `amount_in` of `token_in`.

    Raises `InsufficientLiquidity` when the pool reaches its price bound before taking all of it, unless
    `allow_partial` (then the partial output is returned).
    """
    if amount_in <= 0:
        raise ValueError(f"amount_in must be positive, got {amount_in}")
    _priced(state)
    zero_for_one = state.zero_for_one(token_in)
    try:
        result = swap(state, zero_for_one, -amount_in)
    except InvalidPriceLimit as exc:
        if allow_partial:
            return 0
        raise InsufficientLiquidity(
            f"V4 pool {state.pool_id}: price is already at its limit for selling {token_in}",
            pool=state.pool_id,
            filled=0,
        ) from exc
    if result.amount_in < amount_in and not allow_partial:
        raise InsufficientLiquidity(
            f"V4 pool {state.pool_id} takes only {result.amount_in} of {amount_in} {token_in} before its "
            "liquidity runs out",
            pool=state.pool_id,
            filled=result.amount_in,
        )
    return result.amount_out


def quote_exact_output(
    state: V4PoolState, token_in: str, amount_out: int, *, allow_partial: bool = False
) -> int:
    """Amount of `token_in` needed to buy exactly `amount_out` of the other currency."""
    if amount_out <= 0:
        raise ValueError(f"amount_out must be positive, got {amount_out}")
    _priced(state)
    zero_for_one = state.zero_for_one(token_in)
    try:
        result = swap(state, zero_for_one, amount_out)
    except InvalidPriceLimit as exc:
        if allow_partial:
            return 0
        raise InsufficientLiquidity(
            f"V4 pool {state.pool_id}: price is already at its limit for selling {token_in}",
            pool=state.pool_id,
            filled=0,
        ) from exc
    if result.amount_out < amount_out and not allow_partial:
        raise InsufficientLiquidity(
            f"V4 pool {state.pool_id} pays only {result.amount_out} of the {amount_out} requested",
            pool=state.pool_id,
            filled=result.amount_out,
        )
    return result.amount_in
