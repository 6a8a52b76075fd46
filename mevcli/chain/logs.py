"""`eth_getLogs` over long block ranges in adaptive windows, for many addresses and a topic-0 filter.

Providers cap `eth_getLogs` by block range and by result count, and say so in their own words. A window
shrinks when the node refuses it (a range/size message, a suggested range, any JSON-RPC error of the call,
a timeout) or answers with an oversized response, and grows back after a run of successes, never past the
smallest size refused recently. `log_windows` yields each answered window, so a caller can keep its progress
window by window; `get_logs` collects them.

Logs come back normalised to plain dicts (`address` checksummed, `topics`/`data` as bytes, `blockHash`
as 0x hex, ints for numbers, `removed` as bool) and sorted in chain order (block, log index), the shape
the protocol `events` modules accept.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mevcli.chain.addresses import to_checksum_address
from mevcli.errors import RpcError
from mevcli.redact import first_line

if TYPE_CHECKING:
    from web3 import Web3

BLOCK_CHUNK = 2_000
ADDRESS_CHUNK = 500
MAX_WINDOW = 100_000
OVERSIZED = 5_000  # logs in one answer above which the next window is halved
GROW_AFTER = 4  # successes in a row before a window doubles
FORGET_REFUSAL_AFTER = 64  # successes after which a refused size may be probed again

# What providers say when a window is too wide or holds too many logs.
REFUSAL_WORDS = (
    "range",
    "limited to",
    "too many",
    "too large",
    "exceed",
    "more than",
    "response size",
    "results",
    "timeout",
    "timed out",
)
REFUSAL_CODES = (-32005, -32600, -32602, -32000, -32001, -32603, -32614)
_SUGGESTED = re.compile(r"\[\s*(0x[0-9a-f]+)\s*,\s*(0x[0-9a-f]+)\s*\]")
_STATED = re.compile(r"(\d[\d,_]*)\s*(k?)\s*(?:-?\s*block)?s?\s*range|range\s*(?:of|is|to|:)?\s*(\d[\d,_]*)")

logger = logging.getLogger(__name__)

Log = dict[str, Any]


def _hex(value: Any) -> str:
    if isinstance(value, str):
        return value.lower() if value.startswith("0x") else "0x" + value.lower()
    return "0x" + bytes(value).hex()


def topic_filter(topics0: Sequence[bytes | str]) -> list[list[str]]:
    """The `topics` of an `eth_getLogs` filter that asks for any of `topics0` as topic 0."""
    return [[_hex(t) for t in topics0]]


def as_bytes(value: Any) -> bytes:
    """A topic or data field as bytes, from 0x hex (as the node sends it) or bytes (as web3 formats it)."""
    return bytes.fromhex(value.removeprefix("0x")) if isinstance(value, str) else bytes(value)


def log_body(log: Mapping[str, Any]) -> tuple[list[bytes], bytes, int]:
    """A pool log's topics, data and block number, for the protocol `events` modules. A log removed by a
    reorg raises ValueError: roll back to a stored state rather than apply it."""
    if log.get("removed"):
        raise ValueError("log removed by a reorg: roll back to a stored state rather than apply it")
    return [as_bytes(t) for t in log["topics"]], as_bytes(log["data"]), int(log["blockNumber"])


def _int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def normalise(log: Any) -> Log:
    """A log as the node sends it (hex strings) or as web3 formats it, in one shape."""
    return {
        "address": to_checksum_address(log["address"]),
        "topics": tuple(as_bytes(t) for t in log["topics"]),
        "data": as_bytes(log["data"]),
        "blockNumber": _int(log["blockNumber"]),
        "blockHash": _hex(log["blockHash"]),
        "logIndex": _int(log["logIndex"]),
        "transactionHash": _hex(log.get("transactionHash") or b""),
        "removed": bool(log.get("removed", False)),
    }


@dataclass
class LogWindow:
    """How many blocks the next `eth_getLogs` asks for; shrinks on refusals, grows after successes."""

    size: int = BLOCK_CHUNK
    maximum: int = MAX_WINDOW
    refused: int | None = None  # smallest size refused since the last FORGET_REFUSAL_AFTER successes
    streak: int = 0
    refusals: int = field(default=0)

    def shrink(self, tried: int, hint: int | None = None) -> None:
        """`tried` blocks were refused; `hint` is a size the provider named, if any."""
        self.refusals += 1
        named = hint is not None and 0 < hint < tried
        refused = hint + 1 if named and hint is not None else tried  # a stated cap is not probed again
        self.refused = refused if self.refused is None else min(self.refused, refused)
        self.streak = 0
        smaller = hint if named and hint is not None else tried // 2
        self.size = max(1, smaller)

    def oversized(self, tried: int) -> None:
        """An answer held more logs than we like: ask for half as many blocks next time."""
        self.streak = 0
        self.size = max(1, tried // 2)

    def succeeded(self) -> None:
        self.streak += 1
        if self.refused is not None and self.streak >= FORGET_REFUSAL_AFTER:
            self.refused = None
        if self.streak % GROW_AFTER == 0:
            ceiling = self.maximum if self.refused is None else max(1, self.refused - 1)
            self.size = max(self.size, min(self.size * 2, ceiling))


def refusal_hint(message: str, start: int, tried: int) -> int | None:
    """A window size the provider's message names ("limited to a 200 range", "up to a 2K block range",
    "this block range should work: [0x1, 0x2]"), if it names one smaller than `tried`."""
    text = message.lower()
    suggested = _SUGGESTED.search(text)
    if suggested:
        low, high = int(suggested.group(1), 16), int(suggested.group(2), 16)
        if low == start and low <= high and high - low + 1 < tried:
            return high - low + 1
    for match in _STATED.finditer(text):
        digits, kilo, plain = match.group(1), match.group(2), match.group(3)
        raw = digits or plain
        if not raw:
            continue
        value = int(raw.replace(",", "").replace("_", "")) * (1000 if kilo else 1)
        if 0 < value < tried:
            return value
    return None


def _error_code(exc: BaseException) -> int | None:
    for arg in exc.args:
        if isinstance(arg, dict) and isinstance(arg.get("code"), int):
            return int(arg["code"])
    rpc = getattr(exc, "rpc_response", None)
    if isinstance(rpc, dict) and isinstance(rpc.get("error"), dict):
        code = rpc["error"].get("code")
        return code if isinstance(code, int) else None
    return None


def is_refusal(exc: BaseException) -> bool:
    """Does this failed `eth_getLogs` read like "ask for less"? (Any other JSON-RPC error is still
    retried smaller by `log_windows`, down to one block, before it is reported; transport failures
    other than timeouts are reported at once.)"""
    message = str(exc).lower()
    return any(word in message for word in REFUSAL_WORDS) or _error_code(exc) in REFUSAL_CODES


def log_windows(
    w3: Web3,
    addresses: Sequence[str] | None,
    topics0: Sequence[bytes | str] | None,
    from_block: int,
    to_block: int,
    window: LogWindow | None = None,
    keep: Callable[[Any], bool] | None = None,
) -> Iterator[tuple[int, int, list[Log]]]:
    """(first block, last block, logs) for consecutive windows covering [from_block, to_block], each
    yielded once it is answered. All `addresses` go in every request (callers split long lists); None
    asks every emitter's logs (by `topics0` alone). `keep`: which logs, as the node sent them, to keep
    (the others are dropped before they are normalised)."""
    if (addresses is not None and not addresses) or from_block > to_block:
        return
    window = window or LogWindow()
    params: dict[str, Any] = {} if addresses is None else {"address": list(addresses)}
    if topics0:
        params["topics"] = topic_filter(topics0)
    start = from_block
    while start <= to_block:
        end = min(start + window.size - 1, to_block)
        try:
            raw = request_logs(w3, {**params, "fromBlock": hex(start), "toBlock": hex(end)})
        except Exception as exc:  # JSON-RPC errors are ValueError subclasses; the provider raises RpcError
            tried = end - start + 1
            if tried == 1 or not (is_refusal(exc) or _error_code(exc) is not None):
                raise RpcError(f"eth_getLogs {start}..{end} failed: {first_line(exc)}") from exc
            hint = refusal_hint(str(exc), start, tried)
            logger.info(
                "eth_getLogs %d..%d refused (%s): %s",
                start,
                end,
                "asking for fewer blocks" if is_refusal(exc) else "retrying with fewer blocks",
                first_line(exc),
            )
            window.shrink(tried, hint)
            continue
        logs = [normalise(log) for log in raw if keep is None or keep(log)]
        if len(raw) > OVERSIZED and end > start:
            window.oversized(end - start + 1)
        else:
            window.succeeded()
        yield start, end, logs
        start = end + 1


def request_logs(w3: Web3, params: dict[str, Any]) -> list[Any]:
    """`eth_getLogs` straight through the provider. web3's request formatters would checksum every address
    of the filter again (a Python keccak each): with a thousand pools that alone costs about a second
    per request on a small machine. A JSON-RPC error raises a ValueError carrying the error object, as
    web3 does."""
    response = w3.provider.make_request("eth_getLogs", [params])  # type: ignore[arg-type]
    if "error" in response:
        raise ValueError(response["error"])
    return list(response["result"] or ())


def get_logs(
    w3: Web3,
    addresses: Sequence[str] | None,
    topics0: Sequence[bytes] | None,
    from_block: int,
    to_block: int,
    block_chunk: int = BLOCK_CHUNK,
    address_chunk: int = ADDRESS_CHUNK,
    keep: Callable[[Any], bool] | None = None,
) -> list[Log]:
    """Logs of `addresses` (None: of any emitter) with topic 0 in `topics0` (any when None) in
    [from_block, to_block], in order; `keep` as `log_windows` takes it."""
    if (addresses is not None and not addresses) or from_block > to_block:
        return []
    unique = None if addresses is None else sorted({to_checksum_address(a) for a in addresses})
    logs: list[Log] = []
    for i in range(0, 1 if unique is None else len(unique), address_chunk):
        window = LogWindow(size=block_chunk)
        group = None if unique is None else unique[i : i + address_chunk]
        for _start, _end, part in log_windows(w3, group, topics0, from_block, to_block, window, keep):
            logs.extend(part)
    logs.sort(key=lambda log: (log["blockNumber"], log["logIndex"]))
    return logs
