"""EIP-55 addresses without eth_utils (whose import pulls pydantic: a fifth of a second per process)."""

from __future__ import annotations

import re
from functools import lru_cache

try:  # the backend eth_hash.auto picks, without eth_hash's package metadata lookup at import (~10 ms)
    from Crypto.Hash import keccak as _pycryptodome

    def _keccak(data: bytes) -> bytes:
        return _pycryptodome.new(data=data, digest_bits=256).digest()

except ImportError:  # pragma: no cover - without pycryptodome eth_hash finds another backend
    from eth_hash.auto import keccak as _keccak

_HEX40 = re.compile(r"(0x)?[0-9a-fA-F]{40}")


def keccak(data: bytes = b"", *, text: str | None = None) -> bytes:
    """Keccak-256 of `data` (or of `text` as UTF-8), as eth_utils' `keccak` computes it."""
    return _keccak(text.encode() if text is not None else data)


def is_address(value: object) -> bool:
    """Forty hex digits, with or without 0x (any case: the checksum is not judged here)."""
    return isinstance(value, str) and _HEX40.fullmatch(value) is not None


@lru_cache(maxsize=65536)
def _checksummed(lower: str) -> str:
    digest = _keccak(lower.encode()).hex()
    return "0x" + "".join(
        c.upper() if int(d, 16) >= 8 else c for c, d in zip(lower, digest[:40], strict=True)
    )


def to_checksum_address(value: str | bytes) -> str:
    """The EIP-55 form of an address given as hex text (with or without 0x) or 20 bytes."""
    if isinstance(value, bytes | bytearray):
        if len(value) != 20:
            raise ValueError(f"an address is 20 bytes, not {len(value)}")
        return _checksummed(bytes(value).hex())
    if not is_address(value):
        raise ValueError(f"not an address: {value!r}")
    return _checksummed(value[-40:].lower())


def is_checksum_address(value: object) -> bool:
    return is_address(value) and str(value).startswith("0x") and to_checksum_address(str(value)) == value
