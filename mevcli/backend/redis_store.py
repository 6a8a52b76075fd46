"""The shared backend: one Redis (`--cache-url redis://HOST:PORT/DB`, `rediss://` for TLS) for several hosts.

Keys (all under `mevcli:`): `reserves:<chain>:<store key>` (the reserve cache, same keys as on disk),
`lock:reserves:<chain>` (the writer lock), `executions:<chain>` (a list of JSON lines),
`doc:<name>:<chain>` (JSON documents: the last scan), `nonce:<chain>:<address>` and its lock.

A reserve-cache transaction takes the chain's writer lock (SET NX PX with a random token and a lease, so
a killed holder frees it when the lease runs out), reads through Redis and its own buffered writes, and
applies every write in one Lua script that first checks the lock is still its own: readers see a block
whole or not at all, and a writer whose lease ran out loses its update instead of mixing it in.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from mevcli.backend.base import BackendUnavailable, KeyValue
from mevcli.backend.fallback import LosableKeyValue
from mevcli.backend.local import LocalBackend

ROOT = "mevcli:"
RESERVE_LEASE_MS = 10_000  # a reserve-cache transaction is local work: seconds would be a stuck holder
NONCE_LEASE_MS = 120_000  # held across the pending-count read, signing and the send itself
LOCK_WAIT_S = 60.0
T = TypeVar("T")
logger = logging.getLogger("mevcli.backend")

# KEYS[1] the lock, KEYS[2..] the keys written; ARGV[1] the lock token, ARGV[2] one op letter per key
# ("s" set to the matching ARGV[i + 2], "d" delete). Returns -1 (nothing applied) when the lock is not ours.
COMMIT = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local ops = ARGV[2]
for i = 1, #ops do
  if string.sub(ops, i, i) == 's' then
    redis.call('SET', KEYS[i + 1], ARGV[i + 2])
  else
    redis.call('DEL', KEYS[i + 1])
  end
end
redis.call('DEL', KEYS[1])
return #ops
"""
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
SET_IF_LOCKED = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2])
return 1
"""


def describe(url: str) -> str:
    """The URL without user and password, its database as a word (`redis://HOST:PORT db N`)."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    db = parts.path.strip("/") or "0"
    return f"{parts.scheme}://{host}{port} db {db}"


def connect(url: str, password_file: Path | None = None, timeout: float = 5.0) -> Any:
    """A client for `url`, checked with PING: `BackendUnavailable` when unreachable or refused."""
    import redis

    where = describe(url)
    if urlsplit(url).scheme not in ("redis", "rediss"):
        raise BackendUnavailable(f"cache URL {where} is not redis:// or rediss://")
    options: dict[str, Any] = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
    if password_file is not None:
        try:
            options["password"] = password_file.read_text().strip()
        except OSError as exc:
            raise BackendUnavailable(f"cannot read the Redis password file {password_file}: {exc}") from None
    try:
        client = redis.Redis.from_url(url, **options)
    except ValueError as exc:
        raise BackendUnavailable(f"invalid cache URL {where}: {exc}") from None
    with guard(where):
        client.ping()
    return client


@contextmanager
def guard(where: str) -> Iterator[None]:
    """Redis failures as one operator-facing `BackendUnavailable` (never with the password)."""
    import redis

    try:
        yield
    except redis.AuthenticationError:
        raise BackendUnavailable(f"Redis at {where} refused authentication") from None
    except redis.ResponseError as exc:
        text = str(exc)
        if text.startswith(("NOAUTH", "WRONGPASS", "NOPERM")):
            raise BackendUnavailable(f"Redis at {where} refused authentication") from None
        raise BackendUnavailable(f"Redis at {where} answered an error: {text.splitlines()[0]}") from None
    except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise BackendUnavailable(f"cannot reach Redis at {where}: {detail}") from None


class RedisLock:
    """A lease lock: SET NX PX with a random token, released only by its holder."""

    def __init__(self, client: Any, key: str, lease_ms: int, where: str) -> None:
        self.client = client
        self.key = key
        self.lease_ms = lease_ms
        self.where = where
        self.token = ""

    def acquire(self) -> None:
        token = uuid.uuid4().hex
        deadline = time.monotonic() + LOCK_WAIT_S
        pause = 0.001
        while not self.client.set(self.key, token, nx=True, px=self.lease_ms):
            if time.monotonic() > deadline:
                raise BackendUnavailable(f"the lock {self.key} on {self.where} stayed taken")
            time.sleep(pause)
            pause = min(pause * 2, 0.02)
        self.token = token

    def release(self) -> None:
        self.client.eval(RELEASE, 1, self.key, self.token)


