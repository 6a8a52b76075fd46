"""The swap loop of UniswapV3Pool.swap, run on a `V3PoolState`, plus QuoterV2-style quotes.

Only the parts of the loop that decide amounts, price, tick and liquidity are mirrored; fee growth,
protocol fees and oracle writes do not influence them and are left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mevcli.dex.uniswap_v3.full_math import MAX_INT256, MAX_UINT256, MIN_INT256, MathOverflow
from mevcli.dex.uniswap_v3.liquidity_math import add_delta
from mevcli.dex.uniswap_v3.state import V3PoolState
from mevcli.dex.uniswap_v3.swap_math import compute_swap_step
from mevcli.dex.uniswap_v3.tick_bitmap import (
    compress,
    next_initialized_tick_within_one_word,
    position,
    sdiv,
    smod,
)
from mevcli.dex.uniswap_v3.tick_math import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
)
from mevcli.errors import NoLiquidity, PoolMathError


class InvalidPriceLimit(PoolMathError):
    """The price limit is on the wrong side of the current price or outside the bounds (SPL)."""


class IncompletePoolState(PoolMathError):
    """The state lacks data the swap needs: a tick's liquidityNet, or a bitmap word never loaded."""


class InsufficientLiquidity(NoLiquidity):
    """The pool reaches its price limit (or the end of its liquidity) before filling the amount."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SwapResult:
    """Outcome of `swap`, with amounts signed from the pool's side as UniswapV3Pool.swap returns them.

    - `amount0` / `amount1`: > 0 the pool receives, < 0 the pool pays.
    - `sqrt_price_x96`, `tick`, `liquidity`: the pool's slot0 price/tick and active liquidity after.
    - `ticks_crossed`: QuoterV2's `initializedTicksCrossed`, i.e. PoolTicksCounter's count of set
      bitmap bits between the tick before and the tick after, quirks included (see
      `count_initialized_ticks_crossed`). This is what QuoterV2 reports and bases gas on.
    - `tick_crossings`: how many initialized ticks the loop actually crossed (calls to `ticks.cross`).
      Equal to `ticks_crossed` except where PoolTicksCounter's rounding misplaces an end point.
    - `fee_amount`: total swap fee paid in the input token (protocol share included).
    """

    zero_for_one: bool
    amount0: int
    amount1: int
    sqrt_price_x96: int
    tick: int
    liquidity: int
    ticks_crossed: int
    tick_crossings: int
    fee_amount: int

    @property
    def amount_in(self) -> int:
        """Amount of the input token the pool takes (fee included)."""
        return self.amount0 if self.zero_for_one else self.amount1

    @property
    def amount_out(self) -> int:
        """Amount of the output token the pool pays out."""
        return -self.amount1 if self.zero_for_one else -self.amount0


def _to_int256(value: int) -> int:
    """SafeCast.toInt256 (of a uint256)."""
    if value > MAX_INT256:
        raise MathOverflow("SafeCast.toInt256: value does not fit in int256")
    return value


def _checked_int256(value: int) -> int:
    """Result of LowGasSafeMath's int256 add/sub: reverts outside the int256 range."""
    if not MIN_INT256 <= value <= MAX_INT256:
        raise MathOverflow("LowGasSafeMath: int256 overflow")
    return value


def count_initialized_ticks_crossed(
    bitmap: Mapping[int, int], tick_spacing: int, tick_before: int, tick_after: int
) -> int:
    """Port of v3-periphery PoolTicksCounter.countInitializedTicksCrossed, as QuoterV2 uses it.

    Counts the set bits from the bitmap position of `tick_before` to that of `tick_after`, inclusive,
    then drops `tick_after` when swapping down and `tick_before` when swapping up if that tick is
    itself initialized and spaced. Like the Solidity, it compresses with `tick / tickSpacing`
    truncated toward zero (not floored), so for a negative tick that is not a multiple of the spacing
    the end point lands one spaced tick too high; and for an unspaced tick_before when swapping up
    the initialized tick just below it is counted although the swap does not cross it.
    """
    word_pos, bit_pos = position(sdiv(tick_before, tick_spacing))
    word_pos_after, bit_pos_after = position(sdiv(tick_after, tick_spacing))

    tick_after_initialized = (
        (bitmap.get(word_pos_after, 0) >> bit_pos_after) & 1 == 1
        and smod(tick_after, tick_spacing) == 0
        and tick_before > tick_after
    )
    tick_before_initialized = (
        (bitmap.get(word_pos, 0) >> bit_pos) & 1 == 1
        and smod(tick_before, tick_spacing) == 0
        and tick_before < tick_after
    )

    if (word_pos, bit_pos) <= (word_pos_after, bit_pos_after):
        word_pos_lower, bit_pos_lower, word_pos_higher, bit_pos_higher = (
            word_pos,
            bit_pos,
            word_pos_after,
            bit_pos_after,
        )
    else:
        word_pos_lower, bit_pos_lower, word_pos_higher, bit_pos_higher = (
            word_pos_after,
            bit_pos_after,
            word_pos,
            bit_pos,
        )

    crossed = 0
    mask = (MAX_UINT256 << bit_pos_lower) & MAX_UINT256
    while word_pos_lower <= word_pos_higher:
        if word_pos_lower == word_pos_higher:
            mask &= MAX_UINT256 >> (255 - bit_pos_higher)
        crossed += (bitmap.get(word_pos_lower, 0) & mask).bit_count()
        word_pos_lower += 1
        mask = MAX_UINT256

    if tick_after_initialized:
        crossed -= 1
    if tick_before_initialized:
        crossed -= 1
    return crossed


