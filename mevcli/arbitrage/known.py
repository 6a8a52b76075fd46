"""Every pool the cache should follow: those it already tracks, the devnet manifest's, the config's
`[scan] pools`, and what discovery finds from creation events (cached in the cache dir, so a rerun only
scans new blocks). Tracked pools keep the PoolRef they were identified with: a rerun asks no factory again.
"""

from __future__ import annotations

from collections.abc import Callable

from mevcli.arbitrage.discovery import identify_known, pool_discovery
from mevcli.cache.anchor import HashOf
from mevcli.cache.reserves import ReserveCache
from mevcli.context import AppContext, parse_address
from mevcli.dex.pools import PoolState, read_states
from mevcli.dex.registry import PoolRef, canonical_pool, is_pool_id


def candidate_pools(
    ctx: AppContext,
    block: int,
    progress: Callable[[str], None] | None = None,
    hash_of: HashOf | None = None,
) -> list[str]:
    """The devnet manifest's pools, the config's `[scan] pools` and what discovery finds up to `block`
    (Uniswap V4 pools by id), each once, sorted; `hash_of` reads discovery's block hashes."""
    found: set[str] = set()
    if ctx.manifest is not None:
        found.update(p["address"] for p in ctx.manifest["pools"])
    scan_config = ctx.settings.extra.get("scan", {})
    found.update(parse_address(p, "pool address in config") for p in scan_config.get("pools", []))
    if scan_config.get("discover", True):
        found.update(pool_discovery(ctx, hash_of).discover(block, progress))
    return sorted({canonical_pool(a) for a in found})


def known_refs(
    ctx: AppContext,
    cache: ReserveCache,
    block: int,
    progress: Callable[[str], None] | None = None,
    *,
    with_v4: bool = False,
) -> list[PoolRef]:
    """Call `cache.sync(block)` first: a reorg or a new devnet drops what is no longer on this chain.
    Uniswap V4 pools (named by id) found by discovery join only `with_v4` (the `pools` commands)."""
    tracked = cache.tracked_refs()
    found = [a for a in candidate_pools(ctx, block, progress) if with_v4 or not is_pool_id(a)]
    new = sorted(set(found) - tracked.keys())
    refs = list(tracked.values())
    if new:
        refs += identify_known(ctx.dexes, ctx.multicall, new, block, cache.store)
    return sorted(refs, key=lambda r: r.address)


def read_pool_states(ctx: AppContext, refs: list[PoolRef], block: int) -> dict[str, PoolState]:
    """The pools' states at `block`: through the reserve cache when the context has one, else read."""
    cache = getattr(ctx, "reserve_cache", None)
    if cache is not None:
        return cache.get_states(refs, block)
    return read_states(ctx.multicall, refs, block)
