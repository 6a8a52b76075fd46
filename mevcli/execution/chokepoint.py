"""The one send chokepoint, shared by `mevcli execute` and `mevcli watch --execute`.

`run(ctx, plan, executor, signer, options)`: claim the opportunity (one send at a time), re-simulate the
fresh plan in the block it would land in, refuse when it is no longer profitable, fails, its gas cannot
be priced, or it nets less than `min_profit` after everything paid (`execution/costs.py`); simulate once
more with gas cost + min_profit written into the transaction as its floor (the executor reverts below
it); and only with `broadcast` run the exact transaction (gas limit and fees included) once more as an
`eth_call` in the landing block, then sign, send at exactly the priced fees, wait for the confirmations
and read the realized figures from the receipt (its own `Executed` event, gasUsed × effectiveGasPrice +
L1 fee). Every outcome is journaled, estimated next to realized, and with `broadcast` alerted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from web3 import Web3

from mevcli.context import AppContext
from mevcli.execution import journal
from mevcli.execution.claims import AlreadyClaimed, claim_send
from mevcli.execution.costs import Fees, Rate, landing_fees, market_rate, realized
from mevcli.execution.deployments import EXECUTOR, read_deployments
from mevcli.execution.landing import Landing, landing_block
from mevcli.execution.plan import Plan
from mevcli.execution.sender import CheckRefused, FeePolicy, FeeRefused, SendError, TxSender
from mevcli.execution.signer import Signer
from mevcli.execution.simulate import Simulation, presend_check, simulate

SUCCESS, SIMULATED = "success", "simulated"
FLOOR_ROUNDS = 3  # simulations to settle the on-chain floor on the gas of the calldata that carries it

# The pre-send figures kept under "estimated" once a send's realized figures replace them.
ESTIMATED = ("gas_used", "gas_price", "l1_fee_wei", "gas_cost", "token_profit", "net_profit")


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutionOptions:
    broadcast: bool = False
    min_profit: int = 1  # net of everything paid (flash fee, gas, L1 fee), in the borrowed token's units
    gas_price: int | None = None  # --gas-price: cap on maxFeePerGas
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


def pricing(ctx: AppContext, plan: Plan, policy: FeePolicy) -> tuple[Fees, Rate | None]:
    """The fees a send of `plan` sets (landing base fee + tip, capped) and the rate converting its gas
    into the borrowed token (`execution/costs.py`; None: gas cannot be priced in that token)."""
    fees = landing_fees(ctx.w3, policy)
    return fees, market_rate(ctx, plan.opportunity.base_token, plan.block, plan.states)


def run(
    ctx: AppContext, plan: Plan, executor: str, signer: Signer | None, options: ExecutionOptions
) -> dict[str, Any]:
    """Check, then (with `options.broadcast`) send one plan; returns the journaled entry.

    `status` is "simulated", "success", "reverted", "refused: …" (nothing sent) or "failed: …" (the node
    refused the signed transaction or it was not confirmed). With `broadcast`, the opportunity and its
    route are claimed first (`claims.py`): another send of either in progress refuses this one."""
    if options.broadcast and signer is None:
        raise ValueError("broadcast needs a signer")
    if not options.broadcast:
        result = _check_and_send(ctx, plan, executor, signer, options)
    else:
        try:
            with claim_send(ctx.settings.cache_dir, ctx.chain_id, plan.opportunity):
                result = _check_and_send(ctx, plan, executor, signer, options)
        except AlreadyClaimed as exc:
            result = {
                **_unsent(plan, options),
                "status": f"refused: {exc}",
            }
    journal.record(ctx.settings.cache_dir, ctx.chain_id, {"kind": options.source, **result})
    if options.alert_webhook and options.broadcast:  # executed, reverted or refused: the operator hears
        error = journal.alert(options.alert_webhook, {**result, "chain_id": ctx.chain_id})
        if error:
            result["alert_error"] = error
    return result


def _unsent(plan: Plan, options: ExecutionOptions) -> dict[str, Any]:
    o = plan.opportunity
    return {
        "id": o.id,
        "ok": False,
        "block": plan.block,
        "base_token": o.base_token,
        "pools": list(o.pools),
        "tx_hash": None,
        "broadcast": options.broadcast,
        "min_profit": options.min_profit,
    }


def _check_and_send(
    ctx: AppContext, plan: Plan, executor: str, signer: Signer | None, options: ExecutionOptions
) -> dict[str, Any]:
    sender_address = simulation_sender(ctx, signer.address if signer else None)
    try:
        fees, rate = pricing(ctx, plan, options.fee_policy())
    except FeeRefused as exc:
        return {**_unsent(plan, options), "status": f"refused: {exc}", "send_attempts": 0}
    landing = landing_block(ctx.w3)  # every simulation runs in the block the transaction lands in
    first = simulate(ctx, plan, executor, sender_address, 0, fees, rate, landing)
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
        return result
    if not first.ok:
        result["status"] = f"refused: simulation failed: {first.error}"
        return result
    if first.net_profit < options.min_profit:
        result["status"] = (
            f"refused: net profit {first.net_profit} (after gas {first.gas_cost} at {first.gas_price} wei "
            f"per gas) below --min-profit {options.min_profit}"
        )
        return result
    # The transaction itself enforces the floor: it reverts unless the executor ends with at least
    # gas cost + min_profit more of the token than it started with.
    assert rate is not None  # a priced simulation
    final, floor = _with_floor(
        ctx, plan, executor, sender_address, first, fees, rate, landing, options.min_profit
    )
    result.update(final.to_json(plan))
    result["floor"] = floor
    if not final.ok:
        result["status"] = f"refused: final simulation failed: {final.error}"
    elif final.gas_cost is None or final.gas_cost + options.min_profit > floor:
        result["status"] = (
            f"refused: the on-chain floor {floor} does not cover gas {final.gas_cost} + --min-profit"
        )
    elif final.net_profit < options.min_profit:
        result["status"] = (
            f"refused: net profit {final.net_profit} (after gas {final.gas_cost} at {final.gas_price} wei "
            f"per gas) below --min-profit {options.min_profit}"
        )
    elif not options.broadcast:
        result["status"] = SIMULATED
    else:
        assert signer is not None
        result["estimated"] = {key: result[key] for key in ESTIMATED}
        sent = _send(ctx, signer, executor, final.calldata, final.gas_limit, fees, options)
        receipt = sent.pop("receipt", None)
        result.update(sent)
        if receipt is not None:
            result.update(realized(receipt, executor, fresh.base_token, rate).to_json())
    return result


def _with_floor(
    ctx: AppContext,
    plan: Plan,
    executor: str,
    sender: str,
    first: Simulation,
    fees: Fees,
    rate: Rate,
    landing: Landing,
    min_profit: int,
) -> tuple[Simulation, int]:
    """(the simulation of the transaction to send, its floor): the floor covers that very transaction's
    gas cost (writing the floor into the calldata changes its gas a little) plus `min_profit`."""
    floor = (first.gas_cost or 0) + min_profit
    for _ in range(FLOOR_ROUNDS):
        final = simulate(ctx, plan, executor, sender, floor, fees, rate, landing)
        if not final.ok or final.gas_cost is None or final.gas_cost + min_profit <= floor:
            return final, floor
        floor = final.gas_cost + min_profit
    return final, floor


def _send(
    ctx: AppContext,
    signer: Signer,
    executor: str,
    calldata: bytes,
    gas_limit: int,
    fees: Fees,
    options: ExecutionOptions,
) -> dict[str, Any]:
    """Sign and send at exactly the priced `fees`; the outcome and, once mined, the receipt."""
    sender = TxSender(ctx.w3, signer, ctx.settings.cache_dir, options.fee_policy(), options.confirmations)
    outcome: dict[str, Any] = {"confirmations": options.confirmations}
    try:
        tx_hash, receipt = sender.send(
            {"to": executor, "data": Web3.to_hex(calldata)},
            gas=gas_limit,
            check=presend_check(ctx.w3),  # in the landing block over the head at that moment
            fees=(fees.max_fee, fees.priority_fee),
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
    return {
        **outcome,
        "tx_hash": tx_hash,
        "status": SUCCESS if receipt["status"] == 1 else "reverted",
        "block": receipt["blockNumber"],
        "confirmed_block": receipt.get("confirmed_block"),
        "send_attempts": sender.attempts,
        "nonce_resyncs": sender.nonces.resyncs,
        "receipt": receipt,
    }
