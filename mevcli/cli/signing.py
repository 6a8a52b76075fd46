"""Options shared by the commands that can send (Foundry's names), and how they become a signer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from mevcli.cli.option_group import option_group
from mevcli.context import AppContext
from mevcli.errors import UsageError
from mevcli.execution.chokepoint import ExecutionOptions
from mevcli.execution.sender import FeePolicy
from mevcli.execution.signer import Signer, resolve_signer

R = TypeVar("R")

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


@dataclass(frozen=True, slots=True, kw_only=True)
class Sending:
    """What the sending options of a command asked for (see `sending_options`)."""

    broadcast: bool = False
    private_key: str | None = None
    keystore: Path | None = None
    account: str | None = None
    password_file: Path | None = None
    confirmations: int = 1
    gas_price: int | None = None
    priority_gas_price: int | None = None
    max_fee_ceiling: int | None = None
    min_profit: int = 1
    alert_webhook: str | None = None

    def signer(self, ctx: AppContext) -> Signer | None:
        """The signer these options name (the devnet's first account by default); required to broadcast."""
        return signer_for(
            ctx,
            private_key=self.private_key,
            keystore=self.keystore,
            account=self.account,
            password_file=self.password_file,
            required=self.broadcast,
        )

    def fee_policy(self) -> FeePolicy:
        return fee_policy(self.gas_price, self.priority_gas_price, self.max_fee_ceiling)

    def execution(self, source: str = "execute") -> ExecutionOptions:
        """The send chokepoint's options."""
        shared = {f.name: getattr(self, f.name) for f in fields(ExecutionOptions) if f.name != "source"}
        return ExecutionOptions(**shared, source=source)


_SIGNING: dict[str, tuple[Any, Any]] = {  # option parameter -> (annotation, default)
    "broadcast": (Broadcast, False),
    "private_key": (PrivateKey, None),
    "keystore": (Keystore, None),
    "account": (AccountName, None),
    "password_file": (PasswordFile, None),
    "confirmations": (Confirmations, 1),
    "gas_price": (GasPrice, None),
    "priority_gas_price": (PriorityGasPrice, None),
    "max_fee_ceiling": (MaxFeeCeiling, None),
}
_EXECUTION: dict[str, tuple[Any, Any]] = {"min_profit": (MinProfit, 1), "alert_webhook": (AlertWebhook, None)}


def sending_options(*, execution: bool) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """Declare the signing and fee options (and with `execution`, --min-profit and --alert-webhook) on a
    command whose function takes `sending: Sending` in their place."""
    declared = (
        {"min_profit": _EXECUTION["min_profit"], **_SIGNING, "alert_webhook": _EXECUTION["alert_webhook"]}
        if execution
        else _SIGNING
    )

    return option_group("sending", declared, Sending)


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
