"""Fixtures for the reserve-cache tests: a counting RPC proxy, the devnet market (helpers: cache_checks)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from cache_market import Market

from mevcli.devnet.fault_proxy import RpcProxy


@pytest.fixture(scope="session")
def proxy(chain: Any) -> Iterator[RpcProxy]:
    counting = RpcProxy(chain.rpc_url)
    yield counting
    counting.close()


@pytest.fixture
def market(snapshot: Any) -> Market:
    """The devnet market inside a snapshot reverted after the test."""
    return Market(snapshot)
