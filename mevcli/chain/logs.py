"""Chunked `eth_getLogs`: many addresses, a topic-0 filter, block ranges split to fit node limits.

Logs come back normalised to plain dicts (`address` checksummed, `topics`/`data` as bytes, `blockHash`
as 0x hex, ints for numbers, `removed` as bool) and sorted in chain order (block, log index), the shape
the protocol `events` modules accept.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_utils import to_checksum_address
from web3 import Web3

from mevcli.errors import RpcError

BLOCK_CHUNK = 2_000
ADDRESS_CHUNK = 500
# Words providers use when a range holds too many logs: the range is halved and retried.
_TOO_MANY = ("too many", "more than", "limit", "range", "exceed", "too large", "timeout", "response size")

Log = dict[str, Any]


def _hex(value: Any) -> str:
    if isinstance(value, str):
        return value.lower() if value.startswith("0x") else "0x" + value.lower()
    return "0x" + bytes(value).hex()


def _bytes(value: Any) -> bytes:
    return bytes.fromhex(value.removeprefix("0x")) if isinstance(value, str) else bytes(value)


def normalise(log: Any) -> Log:
    return {
        "address": to_checksum_address(log["address"]),
        "topics": tuple(_bytes(t) for t in log["topics"]),
        "data": _bytes(log["data"]),
        "blockNumber": int(log["blockNumber"]),
        "blockHash": _hex(log["blockHash"]),
        "logIndex": int(log["logIndex"]),
        "transactionHash": _hex(log.get("transactionHash") or b""),
        "removed": bool(log.get("removed", False)),
    }


def get_logs(
    w3: Web3,
    addresses: Sequence[str],
    topics0: Sequence[bytes] | None,
    from_block: int,
    to_block: int,
    block_chunk: int = BLOCK_CHUNK,
    address_chunk: int = ADDRESS_CHUNK,
) -> list[Log]:
    """Logs of `addresses` (topic 0 in `topics0`, any when None) in [from_block, to_block], in order."""
    if not addresses or from_block > to_block:
        return []
    unique = sorted({to_checksum_address(a) for a in addresses})
    topics = [[_hex(t) for t in topics0]] if topics0 else []
    logs: list[Log] = []
    for i in range(0, len(unique), address_chunk):
        group = unique[i : i + address_chunk]
        for start in range(from_block, to_block + 1, block_chunk):
            logs.extend(_range(w3, group, topics, start, min(start + block_chunk - 1, to_block)))
    logs.sort(key=lambda log: (log["blockNumber"], log["logIndex"]))
    return logs


def _range(w3: Web3, addresses: list[str], topics: list[Any], start: int, end: int) -> list[Log]:
    params: dict[str, Any] = {"address": addresses, "fromBlock": start, "toBlock": end}
    if topics:
        params["topics"] = topics
    try:
        raw = w3.eth.get_logs(params)  # type: ignore[arg-type]
    except Exception as exc:  # JSON-RPC errors are ValueError subclasses; transports raise others
        message = str(exc).lower()
        if end > start and any(word in message for word in _TOO_MANY):
            middle = (start + end) // 2
            return _range(w3, addresses, topics, start, middle) + _range(
                w3, addresses, topics, middle + 1, end
            )
        raise RpcError(f"eth_getLogs {start}..{end} failed: {str(exc).splitlines()[0][:200]}") from exc
    return [normalise(log) for log in raw]
