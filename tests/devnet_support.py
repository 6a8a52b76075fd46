"""Helpers that tests in several folders share about the devnet market (tests/ is on the import path:
its conftest.py lives there)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, TypeVar

Item = TypeVar("Item")


def covering(
    ranked: Sequence[Item], uses: Callable[[Item], Iterable[Hashable]], best: int = 20
) -> list[Item]:
    """The best `best` of `ranked`, then each later one that `uses` something none before it did (for a
    scan: a pool in a direction): everything the whole list uses, at a fraction of its length."""
    seen: set[Hashable] = set()
    chosen = []
    for i, item in enumerate(ranked):
        used = set(uses(item))
        if i < best or not used <= seen:
            chosen.append(item)
        seen |= used
    return chosen


def fund(chain: Any, token: str, to: str, amount: int) -> None:
    """Give `to` `amount` of a devnet token: minted for a TestToken, ETH wrapped by account 0 for WETH."""
    d = chain.deployer(0)
    if token == chain.manifest["weth"]:
        weth = d.at("WETH9", token)
        d.send(weth.functions.deposit(), value=amount)
        if to != d.sender:
            d.send(weth.functions.transfer(to, amount))
    else:
        d.send(d.at("TestToken", token).functions.mint(to, amount))


def all_pools(chain: Any) -> list[str]:
    """The manifest's pool addresses (V4 pools have none: they are ids in the PoolManager)."""
    return [p["address"] for p in chain.manifest["pools"]]


def pools_read(chain: Any) -> int:
    """How many pools a default scan reads and caches: the manifest's, and its V4 pools by id."""
    return len(all_pools(chain)) + len(chain.manifest["uniswap_v4"]["pools"])


def pools_scanned(chain: Any) -> int:
    """How many of those it scans: less the V4 pools whose hook may change swaps (read, listed unpriced)."""
    v4 = chain.manifest["uniswap_v4"]
    return pools_read(chain) - sum(p["hooks"] == v4["delta_hook"] for p in v4["pools"])
