"""Exact-input quotes through one V4 pool in one direction, for the many quotes of a sizing search.

Pool.swap steps from the current price to the next initialized tick (or bitmap word end, or the price
limit), crossing ticks as it goes. Where each step starts and ends, and the liquidity it runs with, do
not depend on the amount: they are found once per state and direction, as quotes first need them. A
quote then runs only the SwapMath step of each range it enters, with the same arguments as the loop.
An amount that runs every step to the price limit is refused as the full swap's partial fill is
(`InsufficientLiquidity`, what it takes), one that needs a step whose bitmap word is not loaded as the
full swap refuses it (`IncompletePoolState`). Any other amount the loop would handle otherwise (a step
whose tick crossing fails, deltas past int128) and any state the steps do not
describe (unpriced, a 100 % fee) go through the full swap, which gives the result or the error.
"""

from __future__ import annotations

from collections.abc import Callable

from mevcli.dex.uniswap_v3.swap import (
    IncompletePoolState,
    InsufficientLiquidity,
    cross_tick,
    next_step,
    price_limit,
)
from mevcli.dex.uniswap_v4.fees import MAX_SWAP_FEE
from mevcli.dex.uniswap_v4.state import V4PoolState
from mevcli.dex.uniswap_v4.swap import MAX_INT128
from mevcli.dex.uniswap_v4.swap_math import ExactInputStep
from mevcli.errors import MevcliError

_MATH_ERRORS = (MevcliError, ArithmeticError, ValueError, KeyError)


class V4Hop:
    """amount -> `UniswapV4Kind.quote(state, token_in, amount)`, the same integers (see the module)."""

    __slots__ = (
        "cursor",
        "exhausted",
        "fee",
        "full",
        "label",
        "limit",
        "state",
        "steps",
        "token_in",
        "unloaded",
        "zero_for_one",
    )

    def __init__(self, state: V4PoolState, token_in: str, full: Callable[..., int]) -> None:
        self.state = state
        self.token_in = token_in
        self.full = full  # the kind's quote of one amount: the full swap
        self.steps: list[ExactInputStep] = []  # from a start price to a target price, with its liquidity
        # (price, tick, liquidity) where the next step starts; None: no further step is known to run as
        # the loop would (the full swap decides)
        self.cursor: tuple[int, int, int] | None = None
        self.zero_for_one = self.fee = self.limit = 0
        self.exhausted = False  # the steps run to the price limit: what they take is all the pool fills
        # what the full swap raises at the step after the last: its bitmap word is not loaded
        self.unloaded: IncompletePoolState | None = None
        self.label = f"V4 pool {state.pool_id}"  # as the full swap names the pool in errors
        try:
            self.zero_for_one = zero_for_one = state.zero_for_one(token_in)
            self.fee = state.swap_fee(zero_for_one)
            if state.unpriced_reason is None and self.fee < MAX_SWAP_FEE:
                self.limit = price_limit(state.sqrt_price_x96, zero_for_one, None)
                self.cursor = (state.sqrt_price_x96, state.tick, state.liquidity)
        except _MATH_ERRORS:
            self.cursor = None

    def __call__(self, amount: int) -> int:
        if 0 < amount <= MAX_INT128:
            steps = self.steps
            remaining, out, i = amount, 0, 0
            while True:
                if i == len(steps) and not self._extend():
                    if self.exhausted and out <= MAX_INT128:  # the full swap's partial fill
                        raise InsufficientLiquidity(
                            f"{self.label} takes only {amount - remaining} of {amount} "
                            f"{self.token_in} before its liquidity runs out",
                            pool=self.state.pool_id,
                            filled=amount - remaining,
                        )
                    if self.unloaded is not None:  # the full swap stops there too
                        raise self.unloaded.with_traceback(None)
                    break
                step = steps[i]
                try:
                    after, paid_in, paid_out, paid_fee = step(remaining)
                except _MATH_ERRORS:
                    break
                remaining -= paid_in + paid_fee
                out += paid_out
                if after != step.target or remaining == 0:
                    if remaining == 0 and out <= MAX_INT128:
                        return out
                    break
                i += 1
        return self.full(self.state, self.token_in, amount, None)

    def _extend(self) -> bool:
        """Find the next step (and the tick crossing that ends it); False where the loop would stop
        there or do what the steps do not describe."""
        if self.cursor is None:
            return False
        state, zero_for_one = self.state, self.zero_for_one
        price, tick, liquidity = self.cursor
        self.cursor = None
        if price == self.limit:
            self.exhausted = True  # the loop stops there: the amount left is not filled
            return False
        try:
            tick_next, initialized, next_price, target = next_step(
                state, tick, zero_for_one, self.limit, self.label
            )
        except IncompletePoolState as exc:  # a bitmap word not loaded: the full swap stops there too
            self.unloaded = exc
            return False
        except _MATH_ERRORS:
            return False
        after = liquidity
        if target == next_price and initialized:  # reaching it crosses the tick
            try:
                after = cross_tick(state, tick_next, liquidity, zero_for_one, self.label)
            except _MATH_ERRORS:
                return False
        self.steps.append(ExactInputStep(price, target, liquidity, self.fee))
        self.cursor = (target, tick_next - 1 if zero_for_one else tick_next, after)
        return True
