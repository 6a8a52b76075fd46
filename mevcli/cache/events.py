"""Which logs change a cached pool state, and how to apply them without RPC.

One `EventModel` per pool kind, taken from the kind itself (`mevcli.dex.kinds`): the topics it follows,
where its logs come from, and how each applies (`PoolKind.apply_log`; e.g. a V3 Mint/Burn reaching an
unloaded bitmap word invalidates). A state no kind reads gets the generic model: any log invalidates it.

`apply` raises `Invalidate` whenever a log cannot be applied exactly; the cache then drops the pool.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mevcli.dex.kind import Invalidate, Log, PoolKind, Route
from mevcli.dex.kinds import KINDS, find_kind

__all__ = ["MODELS", "EventModel", "Invalidate", "Log", "Route", "model_for"]


@dataclass(frozen=True, slots=True)
class EventModel:
    name: str
    kind: PoolKind | None  # None: the generic model

    @property
    def topics(self) -> tuple[bytes, ...] | None:
        """Topic-0 filter for eth_getLogs; None: every log of the emitters."""
        return None if self.kind is None else self.kind.event_topics

    def routes(self, state: Any) -> list[Route]:
        return [(state.address, None)] if self.kind is None else self.kind.routes(state)

    def apply_fn(self, state: Any, log: Log) -> Any:
        if self.kind is None:
            raise Invalidate(f"{type(state).__name__} has no event model")
        return self.kind.apply_log(state, log)

    def apply(self, state: Any, log: Log) -> Any:
        """`state` after `log`; raises Invalidate when that cannot be done exactly."""
        if log.get("removed"):
            raise Invalidate("log removed by a reorg")
        try:
            return self.apply_fn(state, log)
        except Invalidate:
            raise
        except Exception as exc:  # a kind's own checks (StaleState, ValueError, overflow ...)
            raise Invalidate(f"{type(exc).__name__}: {exc}") from exc


class _Models(dict[str, EventModel]):
    """Event model by name: the generic one, and each kind's, made when first asked for (so its kind's
    module loads only then); KeyError for any other name."""

    def __missing__(self, name: str) -> EventModel:
        model = self[name] = EventModel(name, KINDS[name])
        return model


GENERIC_MODEL = EventModel("generic", None)
MODELS: dict[str, EventModel] = _Models({GENERIC_MODEL.name: GENERIC_MODEL})


def model_for(state: Any) -> EventModel:
    kind = find_kind(state)
    return GENERIC_MODEL if kind is None else MODELS[kind.name]
