"""The one send chokepoint, shared by `mevcli execute` and `mevcli watch --execute`.

`run(ctx, plan, executor, signer, options)`: claim the opportunity (one send at a time), re-simulate the
fresh plan in the block it would land in, refuse when it is no longer profitable, fails, its gas cannot
be priced, or it nets less than `min_profit` after everything paid (`execution/costs.py`); simulate once
more with gas cost + min_profit written into the transaction as its floor (the executor reverts below
it); and only with `broadcast` run the exact transaction (gas limit and fees included) once more as an
`eth_call` in the landing block, then sign, send at exactly the priced fees, wait for the confirmations
and read the realized figures from the receipt (its own `Executed` event, gasUsed × effectiveGasPrice +
L1 fee). Every outcome is journaled, estimated next to realized, and with `broadcast` alerted.

A send whose receipt does not come in time is journaled "pending: …" with its hash and no realized
figures, and kept in the claims dir: the next send of its route is refused while it may still be mined
and, once it is, journals its realized figures as a "settle" entry (`_settle_pending`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from web3 import Web3

from mevcli.context import AppContext
from mevcli.execution import journal
from mevcli.execution.claims import (
    AlreadyClaimed,
    claim_send,
    clear,
    pending_path,
    pending_send,
    record_pending,
)
from mevcli.execution.costs import Fees, Rate, landing_fees, market_rate, realized
from mevcli.execution.deployments import EXECUTOR, read_deployments
from mevcli.execution.landing import Landing
from mevcli.execution.plan import Plan
from mevcli.execution.sender import CheckRefused, FeePolicy, FeeRefused, NotMined, SendError, TxSender
from mevcli.execution.signer import Signer
from mevcli.execution.simulate import Simulation, presend_check, simulate

SUCCESS, SIMULATED, PENDING, SETTLE = "success", "simulated", "pending", "settle"
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

    `status` is "simulated", "success", "reverted", "refused: …" (nothing sent), "failed: …" (the node
    refused the signed transaction: nothing sent) or "pending: …" (sent, `tx_hash` set, but no receipt in
    time). With `broadcast`, the opportunity and its route are claimed first (`claims.py`): another send
    of either in progress, or an unmined transaction of the route, refuses this one."""
    if options.broadcast and signer is None:
        raise ValueError("broadcast needs a signer")
    if not options.broadcast:
        result = _check_and_send(ctx, plan, executor, signer, options)
    else:
        try:
            with claim_send(ctx.settings.cache_dir, ctx.chain_id, plan.opportunity):
                _settle_pending(ctx, plan)
                result = _check_and_send(ctx, plan, executor, signer, options)
        except AlreadyClaimed as exc:
            result = {
                **_unsent(plan, options),
                "status": f"refused: {exc}",
            }
    journal.record(ctx.backend, ctx.chain_id, {"kind": options.source, **result})
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


def _settle_pending(ctx: AppContext, plan: Plan) -> None:
    """Before a send of the route (its claim held): settle its recorded unmined transaction. Mined: its
    realized figures are journaled (kind "settle") and it is cleared. Still possible (the node knows it,
    or its nonce is unused): `AlreadyClaimed`, nothing is signed. Dropped (its nonce went to another
    transaction): cleared."""
    path = pending_path(ctx.settings.cache_dir, ctx.chain_id, plan.opportunity.pools)
    record = pending_send(path)
    if record is None:
        return
    tx_hash = str(record["tx_hash"])
    receipt = _lookup(ctx.w3.eth.get_transaction_receipt, tx_hash)
    if receipt is not None:
        journal.record(ctx.backend, ctx.chain_id, _settled(record, dict(receipt)))
        clear(path)
        return
    nonce, sender = record.get("nonce"), record.get("from")
    nonce_used = nonce is not None and sender is not None
    nonce_used = nonce_used and ctx.w3.eth.get_transaction_count(sender, "latest") > nonce
    if _lookup(ctx.w3.eth.get_transaction, tx_hash) is not None or not nonce_used:
        raise AlreadyClaimed(
            f"the route of {plan.opportunity.id} has a sent transaction {tx_hash} not mined yet "
            f"(opportunity {record.get('id')}): one send per route at a time"
        )
    clear(path)


