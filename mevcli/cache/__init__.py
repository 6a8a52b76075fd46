"""The reserve cache: pool states on disk, kept exact by events, shared by processes, reorg-safe.

Entry point: `ReserveCache` (`mevcli.cache.reserves`), reached as `ctx.reserve_cache`:

    states = ctx.reserve_cache.get_states(refs, block)   # {address: state at block}
    snap = ctx.reserve_cache.snapshot(refs)              # .block, .states, .report (what changed)

Modules: `store` (diskcache layout, versions, transactions), `events` (which logs change which state,
applied without RPC), `sync` (catch-up, reorg rollback), `stats`, `codec` (JSON of the frozen states).
"""

from mevcli.cache.reserves import ReserveCache, Snapshot
from mevcli.cache.stats import CacheStats

__all__ = ["CacheStats", "ReserveCache", "Snapshot"]
