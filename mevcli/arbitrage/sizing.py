"""Optimal input for a cycle: a closed-form start from the Möbius composition, then an exact search.

Each constant-product-like hop (a V2 pair, or a V3 pool inside its current tick range, through its
virtual reserves) maps an input y to `a·y / (b + c·y)`. Hops compose into one map `K·x / (M + N·x)`:
    K' = a·K,  M' = b·M,  N' = b·N + c·K.
The cycle is profitable at all iff K > M (the marginal rate at zero exceeds one), and the real optimum
of `K·x/(M+N·x) − x` is `(√(K·M) − M) / N`. Where a hop crosses ticks, or is a Curve or Balancer pool,
that is only a starting point: the final amount always comes from a golden-section search over the exact
integer pool math, so the profit reported is what the contracts would pay.

The search evaluates the cycle many times, so each hop is quoted through `exact_hop`: the same integers
as `pools.quote`, computed with what does not depend on the amount done once (a V2 pair's fee-scaled
reserves; a V3 pool's swap steps, which run from the current price to the same tick boundaries whatever
the amount, so only the last, partial step is computed per quote). The search runs V2 hops inline and
memoises the objective once; `refine_guess` takes a V3 hop's step form and quote from one walk.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from math import isqrt

from mevcli.arbitrage.cycles import Cycle
from mevcli.dex.pools import PoolState, quote
from mevcli.dex.uniswap_v2.state import V2PairState
from mevcli.dex.uniswap_v3.full_math import MAX_INT256, MAX_UINT160, MAX_UINT256, mul_div_rounding_up
from mevcli.dex.uniswap_v3.liquidity_math import add_delta
from mevcli.dex.uniswap_v3.sqrt_price_math import (
    get_amount0_delta,
    get_amount1_delta,
    get_next_sqrt_price_from_input,
)
from mevcli.dex.uniswap_v3.state import V3PoolState
from mevcli.dex.uniswap_v3.swap import IncompletePoolState, InsufficientLiquidity
from mevcli.dex.uniswap_v3.tick_bitmap import compress, next_initialized_tick_within_one_word, position
from mevcli.dex.uniswap_v3.tick_math import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    get_sqrt_ratio_at_tick,
)
from mevcli.errors import MevcliError

Q96 = 2**96
PIPS = 1_000_000
# Golden-section ratio as integers: 0.618 ≈ 1_000_000 / 1_618_034.
_PHI_NUM, _PHI_DEN = 1_000_000, 1_618_034
# A Möbius start is good to far better than this (relative): the search brackets it 2^-MOBIUS_SPREAD
# either side and widens only if the optimum is outside.
MOBIUS_SPREAD = 14
# After `refine_guess` the start is as good as the pool math's rounding allows.
REFINED_SPREAD = 24
# The search stops at a bracket of b/2^PRECISION_BITS: around an optimum, profit is flat to ~2^-2·bits
# of itself there, far below a wei for any real trade.
PRECISION_BITS = 22
INFEASIBLE = -(2**255)
QUOTE_ERRORS = (MevcliError, ArithmeticError, ValueError)
Hop = Callable[[int], int]


def mobius_hop(state: PoolState, token_in: str) -> tuple[int, int, int] | None:
    """(a, b, c) with out ≈ a·y / (b + c·y) near the current price; None for non-CPMM pools."""
    if isinstance(state, V2PairState):
        reserve_in, reserve_out = state.reserves_for(token_in)
        gamma = PIPS - state.fee_pips
        return gamma * reserve_out, reserve_in * PIPS, gamma
    if isinstance(state, V3PoolState):
        if state.liquidity == 0:
            return None
        # Virtual reserves of the active range: x = L·2^96/√P (token0), y = L·√P/2^96 (token1).
        virtual0 = state.liquidity * Q96 // state.sqrt_price_x96
        virtual1 = state.liquidity * state.sqrt_price_x96 // Q96
        reserve_in, reserve_out = (virtual0, virtual1) if token_in == state.token0 else (virtual1, virtual0)
        gamma = PIPS - state.fee
        return gamma * reserve_out, reserve_in * PIPS, gamma
    return None


def compose(cycle: Cycle, states: dict[str, PoolState]) -> tuple[int, int, int] | None:
    """(K, M, N) of the whole cycle, or None when some hop has no Möbius form."""
    return compose_hops([mobius_hop(states[edge.pool], edge.token_in) for edge in cycle.edges])


def compose_hops(hops: Sequence[tuple[int, int, int] | None]) -> tuple[int, int, int] | None:
    """(K, M, N) of hops given as (a, b, c), or None when some hop has no Möbius form."""
    k, m, n = 1, 1, 0
    for hop in hops:
        if hop is None:
            return None
        a, b, c = hop
        k, m, n = a * k, b * m, b * n + c * k
    return k, m, n


def mobius_optimum(k: int, m: int, n: int) -> int:
    """argmax of K·x/(M+N·x) − x over the reals, floored; 0 when unprofitable."""
    if k <= m or n == 0:
        return 0
    return max((isqrt(k * m) - m) // n, 0)


def cycle_output(cycle: Cycle, states: dict[str, PoolState], amount_in: int) -> tuple[int, list[int]]:
    """Exact output of running `amount_in` through the cycle, and the amount after each hop."""
    amounts = []
    amount = amount_in
    for edge in cycle.edges:
        amount = quote(states[edge.pool], edge.token_in, amount, edge.token_out)
        amounts.append(amount)
        if amount == 0:
            break
    return amount, amounts


def route_output(hops: Sequence[Hop], amount_in: int) -> tuple[int, list[int]]:
    """`cycle_output` through `exact_hop` quoters."""
    amounts = []
    amount = amount_in
    for hop in hops:
        amount = hop(amount)
        amounts.append(amount)
        if amount == 0:
            break
    return amount, amounts


def maximize(
    objective: Callable[[int], int],
    guess: int,
    upper: int,
    spread: int | None = None,
    plateau: int = 0,
    memoized: bool = False,
) -> tuple[int, int]:
    """(x, objective(x)) maximising a concave integer objective on [1, upper], starting near `guess`.

    The objective may return None-like very negative values where infeasible; it must be concave
    enough for golden-section search (exact pool math is, up to wei rounding).

    The first bracket is [guess/2, 2·guess], or guess ± max(guess/2^spread, 2·plateau) when the guess
    is known to be close; either is widened (halving / doubling, resp. doubling the step) until its
    interior beats both ends. Golden-section steps then reuse the interior point the last one kept, so
    each costs one evaluation, down to a bracket of max(3, b/2^PRECISION_BITS, 4·plateau); the best of
    the last bracket wins. `plateau`: how far from the optimum the objective stays within its own
    rounding noise (comparisons closer than that are coin flips, not information). `memoized`: the
    objective caches its own values (each amount is then evaluated once either way).
    """
    if memoized:
        f = objective
    else:
        cache: dict[int, int] = {}

        def f(x: int) -> int:
            value = cache.get(x)
            if value is None:
                value = cache[x] = objective(x)
            return value

    guess = min(max(guess, 1), upper)
    if spread is None:
        lo, hi = max(guess // 2, 1), min(guess * 2, upper)
        while lo > 1 and f(lo) >= f(guess):
            guess, lo = lo, max(lo // 2, 1)
        while hi < upper and f(hi) >= f(guess):
            guess, hi = hi, min(hi * 2, upper)
    else:
        step = max(guess >> spread, 2 * plateau, 1)
        lo, hi = max(guess - step, 1), min(guess + step, upper)
        down = up = step
        while lo > 1 and f(lo) >= f(guess):
            down *= 2
            guess, lo = lo, max(lo - down, 1)
        while hi < upper and f(hi) >= f(guess):
            up *= 2
            guess, hi = hi, min(hi + up, upper)
    a, b = lo, hi
    kept = 0  # the interior point the last step kept (0: none)
    resolution = max(3, 4 * plateau)
    while b - a > resolution and b - a > (b >> PRECISION_BITS):
        step = (b - a) * _PHI_NUM // _PHI_DEN
        x1, x2 = b - step, a + step
        if x1 >= x2:
            x1, x2 = (a + b) // 2, (a + b) // 2 + 1
        # Reuse the kept point where it sits near one of the golden points (it drifts with integer
        # rounding; past 1/32 of the bracket it is dropped rather than let the bracket degenerate).
        slack = (b - a) >> 5
        if kept and abs(kept - x1) <= slack and kept < x2:
            x1 = kept
        elif kept and abs(kept - x2) <= slack and kept > x1:
            x2 = kept
        if f(x1) < f(x2):
            a, kept = x1, x2
        else:
            b, kept = x2, x1
    best = max(range(a, b + 1), key=f) if b - a <= 64 else max((a, (a + b) // 2, b), key=f)
    return best, f(best)


def size_route(
    hops: Sequence[Hop],
    coefficients: tuple[int, int, int] | None,
    fee_of: Callable[[int], int],
    upper: int,
    outputs: dict[int, int] | None = None,
    fee_rate: tuple[int, int] = (0, 1),
) -> tuple[int, int] | None:
    """(amount_in, amount_out) maximising out − in − fee_of(in) through exact quoters, or None.

    `coefficients`: the route's (K, M, N), None when some hop has no Möbius form. `outputs` memoises
    the route's output per amount (share it between flash sources of one route). `fee_rate`
    (numerator, denominator) ≈ fee_of(x) / x only steers the start of the search.
    """
    outputs = {} if outputs is None else outputs
    profits: dict[int, int] = {}

    def profit(x: int) -> int:
        value = profits.get(x)
        if value is not None:
            return value
        out = outputs.get(x)
        if out is None:
            out = outputs[x] = _run(hops, x)
        value = profits[x] = INFEASIBLE if out == INFEASIBLE else out - x - fee_of(x)
        return value

    if coefficients is None:
        amount, best = maximize(profit, max(upper // 1000, 1), upper, memoized=True)
    else:
        k, m, n = coefficients
        if k <= m:
            return None  # marginal rate below one: no size makes money
        product = k * m
        root = isqrt(product)
        guess = max((root - m) // n, 0) if n else 0  # `mobius_optimum`, its square root kept
        refined = refine_guess(hops, guess, fee_rate, upper, outputs, (k, m, n, product, root))
        if refined is None:
            amount, best = maximize(profit, guess, upper, MOBIUS_SPREAD, memoized=True)
        else:
            amount, best = maximize(profit, refined[0], upper, REFINED_SPREAD, refined[1], memoized=True)
    if best <= 0:
        return None
    return amount, outputs[amount]


def _run(hops: Sequence[Hop], amount: int) -> int:
    """The route's output for `amount` (> 0), INFEASIBLE where a pool refuses it; V2 hops inlined."""
    try:
        for hop in hops:
            if hop.__class__ is V2Hop and amount > 0:
                with_fee = amount * hop.gamma  # type: ignore[attr-defined]
                amount = with_fee * hop.reserve_out // (hop.scaled_reserve_in + with_fee)  # type: ignore[attr-defined]
            else:
                amount = hop(amount)
            if amount == 0:
                break
    except QUOTE_ERRORS:
        return INFEASIBLE
    return amount


