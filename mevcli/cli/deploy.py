"""`mevcli deploy balancer`: deploy our flash-loan executor (simulates unless --broadcast)."""

from __future__ import annotations

from typing import Annotated

import typer
from eth_abi import encode
from eth_utils import keccak

from mevcli.cli import signing
from mevcli.cli.output import emit_json, log, stdout
from mevcli.context import AppContext, parse_address
from mevcli.devnet.artifacts import load
from mevcli.errors import UsageError
from mevcli.execution.deployments import EXECUTOR, read_deployments, record_deployment
from mevcli.execution.gas_limit import deploy_gas_limit
from mevcli.execution.sender import TxSender
from mevcli.execution.simulate import estimate_in, presend_check

app = typer.Typer(help="Deploy our contracts.", no_args_is_help=True)


def _existing(ctx: AppContext) -> dict | None:
    """The recorded executor, if its code is still on chain (a devnet restart wipes it)."""
    entry = read_deployments(ctx.settings.cache_dir, ctx.chain_id).get(EXECUTOR)
    if not entry:
        return None
    code = bytes(ctx.w3.eth.get_code(entry["address"]))
    return entry if code and "0x" + keccak(code).hex() == entry.get("codehash") else None


@app.command("balancer")
@signing.sending_options(execution=False)
def balancer(
    ctx: typer.Context,
    owner: Annotated[str | None, typer.Option("--owner", help="Owner (default: the signer)")] = None,
    executor: Annotated[
        str | None, typer.Option("--executor", help="Executor key (default: the signer)")
    ] = None,
    *,
    sending: signing.Sending,
) -> None:
    """Deploy the flash-loan executor (Balancer Vault, Aave V3, Uniswap V3 and V4 flash loans)."""
    app_ctx: AppContext = ctx.obj
    broadcast = sending.broadcast
    owner_address = parse_address(owner, "--owner") if owner else None
    executor_address = parse_address(executor, "--executor") if executor else None
    signer = sending.signer(app_ctx)
    existing = _existing(app_ctx)
    if existing is not None:
        _report(app_ctx, {**existing, "tx_hash": None, "existing": True, "broadcast": broadcast})
        return
    sender_address = signer.address if signer else None
    owner_address = owner_address or sender_address
    executor_address = executor_address or sender_address
    if owner_address is None or executor_address is None:
        raise UsageError("pass --owner and --executor, or a signer (--keystore / --private-key)")
    _check_key_split(app_ctx, owner_address, executor_address)
    artifact = load(EXECUTOR)
    data = artifact.bytecode + encode(["address", "address"], [owner_address, executor_address]).hex()
    landing = app_ctx.landing()  # estimated, and checked before signing, in the next block
    gas = estimate_in(app_ctx.w3, landing, {"from": sender_address or owner_address, "data": data})
    gas_limit = deploy_gas_limit(gas, landing.block_gas_limit)
    plan = {
        "chain_id": app_ctx.chain_id,
        "contract": EXECUTOR,
        "owner": owner_address,
        "executor": executor_address,
        "deployer": sender_address,
        "gas_estimate": gas,
        "gas_limit": gas_limit,
        "address": None,
        "tx_hash": None,
        "broadcast": broadcast,
    }
    if not broadcast:
        _report(app_ctx, plan)
        return
    assert signer is not None
    sender = TxSender(
        app_ctx.w3,
        signer,
        app_ctx.backend,
        sending.fee_policy(),
        sending.confirmations,
    )
    tx_hash, receipt = sender.send({"data": data}, gas=gas_limit, check=presend_check(app_ctx.w3))
    if receipt["status"] != 1:
        raise UsageError(f"deployment transaction {tx_hash} reverted")
    address = receipt["contractAddress"]
    code = bytes(app_ctx.w3.eth.get_code(address))
    entry = {
        **plan,
        "address": address,
        "tx_hash": tx_hash,
        "block": receipt["blockNumber"],
        "gas_used": receipt["gasUsed"],
        "codehash": "0x" + keccak(code).hex(),
    }
    record_deployment(app_ctx.settings.cache_dir, app_ctx.chain_id, EXECUTOR, entry)
    _report(
        app_ctx,
        {**entry, "confirmations": sending.confirmations, "confirmed_block": receipt["confirmed_block"]},
    )


def _check_key_split(ctx: AppContext, owner: str, executor: str) -> None:
    """The owner (moves funds and roles) must be a cold key, not the hot key the bot trades with.

    Refused off the devnet, a warning on it (where every key is a throwaway dev account).
    """
    if owner.lower() != executor.lower():
        return
    if ctx.is_devnet:
        log(f"warning: owner and executor are the same key ({owner}); on a real chain pass --owner COLD")
        return
    raise UsageError(
        f"owner and executor would be the same key ({owner}): the hot executor key could then move "
        "funds and roles; pass --owner with a cold address (see docs/security.md)"
    )


def _report(ctx: AppContext, data: dict) -> None:
    if ctx.settings.json:
        emit_json(data)
        return
    if data.get("existing"):
        stdout.print(f"{EXECUTOR} already deployed at {data['address']} (chain {data['chain_id']})")
    elif data["tx_hash"] is None:
        stdout.print(
            f"would deploy {EXECUTOR} on chain {data['chain_id']}: owner {data['owner']}, executor "
            f"{data['executor']}, gas ≈ {data['gas_estimate']:,} (pass --broadcast to send)"
        )
    else:
        stdout.print(
            f"deployed {EXECUTOR} at {data['address']} in {data['tx_hash']} (gas {data['gas_used']:,})"
        )
