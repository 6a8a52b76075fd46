"""Pool discovery through providers that cap `eth_getLogs` (by block range, by result count, each in its
own words): the adaptive windows find exactly the pools the factories created, and a sync killed with
SIGKILL resumes without asking again for any window already answered (beyond the one in flight)."""

from __future__ import annotations

import itertools
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from mevcli.arbitrage.discovery import _CREATION_TOPIC, PoolDiscovery, _pool_from_log
from mevcli.chain.client import connect
from mevcli.devnet.fault_proxy import LogLimitProxy
from mevcli.dex.registry import DexRegistry

WORKER = str(Path(__file__).with_name("discovery_worker.py"))

# (name, proxy settings): each plays a provider with its own limit and its own way of saying so.
PROVIDERS = [
    ("range cap, stated", {"max_range": 16}),
    ("range cap, opaque", {"max_range": 25, "range_error": (-32000, "block range too wide")}),
    ("range cap, internal error", {"max_range": 7, "range_error": (-32603, "internal error")}),
    ("result cap, count", {"max_results": 2}),
    (
        "result cap, suggestion",
        {"max_results": 1, "results_error": (-32602, "Log response size exceeded. Reduce your query.")},
    ),
]


def factory_pools(chain) -> set[str]:
    """Every pool the devnet's factories (and the Vault) created, asked of the node in one request each."""
    found: set[str] = set()
    for dex in DexRegistry.from_manifest(chain.manifest).dexes:
        if dex.kind in _CREATION_TOPIC:
            logs = chain.w3.eth.get_logs(
                {
                    "address": dex.factory,
                    "topics": [_CREATION_TOPIC[dex.kind]],
                    "fromBlock": 0,
                    "toBlock": "latest",
                }
            )
            found.update(_pool_from_log(log, dex.kind) for log in logs)
    return found


@pytest.fixture(scope="module")
def created(chain) -> set[str]:
    pools = factory_pools(chain)
    assert {p["address"] for p in chain.manifest["pools"] if p["dex"] != "curve"} <= pools
    return pools


@pytest.mark.parametrize("settings", [s for _, s in PROVIDERS], ids=[n for n, _ in PROVIDERS])
def test_discovery_through_a_capped_provider_finds_exactly_the_factory_pools(
    chain, created, tmp_path, settings
):
    proxy = LogLimitProxy(chain.rpc_url, **settings)
    try:
        w3 = connect(proxy.url, timeout=30.0)
        discovery = PoolDiscovery(
            w3, DexRegistry.from_manifest(chain.manifest), tmp_path / "discovery.json", from_block=0
        )
        found = discovery.discover(chain.w3.eth.block_number)
    finally:
        proxy.close()
    assert set(found) == created
    assert proxy.refused > 0  # the cap was met, and worked around
    # the windows answered cover every block once per factory
    head = chain.w3.eth.block_number
    for address in {a for a, _, _ in proxy.answered}:
        windows = sorted((first, last) for a, first, last in proxy.answered if a == address)
        assert windows[0][0] == 0 and windows[-1][1] == head
        assert all(prev[1] + 1 == nxt[0] for prev, nxt in itertools.pairwise(windows))


def _worker(url: str, chain, state: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, WORKER, url, str(chain.manifest_path), str(state)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_killed_sync_resumes_where_it_stopped(chain, created, tmp_path):
    state = tmp_path / "discovery.json"
    proxy = LogLimitProxy(chain.rpc_url, max_range=10, hold_after=12)
    try:
        first = _worker(proxy.url, chain, state)
        assert proxy.held.wait(60), first.communicate(timeout=5)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        proxy.release.set()
        before = list(proxy.answered)
    finally:
        proxy.close()
    assert len(before) == 12 and not state.exists() and state.with_suffix(".journal").exists()

    proxy = LogLimitProxy(chain.rpc_url, max_range=10)
    try:
        second = _worker(proxy.url, chain, state)
        out, err = second.communicate(timeout=120)
    finally:
        proxy.close()
    assert second.returncode == 0, err
    assert set(json.loads(out)) == created
    again = [
        (address, first, last)
        for address, first, last in proxy.answered
        if any(address == a and first <= end and start <= last for a, start, end in before)
    ]
    assert len(again) <= 1, again  # at most the window that was in flight
    assert not state.with_suffix(".journal").exists()  # folded into the state file
