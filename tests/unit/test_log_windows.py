"""The adaptive `eth_getLogs` window and where discovery starts, without a node."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from mevcli.arbitrage.discovery import DEFAULT_LOOKBACK, PoolDiscovery, deployment_blocks
from mevcli.chain.logs import GROW_AFTER, LogWindow, is_refusal, refusal_hint
from mevcli.dex.registry import DexRegistry
from mevcli.presets import ARBITRUM, BASE, ETHEREUM


@pytest.mark.parametrize(
    ("message", "start", "tried", "hint"),
    [
        ("{'code': -32600, 'message': 'eth_getLogs is limited to a 200 range'}", 5, 2000, 200),
        ("You can make eth_getLogs requests with up to a 2K block range", 0, 10_000, 2000),
        ("this block range should work: [0x64, 0xc7]", 100, 5000, 100),
        ("exceed maximum block range: 5000", 0, 10_000, 5000),
        ("query returned more than 10000 results", 0, 2000, None),  # a result cap names no range
        ("eth_getLogs is limited to a 200 range", 0, 150, None),  # already smaller than the cap
    ],
)
def test_refusal_hint(message, start, tried, hint):
    assert refusal_hint(message, start, tried) == hint


def test_refusal_words_and_codes():
    assert is_refusal(ValueError("Query returned more than 10000 results"))
    assert is_refusal(ValueError({"code": -32005, "message": "limit exceeded"}))
    assert is_refusal(ValueError("eth_getLogs 1..9 failed: timed out"))
    assert not is_refusal(ValueError("connection refused"))


def test_window_halves_on_refusal_and_grows_back_below_the_refused_size():
    window = LogWindow(size=1000)
    window.shrink(1000)
    assert window.size == 500
    for _ in range(GROW_AFTER):
        window.succeeded()
    assert window.size == 999  # doubled, but never to the size refused
    window.shrink(999, hint=300)  # a stated cap: taken at its word, and not probed again
    assert window.size == 300 and window.refused == 301
    for _ in range(GROW_AFTER * 3):
        window.succeeded()
    assert window.size == 300


def test_presets_know_the_deployment_blocks_from_official_sources():
    for preset in (ETHEREUM, ARBITRUM, BASE):
        blocks = deployment_blocks(preset)
        factories = {d.factory.lower() for d in DexRegistry.from_preset(preset).dexes}
        assert set(blocks) <= factories
        for name in ("uniswap_v2", "uniswap_v3", "balancer"):
            dex = preset.dexes[name]
            assert blocks[(dex.factory or dex.vault).lower()] == dex.deployed_at > 0
        assert preset.dexes["sushiswap"].deployed_at is None  # not confirmed: left out


def test_discovery_starts_at_the_deployment_block_else_looks_back_and_says_so(caplog):
    registry = DexRegistry.from_preset(ARBITRUM)
    discovery = PoolDiscovery(None, registry, Path("unused.json"), deployed_at=deployment_blocks(ARBITRUM))  # type: ignore[arg-type]
    by_name = {d.name: d for d in registry.dexes}
    head = 300_000_000
    with caplog.at_level(logging.WARNING):
        assert discovery.start_block(by_name["uniswap_v3"], head) == 175
        assert not caplog.records
        assert discovery.start_block(by_name["sushiswap"], head) == head - DEFAULT_LOOKBACK
    assert "sushiswap: no deployment block known" in caplog.text
    assert "discovery_from_block" in caplog.text
    pinned = PoolDiscovery(
        None, registry, Path("unused.json"), from_block=7, deployed_at=deployment_blocks(ARBITRUM)
    )  # type: ignore[arg-type]
    assert pinned.start_block(by_name["uniswap_v3"], head) == 7
