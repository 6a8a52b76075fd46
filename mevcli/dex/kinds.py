"""The registry of pool kinds: one line per kind. Everything dispatches through `kind_of` / `kind_named`.

A new kind: its own package with a `kind.py` defining `KIND` (a `mevcli.dex.kind.PoolKind`), and one
line in `KIND_MODULES` below. A fork of a kind: an entry in `mevcli.dex.forks` (and its differences in the
kind's package).

A kind's module is imported the first time that kind is asked for (by name, or by one of its state
types), so a command that prices one V2 pool does not load the Balancer, Curve or V4 math.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from importlib import import_module
from typing import Any

from mevcli.dex.forks import BALANCER, CURVE, UNISWAP_V2, UNISWAP_V3, UNISWAP_V4
from mevcli.dex.kind import PoolKind
from mevcli.errors import UnknownPool

# kind name (a DexInfo.kind) -> the module whose `KIND` it is
KIND_MODULES: dict[str, str] = {
    UNISWAP_V2: "mevcli.dex.uniswap_v2.kind",
    UNISWAP_V3: "mevcli.dex.uniswap_v3.kind",
    BALANCER: "mevcli.dex.balancer.kind",
    CURVE: "mevcli.dex.curve.kind",
    UNISWAP_V4: "mevcli.dex.uniswap_v4.kind",
}


class _KindsByName(Mapping[str, PoolKind]):
    """Every kind by name; a kind's module is imported when the kind is first looked up."""

    def __init__(self, modules: Mapping[str, str]) -> None:
        self._modules = modules
        self._loaded: dict[str, PoolKind] = {}

    def __getitem__(self, name: str) -> PoolKind:
        kind = self._loaded.get(name)
        return kind if kind is not None else self._load(name)

    def __contains__(self, name: object) -> bool:
        return name in self._modules

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __len__(self) -> int:
        return len(self._modules)

    def _load(self, name: str) -> PoolKind:
        kind: PoolKind = import_module(self._modules[name]).KIND  # KeyError: no such kind
        if kind.name != name:
            raise RuntimeError(f"{self._modules[name]}.KIND is named {kind.name!r}, listed as {name!r}")
        self._loaded[name] = kind
        for state_type in kind.state_types:
            KIND_BY_STATE_TYPE[state_type] = kind
        return kind


class _KindsByStateType(dict[type, PoolKind]):
    """State type -> the kind whose reader makes it, filled as kinds load. A type not seen yet loads the
    kind of its package first, then the others, before it counts as a type no kind reads."""

    def __init__(self) -> None:
        super().__init__()
        self._unread: set[type] = set()  # types no kind reads, once every kind is loaded

    def __missing__(self, state_type: type) -> PoolKind:
        if state_type not in self._unread:
            module = getattr(state_type, "__module__", "") or ""
            owners = [n for n, m in KIND_MODULES.items() if module.startswith(m.rpartition(".")[0] + ".")]
            for name in [*owners, *KIND_MODULES]:
                KINDS[name]  # loading a kind registers its state types
                if dict.__contains__(self, state_type):
                    return dict.__getitem__(self, state_type)
            self._unread.add(state_type)
        raise KeyError(state_type)

    def get(self, state_type: type, default: Any = None) -> Any:  # type: ignore[override]
        try:
            return self[state_type]
        except KeyError:
            return default


KIND_BY_STATE_TYPE: dict[type, PoolKind] = _KindsByStateType()
KINDS: Mapping[str, PoolKind] = _KindsByName(KIND_MODULES)


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
    return kind_name in KINDS and KINDS[kind_name].pools_lend
