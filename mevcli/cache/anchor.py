"""Chain anchors: (block, hash) checkpoints of the chain a cache dir's facts were judged on.

Facts read from a chain (a pool's identity, a token's verdict, discovery progress) hold on another chain
with the same chain id (a new devnet, a devnet reloaded from a dump, a reorg) only as far as both share
blocks. Each fact keeps the block it was judged at; the anchors say up to which block the chain we talk
to now is still the one the facts came from: the newest checkpoint whose hash is still canonical.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mevcli.chain.light import block_or_none

if TYPE_CHECKING:
    from web3 import Web3

MAX_ANCHORS = 32
HashOf = Callable[[int], str | None]


def block_hash_reader(w3: Web3) -> HashOf:
    """The canonical hash of a block number over `w3`, None when the chain has no such block."""

    def hash_of(number: int) -> str | None:
        block = block_or_none(w3, number)
        return None if block is None else "0x" + bytes(block["hash"]).hex()

    return hash_of


def remembered(hash_of: HashOf) -> HashOf:
    """`hash_of` asking the node once per block number (for one scan at one block: facts anchored to a
    hash read before they were judged are dropped, not trusted, should that block be reorganised away)."""
    seen: dict[int, str] = {}

    def once(number: int) -> str | None:
        if number not in seen:
            found = hash_of(number)
            if found is None:
                return None
            seen[number] = found
        return seen[number]

    return once


def load(raw: Any) -> list[tuple[int, str]]:
    """Anchors from their JSON form (a list of [block, hash]); anything malformed counts as none."""
    if not isinstance(raw, list):
        return []
    try:
        return sorted((int(b), str(h)) for b, h in raw)
    except (TypeError, ValueError):
        return []


def added(anchors: list[tuple[int, str]], block: int, block_hash: str) -> list[list[Any]]:
    """`anchors` with (block, hash) added, newest MAX_ANCHORS kept, in JSON form."""
    kept = {b: h for b, h in anchors if b != block}
    kept[block] = block_hash
    return [[b, kept[b]] for b in sorted(kept)[-MAX_ANCHORS:]]


def valid_through(anchors: list[tuple[int, str]], hash_of: HashOf) -> int:
    """The newest anchored block still canonical (facts judged at or below it hold); -1 when none is.

    One block read when nothing changed; a binary search of the anchors otherwise (a prefix of them is
    canonical, as the chain forked once after it)."""
    if not anchors:
        return -1
    if hash_of(anchors[-1][0]) == anchors[-1][1]:
        return anchors[-1][0]
    low, high, found = 0, len(anchors) - 2, -1
    while low <= high:
        middle = (low + high) // 2
        block, block_hash = anchors[middle]
        if hash_of(block) == block_hash:
            found, low = block, middle + 1
        else:
            high = middle - 1
    return found