def hop_trail(hops: Sequence[Hop], amount_in: int, amount_out: int) -> list[int]:
    """What each hop pays for `amount_in` (> 0), given what the route pays (`amount_out` > 0, so no
    hop pays nothing): the last hop's is `amount_out`, the others are quoted, V2 hops inline."""
    amounts = []
    amount = amount_in
    for hop in hops[:-1]:
        if hop.__class__ is V2Hop:
            with_fee = amount * hop.gamma  # type: ignore[attr-defined]
            amount = with_fee * hop.reserve_out // (hop.scaled_reserve_in + with_fee)  # type: ignore[attr-defined]
        else:
            amount = hop(amount)
        amounts.append(amount)
    amounts.append(amount_out)
    return amounts


def refine_guess(
    hops: Sequence[Hop],
    guess: int,
    fee_rate: tuple[int, int],
    upper: int,
    outputs: dict[int, int],
    start: tuple[int, int, int, int, int] | None = None,
) -> tuple[int, int] | None:
    """(start, plateau) for the exact search, from the piecewise Möbius form of the route; or None.

    At an amount x, each hop is locally `O + a·u/(b + c·u)` with u = y − P: a V2 pair everywhere
    (O = P = 0), a V3 pool in the swap step where y ends (virtual reserves of that step's range, P and
    O what the full steps before it take and pay). Those compose as 2×2 integer matrices into
    F(x) = (p·x + q)/(r·x + s), whose optimum F'(x) = 1 + fee rate is closed-form. A few rounds settle
    on the step each hop ends in.

    plateau: the distance d from the start at which the curvature costs one "quantum" of rounding
    (½·|F''|·d² = the value of one unit of every token on the way, in the start token): the exact
    objective cannot be told apart from noise closer than that.

    start: (K, M, N, K·M, isqrt(K·M)) of the route's Möbius form, as the start used them. Where every
    hop ends in the range of the current price, the pieces are those forms and compose to (K, 0, N, M):
    that round reuses them (and, without a flash fee, the same square root).
    """
    for hop in hops:
        if hop.__class__ is not V2Hop and hop.__class__ is not V3Hop:
            return None  # no piecewise form
    numerator, denominator = fee_rate
    x = guess
    pieces: list[tuple[int, int, int, int, int]] = []
    r = s = det = 0
    for _ in range(5):
        if not 1 <= x <= upper:
            return None
        amount = x
        quantum = 1
        at_x = []
        plain = start is not None  # every piece so far is its hop's Möbius form
        try:
            for hop in hops:
                if hop.__class__ is V2Hop:
                    at_x.append(hop._local)  # type: ignore[attr-defined]
                    with_fee = amount * hop.gamma  # type: ignore[attr-defined]
                    amount = with_fee * hop.reserve_out // (hop.scaled_reserve_in + with_fee)  # type: ignore[attr-defined]
                else:
                    both = hop.local_quote(amount)  # type: ignore[attr-defined]
                    if both is None:
                        return None
                    piece, amount = both
                    at_x.append(piece)
                    if piece[3] or piece[4] or not hop.first_is_state:  # type: ignore[attr-defined]
                        plain = False
                if amount == 0:
                    return None
                quantum += -(-x // amount)  # one unit of this hop's output, in units of the start token
        except (QUOTE_ERRORS, AttributeError):
            return None
        outputs.setdefault(x, amount)
        if at_x == pieces:
            break  # same steps as the last round: x is that form's optimum
        pieces = at_x
        if plain:
            r, s, det = start[2], start[1], start[3]  # type: ignore[index]
        else:
            r, s, det = _compose_pieces(pieces)
        if r <= 0 or det <= 0:
            return None
        radicand = det * denominator // (denominator + numerator)
        root = start[4] if start is not None and radicand == start[3] else isqrt(radicand)
        nxt = (root - s) // r
        if nxt < 1:
            return None
        if nxt == x:
            break
        x = nxt
    else:
        if not 1 <= x <= upper:
            return None
    t = r * x + s
    plateau = isqrt(quantum * t * t * t // (r * det)) if t > 0 else 0
    return x, min(plateau, x >> 8)


def _compose_pieces(pieces: list[tuple[int, int, int, int, int]]) -> tuple[int, int, int]:
    """(r, s, p·s − q·r) of (p·x + q)/(r·x + s), the pieces `O + a·u/(b + c·u)` (u = y − P) composed."""
    p, q, r, s = 1, 0, 0, 1
    for a, b, c, paid_out, paid in pieces:
        if paid_out == 0 and paid == 0:  # the hop's own Möbius form: no full step before it
            p, q, r, s = a * p, a * q, c * p + b * r, c * q + b * s
            continue
        hp = paid_out * c + a
        hq, hr, hs = paid_out * b - hp * paid, c, b - c * paid
        p, q, r, s = hp * p + hq * r, hp * q + hq * s, hr * p + hs * r, hr * q + hs * s
    return r, s, p * s - q * r


def size_cycle(
    cycle: Cycle, states: dict[str, PoolState], fee_of: Callable[[int], int], upper: int
) -> tuple[int, int] | None:
    """(amount_in, amount_out) maximising out − in − fee_of(in), or None when nothing is profitable."""
    hops = [exact_hop(states[e.pool], e.token_in, e.token_out) for e in cycle.edges]
    return size_route(hops, compose(cycle, states), fee_of, upper)


def exact_hop(state: PoolState, token_in: str, token_out: str) -> Hop:
    """amount -> `quote(state, token_in, amount, token_out)`, the same integer, faster when repeated.

    Raises where `quote` raises, from the same family (MevcliError, ArithmeticError, ValueError); past
    a V3 pool's liquidity that is a NoLiquidity, whichever of the family the full swap would raise.
    """
    if (
        isinstance(state, V2PairState)
        and {token_in, token_out} == {state.token0, state.token1}
        and token_in != token_out
    ):
        reserve_in, reserve_out = state.reserves_for(token_in)
        if reserve_in > 0 and reserve_out > 0:
            return V2Hop(reserve_in * PIPS, reserve_out, PIPS - state.fee_pips)
    if (
        isinstance(state, V3PoolState)
        and {token_in, token_out} == {state.token0, state.token1}
        and token_in != token_out
    ):
        return V3Hop(state, token_in)
    return lambda amount: quote(state, token_in, amount, token_out)


class V2Hop:
    """UniswapV2Library.getAmountOut with the fee-scaled reserves of one direction bound."""

    __slots__ = ("_local", "gamma", "reserve_out", "scaled_reserve_in")

    def __init__(self, scaled_reserve_in: int, reserve_out: int, gamma: int) -> None:
        self.scaled_reserve_in = scaled_reserve_in
        self.reserve_out = reserve_out
        self.gamma = gamma
        self._local = (gamma * reserve_out, scaled_reserve_in, gamma, 0, 0)

    def __call__(self, amount: int) -> int:
        if amount <= 0:
            raise ValueError("INSUFFICIENT_INPUT_AMOUNT")
        with_fee = amount * self.gamma
        return with_fee * self.reserve_out // (self.scaled_reserve_in + with_fee)

    def local(self, amount: int) -> tuple[int, int, int, int, int]:
        """(a, b, c, O, P): out ≈ O + a·u/(b + c·u), u = amount − P (see `refine_guess`)."""
        return self._local


_LARGE = 2**200  # past this, quote through the full swap (its int256 / uint256 checks)


class V3Hop:
    """Exact-input quotes through one V3 pool in one direction, as `quote_exact_input` computes them.

    The swap loop steps from the current price to the next initialized tick (or bitmap word end, or the
    price limit). Whether a step reaches its target depends on the amount left; what it takes and pays
    when it does, and where the next one starts, do not. So the full steps are computed once, lazily,
    in order, and a quote walks the full steps its amount covers and computes the partial last one.
    Steps that cannot move the price (no liquidity) are skipped; once no liquidity is left anywhere
    ahead, any amount still unspent is a partial fill (`InsufficientLiquidity`).
    """

    __slots__ = (
        "_cursor",
        "_end",
        "_forms",
        "_steps",
        "fee",
        "first_is_state",
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
        # The first step starts at the pool's price and liquidity: its form is `mobius_hop`'s.
        self.first_is_state = False

    def __call__(self, amount: int) -> int:
        if amount <= 0 or amount >= _LARGE or not self.usable:
            return quote(self.state, self.token_in, amount)
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
            return self._partial(sqrt, target, liquidity, shifted, product, less_fee, out, amount)

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
                return quote(self.state, self.token_in, amount)
            return out + (liquidity * (sqrt - nxt) >> 96)  # getAmount1Delta, rounded down
        if less_fee <= MAX_UINT160:
            nxt = sqrt + (less_fee << 96) // liquidity  # getNextSqrtPriceFromAmount1RoundingDown
            if nxt > MAX_UINT160:
                nxt = get_next_sqrt_price_from_input(sqrt, liquidity, less_fee, False)  # raises
        else:
            nxt = get_next_sqrt_price_from_input(sqrt, liquidity, less_fee, False)
        if nxt == target:
            return quote(self.state, self.token_in, amount)
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
            sqrt, target, liquidity, reach, reached, shifted, product = steps[i]
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
                quoted = out + paid_out  # ends exactly at the boundary: this step's form still holds
            elif exact:
                quoted = self._partial(sqrt, target, liquidity, shifted, product, less_fee, out, amount)
            else:
                quoted = 0
            form = self._forms.get(i)
            if form is None:
                form = self._forms[i] = self._form(sqrt, liquidity, complement)
            return (*form, out, amount - remaining), quoted

    def _form(self, sqrt: int, liquidity: int, complement: int) -> tuple[int, int, int]:
        """(a, b, c) of a step's range, through its virtual reserves."""
        virtual0 = liquidity * Q96 // sqrt
        virtual1 = liquidity * sqrt // Q96
        reserve_in, reserve_out = (virtual0, virtual1) if self.zero_for_one else (virtual1, virtual0)
        return complement * reserve_out, reserve_in * PIPS, complement

    def _extend(self) -> None:
        """Append the next step that moves the price, or set `_end`."""
        state, zfo, limit = self.state, self.zero_for_one, self.limit
        spacing = state.tick_spacing
        while True:
            sqrt, tick, liquidity = self._cursor
            if liquidity == 0 and not self._ticks_ahead(tick):
                self._end = InsufficientLiquidity(
                    f"pool {state.address} has no liquidity left for selling {self.token_in}",
                    pool=state.address,
                )
                return
            try:  # what every amount that enters this step computes
                if state.word_range is not None:
                    word = position(compress(tick, spacing) + (0 if zfo else 1))[0]
                    if not state.word_range[0] <= word <= state.word_range[1]:
                        raise IncompletePoolState(
                            f"pool {state.address}: the swap reaches tick bitmap word {word}, outside the "
                            f"loaded words {state.word_range[0]}..{state.word_range[1]}"
                        )
                tick_next, initialized = next_initialized_tick_within_one_word(
                    state.bitmap, tick, spacing, zfo
                )
                tick_next = min(max(tick_next, MIN_TICK), MAX_TICK)
                sqrt_next = get_sqrt_ratio_at_tick(tick_next)
                past_limit = sqrt_next < limit if zfo else sqrt_next > limit
                target = limit if past_limit else sqrt_next
                if zfo:
                    reach = get_amount0_delta(target, sqrt, liquidity, True)
                else:
                    reach = get_amount1_delta(sqrt, target, liquidity, True)
            except QUOTE_ERRORS as exc:
                self._end = exc.with_traceback(None)
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
                    raise OverflowError("SafeCast.toInt256: value does not fit in int256")
                reached = (paid, paid_out)
                if not past_limit:
                    if initialized:
                        try:
                            net = state.ticks[tick_next]
                        except KeyError:
                            raise IncompletePoolState(
                                f"pool {state.address}: tick {tick_next} is initialized in the bitmap but "
                                "has no liquidityNet in `ticks`"
                            ) from None
                        liquidity = add_delta(liquidity, -net if zfo else net)
                    cursor = (target, tick_next - 1 if zfo else tick_next, liquidity)
            except QUOTE_ERRORS as exc:
                reached = exc.with_traceback(None)
            if reach == 0 and reached == (0, 0) and cursor is not None:
                self._cursor = cursor  # a step that cannot move any amount: skip it
                continue
            step_liquidity = self._cursor[2]
            if not self._steps:
                self.first_is_state = sqrt == state.sqrt_price_x96 and step_liquidity == state.liquidity
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
