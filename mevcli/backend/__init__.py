"""Where shared state lives: this host's cache dir (the default) or one Redis several hosts share.

    backend = open_backend(settings)     # LocalBackend, or RedisBackend with `cache_url`
    kv = backend.reserve_kv(chain_id)    # the reserve cache's key-value space (cache.store)
    backend.append_log("executions", chain_id, line)
    backend.put_document("last-scan", chain_id, summary)
    backend.nonce_slot(chain_id, address)

Modules: `base` (the interfaces, `BackendUnavailable`), `local` (diskcache and files), `redis_store`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mevcli.backend.base import Backend, BackendUnavailable, KeyValue, NonceSlot
from mevcli.backend.local import LocalBackend

if TYPE_CHECKING:
    from mevcli.config import Settings

__all__ = [
    "Backend",
    "BackendUnavailable",
    "KeyValue",
    "LocalBackend",
    "NonceSlot",
    "as_backend",
    "open_backend",
]


def open_backend(settings: Settings) -> Backend:
    """The Redis at `cache_url` (checked with a PING: one `Error:` line when it is down or refuses the
    password), else the cache dir."""
    if settings.cache_url:
        from mevcli.backend.redis_store import RedisBackend

        return RedisBackend(settings.cache_url, settings.cache_password_file, settings.cache_dir)
    return LocalBackend(settings.cache_dir)


def as_backend(where: Backend | Path) -> Backend:
    """A backend, or a cache dir taken as the local backend."""
    return LocalBackend(where) if isinstance(where, Path) else where
