"""The one place a transaction leaves mevcli: EIP-1559 fees with caps, a persisted nonce, signing,
sending, and waiting for confirmations. Callers simulate first; this module only sends.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from web3 import Web3

from mevcli.errors import MevcliError
from mevcli.execution.signer import Signer


class SendError(MevcliError):
    """The node refused the transaction or it was not mined in time."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FeePolicy:
    max_fee: int | None = None  # --gas-price: cap on maxFeePerGas (wei)
    priority_fee: int | None = None  # --priority-gas-price (wei)
    ceiling: int | None = None  # refuse to send when the fee the chain needs exceeds this

    def fees(self, w3: Web3) -> tuple[int, int]:
        """(maxFeePerGas, maxPriorityFeePerGas) for the next block."""
        base_fee = int(w3.eth.get_block("latest").get("baseFeePerGas") or 0)
        if self.priority_fee is not None:
            priority = self.priority_fee
        else:
            try:
                priority = int(w3.eth.max_priority_fee)
            except Exception:  # nodes without eth_maxPriorityFeePerGas
                priority = 0
        max_fee = 2 * base_fee + priority
        if self.max_fee is not None:
            max_fee = min(max_fee, self.max_fee)
        if max_fee < base_fee:
            raise SendError(f"--gas-price {max_fee} is below the current base fee {base_fee}")
        if self.ceiling is not None and max_fee > self.ceiling:
            raise SendError(f"max fee {max_fee} wei exceeds the ceiling {self.ceiling} wei: not sending")
        return max_fee, min(priority, max_fee)


class NonceManager:
    """Next nonce per (chain, sender), persisted in the cache dir under a file lock so concurrent
    invocations never reuse one; resynced from the chain's pending count."""

    def __init__(self, cache_dir: Path, chain_id: int, address: str) -> None:
        self.path = cache_dir / "nonces" / str(chain_id) / f"{address.lower()}.json"

    @contextmanager
    def reserve(self, w3: Web3, address: str, resync: bool = False) -> Iterator[int]:
        """Yield the nonce to use; it is recorded as used only if the block exits without error."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            chain_next = w3.eth.get_transaction_count(address, "pending")
            stored = None if resync else self._read()
            nonce = max(chain_next, stored) if stored is not None else chain_next
            yield nonce
            self._write(nonce + 1)

    def _read(self) -> int | None:
        try:
            return int(json.loads(self.path.read_text())["next"])
        except (OSError, ValueError, KeyError):
            return None

    def _write(self, value: int) -> None:
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"next": value}))
        os.replace(tmp, self.path)


def _is_nonce_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "nonce" in text and ("too low" in text or "too high" in text or "already" in text)


class TxSender:
    def __init__(
        self, w3: Web3, signer: Signer, cache_dir: Path, fees: FeePolicy, confirmations: int = 1
    ) -> None:
        self.w3 = w3
        self.signer = signer
        self.fees = fees
        self.confirmations = max(confirmations, 1)
        self.chain_id = w3.eth.chain_id
        self.nonces = NonceManager(cache_dir, self.chain_id, signer.address)

    def send(self, tx: dict[str, Any], gas: int) -> tuple[str, dict[str, Any]]:
        """Send `tx` ({to?, data, value?}) with `gas` limit; return (hash, receipt) after confirmations."""
        max_fee, priority = self.fees.fees(self.w3)
        full = {
            **tx,
            "from": self.signer.address,
            "gas": gas,
            "maxFeePerGas": max_fee,
            "maxPriorityFeePerGas": priority,
            "chainId": self.chain_id,
        }
        # An unlocked devnet account: the node signs and picks the nonce.
        tx_hash = self._send_signed(full) if self.signer.is_local else self.w3.eth.send_transaction(full)
        return self._wait(Web3.to_hex(tx_hash))

    def _send_signed(self, tx: dict[str, Any]) -> bytes:
        for attempt in (0, 1):
            try:
                with self.nonces.reserve(self.w3, self.signer.address, resync=attempt == 1) as nonce:
                    raw = self.signer.sign({**tx, "nonce": nonce})
                    return self.w3.eth.send_raw_transaction(raw)
            except Exception as exc:
                # A nonce error resyncs from the chain once; anything else (a revert, a funds error)
                # is never retried.
                if attempt == 0 and _is_nonce_error(exc):
                    continue
                raise SendError(
                    f"the node refused the transaction: {str(exc).splitlines()[0][:200]}"
                ) from None
        raise SendError("unreachable")

    def _wait(self, tx_hash: str, timeout: float = 120.0) -> tuple[str, dict[str, Any]]:
        receipt = dict(self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=timeout, poll_latency=0.2))
        deadline = time.monotonic() + timeout
        while self.w3.eth.block_number < receipt["blockNumber"] + self.confirmations - 1:
            if time.monotonic() > deadline:
                raise SendError(f"{tx_hash} did not reach {self.confirmations} confirmations in time")
            time.sleep(0.5)
        return tx_hash, receipt
