"""`quote --pool <pool id>`: an exact quote from one V4 pool, read through `extsload` at the head."""

from __future__ import annotations

from mevcli.context import AppContext
from mevcli.dex.uniswap_v3.reader import FULL_RANGE
from mevcli.dex.uniswap_v3.swap import IncompletePoolState
from mevcli.dex.uniswap_v4.deployments import pool_manager
from mevcli.dex.uniswap_v4.keys import find_key, manifest_key
from mevcli.dex.uniswap_v4.kind import KIND as UNISWAP_V4
from mevcli.dex.uniswap_v4.pool_id import normalize_pool_id
from mevcli.dex.uniswap_v4.pool_key import NATIVE, PoolKey
from mevcli.dex.uniswap_v4.reader import read_pools
from mevcli.dex.uniswap_v4.state import V4PoolState
from mevcli.dex.uniswap_v4.swap import quote_exact_input
from mevcli.errors import UnknownToken, UsageError
from mevcli.quoting import Hop, PathQuote

NATIVE_SYMBOLS = ("ETH", "NATIVE")


def resolve_currency(ctx: AppContext, text: str) -> str:
    """A token as `resolve_token` reads it, or the native currency (`ETH`, or the zero address)."""
    if text.strip().upper() in NATIVE_SYMBOLS or text.strip().lower() == NATIVE.lower():
        return NATIVE
    return ctx.resolve_token(text)


def kept_key(ctx: AppContext, manager: str, pool_id: str) -> PoolKey | None:
    """The key this process knows, else the one V4 discovery kept with its progress when it found the pool
    (read from disk; no RPC)."""
    known = UNISWAP_V4.known_key(manager, pool_id)
    if known is None:
        from mevcli.arbitrage.discovery import pool_discovery

        pool_discovery(ctx).remember_kept_facts()
        known = UNISWAP_V4.known_key(manager, pool_id)
    return known


def read_pool(ctx: AppContext, pool_id_text: str, block: int) -> V4PoolState:
    manager = pool_manager(ctx.manifest, ctx.settings.chain)
    if manager is None:
        raise UsageError("no Uniswap V4 PoolManager is known on this chain")
    pool_id = normalize_pool_id(pool_id_text)
    key = manifest_key(ctx.manifest, pool_id) or kept_key(ctx, manager, pool_id)
    if key is None:  # one eth_getLogs from block 0, which a provider capping ranges refuses
        key = find_key(ctx.w3, manager, None, pool_id, block)
    return read_pools(ctx.multicall, manager, [key], block)[0]


def quote_pool_id(
    ctx: AppContext, pool_id_text: str, token_in: str, amount_in: int, token_out: str | None = None
) -> PathQuote:
    """The exact amount out of one V4 pool. A pool whose hook may change swaps raises `UnpricedPool`."""
    block = ctx.w3.eth.block_number
    state = read_pool(ctx, pool_id_text, block)
    if token_in.lower() not in (c.lower() for c in state.tokens):
        raise UnknownToken(f"token {token_in} is not in V4 pool {state.pool_id}")
    other = state.currency1 if token_in.lower() == state.currency0.lower() else state.currency0
    if token_out is not None and token_out.lower() != other.lower():
        raise UnknownToken(f"token {token_out} is not the other currency of V4 pool {state.pool_id}")
    try:
        amount_out = quote_exact_input(state, token_in, amount_in)
    except IncompletePoolState:  # a swap past the default window of ticks: read every bitmap word
        state = read_pools(ctx.multicall, state.pool_manager, [state.key], block, FULL_RANGE)[0]
        amount_out = quote_exact_input(state, token_in, amount_in)
    hop = Hop(state.pool_id, "uniswap_v4", token_in, other, amount_in, amount_out)
    return PathQuote(token_in, other, amount_in, amount_out, block, (hop,))
