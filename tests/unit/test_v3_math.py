"""Uniswap V3 core math port: known values from the Solidity, reference implementations, invariants.

The swap vectors below are the results the real UniswapV3Pool produced in v3-core's own swap test
suite (UniswapV3Pool.swaps.spec.ts snapshot): same pools, same mints, same swaps, to the wei.
"""

from __future__ import annotations

from math import isqrt

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mevcli.dex.uniswap_v3 import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    InsufficientLiquidity,
    InvalidPriceLimit,
    SqrtPriceOutOfRange,
    TickOutOfRange,
    V3PoolState,
    add_delta,
    compute_swap_step,
    count_initialized_ticks_crossed,
    get_amount0_delta,
    get_amount0_delta_signed,
    get_amount1_delta,
    get_amount1_delta_signed,
    get_next_sqrt_price_from_input,
    get_next_sqrt_price_from_output,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
    least_significant_bit,
    most_significant_bit,
    mul_div,
    mul_div_rounding_up,
    next_initialized_tick_within_one_word,
    position,
    quote_exact_input,
    quote_exact_output,
    swap,
)
from mevcli.dex.uniswap_v3.tick_bitmap import flip_tick
from mevcli.errors import NoLiquidity, UnknownToken

MAX_UINT256 = 2**256 - 1
MAX_INT256 = 2**255 - 1
Q96 = 2**96
Q128 = 2**128
E18 = 10**18

uint256 = st.integers(0, MAX_UINT256)
ticks = st.integers(MIN_TICK, MAX_TICK)
sqrt_prices = st.integers(MIN_SQRT_RATIO, MAX_SQRT_RATIO - 1)


def encode_price_sqrt(reserve1: int, reserve0: int) -> int:
    """v3-core's test helper encodePriceSqrt: bignumber.js, 40 decimal places, half-up, then floor."""
    dp = 10**40
    quotient = (2 * reserve1 * dp + reserve0) // (2 * reserve0)
    root = (isqrt(4 * quotient * dp) + 1) // 2
    return root * Q96 // dp


def greatest_tick_at_or_below(sqrt_price_x96: int) -> int:
    """Reference for get_tick_at_sqrt_ratio: binary search over get_sqrt_ratio_at_tick."""
    lo, hi = MIN_TICK, MAX_TICK
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if get_sqrt_ratio_at_tick(mid) <= sqrt_price_x96:
            lo = mid
        else:
            hi = mid - 1
    return lo


# -- TickMath -------------------------------------------------------------------------------------


def test_sqrt_ratio_known_values() -> None:
    assert get_sqrt_ratio_at_tick(0) == 2**96
    assert get_sqrt_ratio_at_tick(MIN_TICK) == MIN_SQRT_RATIO == 4295128739
    assert (
        get_sqrt_ratio_at_tick(MAX_TICK)
        == MAX_SQRT_RATIO
        == 1461446703485210103287273052203988822378723970342
    )
    assert get_sqrt_ratio_at_tick(MIN_TICK + 1) == 4295343490
    assert get_sqrt_ratio_at_tick(MAX_TICK - 1) == 1461373636630004318706518188784493106690254656249


@pytest.mark.parametrize("tick", [MIN_TICK - 1, MAX_TICK + 1, -(2**23)])
def test_sqrt_ratio_rejects_out_of_range_ticks(tick: int) -> None:
    with pytest.raises(TickOutOfRange):
        get_sqrt_ratio_at_tick(tick)


@given(st.integers(MIN_TICK, MAX_TICK - 1))
def test_sqrt_ratio_is_strictly_increasing(tick: int) -> None:
    assert get_sqrt_ratio_at_tick(tick) < get_sqrt_ratio_at_tick(tick + 1)


@given(st.integers(1, MAX_TICK))
def test_sqrt_ratio_of_negative_tick_is_close_to_reciprocal(tick: int) -> None:
    # sqrt(1.0001^t) * sqrt(1.0001^-t) = 1, i.e. the product of the Q64.96 values is ~2**192
    product = get_sqrt_ratio_at_tick(tick) * get_sqrt_ratio_at_tick(-tick)
    assert abs(product - 2**192) * 10**8 < 2**192


def test_tick_at_sqrt_ratio_bounds() -> None:
    assert get_tick_at_sqrt_ratio(MIN_SQRT_RATIO) == MIN_TICK
    assert get_tick_at_sqrt_ratio(MIN_SQRT_RATIO + 1) == MIN_TICK
    assert get_tick_at_sqrt_ratio(MAX_SQRT_RATIO - 1) == MAX_TICK - 1
    assert get_tick_at_sqrt_ratio(2**96) == 0
    assert get_tick_at_sqrt_ratio(2**96 - 1) == -1
    for bad in (MIN_SQRT_RATIO - 1, MAX_SQRT_RATIO, 0):
        with pytest.raises(SqrtPriceOutOfRange):
            get_tick_at_sqrt_ratio(bad)


@given(st.integers(MIN_TICK, MAX_TICK - 1))
def test_tick_at_sqrt_ratio_is_exact_at_tick_boundaries(tick: int) -> None:
    ratio = get_sqrt_ratio_at_tick(tick)
    assert get_tick_at_sqrt_ratio(ratio) == tick
    if ratio > MIN_SQRT_RATIO:
        assert get_tick_at_sqrt_ratio(ratio - 1) == tick - 1
    assert get_tick_at_sqrt_ratio(get_sqrt_ratio_at_tick(tick + 1) - 1) == tick


@given(sqrt_prices)
def test_tick_at_sqrt_ratio_is_greatest_tick_at_or_below(price: int) -> None:
    tick = get_tick_at_sqrt_ratio(price)
    assert tick == greatest_tick_at_or_below(price)
    assert get_sqrt_ratio_at_tick(tick) <= price < get_sqrt_ratio_at_tick(tick + 1)


# -- FullMath, BitMath, LiquidityMath -------------------------------------------------------------