def swap(
    state: V3PoolState,
    zero_for_one: bool,
    amount_specified: int,
    sqrt_price_limit_x96: int | None = None,
) -> SwapResult:
    """Simulate UniswapV3Pool.swap on `state` (which is not modified).

    `amount_specified` > 0 is exact input, < 0 exact output. Without a price limit the swap may go
    as far as MIN_SQRT_RATIO + 1 / MAX_SQRT_RATIO - 1, the defaults QuoterV2 passes. The swap stops
    when the amount is filled or the price limit is reached, whichever comes first.
    """
    if amount_specified == 0:
        raise PoolMathError("amount_specified must be non-zero (AS)")
    if not MIN_INT256 <= amount_specified <= MAX_INT256:
        raise MathOverflow("amount_specified does not fit in int256")
    if sqrt_price_limit_x96 is None:
        sqrt_price_limit_x96 = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
    if zero_for_one:
        if not MIN_SQRT_RATIO < sqrt_price_limit_x96 < state.sqrt_price_x96:
            raise InvalidPriceLimit(
                f"price limit {sqrt_price_limit_x96} not in (MIN_SQRT_RATIO, {state.sqrt_price_x96}) (SPL)"
            )
    elif not state.sqrt_price_x96 < sqrt_price_limit_x96 < MAX_SQRT_RATIO:
        raise InvalidPriceLimit(
            f"price limit {sqrt_price_limit_x96} not in ({state.sqrt_price_x96}, MAX_SQRT_RATIO) (SPL)"
        )

    exact_input = amount_specified > 0
    ticks = state.ticks
    bitmap = state.bitmap
    tick_spacing = state.tick_spacing
    fee = state.fee

    amount_specified_remaining = amount_specified
    amount_calculated = 0
    sqrt_price_x96 = state.sqrt_price_x96
    tick = state.tick
    liquidity = state.liquidity
    tick_crossings = 0
    fee_total = 0

    # continue swapping as long as we haven't used the entire input/output and haven't reached the price limit
    while amount_specified_remaining != 0 and sqrt_price_x96 != sqrt_price_limit_x96:
        sqrt_price_start_x96 = sqrt_price_x96

        if state.word_range is not None:
            # The word next_initialized_tick_within_one_word searches (lte: this one; gt: from tick+1).
            word = position(compress(tick, tick_spacing) + (0 if zero_for_one else 1))[0]
            if not state.word_range[0] <= word <= state.word_range[1]:
                raise IncompletePoolState(
                    f"pool {state.address}: the swap reaches tick bitmap word {word}, outside the loaded "
                    f"words {state.word_range[0]}..{state.word_range[1]}"
                )

        tick_next, initialized = next_initialized_tick_within_one_word(
            bitmap, tick, tick_spacing, zero_for_one
        )
        # ensure that we do not overshoot the min/max tick, as the tick bitmap is not aware of these bounds
        if tick_next < MIN_TICK:
            tick_next = MIN_TICK
        elif tick_next > MAX_TICK:
            tick_next = MAX_TICK
        sqrt_price_next_x96 = get_sqrt_ratio_at_tick(tick_next)

        if zero_for_one:
            past_limit = sqrt_price_next_x96 < sqrt_price_limit_x96
        else:
            past_limit = sqrt_price_next_x96 > sqrt_price_limit_x96
        sqrt_price_x96, step_in, step_out, step_fee = compute_swap_step(
            sqrt_price_x96,
            sqrt_price_limit_x96 if past_limit else sqrt_price_next_x96,
            liquidity,
            amount_specified_remaining,
            fee,
        )

        # `step_in + step_fee` is an unchecked uint256 add in the Solidity, then SafeCast.toInt256
        paid = _to_int256((step_in + step_fee) & MAX_UINT256)
        if exact_input:
            amount_specified_remaining -= paid
            amount_calculated = _checked_int256(amount_calculated - _to_int256(step_out))
        else:
            amount_specified_remaining += _to_int256(step_out)
            amount_calculated = _checked_int256(amount_calculated + paid)
        fee_total += step_fee

        # shift tick if we reached the next price
        if sqrt_price_x96 == sqrt_price_next_x96:
            # if the tick is initialized, run the tick transition
            if initialized:
                try:
                    liquidity_net = ticks[tick_next]
                except KeyError:
                    raise IncompletePoolState(
                        f"pool {state.address}: tick {tick_next} is initialized in the bitmap but has no "
                        "liquidityNet in `ticks`"
                    ) from None
                # if we're moving leftward, we interpret liquidityNet as the opposite sign
                if zero_for_one:
                    liquidity_net = -liquidity_net
                liquidity = add_delta(liquidity, liquidity_net)
                tick_crossings += 1
            tick = tick_next - 1 if zero_for_one else tick_next
        elif sqrt_price_x96 != sqrt_price_start_x96:
            # recompute unless we're on a lower tick boundary (i.e. already transitioned ticks),
            # and haven't moved
            tick = get_tick_at_sqrt_ratio(sqrt_price_x96)

    if zero_for_one == exact_input:
        amount0, amount1 = amount_specified - amount_specified_remaining, amount_calculated
    else:
        amount0, amount1 = amount_calculated, amount_specified - amount_specified_remaining

    return SwapResult(
        zero_for_one=zero_for_one,
        amount0=amount0,
        amount1=amount1,
        sqrt_price_x96=sqrt_price_x96,
        tick=tick,
        liquidity=liquidity,
        ticks_crossed=count_initialized_ticks_crossed(bitmap, tick_spacing, state.tick, tick),
        tick_crossings=tick_crossings,
        fee_amount=fee_total,
    )


