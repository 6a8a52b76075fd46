"""Estimate and simulate in the block a transaction lands in, not in the latest block.

At `latest` the EVM sees the latest block's number and timestamp, so a pool touched in that block looks
as if the clock had not moved: a Uniswap V2 pair skips its cumulative-price writes, a V3 pool its oracle
observation, Aave its index update. The transaction lands in the next block, where they happen and cost
gas (tens of thousands on a fresh pair). Three ways to run a call there, best first, chosen by a probe
(`probe_mode`, run once per command: `AppContext.landing_mode`) that checks the EVM really sees a later
timestamp than the latest block's:

- `overrides`: the latest state with block overrides (number + 1, timestamp + 1) as the 4th parameter
  of `eth_call` and `eth_estimateGas` (anvil, geth and most clients);
- `pending`: the node's pending block;
- `latest`: neither works; the gas-limit headroom (`execution/gas_limit.py`) has to cover the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from web3 import Web3

OVERRIDES, PENDING, LATEST = "overrides", "pending", "latest"
PROBE_ADDRESS = "0x000000000000000000000000000000006c616e64"  # a code-less address; code via override


@dataclass(frozen=True, slots=True)
class Landing:
    """Where calls run: the state of block `base`, seen as block `number` at `timestamp` or later."""

    mode: str
    base: int
    number: int
    timestamp: int
    block_gas_limit: int

    def params(self, tx: dict[str, Any]) -> list[Any]:
        """`eth_call` / `eth_estimateGas` parameters for `tx` in this context."""
        if self.mode == OVERRIDES:
            return [tx, hex(self.base), {}, {"number": hex(self.number), "time": hex(self.timestamp)}]
        if self.mode == PENDING:
            return [tx, "pending"]
        return [tx, hex(self.base)]

    def describe(self) -> str:
        how = {OVERRIDES: "block overrides", PENDING: "the pending block", LATEST: "the latest block only"}
        return f"block {self.number} ({how[self.mode]})"


def landing_block(w3: Web3, mode: str | None = None) -> Landing:
    """The context of the next block over the current head, in `mode` (None: probe the node now)."""
    head = w3.eth.get_block("latest")
    base, timestamp, gas_limit = int(head["number"]), int(head["timestamp"]), int(head["gasLimit"])
    if mode is None:
        mode = _probe(w3, base, timestamp)
    return Landing(mode, base, base + 1, timestamp + 1, gas_limit)


def probe_mode(w3: Web3) -> str:
    """How this node runs a call in the next block's context (`OVERRIDES`, `PENDING` or `LATEST`)."""
    head = w3.eth.get_block("latest")
    return _probe(w3, int(head["number"]), int(head["timestamp"]))


def _probe(w3: Web3, base: int, timestamp: int) -> str:
    """The first mode whose `eth_call` and `eth_estimateGas` both run code that sees a timestamp after
    the latest block's, `timestamp` (code placed by a state override; it reverts otherwise)."""
    code = _later_than_code(timestamp)
    tx = {"to": PROBE_ADDRESS, "data": "0x"}
    overrides = {PROBE_ADDRESS: {"code": code}}
    candidates = {
        OVERRIDES: [tx, hex(base), overrides, {"number": hex(base + 1), "time": hex(timestamp + 1)}],
        PENDING: [tx, "pending", overrides],
    }
    for mode, params in candidates.items():
        if all(_succeeds(w3, method, params) for method in ("eth_call", "eth_estimateGas")):
            return mode
    return LATEST


def _succeeds(w3: Web3, method: str, params: list[Any]) -> bool:
    try:
        response = w3.provider.make_request(method, params)  # type: ignore[arg-type]
    except Exception:  # a node that rejects the parameters outright
        return False
    return isinstance(response, dict) and "result" in response and "error" not in response


def _later_than_code(after: int) -> str:
    """Runtime code that stops iff block.timestamp > `after`, and reverts otherwise. (Not block.number:
    on Arbitrum it is the L1 block number.)"""
    return "0x" + "".join(
        [
            "67" + after.to_bytes(8, "big").hex(),  # PUSH8 after
            "4211601257",  # TIMESTAMP, GT (timestamp > after), PUSH1 0x12, JUMPI
            "600080fd",  # PUSH1 0, DUP1, REVERT
            "5b00",  # 0x12: JUMPDEST, STOP
        ]
    )
