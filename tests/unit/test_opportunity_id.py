"""An opportunity's id is the hash of its chain, tokens and pools (lower-cased), whether it was computed
before in this process or not; the ids kept for routes found again stay bounded."""

from __future__ import annotations

import hashlib
import random

from mevcli.arbitrage import opportunity
from mevcli.arbitrage.opportunity import opportunity_id


def _hashed(chain_id: int, tokens: tuple[str, ...], pools: tuple[str, ...]) -> str:
    text = f"{chain_id}:{','.join(tokens)}:{','.join(pools)}".lower()
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _route(rng: random.Random) -> tuple[int, tuple[str, ...], tuple[str, ...]]:
    hops = rng.randint(2, 4)
    tokens = tuple(f"0x{rng.getrandbits(160):040X}" for _ in range(hops))
    pools = tuple(f"0x{rng.getrandbits(160):040x}" for _ in range(hops))
    return rng.choice((1, 10, 42161)), (*tokens, tokens[0]), pools


def test_ids_are_the_routes_hash_first_time_and_again():
    rng = random.Random(3)
    routes = [_route(rng) for _ in range(200)]
    first = [opportunity_id(*route) for route in routes]
    assert first == [_hashed(*route) for route in routes]
    assert [opportunity_id(*route) for route in reversed(routes)] == first[::-1]
    chain_id, tokens, pools = routes[0]
    other_chain = 1 if chain_id != 1 else 10
    assert opportunity_id(other_chain, tokens, pools) == _hashed(other_chain, tokens, pools) != first[0]


def test_kept_ids_stay_bounded(monkeypatch):
    monkeypatch.setattr(opportunity, "_IDS_KEPT", 50)
    monkeypatch.setattr(opportunity, "_IDS", {})
    rng = random.Random(4)
    routes = [_route(rng) for _ in range(170)]
    for route in routes:
        assert opportunity_id(*route) == _hashed(*route)
        assert len(opportunity._IDS) <= 50
    assert [opportunity_id(*route) for route in routes] == [_hashed(*route) for route in routes]
