"""The tick windows of many Uniswap V3-style pools in one round: `contracts/TickWindowReader.sol`, run by
`eth_call` without being deployed (its constructor returns what it read), one call per chunk of pools, all
chunks in one JSON-RPC batch beside the round's Multicall3 calls.

Each call carries a pool's address, tick spacing and bitmap word range (3 words), against a Multicall3
call of ~7 words per bitmap word and per tick: a cold read of thousands of V3 pools fits a request body
the node accepts instead of a dozen.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from mevcli.chain.batch import packed
from mevcli.chain.multicall import CREATION, Call, Multicall

Window = tuple[dict[int, int], list[tuple[int, int]]]  # non-zero bitmap words; (gross, net) of their ticks

# Bitmap words per call: each costs the reader ~3k gas (and each initialized tick ~10k), so a call stays
# well inside the 50M gas nodes commonly allow an eth_call.
WORDS_PER_CALL = 2_000
_ARTIFACT = Path(__file__).resolve().parents[2] / "artifacts" / "TickWindowReader.json"


TICK_BITMAP = bytes.fromhex("5339c296")  # tickBitmap(int16), which the reader calls per word


@cache
def creation_code() -> bytes:
    return bytes.fromhex(json.loads(_ARTIFACT.read_text())["bytecode"].removeprefix("0x"))


def window_call(requests: Sequence[tuple[str, int, int, int]]) -> Call:
    """The creation call reading (pool, tick spacing, first word, last word) `requests`."""
    from eth_abi import encode

    columns = [list(column) for column in zip(*requests, strict=True)]
    args = encode(["address[]", "int256[]", "int256[]", "int256[]"], columns)
    return Call(CREATION, creation_code() + args)


def _signed(word: bytes) -> int:
    return int.from_bytes(word, "big", signed=True)


def parse_windows(data: bytes, pools: int) -> list[Window]:
    """The reader's answer for `pools` pools, in order (see the contract for the layout)."""
    words = [data[i : i + 32] for i in range(0, len(data), 32)]
    at = 0
    windows: list[Window] = []
    for _ in range(pools):
        count = int.from_bytes(words[at], "big")
        pairs = words[at + 1 : at + 1 + 2 * count]
        bitmap = {_signed(pairs[2 * k]): int.from_bytes(pairs[2 * k + 1], "big") for k in range(count)}
        at += 1 + 2 * count
        ticks = sum(word.bit_count() for word in bitmap.values())
        answers = [
            (int.from_bytes(words[at + 2 * k], "big"), _signed(words[at + 2 * k + 1])) for k in range(ticks)
        ]
        at += 2 * ticks
        windows.append((bitmap, answers))
    if at != len(words) or len(data) % 32:
        raise ValueError("the tick window reader's answer does not match its pools")
    return windows


def read_windows_at_once(
    mc: Multicall, requests: Sequence[tuple[str, int, int, int]], block: int | str
) -> list[Window | None]:
    """Each (pool, tick spacing, first word, last word) request's window at `block`; None for the pools
    of a call the node refused or reverted (their caller reads them word by word instead)."""
    chunks = packed([high - low + 1 for _, _, low, high in requests], WORDS_PER_CALL)
    answers = mc.call([window_call([requests[i] for i in chunk]) for chunk in chunks], block)
    windows: list[Window | None] = [None] * len(requests)
    for chunk, answer in zip(chunks, answers, strict=True):
        if not answer.ok:
            continue
        try:
            parsed = parse_windows(answer.data, len(chunk))
        except (ValueError, IndexError):
            continue
        for i, window in zip(chunk, parsed, strict=True):
            windows[i] = window
    return windows
