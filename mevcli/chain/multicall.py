"""Multicall3 batching: many read calls in one `eth_call`, with per-call success flags."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eth_abi import decode, encode
from eth_utils import keccak, to_checksum_address
from web3 import Web3

from mevcli.errors import RpcError

MULTICALL3_ADDRESS = "0xcA11bde05977b3631167028862bE2a173976CA11"
_AGGREGATE3 = keccak(text="aggregate3((address,bool,bytes)[])")[:4]
# Keep one eth_call well inside node gas / response limits.
DEFAULT_BATCH_SIZE = 500


def selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


@dataclass(frozen=True, slots=True)
class Call:
    target: str
    data: bytes


@dataclass(frozen=True, slots=True)
class CallResult:
    ok: bool
    data: bytes


def encode_call(signature: str, types: Sequence[str] = (), args: Sequence[object] = ()) -> bytes:
    return selector(signature) + (encode(list(types), list(args)) if types else b"")


class Multicall:
    """Batch read calls through a Multicall3 contract at `address`, all at one block."""

    def __init__(self, w3: Web3, address: str = MULTICALL3_ADDRESS, batch_size: int = DEFAULT_BATCH_SIZE):
        self.w3 = w3
        self.address = to_checksum_address(address)
        self.batch_size = batch_size

    def call(self, calls: Sequence[Call], block: int | str = "latest") -> list[CallResult]:
        """Run `calls` (allowing each to fail) in as few `eth_call`s as the batch size permits."""
        results: list[CallResult] = []
        for start in range(0, len(calls), self.batch_size):
            chunk = calls[start : start + self.batch_size]
            payload = _AGGREGATE3 + encode(
                ["(address,bool,bytes)[]"], [[(c.target, True, c.data) for c in chunk]]
            )
            try:
                raw = self.w3.eth.call({"to": self.address, "data": payload}, block)
            except ValueError as exc:  # web3 raises ValueError subclasses for JSON-RPC errors
                raise RpcError(f"multicall failed: {exc}") from exc
            if not raw:
                raise RpcError(f"no Multicall3 contract at {self.address} on this chain")
            (decoded,) = decode(["(bool,bytes)[]"], raw)
            results.extend(CallResult(ok, data) for ok, data in decoded)
        return results
