"""Balancer and Curve hop quoters (`exact_hop`, what sizing quotes through) answer exactly what
`pools.quote` answers — the same integer, or an error of the same class — on seeded random states
(weighted, composable stable, the three Curve variants) and amounts from dust to far past what the
pools allow. `pools.quote` itself is held to the contracts by tests/dex/test_balancer_* and
tests/dex/test_curve_*."""

from __future__ import annotations

import random

import pytest

from mevcli.arbitrage.sizing import exact_hop
from mevcli.dex.balancer.state import ComposableStablePoolState, WeightedPoolState
from mevcli.dex.curve.math import rate_multiplier
from mevcli.dex.curve.state import CurvePoolState
from mevcli.dex.pools import quote
from mevcli.errors import MevcliError

TOKENS = tuple(f"0x{i:040x}" for i in range(1, 5))


def _vault_side(rng: random.Random, decimals: list[int], least: int) -> dict:
    """What every Balancer pool state carries: ids, tokens and balances of `least` to 1e8 whole units."""
    return {
        "address": "0x" + "cc" * 20,
        "pool_id": "0x" + "11" * 32,
        "vault": "0x" + "ba" * 20,
        "tokens": TOKENS[: len(decimals)],
        "balances": tuple(rng.randint(least, 10**8) * 10**d for d in decimals),
    }


def _weighted(rng: random.Random) -> WeightedPoolState:
    n = rng.choice((2, 2, 3))
    raw = [rng.randint(1, 8) for _ in range(n)]
    weights = [w * 10**18 // sum(raw) for w in raw]
    weights[-1] += 10**18 - sum(weights)
    decimals = [rng.choice((6, 8, 18)) for _ in range(n)]
    return WeightedPoolState(
        **_vault_side(rng, decimals, 10),
        weights=tuple(weights),
        swap_fee=rng.choice((10**12, 3 * 10**15, 10**16)),
        scaling_factors=tuple(10 ** (18 - d) for d in decimals),
        paused=rng.random() < 0.05,
    )


def _stable(rng: random.Random) -> ComposableStablePoolState:
    n = rng.choice((2, 3, 4))
    decimals = [rng.choice((6, 18)) for _ in range(n)]
    return ComposableStablePoolState(
        **_vault_side(rng, decimals, 1),
        swap_fee=rng.choice((10**14, 4 * 10**14)),
        # a token rate of 1 or 1.01 folded in, as a rate provider's
        scaling_factors=tuple(10 ** (36 - d) * rng.choice((100, 101)) // 100 for d in decimals),
        amp=rng.choice((1, 50, 200, 2000)) * 1000,
        bpt_index=rng.randint(0, n),
    )


def _curve(rng: random.Random) -> CurvePoolState:
    n = rng.choice((2, 3))
    decimals = [rng.choice((6, 18)) for _ in range(n)]
    ng = rng.random() < 0.4
    a_precision = 100 if ng or rng.random() < 0.5 else 1
    return CurvePoolState(
        address="0x" + "ce" * 20,
        coins=TOKENS[:n],
        balances=tuple(rng.randint(1, 10**8) * 10**d for d in decimals),
        rates=tuple(rate_multiplier(d) for d in decimals),
        A=rng.choice((1, 100, 2000)) * a_precision,
        fee=rng.choice((1_000_000, 4_000_000)),
        a_precision=a_precision,
        ng=ng,
        offpeg_fee_multiplier=rng.choice((0, 2 * 10**10)) if ng else 0,
    )


def _outcome(quoter, amount: int) -> int | type:
    try:
        return quoter(amount)
    except MevcliError as exc:
        return type(exc)


@pytest.mark.parametrize("make", [_weighted, _stable, _curve], ids=["weighted", "stable", "curve"])
def test_hop_quoter_answers_what_pools_quote_answers(make):
    rng = random.Random(make.__name__)
    fast_hops = 0
    for _ in range(60):
        state = make(rng)
        tokens = state.tokens
        token_in, token_out = rng.sample(tokens, 2)
        hop = exact_hop(state, token_in, token_out)
        fast_hops += hop.__name__ == "quote"
        balance = state.balances[tokens.index(token_in)]
        amounts = [0, 1, 7, 10**6, 2**128, balance // 3, balance, balance * 5, 2**112]
        amounts += [max(balance * rng.randint(1, 10**6) // 10**6, 1) for _ in range(12)]
        for amount in amounts:
            try:
                expected: int | type = quote(state, token_in, amount, token_out)
            except MevcliError as exc:
                expected = type(exc)
            assert _outcome(hop, amount) == expected, (state, token_in, token_out, amount)
    assert fast_hops > 40  # the kinds' own quoters, not the generic fallback
