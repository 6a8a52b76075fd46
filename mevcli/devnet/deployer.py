"""Deploy and drive contracts on a local node from one of its unlocked accounts."""

from __future__ import annotations

from typing import Any

from web3 import Web3
from web3.contract import Contract

from mevcli.devnet.artifacts import Artifact, load

MAX_UINT256 = 2**256 - 1  # an unlimited ERC-20 approval


class DeployError(RuntimeError):
    """A devnet deployment or set-up transaction failed."""


class Deployer:
    """Sends transactions from an unlocked node account and waits for each receipt.

    Anvil mines every transaction immediately, so waiting is cheap; a failed receipt raises at once,
    naming the step, rather than surfacing later as a confusing state.
    """

    def __init__(self, w3: Web3, sender: str | None = None) -> None:
        self.w3 = w3
        self.sender = Web3.to_checksum_address(sender or w3.eth.accounts[0])

    def deploy(
        self, artifact: Artifact | str, *args: Any, libraries: dict[str, str] | None = None
    ) -> Contract:
        art = load(artifact) if isinstance(artifact, str) else artifact
        bytecode = art.linked(libraries or {}) if art.link_references else art.bytecode
        factory = self.w3.eth.contract(abi=art.abi, bytecode=bytecode)
        tx_hash = factory.constructor(*args).transact({"from": self.sender})
        receipt = self._wait(tx_hash, f"deploy {art.name}")
        return self.at(art, receipt["contractAddress"])

    def deploy_raw(self, creation_code: str, label: str) -> str:
        """Deploy raw creation code (no ABI); return the new contract's address."""
        tx_hash = self.w3.eth.send_transaction({"from": self.sender, "data": creation_code})
        return self._wait(tx_hash, label)["contractAddress"]

    def at(self, artifact: Artifact | str, address: str) -> Contract:
        art = load(artifact) if isinstance(artifact, str) else artifact
        return self.w3.eth.contract(address=Web3.to_checksum_address(address), abi=art.abi)

    def send(self, call: Any, label: str = "", value: int = 0, sender: str | None = None) -> dict[str, Any]:
        """Transact a bound contract function and return its receipt."""
        tx: dict[str, Any] = {"from": Web3.to_checksum_address(sender) if sender else self.sender}
        if value:
            tx["value"] = value
        tx_hash = call.transact(tx)
        return self._wait(tx_hash, label or call.fn_name)

    def _wait(self, tx_hash: bytes, label: str) -> dict[str, Any]:
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.01)
        if receipt["status"] != 1:
            raise DeployError(f"devnet transaction failed: {label}")
        return dict(receipt)
