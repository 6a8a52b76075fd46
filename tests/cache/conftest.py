"""Fixtures for the reserve-cache tests: a counting RPC proxy, the devnet market (helpers: cache_checks),
and `where`: the cache's backend, once a cache dir and once a real Redis."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cache_market import Market

from mevcli.backend import Backend
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


@pytest.fixture(params=["disk", "redis"])
def where(request: pytest.FixtureRequest, tmp_path: Path) -> Path | Backend:
    """Where the cache lives: a cache dir (diskcache), or an emptied database of the test Redis."""
    if request.param == "disk":
        return tmp_path / "cache"
    from mevcli.backend.redis_store import RedisBackend

    return RedisBackend(request.getfixturevalue("redis_url"), cache_dir=tmp_path / "cache")
