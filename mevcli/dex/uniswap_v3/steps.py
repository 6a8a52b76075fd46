"""Exact-input quotes through one V3 pool in one direction, its swap steps computed once.

The same integers as `swap.quote_exact_input` (the pool's loop, kept for exact-output swaps and the
states a swap leaves), steps computed once per pool and direction: every exact-input quote goes through
`V3Hop`, the sizing search's many quotes of one state and `quote`'s single ones alike. Also the virtual
reserves of a price range, the one place they are computed (Möbius forms, depth, the cycle finder's
weights).
"""

from __future__ import annotations

from collections.abc import Callable

from mevcli.dex.uniswap_v3.full_math import (
    MAX_INT256,
    MAX_UINT160,
    MAX_UINT256,
    MathOverflow,
    mul_div_rounding_up,
)
from mevcli.dex.uniswap_v3.sqrt_price_math import (
    get_amount0_delta,
    get_amount1_delta,
    get_next_sqrt_price_from_input,
)
from mevcli.dex.uniswap_v3.state import V3PoolState
from mevcli.dex.uniswap_v3.swap import InsufficientLiquidity, cross_tick, next_step, quote_exact_input
from mevcli.dex.uniswap_v3.tick_bitmap import compress
from mevcli.dex.uniswap_v3.tick_math import MAX_SQRT_RATIO, MIN_SQRT_RATIO
from mevcli.errors import MevcliError, NoLiquidity, as_pool_error

Q96 = 2**96
PIPS = 1_000_000
# What a quote raises where the pool would refuse: every error is one of ours (`as_pool_error` turns
# what plain integer math raises into a PoolMathError at each entry point).
QUOTE_ERRORS = (MevcliError,)
# What the integer math below may raise, before that conversion.
_MATH_ERRORS = (MevcliError, ArithmeticError, ValueError)


def virtual_reserves(liquidity: int, sqrt_price_x96: int) -> tuple[int, int]:
    """(x, y) of a range at a price: x = L·2^96/√P (token0), y = L·√P/2^96 (token1), floored."""
    return (liquidity << 96) // sqrt_price_x96, liquidity * sqrt_price_x96 >> 96  # shifts: both are ≥ 0


def upper_reserves(liquidity: int, sqrt_price_x96: int, zero_for_one: bool) -> tuple[int, int]:
    """(in, out) virtual reserves of a range at a price for a swap in this direction, in floored and out
    rounded up: a·y/(R_in + y) through them bounds what the range pays from above."""
    if zero_for_one:  # in: token0 (L·2^96/√P), out: token1 (L·√P/2^96)
        return liquidity * Q96 // sqrt_price_x96, -(-liquidity * sqrt_price_x96 // Q96)
    return liquidity * sqrt_price_x96 // Q96, -(-liquidity * Q96 // sqrt_price_x96)


def quote(state: V3PoolState, token_in: str, amount_in: int) -> int:
    """The exact output of `amount_in` through the pool, by the steps sizing uses (`V3Hop`); a pool that
    cannot fill the amount is reported as NoLiquidity."""
    return _reported(state, amount_in, lambda: V3Hop(state, token_in)(amount_in))


def _swap_quote(state: V3PoolState, token_in: str, amount_in: int) -> int:
    """`quote_exact_input`, the pool's own loop: `V3Hop`'s path where its steps do not apply."""
    return _reported(state, amount_in, lambda: quote_exact_input(state, token_in, amount_in))


def _reported(state: V3PoolState, amount_in: int, compute: Callable[[], int]) -> int:
    try:
        return compute()
    except InsufficientLiquidity as exc:
        raise NoLiquidity(f"pool {state.address} cannot fill {amount_in}: {exc}", pool=state.address) from exc
    except MevcliError:
        raise
    except _MATH_ERRORS as exc:
        raise as_pool_error(exc) from exc


_LARGE = 2**200  # past this, quote through the full swap (its int256 / uint256 checks)


