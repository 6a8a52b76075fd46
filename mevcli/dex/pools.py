"""One pool interface over every protocol: read states in batches, list tokens, quote a hop exactly."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from mevcli.chain.multicall import Multicall
from mevcli.chain.rounds import merged_rounds
from mevcli.dex.balancer.reader import read_balancer_pools
from mevcli.dex.balancer.state import BalancerPoolState, ComposableStablePoolState, WeightedPoolState
from mevcli.dex.curve.reader import read_pools as read_curve_pools
from mevcli.dex.curve.state import CurvePoolState
from mevcli.dex.registry import BALANCER, CURVE, V2, V3, PoolRef
from mevcli.dex.uniswap_v2.reader import read_pairs
from mevcli.dex.uniswap_v2.state import V2PairState
from mevcli.dex.uniswap_v3.reader import FULL_RANGE, WINDOW_TICKS, read_pools
from mevcli.dex.uniswap_v3.state import V3PoolState
from mevcli.dex.uniswap_v3.swap import IncompletePoolState, InsufficientLiquidity, quote_exact_input
from mevcli.errors import NoLiquidity, UnknownToken, UsageError

PoolState = V2PairState | V3PoolState | WeightedPoolState | ComposableStablePoolState | CurvePoolState


def read_states(
    mc: Multicall, refs: Sequence[PoolRef], block: int, window_ticks: int = WINDOW_TICKS
) -> dict[str, PoolState]:
    """Read every pool in `refs` at `block`, one batched reader per protocol, their rounds merged (the
    round trips are those of the protocol that needs the most rounds, not their sum)."""
    jobs: list[Callable[[Multicall], Sequence[PoolState]]] = []
    v2 = [r for r in refs if r.dex.kind == V2]
    v3 = [r.address for r in refs if r.dex.kind == V3]
    balancer = [r.address for r in refs if r.dex.kind == BALANCER]
    curve = [r.address for r in refs if r.dex.kind == CURVE]
    if v2:
        jobs.append(lambda m: read_pairs(m, [r.address for r in v2], block, [r.dex.fee_pips for r in v2]))
    if v3:
        jobs.append(lambda m: read_pools(m, v3, block, window_ticks))
    if balancer:
        jobs.append(lambda m: read_balancer_pools(m, balancer, block))
    if curve:
        jobs.append(lambda m: read_curve_pools(m, curve, block))
    return {s.address: s for states in merged_rounds(mc, jobs) for s in states}


def pool_tokens(state: PoolState) -> tuple[str, ...]:
    if isinstance(state, CurvePoolState):
        return state.coins
    if isinstance(state, BalancerPoolState):
        return state.tokens
    return (state.token0, state.token1)


def quote(state: PoolState, token_in: str, amount_in: int, token_out: str | None = None) -> int:
    """Exact amount out of one hop, as the pool contract computes it."""
    tokens = pool_tokens(state)
    if token_in not in tokens:
        raise UnknownToken(f"token {token_in} is not in pool {state.address}")
    if token_out is not None and (token_out not in tokens or token_out == token_in):
        raise UnknownToken(f"token {token_out} is not the other token of pool {state.address}")
    if isinstance(state, V2PairState):
        return state.quote(token_in, amount_in)
    if isinstance(state, CurvePoolState):
        return state.quote(token_in, amount_in, token_out)
    if isinstance(state, BalancerPoolState):
        if token_out is None:
            others = [t for t in tokens if t != token_in]
            if len(others) != 1:
                raise UsageError(f"pool {state.address} has {len(tokens)} tokens: name the output token")
            token_out = others[0]
        return state.quote(token_in, amount_in, token_out)
    try:
        return quote_exact_input(state, token_in, amount_in)
    except InsufficientLiquidity as exc:
        raise NoLiquidity(f"pool {state.address} cannot fill {amount_in}: {exc}", pool=state.address) from exc


def quote_reading_wider(
    mc: Multicall, ref: PoolRef, state: PoolState, token_in: str, amount_in: int, token_out: str | None = None
) -> tuple[int, PoolState]:
    """`quote`, re-reading a V3 pool's whole tick bitmap when the swap leaves the loaded window.

    Returns the amount out and the state it was computed on (the wider one if a re-read happened).
    """
    try:
        return quote(state, token_in, amount_in, token_out), state
    except IncompletePoolState:
        wider = read_states(mc, [ref], state.block, FULL_RANGE)[state.address]
        return quote(wider, token_in, amount_in, token_out), wider
