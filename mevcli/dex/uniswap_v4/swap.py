"""v4-core's Pool.swap on a `V4PoolState` (the loop V3 shares: `uniswap_v3.swap.swap_loop`), and quotes.

Signs follow V4: `amount_specified` < 0 is exact input, > 0 exact output; the result's `amount0` /
`amount1` are the swapper's BalanceDelta (< 0 owed to the PoolManager, > 0 owed to the swapper). The
protocol fee is combined with the LP fee as Pool.swap does; its split does not change the amounts.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from mevcli.dex.uniswap_v3.full_math import MAX_INT256, MIN_INT256, MathOverflow
from mevcli.dex.uniswap_v3.swap import SwapOutcome, outcome_values, price_limit, quote_fill, swap_loop
from mevcli.dex.uniswap_v4.fees import MAX_SWAP_FEE, directional_protocol_fee
from mevcli.dex.uniswap_v4.state import V4PoolState
from mevcli.dex.uniswap_v4.swap_math import compute_swap_step
from mevcli.errors import MevcliError, PoolMathError

MAX_INT128 = 2**127 - 1
MIN_INT128 = -(2**127)


class InvalidFeeForExactOut(PoolMathError):
    """A 100 % swap fee leaves nothing to buy an exact output with (Pool.InvalidFeeForExactOut)."""


class UnpricedPool(MevcliError):
    """The pool's hook may change swaps, so no off-chain quote is exact."""


@dataclass(frozen=True, slots=True, kw_only=True)
class V4SwapResult(SwapOutcome):
    """Outcome of `swap`: `amount0` / `amount1` are the swapper's BalanceDelta (< 0 owed to the PoolManager);
    `fee_amount` is the LP fee alone, `protocol_amount` the protocol's, both in the input token."""

    swap_fee: int  # pips, what the Swap event names
    protocol_amount: int

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


def _step(
    sqrt_price_x96: int, target_x96: int, liquidity: int, remaining: int, fee_pips: int
) -> tuple[int, int, int, int]:
    """V4's SwapMath step in the shared loop's (V3's) signs: there exact input is positive."""
    return compute_swap_step(sqrt_price_x96, target_x96, liquidity, -remaining, fee_pips)


def swap(
    state: V4PoolState, zero_for_one: bool, amount_specified: int, sqrt_price_limit_x96: int | None = None
) -> V4SwapResult:
    """Simulate PoolManager.swap of a pool whose hook cannot change the swap (the caller checks that).

    Without a limit the swap may run to MIN_SQRT_PRICE + 1 / MAX_SQRT_PRICE - 1.
    """
    if amount_specified == 0:
        raise PoolMathError("amount_specified must be non-zero (SwapAmountCannotBeZero)")
    if not MIN_INT256 <= amount_specified <= MAX_INT256:
        raise MathOverflow("amount_specified does not fit in int256")
    fee = state.swap_fee(zero_for_one)
    if fee >= MAX_SWAP_FEE and amount_specified > 0:
        raise InvalidFeeForExactOut(f"pool {state.pool_id}: a {fee} pip fee cannot buy an exact output")
    limit = price_limit(state.sqrt_price_x96, zero_for_one, sqrt_price_limit_x96)
    end, protocol_amount = swap_loop(
        state,
        f"V4 pool {state.pool_id}",
        zero_for_one,
        -amount_specified,
        limit,
        fee=fee,
        step=_step,
        protocol_fee=directional_protocol_fee(state.protocol_fee, zero_for_one),
    )
    # the swapper's BalanceDelta: the pool's amounts negated
    swapper_side = replace(end, amount0=_to_int128(-end.amount0), amount1=_to_int128(-end.amount1))
    return V4SwapResult(*outcome_values(swapper_side), swap_fee=fee, protocol_amount=protocol_amount)


def _quote(state: V4PoolState, token_in: str, amount: int, exact_input: bool, allow_partial: bool) -> int:
    def run() -> V4SwapResult:
        reason = state.unpriced_reason
        if reason is not None:
            raise UnpricedPool(f"V4 pool {state.pool_id} is not priced: {reason}")
        return swap(state, state.zero_for_one(token_in), -amount if exact_input else amount)

    return quote_fill(
        run, f"V4 pool {state.pool_id}", state.pool_id, token_in, amount, exact_input, allow_partial
    )


def quote_exact_input(
    state: V4PoolState, token_in: str, amount_in: int, *, allow_partial: bool = False
) -> int:
    """Amount out for selling exactly `amount_in` of `token_in`.

    Raises `InsufficientLiquidity` when the pool reaches its price bound before taking all of it, unless
    `allow_partial` (then the partial output is returned).
    """
    return _quote(state, token_in, amount_in, True, allow_partial)


def quote_exact_output(
    state: V4PoolState, token_in: str, amount_out: int, *, allow_partial: bool = False
) -> int:
    """Amount of `token_in` needed to buy exactly `amount_out` of the other currency."""
    return _quote(state, token_in, amount_out, False, allow_partial)
