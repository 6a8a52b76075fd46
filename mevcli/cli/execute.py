"""`mevcli execute`: the one send chokepoint — re-read, re-simulate, refuse, and only then send."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from web3 import Web3

from mevcli.cli import route, signing
from mevcli.cli.output import emit_json, log, stdout
from mevcli.cli.simulate import current_gas_price, simulation_sender
from mevcli.context import AppContext
from mevcli.execution import journal
from mevcli.execution.sender import TxSender
from mevcli.execution.simulate import simulate

GAS_HEADROOM_NUM, GAS_HEADROOM_DEN = 5, 4  # gas limit = estimate × 1.25


def execute(
    ctx: typer.Context,
    opportunity: route.OpportunityArg = None,
    pools: route.Pools = None,
    token: route.Token = None,
    amount: route.Amount = None,
    flash: route.Flash = None,
    executor_address: route.Executor = None,
    min_profit: Annotated[
        int, typer.Option("--min-profit", min=0, help="Refuse below this net profit after gas (token units)")
    ] = 1,
    broadcast: signing.Broadcast = False,
    private_key: signing.PrivateKey = None,
    keystore: signing.Keystore = None,
    account: signing.AccountName = None,
    password_file: signing.PasswordFile = None,
    confirmations: signing.Confirmations = 1,
    gas_price: signing.GasPrice = None,
    priority_gas_price: signing.PriorityGasPrice = None,
    max_fee_ceiling: signing.MaxFeeCeiling = None,
    alert_webhook: Annotated[
        str | None, typer.Option("--alert-webhook", help="POST a Slack-format message on the outcome")
    ] = None,
) -> None:
    """Send an opportunity (flash loan + swaps) through the executor; simulates unless --broadcast."""
    app_ctx: AppContext = ctx.obj
    signer = signing.signer_for(
        app_ctx,
        private_key=private_key,
        keystore=keystore,
        account=account,
        password_file=password_file,
        required=broadcast,
    )
    plan, executor = route.build_plan(app_ctx, opportunity, pools, token, amount, flash, executor_address)
    sender_address = simulation_sender(app_ctx, signer.address if signer else None)
    price = current_gas_price(app_ctx, gas_price)
    first = simulate(app_ctx, plan, executor, sender_address, 0, price)
    result: dict[str, Any] = {**first.to_json(plan), "tx_hash": None, "broadcast": broadcast}
    fresh = plan.opportunity
    if plan.error is None and fresh.profit - fresh.flash_fee <= 0:
        result["status"] = (
            f"refused: no longer profitable at block {plan.block} "
            f"(amount out {fresh.amount_out} for {fresh.amount_in} in, flash fee {fresh.flash_fee})"
        )
    elif not first.ok:
        result["status"] = f"refused: simulation failed: {first.error}"
    elif first.net_profit < min_profit:
        result["status"] = f"refused: net profit {first.net_profit} below --min-profit {min_profit}"
    else:
        # The transaction itself enforces the floor: it reverts unless the executor ends with at least
        # gas cost + min_profit more of the token than it started with.
        floor = (first.gas_cost or 0) + min_profit
        final = simulate(app_ctx, plan, executor, sender_address, floor, price)
        result.update(final.to_json(plan))
        if not final.ok:
            result["status"] = f"refused: final simulation failed: {final.error}"
        elif not broadcast:
            result["status"] = "simulated"
        else:
            assert signer is not None
            result.update(
                _send(
                    app_ctx,
                    signer,
                    executor,
                    final,
                    plan.opportunity.base_token,
                    gas_price,
                    priority_gas_price,
                    max_fee_ceiling,
                    confirmations,
                )
            )
    journal.record(app_ctx.settings.cache_dir, app_ctx.chain_id, {"kind": "execute", **result})
    if alert_webhook and broadcast:  # executed, reverted or refused: the operator hears of each
        error = journal.alert(alert_webhook, {**result, "chain_id": app_ctx.chain_id})
        if error:
            log(error)
    if app_ctx.settings.json:
        emit_json(result)
    else:
        stdout.print(f"{result['id']}: {result['status']}", markup=False)
        if result["tx_hash"]:
            stdout.print(
                f"  tx {result['tx_hash']}, gas used {result['gas_used']:,}, "
                f"token profit {result['token_profit']}",
                markup=False,
            )
    if result["status"] not in ("success", "simulated"):
        raise typer.Exit(1)


def _send(
    ctx: AppContext,
    signer: Any,
    executor: str,
    sim: Any,
    token: str,
    gas_price: int | None,
    priority_gas_price: int | None,
    ceiling: int | None,
    confirmations: int,
) -> dict[str, Any]:
    sender = TxSender(
        ctx.w3,
        signer,
        ctx.settings.cache_dir,
        signing.fee_policy(gas_price, priority_gas_price, ceiling),
        confirmations,
    )
    tx_hash, receipt = sender.send(
        {"to": executor, "data": Web3.to_hex(sim.calldata)},
        gas=sim.gas_used * GAS_HEADROOM_NUM // GAS_HEADROOM_DEN,
    )
    block = receipt["blockNumber"]
    balance = ctx.w3.eth.contract(address=token, abi=_BALANCE_OF_ABI).functions.balanceOf(executor)
    realized = balance.call(block_identifier=block) - balance.call(block_identifier=block - 1)
    return {
        "tx_hash": tx_hash,
        "status": "success" if receipt["status"] == 1 else "reverted",
        "block": block,
        "gas_used": receipt["gasUsed"],
        "effective_gas_price": receipt.get("effectiveGasPrice"),
        "token_profit": realized,
    }


_BALANCE_OF_ABI = [
    {
        "name": "balanceOf",
        "type": "function",
        "stateMutability": "view",
        "inputs": [{"name": "account", "type": "address"}],
        "outputs": [{"name": "", "type": "uint256"}],
    }
]