def quote_exact_input(
    state: V3PoolState, token_in: str, amount_in: int, *, allow_partial: bool = False
) -> int:
    """Amount out for selling exactly `amount_in` of `token_in` (QuoterV2.quoteExactInputSingle, no limit).

    If the pool would run to its price limit before taking all of `amount_in`, QuoterV2 silently
    quotes the partial fill; here that raises `InsufficientLiquidity` (with `filled` = input the pool
    would take) unless `allow_partial`, in which case the partial output is returned (0 when the
    price is already at the limit).
    """
    if amount_in <= 0:
        raise PoolMathError(f"amount_in must be positive, got {amount_in}")
    zero_for_one = state.zero_for_one(token_in)
    try:
        result = swap(state, zero_for_one, amount_in)
    except InvalidPriceLimit as exc:
        if allow_partial:
            return 0
        raise InsufficientLiquidity(
            f"pool {state.address}: price is already at its limit for selling {token_in}",
            pool=state.address,
            filled=0,
        ) from exc
    if result.amount_in < amount_in and not allow_partial:
        raise InsufficientLiquidity(
            f"pool {state.address} takes only {result.amount_in} of {amount_in} {token_in} before its "
            "liquidity runs out",
            pool=state.address,
            filled=result.amount_in,
        )
    return result.amount_out


def quote_exact_output(
    state: V3PoolState, token_in: str, amount_out: int, *, allow_partial: bool = False
) -> int:
    """Amount of `token_in` needed to buy exactly `amount_out` (QuoterV2.quoteExactOutputSingle, no limit).

    Raises `InsufficientLiquidity` (with `filled` = output the pool could pay) when the pool cannot
    pay `amount_out` (QuoterV2 reverts then), unless `allow_partial`: then the input for the partial
    fill is returned.
    """
    if amount_out <= 0:
        raise PoolMathError(f"amount_out must be positive, got {amount_out}")
    zero_for_one = state.zero_for_one(token_in)
    try:
        result = swap(state, zero_for_one, -amount_out)
    except InvalidPriceLimit as exc:
        if allow_partial:
            return 0
        raise InsufficientLiquidity(
            f"pool {state.address}: price is already at its limit for selling {token_in}",
            pool=state.address,
            filled=0,
        ) from exc
    if result.amount_out < amount_out and not allow_partial:
        raise InsufficientLiquidity(
            f"pool {state.address} pays only {result.amount_out} of the {amount_out} requested before its "
            "liquidity runs out",
            pool=state.address,
            filled=result.amount_out,
        )
    return result.amount_in
