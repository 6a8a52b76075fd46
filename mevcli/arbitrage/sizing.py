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
memoises the route's output per amount once (shared by its lenders; a lender's profit is that less the
amount and fee, and a fee-free lender's fee is not called); `maximize` carries the values it already
has instead of asking again; `refine_guess` takes a V3 hop's step form and quote from one walk. Where
an upper bound on the exact objective (V2 hops exact, each V3 hop through its step's form with the
out-reserve rounded up, `_output_upper`) is already below the refined start's value, the bracket's end
it bounds is not evaluated: it could not have been picked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from math import isqrt

from mevcli.arbitrage.cycles import Cycle
from mevcli.dex.kind import HopQuoter
from mevcli.dex.kinds import kind_of
from mevcli.dex.pools import PoolState, quote
from mevcli.dex.uniswap_v2.hop import V2Hop
from mevcli.dex.uniswap_v3.steps import PIPS, QUOTE_ERRORS, V3Hop
from mevcli.native import kernel

__all__ = ["PIPS", "QUOTE_ERRORS", "V2Hop", "V3Hop", "kernel"]

if kernel is not None:
    kernel.register(V2Hop, V3Hop)

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


def mobius_hop(state: PoolState, token_in: str) -> tuple[int, int, int] | None:
    """(a, b, c) with out ≈ a·y / (b + c·y) near the current price; None for pools without one."""
    return kind_of(state).mobius(state, token_in)


def compose_hops(hops: Sequence[tuple[int, int, int] | None]) -> tuple[int, int, int] | None:
    """(K, M, N) of hops given as (a, b, c), or None when some hop has no Möbius form."""
    k, m, n = 1, 1, 0
    for hop in hops:
        if hop is None:
            return None
        a, b, c = hop
        k, m, n = a * k, b * m, b * n + c * k
    return k, m, n


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


