"""Gas cost of an arbitrage, estimated before simulation and priced in the cycle's base token.

Units are typical mainnet figures for each step (a simulation replaces them with the real number):
the transaction and executor bookkeeping, the flash loan round trip, and each hop by protocol.
"""

from __future__ import annotations

from collections.abc import Sequence

from mevcli.dex.kinds import KINDS

TX_AND_EXECUTOR_GAS = 21_000 + 30_000
AAVE_FLASH_GAS = 75_000  # Aave V3 lends to any route; it is no pool kind
# Per lender / per hop, each pool kind's own figure (`PoolKind.flash_gas`, `PoolKind.hop_gas`).
FLASH_GAS = {"aave_v3": AAVE_FLASH_GAS} | {k.name: k.flash_gas for k in KINDS.values() if k.flash_gas}
HOP_GAS = {k.name: k.hop_gas for k in KINDS.values()}
V3_TICK_CROSS_GAS = 25_000
DEFAULT_HOP_GAS = 120_000


_HOPS_GAS: dict[tuple[str, ...], int] = {}  # hop kinds -> their summed units


def hops_gas(hop_kinds: Sequence[str]) -> int:
    """The hops' units: a pure function of their kinds, summed once per process."""
    kinds = tuple(hop_kinds)
    units = _HOPS_GAS.get(kinds)
    if units is None:
        units = _HOPS_GAS[kinds] = sum(HOP_GAS.get(kind, DEFAULT_HOP_GAS) for kind in kinds)
    return units


def estimate_gas(flash_kind: str, hop_kinds: Sequence[str], ticks_crossed: int = 0) -> int:
    return (
        TX_AND_EXECUTOR_GAS
        + FLASH_GAS.get(flash_kind, AAVE_FLASH_GAS)
        + hops_gas(hop_kinds)
        + V3_TICK_CROSS_GAS * ticks_crossed
    )


def to_base_token(gas_wei: int, rate: tuple[int, int] | None) -> int | None:
    """Gas cost in base-token units through `rate` (base units per wei of the native token), rounded up."""
    if rate is None:
        return None
    numerator, denominator = rate
    return -(-gas_wei * numerator // denominator)
