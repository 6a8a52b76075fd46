"""Simulate the exact executor transaction with `eth_call` at the latest block: profit, gas, revert."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eth_abi import decode
from web3 import Web3

from mevcli.context import AppContext
from mevcli.errors import RpcError
from mevcli.execution.calldata import build_execute_call, decode_revert
from mevcli.execution.plan import Plan, pool_info


@dataclass(slots=True)
class Simulation:
    ok: bool
    block: int
    executor: str
    sender: str
    calldata: bytes
    gas_used: int = 0
    gas_price: int = 0
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
            "gas_price": self.gas_price,
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


def gas_in_token(plan: Plan, gas_wei: int, native: str | None) -> int | None:
    """Gas cost in the borrowed token: exact for the native token, else at the scan's own rate (its L2
    gas cost over its L2 gas in wei; the scan's L1 data fee is not part of that rate)."""
    o = plan.original
    if native is not None and o.base_token.lower() == native.lower():
        return gas_wei
    l2_cost = o.gas_cost - o.l1_fee
    if o.gas_units and o.gas_price and l2_cost > 0:
        return -(-gas_wei * l2_cost // (o.gas_units * o.gas_price))
    return None


def simulate(
    ctx: AppContext, plan: Plan, executor: str, sender: str, min_profit: int, gas_price: int
) -> Simulation:
    o = plan.opportunity
    vault = (ctx.manifest or {}).get("balancer", {}).get("vault") or (
        ctx.preset.balancer_vault if ctx.preset else None
    )
    calldata = build_execute_call(o, pool_info(plan), min_profit, vault)
    sim = Simulation(ok=False, block=plan.block, executor=executor, sender=sender, calldata=calldata)
    sim.hops = list(o.hop_amounts)
    sim.gas_price = gas_price
    if plan.error:
        sim.error = plan.error
        return sim
    tx = {"from": sender, "to": executor, "data": Web3.to_hex(calldata)}
    called = _rpc(ctx.w3, "eth_call", [tx, "latest"])
    if "error" in called:
        sim.error = _revert_message(called["error"])
        return sim
    (sim.token_profit,) = decode(["uint256"], bytes.fromhex(called["result"][2:]))
    estimated = _rpc(ctx.w3, "eth_estimateGas", [tx, "latest"])
    if "error" in estimated:
        sim.error = _revert_message(estimated["error"])
        return sim
    sim.gas_used = int(estimated["result"], 16)
    native = (ctx.manifest or {}).get("weth") or (ctx.preset.weth if ctx.preset else None)
    sim.gas_cost = gas_in_token(plan, sim.gas_used * gas_price, native)
    sim.net_profit = sim.token_profit - (sim.gas_cost or 0)
    sim.ok = True
    return sim