class RedisKeyValue:
    """The reserve-cache space of one chain in Redis (see the module docstring)."""

    def __init__(self, client: Any, chain_id: int, where: str) -> None:
        self.client = client
        self.prefix = f"{ROOT}reserves:{chain_id}:"
        self.lock_key = f"{ROOT}lock:reserves:{chain_id}"
        self.where = where
        self.location = f"{where} (chain {chain_id})"
        self._tx = threading.local()  # each thread's transaction: nesting depth and buffered writes
        self._commit = client.register_script(COMMIT)

    @property
    def _depth(self) -> int:
        return getattr(self._tx, "depth", 0)

    @_depth.setter
    def _depth(self, value: int) -> None:
        self._tx.depth = value

    @property
    def _writes(self) -> dict[str, bytes | None]:
        """Writes buffered inside this thread's transaction (None: deleted)."""
        if not hasattr(self._tx, "writes"):
            self._tx.writes = {}
        return self._tx.writes

    @_writes.setter
    def _writes(self, value: dict[str, bytes | None]) -> None:
        self._tx.writes = value

    def _run(self, call: Callable[[], T]) -> T:
        with guard(self.where):
            return call()

    def get(self, key: str) -> bytes | None:
        if key in self._writes:
            return self._writes[key]
        return self._run(lambda: self.client.get(self.prefix + key))

    def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        if not keys:
            return []
        found = self._run(lambda: self.client.mget([self.prefix + k for k in keys]))
        return [self._writes.get(k, v) for k, v in zip(keys, found, strict=True)]

    def set(self, key: str, value: bytes) -> None:
        with self.transact():
            self._writes[key] = bytes(value)

    def delete(self, key: str) -> None:
        with self.transact():
            self._writes[key] = None

    def incr(self, key: str, amount: int) -> int:
        with self.transact():  # under the lock the current value is exact
            value = int(self.get(key) or 0) + amount
            self._writes[key] = str(value).encode()
            return value

    @contextmanager
    def transact(self) -> Iterator[None]:
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        lock = RedisLock(self.client, self.lock_key, RESERVE_LEASE_MS, self.where)
        self._run(lock.acquire)
        self._depth, self._writes = 1, {}
        committed = False
        try:
            yield
            committed = self._apply(lock)
        finally:
            self._depth, self._writes = 0, {}
            if not committed:
                with suppress(BackendUnavailable):  # else the lease frees it
                    self._run(lock.release)

    def _apply(self, lock: RedisLock) -> bool:
        """Apply the buffered writes and release the lock in one script (False: nothing to write)."""
        writes = self._writes
        if not writes:
            return False
        keys = [lock.key, *(self.prefix + k for k in writes)]
        ops = "".join("d" if v is None else "s" for v in writes.values())
        args = [lock.token, ops, *(b"" if v is None else v for v in writes.values())]
        applied = self._run(lambda: self._commit(keys=keys, args=args))
        if applied == -1:
            raise BackendUnavailable(f"the reserve-cache lock on {self.where} expired before the commit")
        return True

    def iter_keys(self) -> Iterator[str]:
        found = self._run(lambda: list(self.client.scan_iter(match=self.prefix + "*", count=1000)))
        start = len(self.prefix)
        names = {k.decode()[start:] for k in found}
        names.update(k for k, v in self._writes.items() if v is not None)
        return iter(sorted(k for k in names if self._writes.get(k, b"") is not None))

    def clear(self) -> int:
        with self.transact():
            names = list(self.iter_keys())
            for key in names:
                self._writes[key] = None
        return len(names)

    def volume(self) -> int:
        names = [self.prefix + k for k in self.iter_keys()]

        def sizes() -> int:
            pipe = self.client.pipeline(transaction=False)
            for name in names:
                pipe.strlen(name)
            return sum(int(n or 0) for n in pipe.execute())

        return self._run(sizes) if names else 0

    def close(self) -> None:
        """The client belongs to the backend (shared by the chain's spaces): nothing to close here."""