class V3Hop:
    """Exact-input quotes through one V3 pool in one direction, as `quote_exact_input` computes them.

    The swap loop steps from the current price to the next initialized tick (or bitmap word end, or the
    price limit). Whether a step reaches its target depends on the amount left; what it takes and pays
    when it does, and where the next one starts, do not. So the full steps are computed once, lazily,
    in order, and a quote walks the full steps its amount covers and computes the partial last one.
    Steps that cannot move the price (no liquidity) are skipped; once no liquidity is left anywhere
    ahead, any amount still unspent is a partial fill (`InsufficientLiquidity`). An amount inside the
    first step (`first_end`), or inside the step past it that the last walk ended in (`_near`), takes no
    walk: a sizing search quotes nearly all of its amounts in one step.
    """

    __slots__ = (
        "_cursor",
        "_end",
        "_forms",
        "_native",
        "_near",
        "_pieces",
        "_steps",
        "_uppers",
        "fee",
        "first_end",
        "first_is_state",
        "first_upper",
        "limit",
        "state",
        "token_in",
        "usable",
        "zero_for_one",
    )

    def __init__(self, state: V3PoolState, token_in: str) -> None:
        self.state = state
        self.token_in = token_in
        self.zero_for_one = zfo = state.zero_for_one(token_in)
        self.fee = state.fee
        self.limit = MIN_SQRT_RATIO + 1 if zfo else MAX_SQRT_RATIO - 1
        # swap()'s price-limit check; when it fails every quote does, through the full path.
        sqrt = state.sqrt_price_x96
        self.usable = (MIN_SQRT_RATIO < self.limit < sqrt) if zfo else (sqrt < self.limit < MAX_SQRT_RATIO)
        # Full steps: (start sqrt price, target, liquidity, input to reach the target (fee excluded),
        # (paid incl. fee, paid out) when reached, or the exception reaching it raises, liquidity·2^96,
        # and liquidity·2^96·sqrt price selling token0 (0 the other way): what a partial step reuses).
        self._steps: list[tuple[int, int, int, int, tuple[int, int] | Exception, int, int]] = []
        self._cursor = (sqrt, state.tick, state.liquidity)  # where the next step starts
        self._end: Exception | None = None  # what entering the next step raises, once known
        self._forms: dict[int, tuple[int, int, int]] = {}  # step -> (a, b, c) of its range (`local`)
        self._pieces: dict[int, tuple[int, ...]] = {}  # step -> `local` of amounts ending in it
        # The first step starts at the pool's price and liquidity: its form is `mobius_hop`'s.
        self.first_is_state = False
        self._uppers: dict[int, tuple[int, int]] = {}  # step -> `_upper_reserves` of its range
        # Every amount in (0, first_end) ends inside the first step (0 until that step is known): the
        # common case of a quote, answered without the walk.
        self.first_end = 0
        # (P, end, i, O): every amount in (P, end) ends inside step i, after the full steps before it took
        # P and paid O; the step the last walk past the first one ended in (a quote near it skips the walk).
        self._near: tuple[int, int, int, int] | None = None
        self.first_upper: tuple[int, int, int, int] | None = None  # `first_step_upper`, once computed
        self._native: object = None  # what the native sizing kernel keeps of the hop (mevcli/native)

    def __call__(self, amount: int) -> int:
        if 0 < amount < self.first_end:
            sqrt, target, liquidity, _, _, shifted, product = self._steps[0]
            less_fee = amount * (PIPS - self.fee) // PIPS
            return self._partial(sqrt, target, liquidity, shifted, product, less_fee, 0, amount)
        near = self._near
        if near is not None and near[0] < amount < near[1]:
            sqrt, target, liquidity, _, _, shifted, product = self._steps[near[2]]
            less_fee = (amount - near[0]) * (PIPS - self.fee) // PIPS
            return self._partial(sqrt, target, liquidity, shifted, product, less_fee, near[3], amount)
        if amount <= 0 or amount >= _LARGE or not self.usable:
            return _swap_quote(self.state, self.token_in, amount)
        steps = self._steps
        complement = PIPS - self.fee
        remaining, out, i = amount, 0, 0
        while True:
            if i == len(steps):
                if self._end is None:
                    self._extend()
                if i == len(steps):
                    raise self._end.with_traceback(None)
            sqrt, target, liquidity, reach, reached, shifted, product = steps[i]
            less_fee = remaining * complement // PIPS
            if less_fee >= reach:
                if isinstance(reached, Exception):
                    raise reached.with_traceback(None)
                paid, paid_out = reached
                remaining -= paid
                out += paid_out
                if remaining == 0:
                    return out
                i += 1
                if target == self.limit:
                    raise InsufficientLiquidity(
                        f"pool {self.state.address} takes only {amount - remaining} of {amount} "
                        f"{self.token_in} before its liquidity runs out",
                        pool=self.state.address,
                        filled=amount - remaining,
                    )
                continue
            if i:
                self._remember(i, amount - remaining, out, reach)
            return self._partial(sqrt, target, liquidity, shifted, product, less_fee, out, amount)

    def _remember(self, i: int, before: int, out: int, reach: int) -> None:
        """Keep step i (past the first) as `_near`: the full steps before it take `before` and pay `out`."""
        near = self._near
        complement = PIPS - self.fee
        if (near is None or near[2] != i) and complement > 0:
            end = min(before - (-reach * PIPS // complement), _LARGE)
            self._near = (before, end, i, out)

    def _partial(
        self,
        sqrt: int,
        target: int,
        liquidity: int,
        shifted: int,
        product: int,
        less_fee: int,
        out: int,
        amount: int,
    ) -> int:
        """`out` plus what the last step pays: it ends inside its range (SwapMath.computeSwapStep, exact
        input, not reached), SqrtPriceMath inlined for operands that cannot overflow, the library calls
        otherwise."""
        if self.zero_for_one:
            denominator = shifted + less_fee * sqrt
            if less_fee == 0:
                nxt = sqrt
            elif denominator <= MAX_UINT256:
                nxt = -(-product // denominator)  # getNextSqrtPriceFromAmount0RoundingUp
            else:
                nxt = get_next_sqrt_price_from_input(sqrt, liquidity, less_fee, True)
            if nxt == target:  # rounding landed on the target: the loop counts the step as reached
                return _swap_quote(self.state, self.token_in, amount)
            return out + (liquidity * (sqrt - nxt) >> 96)  # getAmount1Delta, rounded down
        if less_fee <= MAX_UINT160:
            nxt = sqrt + (less_fee << 96) // liquidity  # getNextSqrtPriceFromAmount1RoundingDown
            if nxt > MAX_UINT160:
                nxt = get_next_sqrt_price_from_input(sqrt, liquidity, less_fee, False)  # raises
        else:
            nxt = get_next_sqrt_price_from_input(sqrt, liquidity, less_fee, False)
        if nxt == target:
            return _swap_quote(self.state, self.token_in, amount)
        return out + (shifted * (nxt - sqrt) // nxt) // sqrt  # getAmount0Delta, rounded down

    def local(self, amount: int) -> tuple[int, int, int, int, int] | None:
        """(a, b, c, O, P) of the step `amount` ends in: out ≈ O + a·u/(b + c·u), u = amount − P."""
        both = self.local_quote(amount, exact=False)
        return None if both is None else both[0]

    def local_quote(
        self, amount: int, exact: bool = True
    ) -> tuple[tuple[int, int, int, int, int], int] | None:
        """(`local(amount)`, `self(amount)`) from one walk of the steps; None where `local` is None, and
        raises where `self(amount)` raises. exact=False leaves out the partial last step's quote (0 in its
        place, and nothing raised for it): `local` alone."""
        if 0 < amount < self.first_end:
            sqrt, target, liquidity, _, _, shifted, product = self._steps[0]
            piece = self._pieces.get(0)
            if piece is None:
                form = self._forms.get(0)
                if form is None:
                    form = self._forms[0] = self._form(sqrt, liquidity, PIPS - self.fee)
                piece = self._pieces[0] = (*form, 0, 0)
            if not exact:
                return piece, 0
            less_fee = amount * (PIPS - self.fee) // PIPS
            return piece, self._partial(sqrt, target, liquidity, shifted, product, less_fee, 0, amount)
        located = self._locate(amount)
        if located is None:
            return None
        i, out, remaining, less_fee = located
        sqrt, target, liquidity, reach, reached, shifted, product = self._steps[i]
        if less_fee >= reach:
            quoted = out + reached[1]  # type: ignore[index]  # ends exactly at the boundary: its form holds
        elif exact:
            quoted = self._partial(sqrt, target, liquidity, shifted, product, less_fee, out, amount)
        else:
            quoted = 0
        piece = self._pieces.get(i)
        if piece is None:  # what the steps before i take and pay does not depend on the amount
            form = self._forms.get(i)
            if form is None:
                form = self._forms[i] = self._form(sqrt, liquidity, PIPS - self.fee)
            piece = self._pieces[i] = (*form, out, amount - remaining)
        return piece, quoted

    def _locate(self, amount: int) -> tuple[int, int, int, int] | None:
        """(i, paid out by the steps before step i, what is left of `amount` at step i, its fee-less part)
        for the step i the amount ends in (a step it exactly completes counts as its own); None where the
        quote takes another path (the full swap, a step that raises, the price limit)."""
        near = self._near
        if near is not None and near[0] < amount < near[1]:
            remaining = amount - near[0]
            return near[2], near[3], remaining, remaining * (PIPS - self.fee) // PIPS
        if amount <= 0 or amount >= _LARGE or not self.usable:
            return None
        steps = self._steps
        complement = PIPS - self.fee
        remaining, out, i = amount, 0, 0
        while True:
            if i == len(steps):
                if self._end is None:
                    self._extend()
                if i == len(steps):
                    return None
            _, target, _, reach, reached, _, _ = steps[i]
            less_fee = remaining * complement // PIPS
            if less_fee >= reach:
                if isinstance(reached, Exception) or target == self.limit:
                    return None
                paid, paid_out = reached
                if remaining > paid:
                    remaining -= paid
                    out += paid_out
                    i += 1
                    continue
            if i and less_fee < reach:
                self._remember(i, amount - remaining, out, reach)
            return i, out, remaining, less_fee

    def upper_bound(self, amount: int) -> int | None:
        """An upper bound on `self(amount)`, never below it, at a fraction of its cost; None where the quote
        would take another path (the full swap, or a step that raises).

        The full steps the amount covers pay what they pay; in the step it ends in, the contract rounds
        the next price against the trader and every amount down, so that step pays at most the
        real-valued d·R_out/(R_in + d) of its fee-less input d (the contract's own integer), R_in and
        R_out the virtual reserves of its range: R_in floored and R_out rounded up keep it a bound. Not
        within a unit of the step's end, where the price can round onto the boundary (`reach` is rounded
        up twice) and the pool's loop takes over."""
        located = self._locate(amount)
        if located is None:
            return None
        i, out, _, less_fee = located
        sqrt, _, liquidity, reach, reached, _, _ = self._steps[i]
        if less_fee >= reach:
            return out + reached[1]  # type: ignore[index]  # ends exactly at the boundary
        if less_fee + 1 >= reach:
            return None  # a unit short of the boundary: the price may round onto it (see `_partial`)
        if less_fee == 0:
            return out  # the step pays nothing (and a thin range's floored in-reserve may be 0)
        reserves = self._uppers.get(i)
        if reserves is None:
            reserves = self._uppers[i] = self._upper_reserves(sqrt, liquidity)
        reserve_in, reserve_out = reserves
        return out + less_fee * reserve_out // (reserve_in + less_fee)

    def first_step_upper(self) -> tuple[int, int, int, int] | None:
        """(a, b, c, end): for every amount y in (0, end), `upper_bound(y)` is an integer at most
        a·y // (b + c·y) (the real-valued fee-less input y·c/PIPS in place of the contract's floored one:
        a bound as cheap as a V2 quote); end: where the fee-less part reaches the first step's `reach`
        less one. None while the first step is unknown. Kept in `first_upper` once computed."""
        if self.first_upper is None and self.first_end:
            sqrt, _, liquidity, reach = self._steps[0][:4]
            complement = PIPS - self.fee
            reserve_in, reserve_out = self._upper_reserves(sqrt, liquidity)
            end = min(-(-(reach - 1) * PIPS // complement), _LARGE)  # y·c // PIPS < reach − 1  <=>  y < end
            self.first_upper = (complement * reserve_out, reserve_in * PIPS, complement, end)
        return self.first_upper

    def _upper_reserves(self, sqrt: int, liquidity: int) -> tuple[int, int]:
        """`upper_reserves` of a step's range in this hop's direction (`upper_bound`)."""
        return upper_reserves(liquidity, sqrt, self.zero_for_one)

    def _form(self, sqrt: int, liquidity: int, complement: int) -> tuple[int, int, int]:
        """(a, b, c) of a step's range, through its virtual reserves."""
        virtual0, virtual1 = virtual_reserves(liquidity, sqrt)
        reserve_in, reserve_out = (virtual0, virtual1) if self.zero_for_one else (virtual1, virtual0)
        return complement * reserve_out, reserve_in * PIPS, complement

    def _extend(self) -> None:
        """Append the next step that moves the price, or set `_end`."""
        state, zfo, limit = self.state, self.zero_for_one, self.limit
        while True:
            sqrt, tick, liquidity = self._cursor
            if liquidity == 0 and not self._ticks_ahead(tick):
                self._end = InsufficientLiquidity(
                    f"pool {state.address} has no liquidity left for selling {self.token_in}",
                    pool=state.address,
                )
                return
            try:  # what every amount that enters this step computes
                tick_next, initialized, sqrt_next, target = next_step(state, tick, zfo, limit)
                past_limit = target != sqrt_next
                if zfo:
                    reach = get_amount0_delta(target, sqrt, liquidity, True)
                else:
                    reach = get_amount1_delta(sqrt, target, liquidity, True)
            except _MATH_ERRORS as exc:
                self._end = as_pool_error(exc).with_traceback(None)
                return
            reached: tuple[int, int] | Exception
            cursor = None
            try:  # what an amount that reaches the target computes
                fee = mul_div_rounding_up(reach, self.fee, PIPS - self.fee)
                if zfo:
                    paid_out = get_amount1_delta(target, sqrt, liquidity, False)
                else:
                    paid_out = get_amount0_delta(sqrt, target, liquidity, False)
                paid = (reach + fee) & MAX_UINT256
                if paid > MAX_INT256 or paid_out > MAX_INT256:
                    raise MathOverflow("SafeCast.toInt256: value does not fit in int256")
                reached = (paid, paid_out)
                if not past_limit:
                    if initialized:
                        liquidity = cross_tick(state, tick_next, liquidity, zfo)
                    cursor = (target, tick_next - 1 if zfo else tick_next, liquidity)
            except _MATH_ERRORS as exc:
                reached = as_pool_error(exc).with_traceback(None)
            if reach == 0 and reached == (0, 0) and cursor is not None:
                self._cursor = cursor  # a step that cannot move any amount: skip it
                continue
            step_liquidity = self._cursor[2]
            if not self._steps:
                self.first_is_state = sqrt == state.sqrt_price_x96 and step_liquidity == state.liquidity
                complement = PIPS - self.fee
                if self.usable and complement > 0:  # y·complement // PIPS < reach  <=>  y < first_end
                    self.first_end = min(-(-reach * PIPS // complement), _LARGE)
            shifted = step_liquidity << 96
            self._steps.append(
                (sqrt, target, step_liquidity, reach, reached, shifted, shifted * sqrt if zfo else 0)
            )
            if cursor is None:
                self._end = InsufficientLiquidity("unreachable", pool=state.address)  # limit or error
            else:
                self._cursor = cursor
            return

    def _ticks_ahead(self, tick: int) -> bool:
        """Whether an initialized tick lies ahead of `tick` in the swap direction (in the bitmap)."""
        spacing = self.state.tick_spacing
        words = [w for w, bits in self.state.bitmap.items() if bits]
        if not words:
            return False
        compressed = compress(tick, spacing)
        if self.zero_for_one:
            lowest = min(words)
            bits = self.state.bitmap[lowest]
            return lowest * 256 + ((bits & -bits).bit_length() - 1) <= compressed
        highest = max(words)
        return highest * 256 + self.state.bitmap[highest].bit_length() - 1 > compressed