def route_output(hops: Sequence[HopQuoter], amount_in: int) -> tuple[int, list[int]]:
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
    objective caches its own values (each amount is then evaluated once either way). The values of the
    start and of the kept point are carried along, so an amount is asked of the objective once (the
    last bracket's ends aside).
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
    at_guess = None  # f(guess), once asked
    if spread is None:
        lo, hi = max(guess // 2, 1), min(guess * 2, upper)
        down = up = 0  # halve / double
    else:
        down = up = max(guess >> spread, 2 * plateau, 1)
        lo, hi = max(guess - down, 1), min(guess + up, upper)
    guess, at_guess, lo = _widen(f, guess, at_guess, lo, down, 1)
    guess, at_guess, hi = _widen(f, guess, at_guess, hi, up, upper)
    a, b = lo, hi
    kept = at_kept = 0  # the interior point the last step kept (0: none), and its value
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
        at_x1 = at_kept if x1 == kept else f(x1)
        at_x2 = at_kept if x2 == kept else f(x2)
        if at_x1 < at_x2:
            a, kept, at_kept = x1, x2, at_x2
        else:
            b, kept, at_kept = x2, x1, at_x1
    best = top = None  # the first of the highest, as max(..., key=f)
    for x in range(a, b + 1) if b - a <= 64 else (a, (a + b) // 2, b):
        value = at_kept if x == kept else f(x)
        if top is None or value > top:
            best, top = x, value
    return best, top  # type: ignore[return-value]


def _widen(
    f: Callable[[int], int], guess: int, at_guess: int | None, end: int, step: int, limit: int
) -> tuple[int, int | None, int]:
    """`maximize`'s widening on one side: while the bracket's `end` (short of `limit`, 1 or upper) is at
    least as good as the start, it becomes the start and the end moves on (by a doubling `step`, or
    halving / doubling with step 0). (start, its value if asked, end)."""
    while end != limit:
        at_end = f(end)
        if at_guess is None:
            at_guess = f(guess)
        if at_end < at_guess:
            break
        step *= 2
        if end > limit:
            guess, at_guess, end = end, at_end, max(end - step if step else end // 2, limit)
        else:
            guess, at_guess, end = end, at_end, min(end + step if step else end * 2, limit)
    return guess, at_guess, end


class RouteOutputs(dict):
    """A route's output per amount (`size_route`'s memo, shared between a route's lenders), and `trail`:
    (x, what each hop pays for x) of the last amount `refine_guess` walked, which `hop_trail` would
    compute again for the amount chosen (it mostly is that x). No `__init__` of its own: one is built
    per candidate, and dict's is several times cheaper than a Python one."""

    trail: tuple[int, list[int]] | None = None


def size_route(
    hops: Sequence[HopQuoter],
    coefficients: tuple[int, int, int] | None,
    fee_of: Callable[[int], int] | None,
    upper: int,
    outputs: dict[int, int] | None = None,
    fee_rate: tuple[int, int] = (0, 1),
) -> tuple[int, int] | None:
    """(amount_in, amount_out) maximising out − in − fee_of(in) through exact quoters, or None.

    `coefficients`: the route's (K, M, N), None when some hop has no Möbius form. `fee_of`: None for a
    lender that charges nothing. `outputs` memoises the route's output per amount (share it between
    flash sources of one route): the one memo of the search, its profit is that less the amount and
    fee. `fee_rate` (numerator, denominator) ≈ fee_of(x) / x only steers the start of the search.
    """
    outputs = {} if outputs is None else outputs
    if kernel is not None and coefficients is not None:
        sized = _size_natively(hops, coefficients, fee_of, upper, outputs, fee_rate)
        if sized is not NotImplemented:
            return sized
    known = outputs.get

    def profit(x: int) -> int:
        out = known(x)
        if out is None:
            out = outputs[x] = _run(hops, x)
        if out == INFEASIBLE:
            return INFEASIBLE
        return out - x if fee_of is None else out - x - fee_of(x)

    if coefficients is None:
        amount, best = maximize(profit, max(upper // 1000, 1), upper, memoized=True)
    else:
        k, m, n = coefficients
        if k <= m:
            return None  # marginal rate below one: no size makes money
        product = k * m
        root = isqrt(product)
        guess = max((root - m) // n, 0) if n else 0  # argmax of K·x/(M+N·x) − x, its square root kept
        refined = refine_guess(hops, guess, fee_rate, upper, outputs, (k, m, n, product, root))
        if refined is None:
            amount, best = maximize(profit, guess, upper, MOBIUS_SPREAD, memoized=True)
        else:
            amount, best = _maximize_near(profit, refined[0], upper, refined[1], hops, fee_of)
    if best <= 0:
        return None
    return amount, outputs[amount]


def _size_natively(
    hops: Sequence[HopQuoter],
    coefficients: tuple[int, int, int],
    fee_of: Callable[[int], int] | None,
    upper: int,
    outputs: dict[int, int],
    fee_rate: tuple[int, int],
) -> tuple[int, int] | object | None:
    """`size_route` by the native kernel (mevcli/native/kernel.c: the same steps, the same integers), or
    NotImplemented where the route is not V2/V3 hops only, the lender's fee is not a `FlashSource.fee`,
    or the kernel meets a path it leaves to Python (the full swap loop, a step that raises, a value
    wider than its integers): the caller then sizes the route here, from the start."""
    k, m, n = coefficients
    if fee_of is None:
        sized = kernel.size_route(hops, k, m, n, 0, 0, 1, fee_rate[0], fee_rate[1], upper)  # type: ignore[union-attr]
    else:
        from mevcli.arbitrage.flash import AAVE_V3, FlashSource

        source = getattr(fee_of, "__self__", None)
        if getattr(fee_of, "__func__", None) is not FlashSource.fee:
            return NotImplemented
        rounding = 1 if source.kind == AAVE_V3 else 2  # type: ignore[union-attr]
        fee_num, fee_den = source.fee_num, source.fee_den  # type: ignore[union-attr]
        sized = kernel.size_route(  # type: ignore[union-attr]
            hops, k, m, n, rounding, fee_num, fee_den, fee_rate[0], fee_rate[1], upper
        )
    if sized is None or sized is NotImplemented:
        return sized
    amount, out, trail = sized
    outputs[amount] = out
    if trail is not None and outputs.__class__ is RouteOutputs:
        outputs.trail = trail  # type: ignore[attr-defined]
    return amount, out


def _maximize_near(
    f: Callable[[int], int],
    guess: int,
    upper: int,
    plateau: int,
    hops: Sequence[HopQuoter] | None = None,
    fee_of: Callable[[int], int] | None = None,
) -> tuple[int, int]:
    """`maximize(f, guess, upper, REFINED_SPREAD, plateau, memoized=True)`, its common case inline: the
    first bracket's interior already beats both ends and is narrow enough that no golden-section step
    is taken (a refined start is that close); anything else is handed to `maximize` (f is memoised,
    so what was evaluated here is not evaluated again).

    With the route's `hops` (and `fee_of`, None for no fee), an end of the bracket is not evaluated
    where an upper bound on its profit (`_output_upper`) is already below the start's: it cannot be
    picked, so the result is the same as with its exact value (it stands in for that value, which it
    bounds from above, in the comparisons; only where the bracket is not clipped, so the interior point
    is the start itself)."""
    guess = min(max(guess, 1), upper)
    step = max(guess >> REFINED_SPREAD, 2 * plateau, 1)
    lo, hi = max(guess - step, 1), min(guess + step, upper)
    if (hi - lo > max(3, 4 * plateau) and hi - lo > (hi >> PRECISION_BITS)) or hi - lo <= 64:
        return maximize(f, guess, upper, REFINED_SPREAD, plateau, memoized=True)
    at_guess = f(guess)
    at_lo = at_hi = None
    if hops is not None and hi - lo == 2 * step:  # unclipped: the interior point is `guess`
        bound = _output_upper(hops, lo)
        if bound is not None and (bound := bound - lo - (0 if fee_of is None else fee_of(lo))) < at_guess:
            at_lo = bound
        bound = _output_upper(hops, hi)
        if bound is not None and (bound := bound - hi - (0 if fee_of is None else fee_of(hi))) < at_guess:
            at_hi = bound
    if at_lo is None:
        at_lo = f(lo)
    if at_hi is None:
        at_hi = f(hi)
    if (lo > 1 and at_lo >= at_guess) or (hi < upper and at_hi >= at_guess):
        return maximize(f, guess, upper, REFINED_SPREAD, plateau, memoized=True)
    middle = (lo + hi) // 2
    best, value = lo, at_lo  # max((lo, middle, hi), key=f): the first of the highest
    at_middle = at_guess if middle == guess else f(middle)
    if at_middle > value:
        best, value = middle, at_middle
    if at_hi > value:
        best, value = hi, at_hi
    return best, value


def _output_upper(hops: Sequence[HopQuoter], amount: int) -> int | None:
    """An upper bound on the route's exact output for `amount` (> 0), or None where none is cheap: V2 hops
    exactly, V3 hops by `V3Hop.upper_bound` (its first step's bound inline). Each hop's exact output
    never falls as its input grows, so a bound on a hop's input bounds its output by its bound at that
    input: bounds compose."""
    for hop in hops:
        if amount == 0:
            return 0
        if hop.__class__ is V2Hop:
            with_fee = amount * hop.gamma  # type: ignore[attr-defined]
            amount = with_fee * hop.reserve_out // (hop.scaled_reserve_in + with_fee)  # type: ignore[attr-defined]
        elif hop.__class__ is V3Hop:
            first = hop.first_upper or hop.first_step_upper()  # type: ignore[attr-defined]
            if first is not None and amount < first[3]:
                amount = first[0] * amount // (first[1] + first[2] * amount)
            else:
                amount = hop.upper_bound(amount)  # type: ignore[attr-defined]
                if amount is None:
                    return None
        else:
            return None
    return amount


def _run(hops: Sequence[HopQuoter], amount: int) -> int:
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


def hop_trail(hops: Sequence[HopQuoter], amount_in: int, amount_out: int) -> list[int]:
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
    hops: Sequence[HopQuoter],
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
        paid = []  # what each hop pays for x
        plain = start is not None  # every piece so far is its hop's Möbius form
        try:
            for hop in hops:
                if hop.__class__ is V2Hop:
                    at_x.append(hop._local)  # type: ignore[attr-defined]
                    with_fee = amount * hop.gamma  # type: ignore[attr-defined]
                    amount = with_fee * hop.reserve_out // (hop.scaled_reserve_in + with_fee)  # type: ignore[attr-defined]
                elif hop.__class__ is not V3Hop:
                    return None  # no piecewise form (nothing is kept before a round ends)
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
                paid.append(amount)
                quantum += -(-x // amount)  # one unit of this hop's output, in units of the start token
        except (*QUOTE_ERRORS, AttributeError):
            return None
        outputs.setdefault(x, amount)
        if outputs.__class__ is RouteOutputs:
            outputs.trail = (x, paid)  # type: ignore[attr-defined]
        if at_x == pieces:
            break  # same steps as the last round: x is that form's optimum
        pieces = at_x
        if plain:
            r, s, det = start[2], start[1], start[3]  # type: ignore[index]
        else:
            r, s, det = _compose_pieces(pieces)
        if r <= 0 or det <= 0:
            return None
        radicand = det * denominator // (denominator + numerator) if numerator else det
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


def exact_hop(state: PoolState, token_in: str, token_out: str) -> HopQuoter:
    """amount -> `quote(state, token_in, amount, token_out)`, the same integer, faster when repeated.

    Raises where `quote` raises, a MevcliError (`QUOTE_ERRORS`) though maybe another one of them; past
    a V3 pool's liquidity that is a NoLiquidity, whichever of the family the full swap would raise.
    """
    if token_in != token_out:
        kind = kind_of(state)
        tokens = kind.tokens(state)
        if token_in in tokens and token_out in tokens:
            hop = kind.exact_hop(state, token_in, token_out)
            if hop is not None:
                return hop
    return lambda amount: quote(state, token_in, amount, token_out)