def _lookup(method: Any, tx_hash: str) -> Any:
    """The node's answer for `tx_hash`, None when it has none (web3 raises for an unknown hash)."""
    try:
        return method(tx_hash)
    except Exception:
        return None


def _settled(record: dict[str, Any], receipt: dict[str, Any]) -> dict[str, Any]:
    """The journal entry of a pending send found mined: its realized figures next to the estimate."""
    rate = record["rate"]
    figures = realized(receipt, record["executor"], record["base_token"], (int(rate[0]), int(rate[1])))
    return {
        "kind": SETTLE,
        "id": record.get("id"),
        "ok": receipt.get("status") == 1,
        "base_token": record["base_token"],
        "pools": record.get("pools"),
        "tx_hash": record["tx_hash"],
        "block": receipt["blockNumber"],
        "status": SUCCESS if receipt.get("status") == 1 else "reverted",
        "estimated": record.get("estimated"),
        **figures.to_json(),
    }


def _record_unmined(
    ctx: AppContext, plan: Plan, executor: str, exc: NotMined, rate: Rate, estimated: dict[str, Any]
) -> None:
    """Keep the route's sent, unmined transaction so no other send of it is signed meanwhile."""
    nonce, sender = exc.nonce, None
    sent = _lookup(ctx.w3.eth.get_transaction, exc.tx_hash)
    if sent is not None:
        nonce, sender = int(sent["nonce"]), str(sent["from"])
    o = plan.opportunity
    record = {
        "tx_hash": exc.tx_hash,
        "nonce": nonce,
        "from": sender,
        "id": o.id,
        "pools": list(o.pools),
        "executor": executor,
        "base_token": o.base_token,
        "rate": list(rate),
        "estimated": estimated,
    }
    record_pending(pending_path(ctx.settings.cache_dir, ctx.chain_id, o.pools), record)


def _below_min_profit(sim: Simulation, min_profit: int) -> str:
    return (
        f"refused: net profit {sim.net_profit} (after gas {sim.gas_cost} at {sim.gas_price} wei "
        f"per gas) below --min-profit {min_profit}"
    )


def _check_and_send(
    ctx: AppContext, plan: Plan, executor: str, signer: Signer | None, options: ExecutionOptions
) -> dict[str, Any]:
    sender_address = simulation_sender(ctx, signer.address if signer else None)
    try:
        fees, rate = pricing(ctx, plan, options.fee_policy())
    except FeeRefused as exc:
        return {**_unsent(plan, options), "status": f"refused: {exc}", "send_attempts": 0}
    landing = ctx.landing()  # every simulation runs in the block the transaction lands in
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
        result["status"] = _below_min_profit(first, options.min_profit)
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
        result["status"] = _below_min_profit(final, options.min_profit)
    elif not options.broadcast:
        result["status"] = SIMULATED
    else:
        assert signer is not None
        result["estimated"] = {key: result[key] for key in ESTIMATED}
        try:
            sent = _send(ctx, signer, executor, final.calldata, final.gas_limit, fees, options)
        except NotMined as exc:  # with the node, maybe mined later: no realized figures yet
            _record_unmined(ctx, plan, executor, exc, rate, result["estimated"])
            result.update(dict.fromkeys(ESTIMATED))
            result.update(tx_hash=exc.tx_hash, status=f"{PENDING}: {exc}")
            result["confirmations"] = options.confirmations
            return result
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
    """Sign and send at exactly the priced `fees`; the outcome and, once mined, the receipt. `NotMined`
    when it was sent but no receipt came in time."""
    sender = TxSender(ctx.w3, signer, ctx.backend, options.fee_policy(), options.confirmations)
    outcome: dict[str, Any] = {"confirmations": options.confirmations}
    try:
        tx_hash, receipt = sender.send(
            {"to": executor, "data": Web3.to_hex(calldata)},
            gas=gas_limit,
            timeout=ctx.settings.receipt_timeout,
            check=presend_check(ctx.w3, mode=ctx.landing_mode),  # the landing block over the head then
            fees=(fees.max_fee, fees.priority_fee),
        )
    except (FeeRefused, CheckRefused) as exc:
        return {**outcome, "status": f"refused: {exc}", "send_attempts": 0, "nonce_resyncs": 0}
    except NotMined:
        raise
    except SendError as exc:  # the node refused it: nothing sent
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
