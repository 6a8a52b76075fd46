"""One pool interface over every kind: read states in batches, list tokens, quote a hop exactly.

Each operation asks the pool's kind (`mevcli.dex.kinds`); nothing here knows a protocol.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from mevcli.chain.multicall import Multicall
from mevcli.chain.rounds import merged_rounds
from mevcli.dex.kinds import KINDS, kind_of
from mevcli.dex.registry import PoolRef
from mevcli.errors import MevcliError, PoolMathError, UnknownToken, as_pool_error

if TYPE_CHECKING:  # the union names every kind's state type; importing them all would load every kind
    from typing import TypeAlias

    from mevcli.dex.balancer.state import ComposableStablePoolState, WeightedPoolState
    from mevcli.dex.curve.state import CurvePoolState
    from mevcli.dex.uniswap_v2.state import V2PairState
    from mevcli.dex.uniswap_v3.state import V3PoolState
    from mevcli.dex.uniswap_v4.state import V4PoolState

    PoolState: TypeAlias = (
        V2PairState
        | V3PoolState
        | WeightedPoolState
        | ComposableStablePoolState
        | CurvePoolState
        | V4PoolState
    )
else:
    PoolState = Any  # annotations only (they are strings at run time)


def read_states(
    mc: Multicall, refs: Sequence[PoolRef], block: int, window_ticks: int | None = None
) -> dict[str, PoolState]:
    """Read every pool in `refs` at `block`, one batched reader per kind, their rounds merged (the
    round trips are those of the kind that needs the most rounds, not their sum). `window_ticks`: how
    far either side of the price ticked pools are read (None: the V3 reader's `WINDOW_TICKS`)."""
    if window_ticks is None:  # imported here: reading the cache's V2 pools needs no V3 code
        from mevcli.dex.uniswap_v3.reader import WINDOW_TICKS as window_ticks
    by_kind: dict[str, list[PoolRef]] = {}
    for ref in refs:
        by_kind.setdefault(ref.dex.kind, []).append(ref)
    jobs: list[Callable[[Multicall], Sequence[Any]]] = [
        lambda m, kind=KINDS[name], group=by_kind[name]: kind.read(m, group, block, window_ticks)
        for name in KINDS
        if name in by_kind
    ]
    return {s.address: s for states in merged_rounds(mc, jobs) for s in states}


def pool_tokens(state: PoolState) -> tuple[str, ...]:
    return kind_of(state).tokens(state)


def quote(state: PoolState, token_in: str, amount_in: int, token_out: str | None = None) -> int:
    """Exact amount out of one hop, as the pool contract computes it."""
    kind = kind_of(state)
    tokens = kind.tokens(state)
    if token_in not in tokens:
        raise UnknownToken(f"token {token_in} is not in pool {state.address}")
    if token_out is not None and (token_out not in tokens or token_out == token_in):
        raise UnknownToken(f"token {token_out} is not the other token of pool {state.address}")
    try:
        return kind.quote(state, token_in, amount_in, token_out)
    except MevcliError:
        raise
    except (ArithmeticError, ValueError) as exc:  # plain integer math refusing the input
        raise as_pool_error(exc) from exc


def fallback_quoter(state: PoolState, token_in: str, token_out: str | None = None) -> Callable[[int], int]:
    """amount -> `quote(state, token_in, amount, token_out)`: where a kind's fast quoter hands the amounts its
    shortcut does not cover, so that it answers (or raises) exactly what `quote` does."""
    return partial(quote, state, token_in, token_out=token_out)


def quote_reading_wider(
    mc: Multicall, ref: PoolRef, state: PoolState, token_in: str, amount_in: int, token_out: str | None = None
) -> tuple[int, PoolState]:
    """`quote`, re-reading a V3 pool's whole tick bitmap when the swap leaves the loaded window.

    Returns the amount out and the state it was computed on (the wider one if a re-read happened).
    """
    try:
        return quote(state, token_in, amount_in, token_out), state
    except PoolMathError as exc:
        from mevcli.dex.uniswap_v3.reader import FULL_RANGE  # loaded already: a ticked pool raised
        from mevcli.dex.uniswap_v3.swap import IncompletePoolState

        if not isinstance(exc, IncompletePoolState):
            raise
        wider = read_states(mc, [ref], state.block, FULL_RANGE)[state.address]
        return quote(wider, token_in, amount_in, token_out), wider
