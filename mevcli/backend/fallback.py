"""A shared key-value space that, once lost mid-run, is replaced by an empty one in memory.

The loss is said once (a warning). From then on the run caches in memory only: every pool is read from the
chain again, results stay exact, and nothing half-done reaches the shared space (a transaction that was
being committed is dropped whole; one lost in its middle raises `BackendUnavailable` once, and the caller
retries).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import TypeVar

from mevcli.backend.base import BackendUnavailable, KeyValue

logger = logging.getLogger("mevcli.backend")
T = TypeVar("T")


class MemoryKeyValue:
    """A dict with the KeyValue interface (one process, one thread: transactions need no lock)."""

    def __init__(self, location: str = "memory") -> None:
        self.location = location
        self.data: dict[str, bytes] = {}

    def get(self, key: str) -> bytes | None:
        return self.data.get(key)

    def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        return [self.data.get(k) for k in keys]

    def set(self, key: str, value: bytes) -> None:
        self.data[key] = bytes(value)

    def delete(self, key: str) -> None:
        self.data.pop(key, None)

    def incr(self, key: str, amount: int) -> int:
        value = int(self.data.get(key) or 0) + amount
        self.data[key] = str(value).encode()
        return value

    @contextmanager
    def transact(self) -> Iterator[None]:
        yield

    def iter_keys(self) -> Iterator[str]:
        return iter(sorted(self.data))

    def clear(self) -> int:
        count = len(self.data)
        self.data.clear()
        return count

    def volume(self) -> int:
        return sum(len(v) for v in self.data.values())

    def close(self) -> None:
        self.data.clear()


class LosableKeyValue:
    def __init__(self, shared: KeyValue) -> None:
        self.shared = shared
        self.current: KeyValue = shared
        self.location = shared.location
        self.lost: str | None = None
        self._depth = 0

    def _lose(self, exc: BackendUnavailable) -> None:
        if self.lost is None:
            self.lost = str(exc)
            logger.warning("%s: the rest of this run reads pool states from the chain", exc)
            self.current = MemoryKeyValue(f"memory (lost {self.location})")

    def _call(self, op: Callable[[KeyValue], T]) -> T:
        try:
            return op(self.current)
        except BackendUnavailable as exc:
            if self.lost is not None or self._depth:
                raise
            self._lose(exc)
            return op(self.current)

    def get(self, key: str) -> bytes | None:
        return self._call(lambda kv: kv.get(key))

    def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        return self._call(lambda kv: kv.get_many(keys))

    def set(self, key: str, value: bytes) -> None:
        self._call(lambda kv: kv.set(key, value))

    def delete(self, key: str) -> None:
        self._call(lambda kv: kv.delete(key))

    def incr(self, key: str, amount: int) -> int:
        return self._call(lambda kv: kv.incr(key, amount))

    @contextmanager
    def transact(self) -> Iterator[None]:
        """A loss when the transaction starts runs it in memory; at its commit drops its writes whole (the
        run goes on in memory); in its middle is raised (after switching over): callers retry."""
        if self._depth:
            self._depth += 1
            try:
                with self.current.transact():
                    yield
            finally:
                self._depth -= 1
            return
        stack = ExitStack()
        try:
            stack.enter_context(self.current.transact())
        except BackendUnavailable as exc:
            self._lose(exc)
            stack.enter_context(self.current.transact())
        self._depth = 1
        completed = False
        try:
            with stack:
                yield
                completed = True
        except BackendUnavailable as exc:
            self._lose(exc)
            if not completed:
                raise
        finally:
            self._depth = 0

    def iter_keys(self) -> Iterator[str]:
        return self._call(lambda kv: kv.iter_keys())

    def clear(self) -> int:
        return self._call(lambda kv: kv.clear())

    def volume(self) -> int:
        return self._call(lambda kv: kv.volume())

    def close(self) -> None:
        self.current.close()
