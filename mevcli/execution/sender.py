"""The one place a transaction leaves mevcli: EIP-1559 fees with caps, a persisted nonce, signing,
sending, and waiting for confirmations. Callers simulate first; this module only sends.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_utils import keccak
from web3 import Web3

from mevcli.backend import Backend, BackendUnavailable, NonceSlot, as_backend
from mevcli.errors import MevcliError
from mevcli.execution.signer import Signer
from mevcli.redact import first_line

logger = logging.getLogger(__name__)


class SendError(MevcliError):
    """The node refused the transaction or it was not mined in time."""


class NotMined(SendError):
    """The transaction reached the node but its receipt (or its confirmations) did not come in time: it
    may still be mined. `tx_hash` and `nonce` (None when the node picked it) say which."""

    def __init__(self, message: str, tx_hash: str, nonce: int | None) -> None:
        super().__init__(message)
        self.tx_hash = tx_hash
        self.nonce = nonce


class FeeRefused(SendError):
    """The fee the chain needs is outside the operator's caps: nothing was signed or sent."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FeePolicy:
    max_fee: int | None = None  # --gas-price: cap on maxFeePerGas (wei)
    priority_fee: int | None = None  # --priority-gas-price (wei)
    ceiling: int | None = None  # refuse to send when the fee the chain needs exceeds this

    def fees(self, w3: Web3, base_fee: int | None = None) -> tuple[int, int]:
        """(maxFeePerGas, maxPriorityFeePerGas) for the next block (`base_fee`: its base fee, else the
        latest block's)."""
        if base_fee is None:
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
            raise FeeRefused(f"--gas-price {max_fee} is below the current base fee {base_fee}")
        if self.ceiling is not None and max_fee > self.ceiling:
            raise FeeRefused(f"max fee {max_fee} wei exceeds the ceiling {self.ceiling} wei: not sending")
        return max_fee, min(priority, max_fee)


class CheckRefused(SendError):
    """The exact transaction fails its pre-send check: nothing was signed or sent."""


# Runs the exact transaction (fees and gas limit filled in) before it is signed: an error, or None.
PreSendCheck = Callable[[dict[str, Any]], str | None]


class NonceManager:
    """Next nonce per (chain, sender) in a backend's nonce slot, reserved under its lock so concurrent
    invocations (on one host: a file lock; across hosts: the shared Redis) never reuse one. The node's
    pending count is checked on every reservation: when it is ahead of the stored nonce (a transaction
    sent out-of-band), or on one host disagrees with it at all (one of ours dropped, which would leave a
    gap the node queues forever), the chain's value wins and `resyncs` counts it. A shared slot keeps the
    larger of the two: another host's transaction may not have reached this host's node yet."""

    def __init__(self, slot: NonceSlot) -> None:
        self.slot = slot
        self.resyncs = 0

    @contextmanager
    def reserve(self, w3: Web3, address: str, resync: bool = False) -> Iterator[int]:
        """Yield the nonce to use; it is recorded as used only if the block exits without error."""
        with self.slot.locked():
            chain_next = w3.eth.get_transaction_count(address, "pending")
            stored = self.slot.read()
            nonce = chain_next
            if self.slot.shared and not resync and stored is not None:
                nonce = max(stored, chain_next)
            if resync or (stored is not None and stored != nonce):
                self.resyncs += 1
            yield nonce
            try:
                self.slot.write(nonce + 1)
            except BackendUnavailable as exc:  # sent already: the next reservation asks the node too
                logger.warning("%s: nonce %d was used but not recorded", exc, nonce)

    def read(self) -> int | None:
        """The stored next nonce, None before the first send."""
        return self.slot.read()


# How nodes say "I have this transaction already": geth "already known", anvil "transaction already
# imported", others "known transaction" / "AlreadyKnown".
ALREADY_KNOWN = ("already known", "already imported", "known transaction", "alreadyknown")


def _is_nonce_error(exc: Exception) -> bool:
    """The nonce is taken: mined already ("nonce too low") or held by another pending transaction of
    this account ("replacement transaction underpriced"). Not "already known": that is this very
    transaction, and signing a new one would send the arbitrage twice."""
    text = str(exc).lower()
    if "replacement transaction underpriced" in text:
        return True
    return "nonce" in text and ("too low" in text or "too high" in text or "already used" in text)


