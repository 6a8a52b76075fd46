"""The swap loop of UniswapV3Pool.swap, run on a `V3PoolState`, plus QuoterV2-style quotes.

Only the parts of the loop that decide amounts, price, tick and liquidity are mirrored; fee growth,
protocol fees and oracle writes do not influence them and are left out. V4's Pool.swap runs the same
loop (`swap_loop`) with its own step, fee and protocol fee (`dex/uniswap_v4/swap.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any, Protocol

from mevcli.dex.uniswap_v3.full_math import MAX_INT256, MAX_UINT256, MIN_INT256, MathOverflow
from mevcli.dex.uniswap_v3.liquidity_math import add_delta
from mevcli.dex.uniswap_v3.state import TickedState, V3PoolState
from mevcli.dex.uniswap_v3.swap_math import FEE_DENOMINATOR, compute_swap_step
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


@dataclass(frozen=True, slots=True)
class SwapOutcome:
    """What `swap_loop` moved and where it left the pool; V3's and V4's results build on it.

    - `amount0` / `amount1`: signed as the result class says (the loop's own: from the pool's side).
    - `sqrt_price_x96`, `tick`, `liquidity`: the pool's slot0 price/tick and active liquidity after.
    - `fee_amount`: the swap fee paid in the input token, less the protocol's part where the loop takes
      one (V4).
    - `tick_crossings`: how many initialized ticks the loop actually crossed (calls to `ticks.cross`).
    """

    zero_for_one: bool
    amount0: int
    amount1: int
    sqrt_price_x96: int
    tick: int
    liquidity: int
    fee_amount: int
    tick_crossings: int


def outcome_values(outcome: SwapOutcome) -> list[Any]:
    """The `SwapOutcome` fields of `outcome`, in order: what a result class on it takes first."""
    return [getattr(outcome, f.name) for f in fields(SwapOutcome)]


@dataclass(frozen=True, slots=True, kw_only=True)
class SwapResult(SwapOutcome):
    """Outcome of `swap`, with amounts signed from the pool's side as UniswapV3Pool.swap returns them.

    - `amount0` / `amount1`: > 0 the pool receives, < 0 the pool pays.
    - `ticks_crossed`: QuoterV2's `initializedTicksCrossed`, i.e. PoolTicksCounter's count of set
      bitmap bits between the tick before and the tick after, quirks included (see
      `count_initialized_ticks_crossed`). This is what QuoterV2 reports and bases gas on. Equal to
      `tick_crossings` except where PoolTicksCounter's rounding misplaces an end point.
    - `fee_amount`: total swap fee paid in the input token (protocol share included).
    """

    ticks_crossed: int

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


class TickedPool(TickedState, Protocol):
    """What the swap loop reads of a pool: its tick structure and price (`V3PoolState`, `V4PoolState`)."""

    sqrt_price_x96: int

    @property
    def address(self) -> str: ...


# SwapMath.computeSwapStep in V3's signs: (price, target, liquidity, amount remaining (> 0: exact input),
# fee pips) -> (price after, amount in, amount out, fee amount).
SwapStep = Callable[[int, int, int, int, int], tuple[int, int, int, int]]


def price_limit(sqrt_price_x96: int, zero_for_one: bool, sqrt_price_limit_x96: int | None) -> int:
    """The price a swap may run to: QuoterV2's default (MIN_SQRT_RATIO + 1 / MAX_SQRT_RATIO - 1) when
    None. A limit on the wrong side of the price (or a price already at the bound) or outside the bounds
    raises `InvalidPriceLimit` (SPL)."""
    if sqrt_price_limit_x96 is None:
        sqrt_price_limit_x96 = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
    if zero_for_one:
        if not MIN_SQRT_RATIO < sqrt_price_limit_x96 < sqrt_price_x96:
            raise InvalidPriceLimit(
                f"price limit {sqrt_price_limit_x96} not in (MIN_SQRT_RATIO, {sqrt_price_x96}) (SPL)"
            )
    elif not sqrt_price_x96 < sqrt_price_limit_x96 < MAX_SQRT_RATIO:
        raise InvalidPriceLimit(
            f"price limit {sqrt_price_limit_x96} not in ({sqrt_price_x96}, MAX_SQRT_RATIO) (SPL)"
        )
    return sqrt_price_limit_x96


# The price at a tick is a pure function of the tick, asked again for the same boundaries swap after
# swap: the most recent ones are kept (TickMath costs about 4 µs in Python, a hit about 0.3).
sqrt_ratio_at_tick = lru_cache(maxsize=1 << 16)(get_sqrt_ratio_at_tick)


def next_step(
    pool: TickedPool, tick: int, zero_for_one: bool, limit: int, label: str | None = None
) -> tuple[int, bool, int, int]:
    """Where the swap loop's step from `tick` heads: (the next initialized tick within one bitmap word,
    clamped to MIN_TICK..MAX_TICK; whether it is initialized; its price; the step's target: that price,
    or `limit` when the price lies past it). A step whose bitmap word the state did not load raises
    `IncompletePoolState`, naming the pool by `label` (default: `pool <address>`)."""
    spacing = pool.tick_spacing
    if pool.word_range is not None:
        # The word next_initialized_tick_within_one_word searches (lte: this one; gt: from tick+1).
        word = position(compress(tick, spacing) + (0 if zero_for_one else 1))[0]
        low, high = pool.word_range
        if not low <= word <= high:
            raise IncompletePoolState(
                f"{label or _label(pool)}: the swap reaches tick bitmap word {word}, outside the loaded "
                f"words {low}..{high}"
            )
    tick_next, initialized = next_initialized_tick_within_one_word(pool.bitmap, tick, spacing, zero_for_one)
    # ensure that we do not overshoot the min/max tick, as the tick bitmap is not aware of these bounds
    tick_next = min(max(tick_next, MIN_TICK), MAX_TICK)
    sqrt_next = sqrt_ratio_at_tick(tick_next)
    past_limit = sqrt_next < limit if zero_for_one else sqrt_next > limit
    return tick_next, initialized, sqrt_next, limit if past_limit else sqrt_next


def cross_tick(
    pool: TickedPool, tick: int, liquidity: int, zero_for_one: bool, label: str | None = None
) -> int:
    """The active liquidity after crossing initialized `tick` (ticks.cross): its liquidityNet, negated when
    moving leftward, added. A tick the state has no liquidityNet for raises `IncompletePoolState` (`label`
    as in `next_step`)."""
    try:
        liquidity_net = pool.ticks[tick]
    except KeyError:
        raise IncompletePoolState(
            f"{label or _label(pool)}: tick {tick} is initialized in the bitmap but has no liquidityNet "
            "in `ticks`"
        ) from None
    return add_delta(liquidity, -liquidity_net if zero_for_one else liquidity_net)


def _label(pool: TickedPool) -> str:
    return f"pool {pool.address}"


def swap_loop(
    pool: TickedPool,
    label: str,
    zero_for_one: bool,
    amount_specified: int,
    sqrt_price_limit_x96: int,
    *,
    fee: int,
    step: SwapStep,
    protocol_fee: int = 0,
) -> tuple[SwapOutcome, int]:
    """The loop UniswapV3Pool.swap and v4-core's Pool.swap share, on `pool` (not modified).

    `amount_specified` > 0 is exact input, < 0 exact output (V3's signs; V4 callers negate). `fee` is the
    swap fee in pips that `step` charges; `protocol_fee` (V4, pips of the whole input) is taken out of each
    step's fee as Pool.swap does, and its total returned beside the result. `label` names the pool in
    errors. The swap stops when the amount is filled
    or the (checked) price limit is reached, whichever comes first.
    """
    exact_input = amount_specified > 0
    amount_specified_remaining = amount_specified
    amount_calculated = 0
    sqrt_price_x96 = pool.sqrt_price_x96
    tick = pool.tick
    liquidity = pool.liquidity
    tick_crossings = 0
    fee_total = protocol_total = 0

    # continue swapping as long as we haven't used the entire input/output and haven't reached the price limit
    while amount_specified_remaining != 0 and sqrt_price_x96 != sqrt_price_limit_x96:
        sqrt_price_start_x96 = sqrt_price_x96
        tick_next, initialized, sqrt_price_next_x96, target = next_step(
            pool, tick, zero_for_one, sqrt_price_limit_x96, label
        )
        sqrt_price_x96, step_in, step_out, step_fee = step(
            sqrt_price_x96, target, liquidity, amount_specified_remaining, fee
        )
        # V3 adds `step_in + step_fee` unchecked (V4 checked); either way the sum stays far below 2**256.
        paid = _to_int256((step_in + step_fee) & MAX_UINT256)
        if exact_input:
            amount_specified_remaining -= paid
            amount_calculated = _checked_int256(amount_calculated - _to_int256(step_out))
        else:
            amount_specified_remaining += _to_int256(step_out)
            amount_calculated = _checked_int256(amount_calculated + paid)

        if protocol_fee > 0:
            # of the whole input, rounded down; all of the fee when the LP fee is zero
            delta = step_fee if fee == protocol_fee else paid * protocol_fee // FEE_DENOMINATOR
            step_fee -= delta
            protocol_total += delta
        fee_total += step_fee

        # shift tick if we reached the next price
        if sqrt_price_x96 == sqrt_price_next_x96:
            # if the tick is initialized, run the tick transition
            if initialized:
                liquidity = cross_tick(pool, tick_next, liquidity, zero_for_one, label)
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
    end = SwapOutcome(
        zero_for_one, amount0, amount1, sqrt_price_x96, tick, liquidity, fee_total, tick_crossings
    )
    return end, protocol_total


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
    limit = price_limit(state.sqrt_price_x96, zero_for_one, sqrt_price_limit_x96)
    end, _ = swap_loop(
        state,
        f"pool {state.address}",
        zero_for_one,
        amount_specified,
        limit,
        fee=state.fee,
        step=compute_swap_step,
    )
    crossed = count_initialized_ticks_crossed(state.bitmap, state.tick_spacing, state.tick, end.tick)
    return SwapResult(*outcome_values(end), ticks_crossed=crossed)


class _Filled(Protocol):
    @property
    def amount_in(self) -> int: ...

    @property
    def amount_out(self) -> int: ...


def quote_fill(
    run: Callable[[], _Filled],
    label: str,
    pool: str,
    token_in: str,
    amount: int,
    exact_input: bool,
    allow_partial: bool,
) -> int:
    """The single-pool quote of QuoterV2, from `run()` (the swap of `amount`, exact input or output).

    Returns the amount out for an exact input, the amount in for an exact output. When the pool cannot fill
    `amount` (QuoterV2 quotes the partial fill of an exact input, reverts on an exact output) this raises
    `InsufficientLiquidity` with `filled` = what the pool would take or pay, unless `allow_partial`: then
    the partial fill's quote is returned (0 when the price is already at its limit).
    """
    if amount <= 0:
        raise PoolMathError(f"{'amount_in' if exact_input else 'amount_out'} must be positive, got {amount}")
    try:
        result = run()
    except InvalidPriceLimit as exc:
        if allow_partial:
            return 0
        raise InsufficientLiquidity(
            f"{label}: price is already at its limit for selling {token_in}", pool=pool, filled=0
        ) from exc
    filled, quoted = (
        (result.amount_in, result.amount_out) if exact_input else (result.amount_out, result.amount_in)
    )
    if filled < amount and not allow_partial:
        short = (
            f"takes only {filled} of {amount} {token_in}"
            if exact_input
            else f"pays only {filled} of the {amount} requested"
        )
        raise InsufficientLiquidity(
            f"{label} {short} before its liquidity runs out", pool=pool, filled=filled
        )
    return quoted


def quote_exact_input(
    state: V3PoolState, token_in: str, amount_in: int, *, allow_partial: bool = False
) -> int:
    """Amount out for selling exactly `amount_in` of `token_in` (QuoterV2.quoteExactInputSingle, no limit).

    If the pool would run to its price limit before taking all of `amount_in`, QuoterV2 silently
    quotes the partial fill; here that raises `InsufficientLiquidity` (with `filled` = input the pool
    would take) unless `allow_partial`, in which case the partial output is returned (0 when the
    price is already at the limit).
    """
    return _quote(state, token_in, amount_in, True, allow_partial)


def quote_exact_output(
    state: V3PoolState, token_in: str, amount_out: int, *, allow_partial: bool = False
) -> int:
    """Amount of `token_in` needed to buy exactly `amount_out` (QuoterV2.quoteExactOutputSingle, no limit).

    Raises `InsufficientLiquidity` (with `filled` = output the pool could pay) when the pool cannot
    pay `amount_out` (QuoterV2 reverts then), unless `allow_partial`: then the input for the partial
    fill is returned.
    """
    return _quote(state, token_in, amount_out, False, allow_partial)


def _quote(state: V3PoolState, token_in: str, amount: int, exact_input: bool, allow_partial: bool) -> int:
    def run() -> SwapResult:
        return swap(state, state.zero_for_one(token_in), amount if exact_input else -amount)

    return quote_fill(
        run, f"pool {state.address}", state.address, token_in, amount, exact_input, allow_partial
    )
