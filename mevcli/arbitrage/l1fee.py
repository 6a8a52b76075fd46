"""The L1 data fee a rollup charges on top of L2 execution gas, asked of the chain's own oracle.

- `arbitrum`: the NodeInterface at 0xC8, `gasEstimateL1Component(to, contractCreation, data)`. It is
  virtual (the node answers `eth_call`s to it; contracts cannot call it), so one scan's questions go in a
  JSON-RPC batch. It answers in L2 gas units; times the L2 gas price, that is wei.
- `op_stack` (Base): the GasPriceOracle predeploy at 0x420…0F, `getL1Fee(bytes)` on the unsigned,
  RLP-encoded transaction, in wei (the Ecotone / Fjord formulas live in the contract). An ordinary
  contract, so one scan's questions go through Multicall3.

The scanner asks once per reported opportunity, after sizing, with the executor calldata `execute` would
send for it; identical questions are asked once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import rlp
from eth_abi import decode
from eth_utils import keccak, to_bytes, to_checksum_address
from web3 import Web3

from mevcli.chain.batch import rpc_batch
from mevcli.chain.multicall import Call, Multicall, encode_call
from mevcli.errors import RpcError, UsageError
from mevcli.presets import L1_FEE_MODELS, ChainPreset

ARBITRUM = "arbitrum"
OP_STACK = "op_stack"
NONE = "none"
NODE_INTERFACE = "0x00000000000000000000000000000000000000C8"
GAS_PRICE_ORACLE = "0x420000000000000000000000000000000000000F"
GAS_ESTIMATE_L1_COMPONENT = "gasEstimateL1Component(address,bool,bytes)"
GET_L1_FEE = "getL1Fee(bytes)"
# Stands in for the executor when none is recorded for the chain: 20 bytes that look like an address
# (the fee depends on the transaction's size and compressibility, not on which address it names).
PLACEHOLDER_TO = to_checksum_address(keccak(text="mevcli executor placeholder")[:20])
# The OP Stack oracle prices a whole unsigned transaction; the fields scan cannot know are given
# representative values: a nonce a busy sender reaches (two bytes), no value, no access list.
TYPICAL_NONCE = 10_000
RPC_BATCH = 100


def l1_fee_model(flag: str | None, config: Mapping[str, Any], preset: ChainPreset | None) -> str | None:
    """The model to use: `--l1-fee-model`, else `[chains.NAME] l1_fee_model`, else the preset's."""
    value: Any = flag
    where = "--l1-fee-model"
    if value is None and "l1_fee_model" in config:
        value, where = config["l1_fee_model"], "l1_fee_model in the config"
    if value is None:
        return preset.l1_fee_model if preset is not None else None
    if not isinstance(value, str) or value.lower() not in (NONE, *L1_FEE_MODELS):
        raise UsageError(f"invalid {where} {value!r}: expected none, {', '.join(L1_FEE_MODELS)}")
    return None if value.lower() == NONE else value.lower()


def unsigned_tx(chain_id: int, to: str, data: bytes, gas: int, gas_price: int) -> bytes:
    """An unsigned EIP-1559 transaction (0x02 ‖ rlp([chainId, nonce, tip, maxFee, gas, to, value, data,
    accessList])) paying `gas_price` both as tip and cap, as the OP Stack oracle expects its input."""
    fields = [chain_id, TYPICAL_NONCE, gas_price, gas_price, gas, to_bytes(hexstr=to), 0, data, []]
    return b"\x02" + rlp.encode(fields)


@dataclass(frozen=True, slots=True)
class L1Query:
    calldata: bytes  # the executor call
    gas_units: int  # its L2 gas estimate
    gas_price: int  # wei per L2 gas


class L1FeeOracle:
    """Ask the chain's oracle for the L1 data fee (wei) of executor calls, all at one block."""

    def __init__(
        self, w3: Web3, multicall: Multicall, model: str, chain_id: int, to: str, block: int
    ) -> None:
        if model not in L1_FEE_MODELS:
            raise UsageError(f"unknown L1 fee model {model!r}")
        self.w3 = w3
        self.multicall = multicall
        self.model = model
        self.chain_id = chain_id
        self.to = to_checksum_address(to)
        self.block = block
        self.calls = 0  # oracle questions asked (after de-duplication)

    def fees(self, queries: Sequence[L1Query]) -> list[int]:
        if self.model == ARBITRUM:
            units = self._ask_arbitrum(sorted({q.calldata for q in queries}))
            return [units[q.calldata] * q.gas_price for q in queries]
        envelopes = [
            unsigned_tx(self.chain_id, self.to, q.calldata, q.gas_units, q.gas_price) for q in queries
        ]
        fees = self._ask_op_stack(sorted(set(envelopes)))
        return [fees[e] for e in envelopes]

    def _ask_arbitrum(self, calldatas: list[bytes]) -> dict[bytes, int]:
        """gasEstimateForL1 (L2 gas units) per calldata, through batched `eth_call`s to 0xC8."""
        requests = [
            (
                "eth_call",
                [
                    {
                        "to": NODE_INTERFACE,
                        "data": Web3.to_hex(
                            encode_call(
                                GAS_ESTIMATE_L1_COMPONENT, ["address", "bool", "bytes"], [self.to, False, d]
                            )
                        ),
                    },
                    hex(self.block),
                ],
            )
            for d in calldatas
        ]
        responses: list[Any] = []
        for start in range(0, len(requests), RPC_BATCH):
            responses.extend(self._batch(requests[start : start + RPC_BATCH]))
        self.calls += len(calldatas)
        units = {}
        for data, response in zip(calldatas, responses, strict=True):
            raw = self._result(response, "NodeInterface.gasEstimateL1Component")
            gas_for_l1, _base_fee, _l1_base_fee = decode(["uint64", "uint256", "uint256"], raw)
            units[data] = gas_for_l1
        return units

    def _batch(self, requests: list[tuple[str, list[Any]]]) -> list[Any]:
        return rpc_batch(self.w3, requests, "L1 fee batch failed")

    def _ask_op_stack(self, envelopes: list[bytes]) -> dict[bytes, int]:
        """getL1Fee (wei) per unsigned transaction, through Multicall3."""
        calls = [Call(GAS_PRICE_ORACLE, encode_call(GET_L1_FEE, ["bytes"], [e])) for e in envelopes]
        results = self.multicall.call(calls, self.block)
        self.calls += len(envelopes)
        fees = {}
        for envelope, result in zip(envelopes, results, strict=True):
            if not result.ok or len(result.data) < 32:
                raise RpcError(
                    f"no answer from the GasPriceOracle at {GAS_PRICE_ORACLE} on this chain: "
                    "is it an OP Stack chain? (--l1-fee-model none scans without the L1 data fee)"
                )
            (fees[envelope],) = decode(["uint256"], result.data)
        return fees

    def _result(self, response: Any, what: str) -> bytes:
        if not isinstance(response, dict):
            raise RpcError(f"malformed {what} response")
        if "error" in response:
            message = response["error"].get("message") if isinstance(response["error"], dict) else None
            raise RpcError(f"{what} failed: {message or response['error']}")
        raw = bytes.fromhex(str(response.get("result") or "0x")[2:])
        if len(raw) < 96:
            raise RpcError(
                f"no answer from the NodeInterface at {NODE_INTERFACE} on this node: is it an Arbitrum "
                "node? (--l1-fee-model none scans without the L1 data fee)"
            )
        return raw