class RedisNonceSlot:
    """A signer's next nonce shared by every host; the lock is a lease so a killed sender frees it."""

    shared = True

    def __init__(self, client: Any, chain_id: int, address: str, where: str) -> None:
        self.client = client
        self.where = where
        self.key = f"{ROOT}nonce:{chain_id}:{address.lower()}"
        self.lock = RedisLock(client, f"{ROOT}lock:nonce:{chain_id}:{address.lower()}", NONCE_LEASE_MS, where)

    @contextmanager
    def locked(self) -> Iterator[None]:
        with guard(self.where):
            self.lock.acquire()
        try:
            yield
        finally:
            try:
                with guard(self.where):
                    self.lock.release()
            except BackendUnavailable:
                pass  # the lease frees it

    def read(self) -> int | None:
        with guard(self.where):
            value = self.client.get(self.key)
        return None if value is None else int(value)

    def write(self, value: int) -> None:
        with guard(self.where):
            done = self.client.eval(SET_IF_LOCKED, 2, self.lock.key, self.key, self.lock.token, str(value))
        if not done:
            raise BackendUnavailable(f"the nonce lock on {self.where} expired before the nonce was stored")


class RedisBackend:
    """Everything in one Redis. A log line or document that cannot be written there once the Redis is
    lost mid-run goes to this host's cache dir instead (said once); reads and nonces never fall back."""

    def __init__(self, url: str, password_file: Path | None = None, cache_dir: Path | None = None) -> None:
        self.url = url  # with its password: for processes this one starts, never printed
        self.where = describe(url)
        self.description = self.where
        self.client = connect(url, password_file)
        self.local = LocalBackend(cache_dir) if cache_dir is not None else None
        self.lost = False

    def reserve_kv(self, chain_id: int, create: bool = True) -> KeyValue | None:
        """With `create`, a space that turns into memory when the Redis is lost (`fallback`)."""
        kv = RedisKeyValue(self.client, chain_id, self.where)
        if create:
            return LosableKeyValue(kv)
        return kv if any(True for _ in kv.iter_keys()) else None

    def _keep_locally(self, exc: BackendUnavailable) -> LocalBackend:
        if self.local is None:
            raise exc
        if not self.lost:
            self.lost = True
            logger.warning("%s: writing the execution log and last scan to %s", exc, self.local.description)
        return self.local

    def reserve_location(self, chain_id: int) -> str:
        return f"{self.where} (chain {chain_id})"

    def reserve_chain_ids(self) -> list[int]:
        pattern = f"{ROOT}reserves:*:meta:*"  # a few per chain
        with guard(self.where):
            found = [k.decode() for k in self.client.scan_iter(match=pattern, count=1000)]
        return sorted({int(k.split(":")[2]) for k in found if k.split(":")[2].isdigit()})

    def append_log(self, name: str, chain_id: int, line: str) -> None:
        try:
            with guard(self.where):
                self.client.rpush(f"{ROOT}{name}:{chain_id}", line)
        except BackendUnavailable as exc:
            self._keep_locally(exc).append_log(name, chain_id, line)

    def read_log(self, name: str, chain_id: int) -> list[str]:
        with guard(self.where):
            return [v.decode() for v in self.client.lrange(f"{ROOT}{name}:{chain_id}", 0, -1)]

    def log_chain_ids(self, name: str) -> list[int]:
        with guard(self.where):
            found = [k.decode() for k in self.client.scan_iter(match=f"{ROOT}{name}:*", count=1000)]
        return sorted({int(k.rsplit(":", 1)[1]) for k in found if k.rsplit(":", 1)[1].isdigit()})

    def put_document(self, name: str, chain_id: int, document: dict[str, Any]) -> None:
        try:
            with guard(self.where):
                self.client.set(f"{ROOT}doc:{name}:{chain_id}", json.dumps(document))
        except BackendUnavailable as exc:
            self._keep_locally(exc).put_document(name, chain_id, document)

    def get_document(self, name: str, chain_id: int) -> dict[str, Any] | None:
        with guard(self.where):
            raw = self.client.get(f"{ROOT}doc:{name}:{chain_id}")
        try:
            data = None if raw is None else json.loads(raw)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def nonce_slot(self, chain_id: int, address: str) -> RedisNonceSlot:
        return RedisNonceSlot(self.client, chain_id, address, self.where)
