"""Simulate the exact executor transaction with `eth_call` in the block it would land in (the latest
state seen as the next block, `execution/landing.py`): profit, gas, the gas limit to send with, revert;
the gas is priced by `execution/costs.py` (landing base fee + tip, L1 fee, in the borrowed token)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eth_abi import decode
from web3 import Web3

from mevcli.context import AppContext
from mevcli.errors import MevcliError, RpcError
from mevcli.execution.calldata import build_execute_call, decode_revert
from mevcli.execution.costs import Fees, Rate, gas_cost_in_token, l1_fee_wei
from mevcli.execution.gas_limit import arbitrage_gas_limit
from mevcli.execution.landing import Landing, landing_block
from mevcli.execution.plan import Plan, pool_info


@dataclass(slots=True)
class Simulation:
    ok: bool
    block: int
    executor: str
    sender: str
    calldata: bytes
    gas_used: int = 0  # eth_estimateGas in the landing block
    gas_limit: int = 0  # what a send uses: gas_used with the headroom of execution/gas_limit.py
    landing: str = ""  # the block the calls ran in, and how (block overrides, pending, latest only)
    gas_price: int = 0  # wei per gas the send pays: landing base fee + tip, bounded by the max fee
    base_fee: int = 0
    priority_fee: int = 0
    l1_fee_wei: int = 0
    gas_rate: Rate | None = None  # base units of the borrowed token per wei of the native token
    token_profit: int = 0  # the executor's balance change in the borrowed token, after the flash fee
    gas_cost: int | None = None  # gas in the borrowed token (None when it cannot be priced)
    net_profit: int = 0
    error: str | None = None
    hops: list[int] = field(default_factory=list)

    def to_json(self, plan: Plan) -> dict[str, Any]:
        o = plan.opportunity
        return {
            "id": o.id,
            "ok": self.ok,
            "block": self.block,
            "executor": self.executor,
            "sender": self.sender,
            "base_token": o.base_token,
            "tokens": list(o.tokens),
            "pools": list(o.pools),
            "dexes": list(o.dexes),
            "flash_source": o.flash_source,
            "flash_lender": o.flash_lender,
            "amount_in": o.amount_in,
            "hop_amounts": self.hops,
            "expected_amount_out": o.amount_out,
            "flash_fee": o.flash_fee,
            "gas_used": self.gas_used,
            "gas_limit": self.gas_limit,
            "landing": self.landing,
            "gas_price": self.gas_price,
            "base_fee": self.base_fee,
            "priority_fee": self.priority_fee,
            "l1_fee_wei": self.l1_fee_wei,
            "gas_rate": list(self.gas_rate) if self.gas_rate else None,
            "gas_cost": self.gas_cost,
            "token_profit": self.token_profit,
            "net_profit": self.net_profit,
            "error": self.error,
        }


def _rpc(w3: Web3, method: str, params: list[Any]) -> dict[str, Any]:
    response = w3.provider.make_request(method, params)  # raw, to keep revert data intact
    if not isinstance(response, dict) or ("result" not in response and "error" not in response):
        raise RpcError(f"malformed {method} response")
    return response


def _revert_message(error: dict[str, Any]) -> str:
    data = error.get("data")
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x") and len(data) >= 10:
        return decode_revert(bytes.fromhex(data[2:]))
    message = str(error.get("message") or "execution reverted")
    return f"{message} (no reason given: e.g. a token transfer that failed for lack of balance)"


def simulate(
    ctx: AppContext,
    plan: Plan,
    executor: str,
    sender: str,
    min_profit: int,
    fees: Fees,
    rate: Rate | None,
    landing: Landing | None = None,
) -> Simulation:
    """Call and estimate the executor transaction with floor `min_profit` in `landing` (default: the next
    block over the head); its gas is priced at `fees` and converted at `rate` (a route whose gas cannot
    be priced is a failed simulation, never one with free gas)."""
    o = plan.opportunity
    vault = (ctx.manifest or {}).get("balancer", {}).get("vault") or (
        ctx.preset.balancer_vault if ctx.preset else None
    )
    calldata = build_execute_call(o, pool_info(plan), min_profit, vault)
    sim = Simulation(ok=False, block=plan.block, executor=executor, sender=sender, calldata=calldata)
    sim.hops = list(o.hop_amounts)
    sim.gas_price, sim.base_fee, sim.priority_fee = fees.per_gas, fees.base_fee, fees.priority_fee
    sim.gas_rate = rate
    if plan.error:
        sim.error = plan.error
        return sim
    landing = landing or ctx.landing()
    sim.landing = landing.describe()
    tx = {"from": sender, "to": executor, "data": Web3.to_hex(calldata)}
    called = _rpc(ctx.w3, "eth_call", landing.params(tx))
    if "error" in called:
        sim.error = _revert_message(called["error"])
        return sim
    (sim.token_profit,) = decode(["uint256"], bytes.fromhex(called["result"][2:]))
    estimated = _rpc(ctx.w3, "eth_estimateGas", landing.params(tx))
    if "error" in estimated:
        sim.error = _revert_message(estimated["error"])
        return sim
    sim.gas_used = int(estimated["result"], 16)
    sim.gas_limit = arbitrage_gas_limit(sim.gas_used, len(o.pools), landing.block_gas_limit)
    sim.l1_fee_wei = l1_fee_wei(ctx, executor, calldata, sim.gas_used, fees.per_gas, plan.block)
    sim.gas_cost = gas_cost_in_token(sim.gas_used, fees.per_gas, sim.l1_fee_wei, rate)
    if sim.gas_cost is None:
        sim.error = f"gas cannot be priced in {o.base_token}: no pool pairs it with the chain's native token"
        return sim
    sim.net_profit = sim.token_profit - sim.gas_cost
    sim.ok = True
    return sim


def presend_check(
    w3: Web3, landing: Landing | None = None, mode: str | None = None
) -> Callable[[dict[str, Any]], str | None]:
    """A check for `TxSender.send`: the exact transaction (calldata, gas limit, fee fields, sender) as an
    `eth_call` in `landing` (default: the next block over the head when the check runs, in landing
    `mode`, so a block mined since the simulation counts); its failure, in one line, or None."""

    def check(tx: dict[str, Any]) -> str | None:
        where = landing or landing_block(w3, mode)
        call = {k: Web3.to_hex(v) if isinstance(v, int) else v for k, v in tx.items() if k != "chainId"}
        if isinstance(call.get("data"), bytes):
            call["data"] = Web3.to_hex(call["data"])
        response = _rpc(w3, "eth_call", where.params(call))
        if "error" not in response:
            return None
        return f"the exact transaction fails in {where.describe()}: {_revert_message(response['error'])}"

    return check


def estimate_in(w3: Web3, landing: Landing, tx: dict[str, Any]) -> int:
    """`eth_estimateGas` of `tx` in `landing`; a failure raises `MevcliError` with the decoded reason."""
    response = _rpc(w3, "eth_estimateGas", landing.params(tx))
    if "error" in response:
        raise MevcliError(
            f"the transaction fails in {landing.describe()}: {_revert_message(response['error'])}"
        )
    return int(response["result"], 16)
