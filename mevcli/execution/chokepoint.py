"""The one send chokepoint, shared by `mevcli execute` and `mevcli watch --execute`.

`run(ctx, plan, executor, signer, options)`: re-simulate the fresh plan in the block it would land in,
refuse when it is no longer profitable, fails, or nets less than `min_profit` after gas; simulate once
more with that floor written into the transaction (the executor reverts below it); and only with
`broadcast` run the exact transaction (gas limit and fees included) once more as an `eth_call` in the
landing block, then sign, send, wait for the confirmations and measure the executor's realized balance
change. Every outcome is journaled, and with `broadcast` alerted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from web3 import Web3

from mevcli.context import AppContext
from mevcli.execution import journal
from mevcli.execution.deployments import EXECUTOR, read_deployments
from mevcli.execution.landing import landing_block
from mevcli.execution.plan import Plan
from mevcli.execution.sender import CheckRefused, FeePolicy, FeeRefused, SendError, TxSender
from mevcli.execution.signer import Signer
from mevcli.execution.simulate import presend_check, simulate

SUCCESS, SIMULATED = "success", "simulated"

BALANCE_OF_ABI = [
    {
        "name": "balanceOf",
        "type": "function",
        "stateMutability": "view",
        "inputs": [{"name": "account", "type": "address"}],
        "outputs": [{"name": "", "type": "uint256"}],
    }
]


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutionOptions:
    broadcast: bool = False
    min_profit: int = 1  # net of gas, in the borrowed token
    gas_price: int | None = None  # --gas-price: cap on maxFeePerGas, and the simulation's gas price
    priority_gas_price: int | None = None
    max_fee_ceiling: int | None = None
    confirmations: int = 1
    alert_webhook: str | None = None
    source: str = "execute"  # journal kind: "execute" or "watch"

    def fee_policy(self) -> FeePolicy:
        return FeePolicy(
            max_fee=self.gas_price, priority_fee=self.priority_gas_price, ceiling=self.max_fee_ceiling
        )


def simulation_sender(ctx: AppContext, signer_address: str | None) -> str:
    """Who the executor sees as caller: the signer, else the recorded executor key, else devnet account 0."""
    if signer_address:
        return signer_address
    recorded = read_deployments(ctx.settings.cache_dir, ctx.chain_id).get(EXECUTOR, {}).get("executor")
    if recorded:
        return str(recorded)
    return str(ctx.w3.eth.accounts[0])


def current_gas_price(ctx: AppContext, gas_price: int | None) -> int:
    """The price simulations charge gas at: --gas-price, else the latest base fee (else eth_gasPrice)."""
    if gas_price is not None:
        return gas_price
    base_fee = int(ctx.w3.eth.get_block("latest").get("baseFeePerGas") or 0)
    return base_fee or int(ctx.w3.eth.gas_price)


def run(
    ctx: AppContext, plan: Plan, executor: str, signer: Signer | None, options: ExecutionOptions
) -> dict[str, Any]:
    """Check, then (with `options.broadcast`) send one plan; returns the journaled entry.

    `status` is "simulated", "success", "reverted", "refused: …" (nothing sent) or "failed: …" (the node
    refused the signed transaction or it was not confirmed)."""
    if options.broadcast and signer is None:
        raise ValueError("broadcast needs a signer")
    sender_address = simulation_sender(ctx, signer.address if signer else None)
    price = current_gas_price(ctx, options.gas_price)
    landing = landing_block(ctx.w3)  # both simulations run in the block the transaction lands in
    first = simulate(ctx, plan, executor, sender_address, 0, price, landing)
    result: dict[str, Any] = {
        **first.to_json(plan),
        "tx_hash": None,
        "broadcast": options.broadcast,
        "min_profit": options.min_profit,
    }
    fresh = plan.opportunity
    if plan.error is None and fresh.profit - fresh.flash_fee <= 0:
        result["status"] = (
            f"refused: no longer profitable at block {plan.block} "
            f"(amount out {fresh.amount_out} for {fresh.amount_in} in, flash fee {fresh.flash_fee})"
        )
    elif not first.ok:
        result["status"] = f"refused: simulation failed: {first.error}"
    elif first.net_profit < options.min_profit:
        result["status"] = f"refused: net profit {first.net_profit} below --min-profit {options.min_profit}"
    else:
        # The transaction itself enforces the floor: it reverts unless the executor ends with at least
        # gas cost + min_profit more of the token than it started with.
        floor = (first.gas_cost or 0) + options.min_profit
        final = simulate(ctx, plan, executor, sender_address, floor, price, landing)
        result.update(final.to_json(plan))
        if not final.ok:
            result["status"] = f"refused: final simulation failed: {final.error}"
        elif not options.broadcast:
            result["status"] = SIMULATED
        else:
            assert signer is not None
            result.update(
                _send(ctx, signer, executor, final.calldata, final.gas_limit, fresh.base_token, options)
            )
    journal.record(ctx.settings.cache_dir, ctx.chain_id, {"kind": options.source, **result})
    if options.alert_webhook and options.broadcast:  # executed, reverted or refused: the operator hears
        error = journal.alert(options.alert_webhook, {**result, "chain_id": ctx.chain_id})
        if error:
            result["alert_error"] = error
    return result


def _send(
    ctx: AppContext,
    signer: Signer,
    executor: str,
    calldata: bytes,
    gas_limit: int,
    token: str,
    options: ExecutionOptions,
) -> dict[str, Any]:
    sender = TxSender(ctx.w3, signer, ctx.settings.cache_dir, options.fee_policy(), options.confirmations)
    outcome: dict[str, Any] = {"confirmations": options.confirmations}
    try:
        tx_hash, receipt = sender.send(
            {"to": executor, "data": Web3.to_hex(calldata)},
            gas=gas_limit,
            check=presend_check(ctx.w3),  # in the landing block over the head at that moment
        )
    except (FeeRefused, CheckRefused) as exc:
        return {**outcome, "status": f"refused: {exc}", "send_attempts": 0, "nonce_resyncs": 0}
    except SendError as exc:
        return {
            **outcome,
            "status": f"failed: {exc}",
            "send_attempts": sender.attempts,
            "nonce_resyncs": sender.nonces.resyncs,
        }
    block = receipt["blockNumber"]
    balance = ctx.w3.eth.contract(address=token, abi=BALANCE_OF_ABI).functions.balanceOf(executor)
    realized = balance.call(block_identifier=block) - balance.call(block_identifier=block - 1)
    return {
        **outcome,
        "tx_hash": tx_hash,
        "status": SUCCESS if receipt["status"] == 1 else "reverted",
        "block": block,
        "confirmed_block": receipt.get("confirmed_block"),
        "gas_used": receipt["gasUsed"],
        "effective_gas_price": receipt.get("effectiveGasPrice"),
        "token_profit": realized,
        "send_attempts": sender.attempts,
        "nonce_resyncs": sender.nonces.resyncs,
    }
