"""The scan's results stay what the fixture recorded: same opportunity ids, amounts, profits and flash
sources, on the devnet (2-4 hops) and on seeded synthetic markets. A change to the cycle search, the
marginal-rate bounds or the sizing must leave them identical (or find strictly more profit, and then
the fixture is rewritten with `scan_regression.py` and the change says so)."""

from __future__ import annotations

import json

import pytest
from scan_regression import DEVNET_HOPS, FIXTURE, SYNTHETIC, devnet_results, summary, synthetic_input

from mevcli.arbitrage.finder import find_opportunities

EXPECTED = json.loads(FIXTURE.read_text())


@pytest.fixture(scope="module")
def devnet(chain) -> dict[str, list[list]]:
    return devnet_results(chain.w3, chain.manifest)


@pytest.mark.parametrize("hops", DEVNET_HOPS)
def test_devnet_results_are_unchanged(devnet, hops):
    key = f"devnet/{hops}"
    assert EXPECTED[key], "the devnet holds opportunities at every hop count"
    assert devnet[key] == EXPECTED[key]


@pytest.mark.parametrize(("pools", "seed", "hops"), SYNTHETIC)
def test_synthetic_results_are_unchanged(pools, seed, hops):
    found = summary(find_opportunities(synthetic_input(pools, seed, hops)))
    expected = EXPECTED[f"synthetic/{pools}/{seed}/{hops}"]
    assert expected
    assert found == expected
