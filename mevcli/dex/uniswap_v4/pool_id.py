"""A V4 pool id as text: parsed without the rest of V4 (`quote --pool` asks this of every pool)."""

from __future__ import annotations


def normalize_pool_id(text: str) -> str:
    """A pool id as lower-case 0x + 64 hex digits; ValueError when it is not one."""
    value = text.strip().lower()
    if not value.startswith("0x"):
        value = "0x" + value
    if len(value) != 66 or any(c not in "0123456789abcdef" for c in value[2:]):
        raise ValueError(f"{text!r} is not a V4 pool id (32 bytes of hex)")
    return value


def is_pool_id(text: str) -> bool:
    """Whether `text` reads as a V4 pool id (`normalize_pool_id` accepts it)."""
    try:
        normalize_pool_id(text)
    except ValueError:
        return False
    return True