class TxSender:
    """Signs and sends one transaction at a time; `attempts` and `nonces.resyncs` say what it took."""

    def __init__(
        self, w3: Web3, signer: Signer, where: Backend | Path, fees: FeePolicy, confirmations: int = 1
    ) -> None:
        """`where`: the backend holding the nonces (or a cache dir)."""
        self.w3 = w3
        self.signer = signer
        self.fees = fees
        self.confirmations = max(confirmations, 1)
        self.chain_id = w3.eth.chain_id
        self.nonces = NonceManager(as_backend(where).nonce_slot(self.chain_id, signer.address))
        self.attempts = 0  # transactions handed to the node (a nonce resync makes it 2)
        self.nonce: int | None = None  # of the last signed transaction

    def send(
        self,
        tx: dict[str, Any],
        gas: int,
        timeout: float = 120.0,
        check: PreSendCheck | None = None,
        fees: tuple[int, int] | None = None,
    ) -> tuple[str, dict[str, Any]]:
        """Send `tx` ({to?, data, value?}) with `gas` limit; return (hash, receipt) after confirmations.
        `fees` (maxFeePerGas, maxPriorityFeePerGas), when given, are the ones the send was priced with.

        Raises `FeeRefused` (nothing signed) when the fee is outside the caps, `CheckRefused` (nothing
        signed) when `check` finds the exact transaction failing, `SendError` otherwise."""
        max_fee, priority = fees if fees is not None else self.fees.fees(self.w3)
        full = {
            **tx,
            "from": self.signer.address,
            "gas": gas,
            "maxFeePerGas": max_fee,
            "maxPriorityFeePerGas": priority,
            "chainId": self.chain_id,
        }
        error = check(full) if check is not None else None
        if error is not None:
            raise CheckRefused(error)
        if self.signer.is_local:
            tx_hash = self._send_signed(full)
        else:  # an unlocked devnet account: the node signs and picks the nonce
            self.attempts += 1
            try:
                tx_hash = self.w3.eth.send_transaction(full)  # type: ignore[arg-type]
            except Exception as exc:
                raise SendError(f"the node refused the transaction: {first_line(exc)}") from None
        return self._wait(Web3.to_hex(tx_hash), timeout)

    def _send_signed(self, tx: dict[str, Any]) -> bytes:
        for attempt in (0, 1):
            try:
                with self.nonces.reserve(self.w3, self.signer.address, resync=attempt == 1) as nonce:
                    raw = self.signer.sign({**tx, "nonce": nonce})
                    self.nonce = nonce
                    self.attempts += 1
                    try:
                        return bytes(self.w3.eth.send_raw_transaction(raw))
                    except Exception as exc:
                        # This very transaction reached the node already (a transport retry delivered
                        # it twice; it may even be mined, hence "nonce too low"): wait for it rather
                        # than fail, or resync and sign a second arbitrage.
                        if not self._known(exc, raw):
                            raise
                        return bytes(keccak(raw))
            except BackendUnavailable as exc:  # the shared nonce could not be reserved: nothing signed
                raise SendError(f"not sent: {exc}") from None
            except Exception as exc:
                # A nonce error (a send that raced ours) resyncs from the chain once; anything else
                # (underpriced, out of funds, a node error) is never retried.
                if attempt == 0 and _is_nonce_error(exc):
                    continue
                raise SendError(f"the node refused the transaction: {first_line(exc)}") from None
        raise SendError("unreachable")

    def _known(self, exc: Exception, raw: bytes) -> bool:
        """Whether the node already holds this very transaction: it says so (each client in its own
        words), or it refused it for another reason (e.g. "nonce too low": it is mined) yet knows its
        hash."""
        text = str(exc).lower()
        if any(words in text for words in ALREADY_KNOWN):
            return True
        try:
            return self.w3.eth.get_transaction(keccak(raw)) is not None
        except Exception:  # not found (web3 raises) or the node cannot say: it is not ours
            return False

    def _wait(self, tx_hash: str, timeout: float) -> tuple[str, dict[str, Any]]:
        """The receipt once the transaction has `confirmations` blocks (its own included), re-read then
        so a reorg that dropped it in the meantime is not reported as mined. `NotMined` (with the hash)
        when it does not come in time or the node cannot say: the transaction may still be mined."""
        deadline = time.monotonic() + timeout
        try:
            receipt = dict(
                self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=timeout, poll_latency=0.2)
            )
            while self.w3.eth.block_number < receipt["blockNumber"] + self.confirmations - 1:
                if time.monotonic() > deadline:
                    raise NotMined(
                        f"{tx_hash} did not reach {self.confirmations} confirmations in time",
                        tx_hash,
                        self.nonce,
                    )
                time.sleep(0.2)
            if self.confirmations > 1:
                receipt = dict(self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=timeout))
        except SendError:
            raise
        except Exception as exc:
            raise NotMined(f"waiting for {tx_hash}: {first_line(exc)}", tx_hash, self.nonce) from None
        receipt["confirmed_block"] = self.w3.eth.block_number
        return tx_hash, receipt
