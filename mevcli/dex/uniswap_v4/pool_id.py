"""A V4 pool id as text: parsed without the rest of V4 (`quote --pool` asks this of every pool).

The rule for every command: 32 bytes of hex, with or without the 0x (an operator may paste either), in
any case, surrounding white space ignored; kept as 0x and 64 lower-case hex digits. A 64-digit id is
never an address (40 digits), so accepting it without the 0x is unambiguous.
"""

from __future__ import annotations

_HEX_DIGITS = frozenset("0123456789abcdef")


def is_pool_id(text: str) -> bool:
    """Whether `text` reads as a V4 pool id (see the module)."""
    digits = text.strip().lower().removeprefix("0x")
    return len(digits) == 64 and _HEX_DIGITS.issuperset(digits)


def normalize_pool_id(text: str) -> str:
    """A pool id as lower-case 0x + 64 hex digits; ValueError when it is not one."""
    if not is_pool_id(text):
        raise ValueError(f"{text!r} is not a V4 pool id (32 bytes of hex)")
    return "0x" + text.strip().lower().removeprefix("0x")
