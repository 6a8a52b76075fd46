"""Many devnet transactions from one unlocked account: sent in JSON-RPC batches, mined in a few big blocks.

Sending one transaction and waiting for its receipt costs a block each, and on anvil a block's cost grows
with the size of the state: a large market built that way takes most of an hour. Here the transactions carry
explicit nonces and gas (no estimate), wait in the node's pool with automine off, and `evm_mine` packs a
whole JSON-RPC batch into one block (the block gas limit is raised for it, then put back). Every receipt is
still checked, naming the step that failed.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from functools import cache
from typing import Any

import requests

from mevcli.chain.abi import encode
from mevcli.chain.multicall import selector
from mevcli.devnet.artifacts import load
from mevcli.devnet.deployer import DeployError

BATCH = 400  # JSON-RPC requests per HTTP batch (and transactions per mined block)
MINE_TIMEOUT = 600.0  # seconds to wait for one batch's transactions to be mined


def calldata(artifact: str, function: str, *args: Any) -> str:
    """Hex calldata of `artifact`'s `function(*args)`: eth_abi straight from the artifact's ABI.

    web3's `encode_abi` validates the whole ABI on every call (milliseconds each): too slow for the tens of
    thousands of transactions a large market takes.
    """
    prefix, types = _function(artifact, function, len(args))
    return "0x" + (prefix + encode(types, args)).hex()


def creation_data(artifact: str, *args: Any) -> str:
    """`artifact`'s creation code followed by its ABI-encoded constructor arguments (no library links)."""
    art = load(artifact)
    constructor = next((e for e in art.abi if e.get("type") == "constructor"), {"inputs": []})
    types = [_abi_type(i) for i in constructor["inputs"]]
    return art.bytecode + encode(types, args).hex()


@cache
def _function(artifact: str, name: str, arity: int) -> tuple[bytes, tuple[str, ...]]:
    """The selector and argument types of `artifact`'s function `name` taking `arity` arguments."""
    for entry in load(artifact).abi:
        if entry.get("type") == "function" and entry["name"] == name and len(entry["inputs"]) == arity:
            types = tuple(_abi_type(i) for i in entry["inputs"])
            return selector(f"{name}({','.join(types)})"), types
    raise KeyError(f"{artifact} has no function {name} taking {arity} arguments")


def _abi_type(item: dict[str, Any]) -> str:
    """The canonical type of an ABI input (tuples spelled out from their components)."""
    kind: str = item["type"]
    if kind.startswith("tuple"):
        return "(" + ",".join(_abi_type(c) for c in item["components"]) + ")" + kind[len("tuple") :]
    return kind


class BatchSender:
    """Sends many transactions from one unlocked account in JSON-RPC batches, then checks every receipt."""

    def __init__(self, rpc_url: str, sender: str, nonce: int) -> None:
        self.rpc_url = rpc_url
        self.sender = sender
        self.nonce = nonce
        self.session = requests.Session()
        self._pending: list[tuple[dict[str, Any], str]] = []

    @property
    def queued(self) -> int:
        return len(self._pending)

    def add(self, to: str | None, data: str, gas: int, label: str, value: int = 0) -> None:
        """Queue a call of `to` (a contract creation when `to` is None)."""
        tx: dict[str, Any] = {"from": self.sender, "data": data, "gas": hex(gas), "nonce": hex(self.nonce)}
        if to is not None:
            tx["to"] = to
        if value:
            tx["value"] = hex(value)
        self.nonce += 1
        self._pending.append((tx, label))

    def rpc_batch(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        """Results of `calls` in order; an error answer raises naming the method."""
        results: list[Any] = []
        for start in range(0, len(calls), BATCH):
            chunk = calls[start : start + BATCH]
            body = [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(chunk)]
            answers = self.session.post(self.rpc_url, json=body, timeout=600).json()
            by_id = {a["id"]: a for a in answers}
            for i, (method, _) in enumerate(chunk):
                answer = by_id[i]
                if "error" in answer:
                    raise DeployError(f"devnet {method} failed: {answer['error'].get('message')}")
                results.append(answer["result"])
        return results

    def flush(self, chunk: int = BATCH) -> list[dict[str, Any]]:
        """Send everything added so far, `chunk` transactions a block; every receipt, required successful.

        Automine is off meanwhile: the transactions wait in the pool and `evm_mine` packs them into one
        block in nonce order, so none is left waiting for a later transaction to trigger a block.
        """
        pending, self._pending = self._pending, []
        latest, node = self.rpc_batch([("eth_getBlockByNumber", ["latest", False]), ("anvil_nodeInfo", [])])
        base_fee = hex(int(latest.get("baseFeePerGas") or "0x0", 16))
        gas_limit = int(node["environment"]["gasLimit"], 16)  # the node's own, not a raised last block's
        receipts: list[dict[str, Any]] = []
        self.rpc_batch([("evm_setAutomine", [False])])
        try:
            for start in range(0, len(pending), chunk):
                part = pending[start : start + chunk]
                room = max(gas_limit, sum(int(tx["gas"], 16) for tx, _ in part))
                self.rpc_batch([("evm_setBlockGasLimit", [hex(room)])])
                hashes = self.rpc_batch([("eth_sendTransaction", [tx]) for tx, _ in part])
                for (tx, label), receipt in zip(part, self._mine(hashes, base_fee), strict=True):
                    if receipt is None:
                        raise DeployError(f"devnet transaction not mined: {label}")
                    if int(receipt["status"], 16) != 1:
                        used, gas = int(receipt["gasUsed"], 16), int(tx["gas"], 16)
                        raise DeployError(
                            f"devnet transaction failed: {label} (gas used {used:,} of {gas:,})"
                        )
                    receipts.append(receipt)
        finally:
            self.rpc_batch([("evm_setBlockGasLimit", [hex(gas_limit)]), ("evm_setAutomine", [True])])
        return receipts

    def _mine(self, hashes: list[str], base_fee: str) -> list[Any]:
        """Mine until the node's transaction pool is empty; the receipts of `hashes` (None: dropped)."""
        deadline = time.monotonic() + MINE_TIMEOUT
        while True:
            # A full block would raise the base fee past what waiting transactions offer (anvil then drops
            # them): every block starts again from the base fee the batch was priced at.
            self.rpc_batch([("anvil_setNextBlockBaseFeePerGas", [base_fee])])
            self.rpc_batch([("evm_mine", [])])
            (pool,) = self.rpc_batch([("txpool_status", [])])
            waiting = int(pool["pending"], 16) + int(pool["queued"], 16)
            if waiting == 0 or time.monotonic() > deadline:
                return self.rpc_batch([("eth_getTransactionReceipt", [h]) for h in hashes])

    def call(self, requests_: Iterable[tuple[str, str]]) -> list[str]:
        """`eth_call` results (hex) for (to, data) pairs at the latest block."""
        return self.rpc_batch([("eth_call", [{"to": to, "data": data}, "latest"]) for to, data in requests_])
