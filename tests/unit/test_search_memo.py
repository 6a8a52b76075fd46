"""The exact search's memos: `maximize` asks its objective once per amount (the last bracket's ends
aside) and still lands on the integer top of a concave objective; the watch finder's per-hop memo of a
Balancer quoter answers what the quoter answers, errors included, quoting each amount once."""

from __future__ import annotations

from collections import Counter

import pytest

from mevcli.arbitrage.incremental import _Remembered, _remembering_quoter
from mevcli.arbitrage.sizing import MOBIUS_SPREAD, exact_hop, maximize
from mevcli.dex.balancer.state import WeightedPoolState
from mevcli.errors import MevcliError

TOKENS = ("0x" + "01" * 20, "0x" + "02" * 20)


def _concave(asked: Counter, top: int):
    def objective(x: int) -> int:
        asked[x] += 1
        return 3 * x // 2 - x * x * 3 // (4 * top)  # a rounded parabola peaking near `top`

    return objective


@pytest.mark.parametrize(
    ("guess", "spread"), [(10**9, None), (2 * 10**12, None), (2_400_000_000_000, MOBIUS_SPREAD)]
)
def test_maximize_asks_each_amount_once_and_finds_the_top(guess, spread):
    asked: Counter = Counter()
    objective = _concave(asked, 10**12)
    best, value = maximize(objective, guess, 10**21, spread, memoized=True)
    assert value == objective(best)
    assert objective(best - 1) <= value and objective(best + 1) <= value
    assert abs(best - 10**12) <= 10**12 >> 20
    asked[best] -= 1  # the checks above
    asked[best - 1] -= 1
    asked[best + 1] -= 1
    repeated = sum(n - 1 for n in asked.values() if n > 1)
    assert repeated <= 2, asked.most_common(3)


def _weighted_pool() -> WeightedPoolState:
    return WeightedPoolState(
        address="0x" + "cc" * 20,
        pool_id="0x" + "11" * 32,
        vault="0x" + "ba" * 20,
        tokens=TOKENS,
        balances=(4_000 * 10**18, 9_000_000 * 10**6),
        weights=(8 * 10**17, 2 * 10**17),
        swap_fee=3 * 10**15,
        scaling_factors=(1, 10**12),
        paused=False,
    )


def test_the_per_hop_memo_answers_as_the_quoter_and_quotes_once():
    state = _weighted_pool()
    quoter = exact_hop(state, TOKENS[0], TOKENS[1])
    remembered = _remembering_quoter(state, TOKENS[0], TOKENS[1])
    assert remembered.__class__ is _Remembered
    quoted: Counter = Counter()

    def counting(amount: int) -> int:
        quoted[amount] += 1
        return remembered_quote(amount)

    remembered_quote, remembered.quote = remembered.quote, counting
    amounts = [1, 10**15, 10**18, 10**21, 4_000 * 10**18]  # the last is past the 30% in-ratio limit
    for _ in range(2):
        for amount in amounts:
            try:
                expected: int | type = quoter(amount)
            except MevcliError as exc:
                expected = type(exc)
            try:
                answer: int | type = remembered(amount)
            except MevcliError as exc:
                answer = type(exc)
            assert answer == expected
    assert isinstance(expected, type), "the largest amount is refused"
    assert quoted == Counter(amounts)
