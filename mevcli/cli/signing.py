"""Options shared by the commands that can send (Foundry's names), and how they become a signer."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mevcli.context import AppContext
from mevcli.errors import UsageError
from mevcli.execution.sender import FeePolicy
from mevcli.execution.signer import Signer, resolve_signer

Broadcast = Annotated[bool, typer.Option("--broadcast", help="Send for real (default: simulate only)")]
PrivateKey = Annotated[
    str | None, typer.Option("--private-key", help="Raw private key (no env fallback; prefer a keystore)")
]
Keystore = Annotated[
    Path | None, typer.Option("--keystore", envvar="ETH_KEYSTORE", help="Keystore file [env: ETH_KEYSTORE]")
]
AccountName = Annotated[str | None, typer.Option("--account", help="Keystore name in ~/.foundry/keystores")]
PasswordFile = Annotated[
    Path | None, typer.Option("--password-file", help="File holding the keystore password")
]
Confirmations = Annotated[int, typer.Option("--confirmations", min=1, help="Blocks to wait after inclusion")]
GasPrice = Annotated[int | None, typer.Option("--gas-price", min=0, help="Cap on maxFeePerGas (wei)")]
PriorityGasPrice = Annotated[
    int | None, typer.Option("--priority-gas-price", min=0, help="maxPriorityFeePerGas (wei)")
]
MaxFeeCeiling = Annotated[
    int | None, typer.Option("--max-fee-ceiling", min=0, help="Refuse to send above this maxFeePerGas (wei)")
]
MinProfit = Annotated[
    int,
    typer.Option(
        "--min-profit",
        min=0,
        help="Refuse below this net profit after everything paid (borrowed token's base units)",
    ),
]
AlertWebhook = Annotated[
    str | None, typer.Option("--alert-webhook", help="POST a Slack-format message on the outcome")
]


def signer_for(
    ctx: AppContext,
    *,
    private_key: str | None,
    keystore: Path | None,
    account: str | None,
    password_file: Path | None,
    required: bool,
) -> Signer | None:
    devnet_account = ctx.w3.eth.accounts[0] if ctx.is_devnet and ctx.w3.eth.accounts else None
    signer = resolve_signer(
        private_key=private_key,
        keystore=keystore,
        account=account,
        password_file=password_file,
        devnet_account=devnet_account,
    )
    if signer is None and required:
        raise UsageError("no signer: pass --keystore/--account with --password-file, or --private-key")
    return signer


def fee_policy(gas_price: int | None, priority_gas_price: int | None, ceiling: int | None) -> FeePolicy:
    return FeePolicy(max_fee=gas_price, priority_fee=priority_gas_price, ceiling=ceiling)
