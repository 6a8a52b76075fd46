"""ABI encoding and decoding, with eth_abi imported on first use (its import builds a grammar: a fifth of a
second that a warm read path, which decodes nothing, should not pay)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

_codec: Any = None


def _eth_abi() -> Any:
    global _codec
    if _codec is None:
        import eth_abi

        _codec = eth_abi
    return _codec


def decode(types: Sequence[str], data: bytes, strict: bool = True) -> tuple[Any, ...]:
    """`eth_abi.decode`."""
    return _eth_abi().decode(list(types), data, strict=strict)


def encode(types: Sequence[str], args: Sequence[Any]) -> bytes:
    """`eth_abi.encode`."""
    return _eth_abi().encode(list(types), list(args))
