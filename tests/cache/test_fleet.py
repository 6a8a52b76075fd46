"""Several hosts sharing one Redis (separate processes, separate cache dirs): the second host's first scan
is warm, and the fleet's cache, execution log and last scan are one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from devnet_support import all_pools, pools_read
from test_warm_rpc import pool_calls

from mevcli.devnet.counting_proxy import CountingProxy

SCAN = ("scan", "--max-hops", "2")


@pytest.fixture(scope="module")
def counting(chain: Any) -> Iterator[CountingProxy]:
    proxy = CountingProxy(chain.rpc_url)
    yield proxy
    proxy.close()


def host(chain: Any, home: Path, rpc_url: str, redis_url: str | None, *args: str) -> Any:
    """One `mevcli --json ...` process of a host whose own files are under `home`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MEVCLI_", "CHAIN"))}
    env.update(chain.cli_env(home / "cache"), ETH_RPC_URL=rpc_url, HOME=str(home))
    home.mkdir(exist_ok=True)
    config = home / "mevcli.toml"
    config.write_text("[scan]\ntoken_probe = false\n")
    env["MEVCLI_CONFIG"] = str(config)
    if redis_url is not None:
        env["MEVCLI_CACHE_URL"] = redis_url
    result = subprocess.run(
        [sys.executable, "-m", "mevcli", "--json", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_second_host_first_scan_is_warm(market, tmp_path, counting, redis_url):
    chain = market.chain
    first, second = tmp_path / "host-a", tmp_path / "host-b"
    counting.take()
    cold = host(chain, first, counting.url, redis_url, *SCAN)
    assert pool_calls(counting.take(), all_pools(chain)) > 0  # host A read the pools

    warm = host(chain, second, counting.url, redis_url, *SCAN)
    count = counting.take()
    assert pool_calls(count, all_pools(chain)) == 0, count.selectors
    assert "eth_getLogs" not in count.methods or count.methods["eth_getLogs"] <= 2, count.methods
    assert [o["id"] for o in warm] == [o["id"] for o in cold] and warm == cold
    assert not (second / "cache" / "reserves").exists()  # nothing of the cache on host B's disk

    # The fleet's view: host B's stats and status show what host A's scan did.
    stats = host(chain, second, counting.url, redis_url, "cache", "stats")
    assert stats["entries"] == pools_read(chain) and stats["hits"] >= pools_read(chain)
    status = host(chain, second, counting.url, redis_url, "status")
    assert status["last_scan"]["block"] == chain.w3.eth.block_number
