"""Who signs: a keystore (Foundry's `--keystore` / `ETH_KEYSTORE`, `--account`, `--password-file`), a raw
`--private-key` (never from the environment), or on the devnet the node's own unlocked account.

The key lives only inside `Signer`; its repr, str and every error message leave it out.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from mevcli.errors import UsageError

_HEX_KEY = re.compile(r"^(0x)?[0-9a-fA-F]{64}$")
FOUNDRY_KEYSTORES = Path.home() / ".foundry" / "keystores"


@dataclass(frozen=True, slots=True)
class Signer:
    address: str
    # None: the node signs (an unlocked devnet account).
    _account: LocalAccount | None = field(default=None, repr=False, compare=False)

    @property
    def is_local(self) -> bool:
        return self._account is not None

    def sign(self, tx: dict[str, Any]) -> bytes:
        if self._account is None:
            raise UsageError("this signer is the node's unlocked account: send with eth_sendTransaction")
        return bytes(self._account.sign_transaction(tx).raw_transaction)

    def __str__(self) -> str:
        return self.address


def from_private_key(key: str) -> Signer:
    if not _HEX_KEY.match(key.strip()):
        raise UsageError("invalid --private-key: expected 32 bytes of hex")  # never echo the value
    account = Account.from_key(key.strip())
    return Signer(account.address, account)


def from_keystore(path: Path, password_file: Path | None) -> Signer:
    try:
        keystore = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read keystore {path}: {type(exc).__name__}") from None
    if password_file is None:
        raise UsageError("a keystore needs --password-file (no interactive prompt in unattended runs)")
    try:
        password = password_file.read_text().rstrip("\n")
    except OSError as exc:
        raise UsageError(f"cannot read password file {password_file}: {exc.strerror}") from None
    try:
        key = Account.decrypt(keystore, password)
    except ValueError:
        raise UsageError(f"cannot decrypt keystore {path}: wrong password or corrupt file") from None
    account = Account.from_key(key)
    return Signer(account.address, account)


def resolve_signer(
    *,
    private_key: str | None,
    keystore: Path | None,
    account: str | None,
    password_file: Path | None,
    devnet_account: str | None,
) -> Signer | None:
    """The signer the flags name, the devnet's unlocked account as a fallback there, else None."""
    if private_key and (keystore or account):
        raise UsageError("pass either --private-key or --keystore/--account, not both")
    if private_key:
        return from_private_key(private_key)
    if account and not keystore:
        keystore = FOUNDRY_KEYSTORES / account
    if keystore:
        return from_keystore(keystore, password_file)
    if devnet_account:
        return Signer(devnet_account)
    return None
