"""The default backend: everything under the cache dir of this host."""

from __future__ import annotations

import fcntl
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import diskcache

from mevcli.atomic import write_json


class DiskKeyValue:
    """One `diskcache.Cache` (SQLite, WAL): `transact()` is SQLite's BEGIN IMMEDIATE, values live inside
    SQLite (never in side files), so a write is all or nothing and a killed process leaves the last commit."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.location = str(self.directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.cache = diskcache.Cache(
            str(self.directory),
            timeout=60,
            eviction_policy="none",  # never drop the meta keys or a record behind our back
            disk_min_file_size=2**40,  # every value inside SQLite: transactional
            statistics=0,
        )

    def get(self, key: str) -> bytes | None:
        return self.cache.get(key, retry=True)

    def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        return [self.cache.get(key, retry=True) for key in keys]

    def set(self, key: str, value: bytes) -> None:
        self.cache.set(key, value, retry=True)

    def delete(self, key: str) -> None:
        self.cache.delete(key, retry=True)

    def incr(self, key: str, amount: int) -> int:
        return int(self.cache.incr(key, amount, default=0, retry=True))

    @contextmanager
    def transact(self) -> Iterator[None]:
        with self.cache.transact(retry=True):
            yield

    def iter_keys(self) -> Iterator[str]:
        return iter(list(self.cache.iterkeys()))

    def clear(self) -> int:
        return int(self.cache.clear(retry=True))

    def volume(self) -> int:
        return int(self.cache.volume())

    def close(self) -> None:
        self.cache.close()


class FileNonceSlot:
    """`<cache_dir>/nonces/<chain>/<address>.json` under an flock: one host's processes share it."""

    shared = False

    def __init__(self, cache_dir: Path, chain_id: int, address: str) -> None:
        self.path = cache_dir / "nonces" / str(chain_id) / f"{address.lower()}.json"

    @contextmanager
    def locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def read(self) -> int | None:
        try:
            return int(json.loads(self.path.read_text())["next"])
        except (OSError, ValueError, KeyError):
            return None

    def write(self, value: int) -> None:
        write_json(self.path, {"next": value})


LOG_DIRS = {"executions": "executions"}  # log name -> directory of `<chain>.jsonl` files
DOCUMENT_DIRS = {"last-scan": "scans"}  # document name -> directory of `<chain>.json` files


class LocalBackend:
    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = Path(cache_dir)
        self.description = str(self.cache_dir)

    def reserve_directory(self, chain_id: int) -> Path:
        return self.cache_dir / "reserves" / str(chain_id)

    def reserve_kv(self, chain_id: int, create: bool = True) -> DiskKeyValue | None:
        directory = self.reserve_directory(chain_id)
        if not create and not directory.is_dir():
            return None
        return DiskKeyValue(directory)

    def reserve_location(self, chain_id: int) -> str:
        return str(self.reserve_directory(chain_id))

    def reserve_chain_ids(self) -> list[int]:
        return _numbered(self.cache_dir / "reserves", lambda p: p.is_dir(), lambda p: p.name)

    def log_path(self, name: str, chain_id: int) -> Path:
        return self.cache_dir / LOG_DIRS.get(name, name) / f"{chain_id}.jsonl"

    def append_log(self, name: str, chain_id: int, line: str) -> None:
        """Append one line; a lock keeps concurrent writers' lines whole."""
        path = self.log_path(name, chain_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.write(line + "\n")
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)

    def read_log(self, name: str, chain_id: int) -> list[str]:
        try:
            return self.log_path(name, chain_id).read_text().splitlines()
        except OSError:
            return []

    def log_chain_ids(self, name: str) -> list[int]:
        root = self.cache_dir / LOG_DIRS.get(name, name)
        return _numbered(root, lambda p: p.suffix == ".jsonl", lambda p: p.stem)

    def document_path(self, name: str, chain_id: int) -> Path:
        return self.cache_dir / DOCUMENT_DIRS.get(name, name) / f"{chain_id}.json"

    def put_document(self, name: str, chain_id: int, document: dict[str, Any]) -> None:
        write_json(self.document_path(name, chain_id), document, indent=2)

    def get_document(self, name: str, chain_id: int) -> dict[str, Any] | None:
        try:
            data = json.loads(self.document_path(name, chain_id).read_text())
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def nonce_slot(self, chain_id: int, address: str) -> FileNonceSlot:
        return FileNonceSlot(self.cache_dir, chain_id, address)


def _numbered(root: Path, keep: Any, name: Any) -> list[int]:
    if not root.is_dir():
        return []
    return sorted(int(name(p)) for p in root.iterdir() if keep(p) and name(p).isdigit())
