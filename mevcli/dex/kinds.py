"""The registry of pool kinds: one line per kind. Everything dispatches through `kind_of` / `kind_named`.

A new kind: its own package with a `kind.py` defining `KIND` (a `mevcli.dex.kind.PoolKind`), and one
line below. A fork of a kind: an entry in `mevcli.dex.forks` (and its differences in the kind's package).
"""

from __future__ import annotations

from typing import Any

from mevcli.dex.balancer.kind import KIND as BALANCER
from mevcli.dex.curve.kind import KIND as CURVE
from mevcli.dex.kind import PoolKind
from mevcli.dex.uniswap_v2.kind import KIND as UNISWAP_V2
from mevcli.dex.uniswap_v3.kind import KIND as UNISWAP_V3
from mevcli.dex.uniswap_v4.kind import KIND as UNISWAP_V4
from mevcli.errors import UnknownPool

KINDS: dict[str, PoolKind] = {k.name: k for k in (UNISWAP_V2, UNISWAP_V3, BALANCER, CURVE, UNISWAP_V4)}
KIND_BY_STATE_TYPE: dict[type, PoolKind] = {t: k for k in KINDS.values() for t in k.state_types}


def kind_named(name: str) -> PoolKind:
    """The kind called `name` (a DexInfo.kind); UnknownPool when there is none."""
    try:
        return KINDS[name]
    except KeyError:
        raise UnknownPool(f"no pool kind {name!r} (known: {', '.join(KINDS)})") from None


def kind_of(state: Any) -> PoolKind:
    """The kind whose reader makes states of `state`'s type; UnknownPool for any other object."""
    kind = KIND_BY_STATE_TYPE.get(type(state))
    if kind is None:
        raise UnknownPool(f"no pool kind reads {type(state).__name__} states")
    return kind


def find_kind(state: Any) -> PoolKind | None:
    """`kind_of`, None for a state no kind reads."""
    return KIND_BY_STATE_TYPE.get(type(state))


def pools_lend(kind_name: str) -> bool:
    """Whether pools of the kind called `kind_name` lend flash loans themselves (candidate lenders)."""
    kind = KINDS.get(kind_name)
    return kind is not None and kind.pools_lend