def test_mul_div_known_values() -> None:
    assert mul_div(Q128, 50 * Q128 // 100, 150 * Q128 // 100) == Q128 // 3
    assert mul_div_rounding_up(Q128, 50 * Q128 // 100, 150 * Q128 // 100) == Q128 // 3 + 1
    assert mul_div(MAX_UINT256, MAX_UINT256, MAX_UINT256) == MAX_UINT256
    assert mul_div_rounding_up(MAX_UINT256, MAX_UINT256, MAX_UINT256) == MAX_UINT256
    assert mul_div(Q128, 35 * Q128, 8 * Q128) == 4375 * Q128 // 1000


@pytest.mark.parametrize(
    ("a", "b", "denominator"),
    [(Q128, 5, 0), (Q128, Q128, 0), (Q128, Q128, 1), (MAX_UINT256, MAX_UINT256, MAX_UINT256 - 1)],
)
def test_mul_div_reverts(a: int, b: int, denominator: int) -> None:
    with pytest.raises(ArithmeticError):
        mul_div(a, b, denominator)
    with pytest.raises(ArithmeticError):
        mul_div_rounding_up(a, b, denominator)


def test_mul_div_rounding_up_reverts_when_only_the_rounding_overflows() -> None:
    # floor(a*b/d) == 2**256 - 1 exactly but the remainder is non-zero
    a, b, denominator = MAX_UINT256, MAX_UINT256 - 1, MAX_UINT256 - 1
    assert mul_div(a, b - 1, denominator) < MAX_UINT256
    assert mul_div(a, b, denominator) == MAX_UINT256
    a, b, denominator = 535006138814359, 432862656469423142931042426214547535783388063929571229938474969, 2
    assert mul_div(a, b, denominator) == MAX_UINT256
    with pytest.raises(ArithmeticError):
        mul_div_rounding_up(a, b, denominator)


@given(uint256, uint256, st.integers(1, MAX_UINT256))
def test_mul_div_is_exact_floor_and_ceil(a: int, b: int, denominator: int) -> None:
    floor, ceil = a * b // denominator, -(-a * b // denominator)
    if floor > MAX_UINT256:
        with pytest.raises(ArithmeticError):
            mul_div(a, b, denominator)
    else:
        assert mul_div(a, b, denominator) == floor
    if ceil > MAX_UINT256:
        with pytest.raises(ArithmeticError):
            mul_div_rounding_up(a, b, denominator)
    else:
        assert mul_div_rounding_up(a, b, denominator) == ceil


@given(st.integers(1, MAX_UINT256))
def test_bit_math(x: int) -> None:
    msb, lsb = most_significant_bit(x), least_significant_bit(x)
    assert 2**msb <= x < 2 ** (msb + 1)
    assert x & (1 << lsb) and x & ((1 << lsb) - 1) == 0


def test_bit_math_rejects_zero_and_known_values() -> None:
    assert most_significant_bit(1) == least_significant_bit(1) == 0
    assert most_significant_bit(MAX_UINT256) == 255 and least_significant_bit(MAX_UINT256) == 0
    assert least_significant_bit(2**255) == 255
    with pytest.raises(ValueError):
        most_significant_bit(0)
    with pytest.raises(ValueError):
        least_significant_bit(0)


def test_add_delta() -> None:
    assert add_delta(1, 0) == 1 and add_delta(1, -1) == 0 and add_delta(1, 1) == 2
    with pytest.raises(ArithmeticError):
        add_delta(2**128 - 15, 15)
    with pytest.raises(ArithmeticError):
        add_delta(0, -1)
    with pytest.raises(ArithmeticError):
        add_delta(3, -4)


# -- SqrtPriceMath --------------------------------------------------------------------------------


def test_next_sqrt_price_known_values() -> None:
    price = encode_price_sqrt(1, 1)
    assert get_next_sqrt_price_from_input(price, E18, E18 // 10, False) == 87150978765690771352898345369
    assert get_next_sqrt_price_from_input(price, E18, E18 // 10, True) == 72025602285694852357767227579
    # the product amount * sqrtP overflows 256 bits: the Solidity's fallback formula
    assert get_next_sqrt_price_from_input(price, 10 * E18, 2**100, True) == 624999999995069620
    assert get_next_sqrt_price_from_input(price, 1, MAX_UINT256 // 2, True) == 1
    assert get_next_sqrt_price_from_input(1, 1, 2**255, True) == 1
    assert get_next_sqrt_price_from_input(price, E18, 0, True) == price
    assert get_next_sqrt_price_from_output(price, E18, E18 // 10, False) == 88031291682515930659493278152
    assert get_next_sqrt_price_from_output(price, E18, E18 // 10, True) == 71305346262837903834189555302
    assert get_next_sqrt_price_from_output(price, E18, 0, False) == price
    sqrt_p, liquidity = (
        1025574284609383690408304870162715216695788925244,
        50015962439936049619261659728067971248,
    )
    sqrt_q = get_next_sqrt_price_from_input(sqrt_p, liquidity, 406, True)
    assert sqrt_q == 1025574284609383582644711336373707553698163132913
    assert get_amount0_delta(sqrt_p, sqrt_q, liquidity, True) == 406


@pytest.mark.parametrize(
    ("func", "args"),
    [
        (get_next_sqrt_price_from_input, (0, 1, 10, False)),
        (get_next_sqrt_price_from_input, (1, 0, 10, True)),
        (get_next_sqrt_price_from_input, (2**160 - 1, 1024, 1024, False)),  # price overflows uint160
        (get_next_sqrt_price_from_output, (2**104, 1024, 4, False)),  # exactly the virtual reserves of token0
        (get_next_sqrt_price_from_output, (2**104, 1024, 5, False)),
        (get_next_sqrt_price_from_output, (2**104, 1024, 262144, True)),  # exactly the reserves of token1
        (get_next_sqrt_price_from_output, (2**104, 1024, 262145, True)),
        (get_next_sqrt_price_from_output, (2**96, 1, MAX_UINT256, True)),
        (get_next_sqrt_price_from_output, (2**96, 1, MAX_UINT256, False)),
    ],
)
def test_next_sqrt_price_reverts(func, args) -> None:
    with pytest.raises((ArithmeticError, ValueError)):
        func(*args)


def test_amount_deltas_known_values() -> None:
    one, p121 = encode_price_sqrt(1, 1), encode_price_sqrt(121, 100)
    assert get_amount0_delta(p121, one, E18, True) == 90909090909090910
    assert get_amount0_delta(p121, one, E18, False) == 90909090909090909
    assert get_amount1_delta(one, p121, E18, True) == 100000000000000000
    assert get_amount1_delta(one, p121, E18, False) == 99999999999999999
    assert get_amount0_delta(encode_price_sqrt(2, 1), one, 0, True) == 0
    assert get_amount1_delta(one, one, E18, True) == 0
    high, low = encode_price_sqrt(2**96, 1), encode_price_sqrt(2**90, 1)
    assert get_amount0_delta(high, low, E18, True) == get_amount0_delta(high, low, E18, False) + 1
    assert get_amount0_delta_signed(p121, one, -E18) == -90909090909090909
    assert get_amount1_delta_signed(one, p121, E18) == 100000000000000000
    assert get_amount1_delta_signed(one, p121, -E18) == -99999999999999999
    with pytest.raises(ValueError):
        get_amount0_delta(0, one, E18, True)


liquidities = st.integers(1, 2**128 - 1)


@given(sqrt_prices, sqrt_prices, st.integers(0, 2**128 - 1))
def test_amount_deltas_round_up_by_at_most_one(a: int, b: int, liquidity: int) -> None:
    for delta in (get_amount0_delta, get_amount1_delta):
        up, down = delta(a, b, liquidity, True), delta(a, b, liquidity, False)
        assert down <= up <= down + 1
        assert delta(b, a, liquidity, True) == up  # argument order does not matter
    # nested floor / ceil divisions equal the single exact ones
    lo, hi = min(a, b), max(a, b)
    numerator, denominator = liquidity * Q96 * (hi - lo), hi * lo
    assert get_amount0_delta(a, b, liquidity, False) == numerator // denominator
    assert get_amount0_delta(a, b, liquidity, True) == -(-numerator // denominator)
    assert get_amount1_delta(a, b, liquidity, False) == liquidity * (hi - lo) // Q96
    assert get_amount1_delta(a, b, liquidity, True) == -(-liquidity * (hi - lo) // Q96)


@given(sqrt_prices, liquidities, st.integers(1, 2**200), st.booleans())
def test_next_price_from_input_never_overshoots(price: int, liquidity: int, amount: int, zfo: bool) -> None:
    try:
        nxt = get_next_sqrt_price_from_input(price, liquidity, amount, zfo)
    except ArithmeticError:
        return
    if zfo:
        assert nxt <= price
        # the input needed to reach nxt (rounded up) is covered by amount
        assert nxt == 0 or get_amount0_delta(nxt, price, liquidity, True) <= amount
    else:
        assert nxt >= price
        assert get_amount1_delta(price, nxt, liquidity, True) <= amount


@given(sqrt_prices, liquidities, st.integers(1, 2**200), st.booleans())
def test_next_price_from_output_always_delivers(price: int, liquidity: int, amount: int, zfo: bool) -> None:
    try:
        nxt = get_next_sqrt_price_from_output(price, liquidity, amount, zfo)
    except ArithmeticError:
        return
    assume(nxt > 0)
    if zfo:
        assert nxt < price and get_amount1_delta(nxt, price, liquidity, False) >= amount
    else:
        assert nxt > price and get_amount0_delta(price, nxt, liquidity, False) >= amount


# -- SwapMath -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # capped at the price target, exact in then exact out (one for zero)
        (
            (encode_price_sqrt(1, 1), encode_price_sqrt(101, 100), 2 * E18, E18, 600),
            (encode_price_sqrt(101, 100), 9975124224178055, 9925619580021728, 5988667735148),
        ),
        (
            (encode_price_sqrt(1, 1), encode_price_sqrt(101, 100), 2 * E18, -E18, 600),
            (encode_price_sqrt(101, 100), 9975124224178055, 9925619580021728, 5988667735148),
        ),
        # fully spent / fully received
        (
            (encode_price_sqrt(1, 1), encode_price_sqrt(1000, 100), 2 * E18, E18, 600),
            (118818475322642227089037862318, 999400000000000000, 666399946655997866, 600000000000000),
        ),
        (
            (encode_price_sqrt(1, 1), encode_price_sqrt(10000, 100), 2 * E18, -E18, 600),
            (158456325028528675187087900672, 2 * E18, E18, 1200720432259356),
        ),
        # amount out capped at the desired amount out (would be 2 otherwise)
        (
            (
                417332158212080721273783715441582,
                1452870262520218020823638996,
                159344665391607089467575320103,
                -1,
                1,
            ),
            (417332158212080721273783715441581, 1, 1, 1),
        ),
        # target price of 1 uses a partial input amount
        (
            (2, 1, 1, 3915081100057732413702495386755767, 1),
            (1, 39614081257132168796771975168, 0, 39614120871253040049813),
        ),
        # entire input amount taken as fee
        ((2413, 79887613182836312, 1985041575832132834610021537970, 10, 1872), (2413, 0, 0, 10)),
        # intermediate insufficient liquidity, exact output, both directions
        (
            (2**104, 2**104 * 11 // 10, 1024, -4, 3000),
            (2**104 * 11 // 10, 26215, 0, 79),
        ),
        (
            (2**104, 2**104 * 9 // 10, 1024, -263000, 3000),
            (2**104 * 9 // 10, 1, 26214, 1),
        ),
    ],
)
def test_compute_swap_step_known_values(args, expected) -> None:
    assert compute_swap_step(*args) == expected


@settings(max_examples=300)
@given(
    sqrt_prices,
    sqrt_prices,
    st.integers(0, 2**128 - 1),
    st.integers(-(2**200), 2**200).filter(lambda x: x != 0),
    st.integers(0, 999_999),
)
def test_compute_swap_step_invariants(
    current: int, target: int, liquidity: int, remaining: int, fee: int
) -> None:
    nxt, amount_in, amount_out, fee_amount = compute_swap_step(current, target, liquidity, remaining, fee)
    zfo = current >= target
    assert (target <= nxt <= current) if zfo else (current <= nxt <= target)
    assert min(amount_in, amount_out, fee_amount) >= 0
    if remaining > 0:
        assert amount_in + fee_amount <= remaining
        if nxt != target:  # input exhausted: the whole remainder is used
            assert amount_in + fee_amount == remaining
    else:
        assert amount_out <= -remaining
        if nxt != target:
            assert amount_out == -remaining
    # amounts are consistent with the price move, rounded in the pool's favour
    if zfo:
        assert amount_in == get_amount0_delta(nxt, current, liquidity, True) or (
            remaining > 0 and nxt == target
        )
        assert amount_out <= get_amount1_delta(nxt, current, liquidity, False)
    else:
        assert amount_in == get_amount1_delta(current, nxt, liquidity, True) or (
            remaining > 0 and nxt == target
        )
        assert amount_out <= get_amount0_delta(current, nxt, liquidity, False)
    if fee and amount_in and (remaining < 0 or nxt == target):
        assert fee_amount * (10**6 - fee) >= amount_in * fee


# -- TickBitmap -----------------------------------------------------------------------------------


def test_position() -> None:
    assert position(0) == (0, 0)
    assert position(255) == (0, 255)
    assert position(256) == (1, 0)
    assert position(-1) == (-1, 255)
    assert position(-256) == (-1, 0)
    assert position(-257) == (-2, 255)


def _bitmap(initialized: list[int], spacing: int = 1) -> dict[int, int]:
    bitmap: dict[int, int] = {}
    for tick in initialized:
        flip_tick(bitmap, tick, spacing)
    return bitmap


SPEC_TICKS = [-200, -55, -4, 70, 78, 84, 139, 240, 535]


@pytest.mark.parametrize(
    ("tick", "lte", "expected"),
    [
        (78, False, (84, True)),
        (-55, False, (-4, True)),
        (77, False, (78, True)),
        (-56, False, (-55, True)),
        (255, False, (511, False)),
        (-257, False, (-200, True)),
        (508, False, (511, False)),
        (383, False, (511, False)),
        (78, True, (78, True)),
        (79, True, (78, True)),
        (258, True, (256, False)),
        (256, True, (256, False)),
        (72, True, (70, True)),
        (-257, True, (-512, False)),
        (1023, True, (768, False)),
        (900, True, (768, False)),
    ],
)
def test_next_initialized_tick_within_one_word(tick: int, lte: bool, expected: tuple[int, bool]) -> None:
    assert next_initialized_tick_within_one_word(_bitmap(SPEC_TICKS), tick, 1, lte) == expected


@pytest.mark.parametrize(
    ("tick", "lte", "expected"),
    [
        (-45, False, (-40, True)),  # compress(-45) is -5, not Solidity's truncated -4
        (-41, True, (-550, True)),
        (-40, True, (-40, True)),
        (-39, True, (-40, True)),
        (-5, False, (700, True)),
        (5, True, (0, False)),  # -40 is in the previous word
    ],
)
def test_next_initialized_tick_rounds_negative_ticks_down(
    tick: int, lte: bool, expected: tuple[int, bool]
) -> None:
    bitmap = _bitmap([t * 10 for t in SPEC_TICKS], 10)
    assert next_initialized_tick_within_one_word(bitmap, tick, 10, lte) == expected


def _reference_next(initialized: set[int], tick: int, spacing: int, lte: bool) -> tuple[int, bool]:
    """Walk the compressed ticks of the current word one by one."""
    compressed = tick // spacing  # floor, i.e. toward negative infinity
    if lte:
        word_start = compressed - compressed % 256
        for c in range(compressed, word_start - 1, -1):
            if c * spacing in initialized:
                return c * spacing, True
        return word_start * spacing, False
    word_end = (compressed + 1) - (compressed + 1) % 256 + 255
    for c in range(compressed + 1, word_end + 1):
        if c * spacing in initialized:
            return c * spacing, True
    return word_end * spacing, False


@given(
    st.sampled_from([1, 10, 60, 200]),
    st.lists(st.integers(-2000, 2000), max_size=40),
    st.integers(-600_000, 600_000),
    st.booleans(),
)
def test_next_initialized_tick_matches_reference(
    spacing: int, compressed: list[int], tick: int, lte: bool
) -> None:
    initialized = {c * spacing for c in set(compressed)}
    bitmap = _bitmap(sorted(initialized), spacing)
    # place the start inside the populated area often, including negative non-multiples
    tick = tick % (4000 * spacing) - 2000 * spacing
    assert next_initialized_tick_within_one_word(bitmap, tick, spacing, lte) == _reference_next(
        initialized, tick, spacing, lte
    )


# -- pools built the way the pool builds them -----------------------------------------------------


def _min_tick(spacing: int) -> int:
    return -(MAX_TICK // spacing) * spacing


def _max_tick(spacing: int) -> int:
    return (MAX_TICK // spacing) * spacing


def _max_liquidity_per_tick(spacing: int) -> int:
    return (2**128 - 1) // ((_max_tick(spacing) - _min_tick(spacing)) // spacing + 1)


def build_pool(
    fee: int, spacing: int, sqrt_price: int, positions: list[tuple[int, int, int]]
) -> tuple[V3PoolState, int, int]:
    """An initialized pool with `positions` minted in order; returns it and the tokens the mints paid."""
    state = V3PoolState(
        address="0xpool",
        token0="0xt0",
        token1="0xt1",
        fee=fee,
        tick_spacing=spacing,
        sqrt_price_x96=sqrt_price,
        tick=get_tick_at_sqrt_ratio(sqrt_price),
        liquidity=0,
        ticks={},
        bitmap={},
    )
    paid0 = paid1 = 0
    for lower, upper, liquidity in positions:
        a0, a1 = position_amounts(state, lower, upper, liquidity)
        paid0, paid1 = paid0 + a0, paid1 + a1
        state = state.with_liquidity_change(lower, upper, liquidity, block=0)
    return state, paid0, paid1


def position_amounts(state: V3PoolState, lower: int, upper: int, delta: int) -> tuple[int, int]:
    """Tokens owed to (+) or by (-) the pool for a liquidity change, as UniswapV3Pool._modifyPosition."""
    ra, rb = get_sqrt_ratio_at_tick(lower), get_sqrt_ratio_at_tick(upper)
    if state.tick < lower:
        return get_amount0_delta_signed(ra, rb, delta), 0
    if state.tick < upper:
        p = state.sqrt_price_x96
        return get_amount0_delta_signed(p, rb, delta), get_amount1_delta_signed(ra, p, delta)
    return 0, get_amount1_delta_signed(ra, rb, delta)


LOW, MEDIUM, HIGH = (500, 10), (3000, 60), (10000, 200)
ONE = encode_price_sqrt(1, 1)
POOLS: dict[str, tuple[tuple[int, int], int, list[tuple[int, int, int]]]] = {
    "low": (LOW, ONE, [(_min_tick(10), _max_tick(10), 2 * E18)]),
    "high": (HIGH, ONE, [(_min_tick(200), _max_tick(200), 2 * E18)]),
    "10:1": (MEDIUM, encode_price_sqrt(10, 1), [(_min_tick(60), _max_tick(60), 2 * E18)]),
    "1:10": (MEDIUM, encode_price_sqrt(1, 10), [(_min_tick(60), _max_tick(60), 2 * E18)]),
    "zero around": (MEDIUM, ONE, [(_min_tick(60), -60, 2 * E18), (60, _max_tick(60), 2 * E18)]),
    "additional": (
        MEDIUM,
        ONE,
        [
            (_min_tick(60), _max_tick(60), 2 * E18),
            (_min_tick(60), -60, 2 * E18),
            (60, _max_tick(60), 2 * E18),
        ],
    ),
    "stable": (LOW, ONE, [(-10, 10, 2 * E18)]),
    "token0 only": (MEDIUM, ONE, [(0, 120000, 2 * E18)]),
    "token1 only": (MEDIUM, ONE, [(-120000, 0, 2 * E18)]),
    "near max": (MEDIUM, encode_price_sqrt(2**127, 1), [(_min_tick(60), _max_tick(60), 2 * E18)]),
    "near min": (MEDIUM, encode_price_sqrt(1, 2**127), [(_min_tick(60), _max_tick(60), 2 * E18)]),
    "max liquidity": (MEDIUM, ONE, [(_min_tick(60), _max_tick(60), _max_liquidity_per_tick(60))]),
    "at max": (MEDIUM, MAX_SQRT_RATIO - 1, [(_min_tick(60), _max_tick(60), 2 * E18)]),
    "at min": (MEDIUM, MIN_SQRT_RATIO, [(_min_tick(60), _max_tick(60), 2 * E18)]),
}


def pool(name: str) -> V3PoolState:
    (fee, spacing), price, positions = POOLS[name]
    return build_pool(fee, spacing, price, positions)[0]


@pytest.mark.parametrize(
    ("name", "tick", "paid0", "paid1"),
    [
        ("low", 0, 2 * E18, 2 * E18),
        ("10:1", 23027, 632455532033675867, 6324555320336758664),
        ("1:10", -23028, 6324555320336758664, 632455532033675867),
        ("zero around", 0, 1994009290088178439, 1994009290088178439),
        ("stable", 0, 999700069986003, 999700069986003),
        ("token0 only", 0, 1995041008271423675, 0),
        ("near max", 880340, 1, 26087635650665564424699143612505016738),
        ("near min", -880303, 26037782196502120275425782622539039026, 1),
        ("max liquidity", 0, 11505743598341114571255423385623647, 11505743598341114571255423385506404),
        ("at max", 887271, 0, 36796311329002736532545403775337522448),
        ("at min", -887272, 36796311322104302062438284732106019258, 0),
    ],
)
def test_pool_setup_matches_the_real_pool(name: str, tick: int, paid0: int, paid1: int) -> None:
    (fee, spacing), price, positions = POOLS[name]
    state, got0, got1 = build_pool(fee, spacing, price, positions)
    assert (state.tick, got0, got1) == (tick, paid0, paid1)


IMAX = MAX_INT256
P_2_5, P_0_4 = encode_price_sqrt(5, 2), encode_price_sqrt(2, 5)
SWAP_VECTORS = [
    ("low", True, E18, None, E18, -666444407401233536, -8107),
    ("low", False, -E18, None, -E18, 2001000500250125079, 13863),
    ("low", True, 1000, None, 1000, -998, -1),
    ("low", True, IMAX, P_0_4, 1162859089713235953, -735088935932648266, -9164),
    ("high", True, -E18, None, 2020202020202020203, -E18, -13864),
    ("high", False, 1000, None, -989, 1000, 0),
    ("high", False, IMAX, P_2_5, -735088935932648267, 1174017838553918518, 9163),
    ("10:1", True, E18, None, E18, -3869747612262812754, 4098),
    ("10:1", False, -E18, None, -632455532033675838, 36907032426281581270030941278837275671, 887271),
    ("10:1", True, -1000, None, 102, -1000, 23027),
    ("10:1", True, IMAX, P_0_4, 2537434431428990438, -5059644256269406930, -9164),
    ("1:10", False, E18, None, -3869747612262812753, E18, -4099),
    ("1:10", True, -E18, None, 36907032419362389223785084665766560335, -632455532033675838, -887272),
    ("1:10", False, 1000, None, -9969, 1000, -23028),
    ("zero around", True, 1000, None, 1000, -991, -61),
    ("zero around", False, -1000, None, -1000, 1011, 60),
    ("zero around", True, E18, None, E18, -662011820624678025, -8130),
    ("zero around", False, -E18, None, -E18, 2024171064311638316, 13983),
    ("additional", True, E18, None, E18, -795933705287758544, -4476),
    ("additional", True, -E18, None, 1342022152495072924, -E18, -5794),
    ("additional", False, IMAX, P_2_5, -1464187161953474971, 2325523181756544449, 9163),
    ("stable", True, E18, None, 1000700370186095, -999700069986002, -887272),
    ("stable", False, -E18, None, -999700069986002, 1000700370186095, 887271),
    ("stable", True, IMAX, P_0_4, 1000700370186095, -999700069986002, -9164),
    ("token0 only", True, E18, None, 0, 0, -887272),
    ("token0 only", False, E18, None, -665331998665331998, E18, 8089),
    ("token1 only", False, IMAX, P_2_5, 0, 0, 9163),
    ("near max", True, 1000, None, 1000, -26083549850867114346332688477747755628, 705098),
    ("near max", False, -1000, None, 0, 10740898373457544742072477595619363803, 887271),
    ("near min", False, E18, None, -26037782196502120271413746514214063808, E18, -13924),
    ("near min", True, -1000, None, 10790901831095468191587263901270792610, 0, -887272),
    ("max liquidity", True, -1000, None, 145660, -1000, -1),
    ("max liquidity", False, E18, None, -996999999999999232, E18, 0),
    (
        "max liquidity",
        True,
        IMAX,
        P_0_4,
        6706554036096900675845906992672697,
        -4228872409409224753601131225116702,
        -9164,
    ),
    ("at max", True, -1000, None, 2, -1000, 887219),
    ("at max", True, E18, None, E18, -36796311329002736528533367667012547243, 13923),
    ("at min", False, 1000, None, -36792226666449146913445651103694411508, 1000, -705093),
    ("at min", False, -E18, None, -E18, 2, -887220),
]


@pytest.mark.parametrize(("name", "zfo", "amount", "limit", "amount0", "amount1", "tick"), SWAP_VECTORS)
def test_swap_matches_the_real_pool(
    name: str, zfo: bool, amount: int, limit: int | None, amount0: int, amount1: int, tick: int
) -> None:
    result = swap(pool(name), zfo, amount, limit)
    assert (result.amount0, result.amount1, result.tick) == (amount0, amount1, tick)
    if limit is not None and result.amount_in < amount:
        assert result.sqrt_price_x96 == limit


@pytest.mark.parametrize(
    ("name", "zfo", "amount", "limit"),
    [
        ("low", True, IMAX, P_2_5),
        ("low", False, IMAX, P_0_4),
        ("at max", False, 1000, None),
        ("at min", True, E18, None),
    ],
)
def test_swap_rejects_a_price_limit_on_the_wrong_side(
    name: str, zfo: bool, amount: int, limit: int | None
) -> None:
    with pytest.raises(InvalidPriceLimit):
        swap(pool(name), zfo, amount, limit)


def test_swap_rejects_zero_amount() -> None:
    with pytest.raises(ValueError):
        swap(pool("low"), True, 0)


# -- swaps on synthetic pools: invariants ---------------------------------------------------------


@st.composite
def pools_with_positions(draw: st.DrawFn) -> tuple[V3PoolState, list[tuple[int, int, int]]]:
    fee, spacing = draw(st.sampled_from([(100, 1), (500, 10), (3000, 60), (10000, 200)]))
    span = 300  # compressed ticks either side of 0
    positions = []
    for _ in range(draw(st.integers(1, 8))):
        lower = draw(st.integers(-span, span - 1))
        upper = draw(st.integers(lower + 1, span))
        positions.append((lower * spacing, upper * spacing, draw(st.integers(10**6, 10**24))))
    start = get_sqrt_ratio_at_tick(draw(st.integers(-span * spacing, span * spacing)))
    price = start + draw(st.integers(0, start // 10**5))
    state, _, _ = build_pool(fee, spacing, price, positions)
    return state, positions


def holdings(
    state: V3PoolState, positions: list[tuple[int, int, int]], sqrt_price: int, tick: int
) -> tuple[int, int]:
    """Tokens all positions would withdraw at this price (rounded down, as a burn pays)."""
    probe = V3PoolState(
        address="",
        token0="",
        token1="",
        fee=state.fee,
        tick_spacing=state.tick_spacing,
        sqrt_price_x96=sqrt_price,
        tick=tick,
        liquidity=0,
        ticks={},
        bitmap={},
    )
    total0 = total1 = 0
    for lower, upper, liquidity in positions:
        a0, a1 = position_amounts(probe, lower, upper, -liquidity)
        total0, total1 = total0 - a0, total1 - a1
    return total0, total1


def _amounts(draw_amount: int, state: V3PoolState) -> int:
    return max(1, draw_amount % (max(state.liquidity, 10**9) * 4))


@settings(max_examples=120, deadline=None)
@given(pools_with_positions(), st.booleans(), st.integers(1, 2**96))
def test_swap_conserves_tokens(pool_and_positions, zfo: bool, amount: int) -> None:
    state, positions = pool_and_positions
    amount = _amounts(amount, state)
    try:
        result = swap(state, zfo, amount)
    except InvalidPriceLimit:
        return
    before = holdings(state, positions, state.sqrt_price_x96, state.tick)
    after = holdings(state, positions, result.sqrt_price_x96, result.tick)
    d0, d1 = after[0] - before[0], after[1] - before[1]
    gained, lost = (d0, -d1) if zfo else (d1, -d0)
    paid_in_net = result.amount_in - result.fee_amount
    steps = len(state.ticks) + abs(result.tick - state.tick) // (256 * state.tick_spacing) + 3
    slack = 2 * (len(positions) + steps)
    # the pool takes at least what the positions now hold more, and pays at most what they hold less
    # (up to one wei per position: the holdings themselves are rounded down)
    assert -len(positions) <= paid_in_net - gained <= slack
    assert -len(positions) <= lost - result.amount_out <= slack
    assert result.amount_in <= amount and result.fee_amount * 10**6 >= paid_in_net * state.fee
    # signs from the pool's perspective
    assert (result.amount0 >= 0 >= result.amount1) if zfo else (result.amount1 >= 0 >= result.amount0)
    # the reported tick is the price's tick, or the one below a boundary the swap crossed downward
    lo, hi = get_sqrt_ratio_at_tick(result.tick), get_sqrt_ratio_at_tick(min(result.tick + 1, MAX_TICK))
    assert lo <= result.sqrt_price_x96 <= hi
    if result.sqrt_price_x96 == hi:
        assert zfo
    # liquidity after is the sum of the positions in range at the final tick
    active = sum(liq for lower, upper, liq in positions if lower <= result.tick < upper)
    assert result.liquidity == active
    # each initialized tick is crossed at most once
    assert result.tick_crossings <= len(state.ticks)


@settings(max_examples=120, deadline=None)
@given(pools_with_positions(), st.booleans(), st.integers(1, 2**96))
def test_exact_input_and_exact_output_agree(pool_and_positions, zfo: bool, amount: int) -> None:
    state, _ = pool_and_positions
    amount = _amounts(amount, state)
    try:
        forward = swap(state, zfo, amount)
    except InvalidPriceLimit:
        return
    assume(forward.amount_in == amount and forward.amount_out > 0)
    # buying exactly what `amount` bought costs no more than `amount`
    backward = swap(state, zfo, -forward.amount_out)
    assert backward.amount_out == forward.amount_out
    assert backward.amount_in <= amount
    # and paying that cost buys at least it (the exact-output fee covers the exact-input fee)
    again = swap(state, zfo, backward.amount_in)
    assert again.amount_out >= forward.amount_out
    # a round trip never makes money
    if forward.amount_out > 0:
        back = swap(
            state.with_swap(forward.sqrt_price_x96, forward.liquidity, forward.tick, 1),
            not zfo,
            forward.amount_out,
        )
        assert back.amount_out <= amount


@settings(max_examples=60, deadline=None)
@given(pools_with_positions(), st.booleans(), st.integers(1, 2**96))
def test_swap_to_a_price_limit_matches_the_exact_input_swap(
    pool_and_positions, zfo: bool, amount: int
) -> None:
    state, _ = pool_and_positions
    amount = _amounts(amount, state)
    try:
        whole = swap(state, zfo, amount)
    except InvalidPriceLimit:
        return
    assume(whole.amount_in == amount and whole.sqrt_price_x96 != state.sqrt_price_x96)
    # an unbounded swap stopped by a price limit at the same final price takes the same steps: same
    # state and output; only the last step's fee differs (rounded up vs. "whatever is left")
    limited = swap(state, zfo, IMAX, whole.sqrt_price_x96)
    assert (limited.sqrt_price_x96, limited.tick, limited.liquidity, limited.amount_out) == (
        whole.sqrt_price_x96,
        whole.tick,
        whole.liquidity,
        whole.amount_out,
    )
    assert limited.amount_in <= whole.amount_in


def test_swap_crosses_many_ticks_and_counts_them() -> None:
    spacing = 10
    positions = [(-k * spacing * 7, k * spacing * 5, 10**18 + k) for k in range(1, 30)]
    state, _, _ = build_pool(500, spacing, ONE, positions)
    assert len(state.ticks) == 58
    down = swap(state, True, 10**30)
    up = swap(state, False, 10**30)
    # everything below / above was crossed, then the swap ran to the price limit
    assert down.tick_crossings == 29 and up.tick_crossings == 29
    assert down.sqrt_price_x96 == MIN_SQRT_RATIO + 1 and up.sqrt_price_x96 == MAX_SQRT_RATIO - 1
    assert down.liquidity == up.liquidity == 0
    assert down.ticks_crossed == 29 and up.ticks_crossed == 29
    assert down.amount_in < 10**30 and up.amount_in < 10**30


def test_swap_keeps_the_tick_below_a_crossed_boundary_when_the_price_stops_there() -> None:
    state = pool("additional")
    boundary = get_sqrt_ratio_at_tick(-60)
    to_boundary = swap(state, True, IMAX, boundary)
    assert (to_boundary.sqrt_price_x96, to_boundary.tick, to_boundary.tick_crossings) == (boundary, -61, 1)
    # one more wei is all fee: the price stays on the boundary and the tick stays below it
    extra = swap(state, True, to_boundary.amount_in + 1)
    assert (extra.sqrt_price_x96, extra.tick, extra.liquidity) == (boundary, -61, to_boundary.liquidity)
    assert extra.amount_in == to_boundary.amount_in + 1 and extra.amount_out == to_boundary.amount_out
    assert extra.fee_amount == to_boundary.fee_amount + 1


def test_swap_result_reports_quoter_v2_tick_count() -> None:
    state, _, _ = build_pool(500, 10, get_sqrt_ratio_at_tick(15), [(10, 20, E18), (10, 100, E18)])
    up = swap(state, False, IMAX, get_sqrt_ratio_at_tick(25))
    # the loop crosses 20 only; PoolTicksCounter also counts 10, below the unspaced start tick 15
    assert (up.tick, up.tick_crossings, up.ticks_crossed) == (25, 1, 2)
    down = swap(state, True, IMAX, get_sqrt_ratio_at_tick(5))
    assert (down.tick, down.tick_crossings, down.ticks_crossed) == (5, 1, 1)


def test_quoter_tick_count_quirks() -> None:
    bitmap = _bitmap([-20, -10, 0, 10, 20], 10)
    # aligned end points: exactly the initialized ticks strictly crossed
    assert count_initialized_ticks_crossed(bitmap, 10, 0, 25) == 2  # 10, 20
    assert count_initialized_ticks_crossed(bitmap, 10, 20, -5) == 3  # 20, 10, 0
    assert count_initialized_ticks_crossed(bitmap, 10, 25, -11) == 4  # 20, 10, 0, -10
    # PoolTicksCounter truncates toward zero: an unspaced start above an initialized tick counts it
    assert count_initialized_ticks_crossed(bitmap, 10, 15, 25) == 2  # 10 (not crossed) and 20
    assert count_initialized_ticks_crossed(bitmap, 10, -5, -25) == 3  # 0 (not crossed), -10, -20


# -- state updates --------------------------------------------------------------------------------


def test_liquidity_change_updates_ticks_bitmap_and_active_liquidity() -> None:
    state = pool("zero around")
    assert state.liquidity == 0
    assert dict(state.ticks) == {_min_tick(60): 2 * E18, -60: -2 * E18, 60: 2 * E18, _max_tick(60): -2 * E18}
    minted = state.with_liquidity_change(-120, 120, 5, block=7)
    assert minted.liquidity == 5 and minted.block == 7
    assert minted.ticks[-120] == 5 and minted.ticks[120] == -5 and minted.ticks[-60] == -2 * E18
    assert minted.gross[-120] == 5
    # the old state is untouched
    assert -120 not in state.ticks and state.liquidity == 0
    shared = minted.with_liquidity_change(-60, 120, 3, block=8)
    assert shared.ticks[-60] == -2 * E18 + 3 and shared.ticks[120] == -8 and shared.gross[120] == 8
    # burning everything restores the original ticks and bitmap
    back = shared.with_liquidity_change(-60, 120, -3, block=9).with_liquidity_change(-120, 120, -5, block=10)
    assert dict(back.ticks) == dict(state.ticks) and dict(back.bitmap) == dict(state.bitmap)
    assert back.liquidity == 0
    with pytest.raises(ArithmeticError):
        state.with_liquidity_change(-120, 120, -1, block=11)  # burning more than there is
    with pytest.raises(ValueError):
        state.with_liquidity_change(-125, 120, 1, block=11)  # not a multiple of the spacing
    with pytest.raises(ValueError):
        state.with_liquidity_change(120, 120, 1, block=11)


def test_liquidity_change_without_gross_uses_net_approximation() -> None:
    full = pool("zero around").with_liquidity_change(-120, 120, 5, block=1)
    # a reader that only knows liquidityNet
    partial = V3PoolState(
        address=full.address,
        token0=full.token0,
        token1=full.token1,
        fee=full.fee,
        tick_spacing=full.tick_spacing,
        sqrt_price_x96=full.sqrt_price_x96,
        tick=full.tick,
        liquidity=full.liquidity,
        ticks=full.ticks,
        bitmap=full.bitmap,
    )
    burnt = partial.with_liquidity_change(-120, 120, -5, block=2)
    assert -120 not in burnt.ticks and 120 not in burnt.ticks
    assert dict(burnt.bitmap) == dict(pool("zero around").bitmap)
    # a mint on a known-initialized tick keeps it initialized even when its net becomes 0
    netted = partial.with_liquidity_change(-240, -120, 5, block=3)
    assert netted.ticks[-120] == 0 and -120 not in netted.gross
    exact = full.with_liquidity_change(-240, -120, 5, block=3)
    assert dict(netted.ticks) == dict(exact.ticks) and dict(netted.bitmap) == dict(exact.bitmap)
    assert swap(netted, True, 10**19) == swap(exact, True, 10**19)


def test_with_swap_returns_a_new_state() -> None:
    state = pool("low")
    result = swap(state, True, E18)
    after = state.with_swap(result.sqrt_price_x96, result.liquidity, result.tick, block=5)
    assert (after.sqrt_price_x96, after.tick, after.block) == (result.sqrt_price_x96, -8107, 5)
    assert state.tick == 0 and after.ticks is state.ticks
    assert after == state.with_swap(result.sqrt_price_x96, result.liquidity, result.tick, block=5)
    assert isinstance(hash(after), int)  # hashable despite the mapping fields


# -- quotes ---------------------------------------------------------------------------------------


def test_quote_exact_input_and_output() -> None:
    state = pool("additional")
    assert quote_exact_input(state, "0xt0", E18) == 795933705287758544
    assert quote_exact_output(state, "0xt0", E18) == 1342022152495072924
    with pytest.raises(UnknownToken):
        quote_exact_input(state, "0xother", E18)
    with pytest.raises(ValueError):
        quote_exact_input(state, "0xt0", 0)


def test_quote_reports_running_out_of_liquidity() -> None:
    state = pool("stable")
    with pytest.raises(InsufficientLiquidity) as info:
        quote_exact_input(state, "0xt0", E18)
    assert isinstance(info.value, NoLiquidity)
    assert info.value.filled == 1000700370186095 and info.value.pool == state.address
    assert quote_exact_input(state, "0xt0", E18, allow_partial=True) == 999700069986002
    with pytest.raises(InsufficientLiquidity):
        quote_exact_output(state, "0xt1", E18)
    assert quote_exact_output(state, "0xt1", E18, allow_partial=True) == 1000700370186095
    # nothing at all in this direction
    empty = pool("token0 only")
    with pytest.raises(InsufficientLiquidity):
        quote_exact_input(empty, "0xt0", 1000)
    assert quote_exact_input(empty, "0xt0", 1000, allow_partial=True) == 0
    # price already at the bound: the pool refuses the swap outright
    with pytest.raises(InsufficientLiquidity):
        quote_exact_input(pool("at max"), "0xt1", 1000)
