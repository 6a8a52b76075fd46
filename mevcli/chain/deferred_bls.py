"""Keep the CLI from building BLS12-381 pairing tables that no mevcli command uses.

web3 imports eth_account, which imports eth_keyfile, which imports py_ecc's BLS signature scheme and the
BLS12-381 curve at module level — a few hundred milliseconds of pairing precomputation on every start —
only to create version-4 (BLS) keystores. mevcli signs secp256k1 transactions through eth_keys and never
writes a keystore. So before anything imports web3, the CLI puts stand-ins for those two py_ecc modules in
`sys.modules`: they carry the one constant eth_keyfile reads at import, and the first real use of anything
else imports the genuine module and hands over to it.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

# The order r of the BLS12-381 groups (a published curve parameter), read by eth_keyfile at import.
BLS12_381_CURVE_ORDER = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
DEFERRED = ("py_ecc.bls", "py_ecc.bls12_381")


def genuine(name: str) -> types.ModuleType:
    """The real module `name`, imported now if only its stand-in was there."""
    if isinstance(sys.modules.get(name), StandIn):
        del sys.modules[name]
    return importlib.import_module(name)


class StandIn(types.ModuleType):
    """A module placeholder: its own attributes first, anything else from the genuine module."""

    def __getattr__(self, item: str) -> Any:
        if item.startswith("__"):  # import machinery probing (__path__, …): not a use of the module
            raise AttributeError(item)
        return getattr(genuine(self.__name__), item)


class DeferredAttribute:
    """Stands for `module.attribute`; the first use imports the module and forwards to the real object."""

    def __init__(self, module: str, attribute: str) -> None:
        self._module = module
        self._attribute = attribute

    def resolve(self) -> Any:
        return getattr(genuine(self._module), self._attribute)

    def __getattr__(self, item: str) -> Any:
        if item.startswith("__"):
            raise AttributeError(item)
        return getattr(self.resolve(), item)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.resolve()(*args, **kwargs)


def defer_bls_tables() -> bool:
    """Install the stand-ins unless eth_keyfile or py_ecc's BLS modules are already imported."""
    if "eth_keyfile" in sys.modules or any(name in sys.modules for name in DEFERRED):
        return False
    bls = StandIn("py_ecc.bls")
    bls.G2ProofOfPossession = DeferredAttribute("py_ecc.bls", "G2ProofOfPossession")  # type: ignore[attr-defined]
    curve = StandIn("py_ecc.bls12_381")
    curve.curve_order = BLS12_381_CURVE_ORDER  # type: ignore[attr-defined]
    sys.modules.update({"py_ecc.bls": bls, "py_ecc.bls12_381": curve})
    return True
