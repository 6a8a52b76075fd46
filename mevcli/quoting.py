"""Exact quotes for one pool or a path of pools, and the same quote asked of the chain's own contracts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from mevcli.chain.abi import decode
from mevcli.chain.multicall import encode_call
from mevcli.context import AppContext, parse_address
from mevcli.dex.kinds import kind_named
from mevcli.dex.pools import PoolState, pool_tokens, quote_reading_wider, read_states
from mevcli.dex.registry import PoolRef, canonical_pool, is_pool_id
from mevcli.errors import UnknownPool, UnknownToken, UsageError

if TYPE_CHECKING:
    from mevcli.cache.identity import PoolIdentities

MAX_AMOUNT = 2**128 - 1  # no token supply or pool reserve on any chain comes near this


@dataclass(frozen=True, slots=True)
class Hop:
    pool: str
    dex: str
    token_in: str
    token_out: str
    amount_in: int
    amount_out: int


@dataclass(frozen=True, slots=True)
class PathQuote:
    token_in: str
    token_out: str
    amount_in: int
    amount_out: int
    block: int
    hops: tuple[Hop, ...]

    def to_json(self) -> dict:
        return {
            "token_in": self.token_in,
            "token_out": self.token_out,
            "amount_in": self.amount_in,
            "amount_out": self.amount_out,
            "pools": [h.pool for h in self.hops],
            "dexes": [h.dex for h in self.hops],
            "block": self.block,
            "hops": [asdict(h) for h in self.hops],
        }


def parse_amount(text: str, decimals: int | None = None) -> int:
    """Base units from `text`: an integer, or with `decimals` a decimal number of whole tokens."""
    raw = text.strip().replace("_", "")
    if decimals is None:
        if not raw.lstrip("-").isdigit():
            raise UsageError(
                f"invalid amount {text!r}: expected an integer in base units (use --human for 1.5)"
            )
        amount = int(raw)
    else:
        try:
            value = Decimal(raw)
        except InvalidOperation as exc:
            raise UsageError(f"invalid amount {text!r}: expected a number") from exc
        if not value.is_finite():
            raise UsageError(f"invalid amount {text!r}")
        scaled = value.scaleb(decimals)
        if scaled != scaled.to_integral_value():
            raise UsageError(f"invalid amount {text!r}: more than {decimals} decimal places")
        amount = int(scaled)
    if amount <= 0:
        raise UsageError(f"invalid amount {text!r}: must be greater than zero")
    if amount > MAX_AMOUNT:
        raise UsageError(f"invalid amount {text!r}: larger than any pool can hold")
    return amount


def token_decimals(ctx: AppContext, token: str) -> int:
    return tokens_decimals(ctx, [token])[token]


def tokens_decimals(ctx: AppContext, tokens: Sequence[str]) -> dict[str, int]:
    """Each token's `decimals()`, asked in one JSON-RPC batch (plain eth_calls: no ABI codec needed)."""
    from mevcli.chain.batch import rpc_batch

    unique = list(dict.fromkeys(tokens))
    data = "0x" + encode_call("decimals()").hex()
    responses = rpc_batch(
        ctx.w3, [("eth_call", [{"to": t, "data": data}, "latest"]) for t in unique], "decimals()"
    )
    found = {}
    for token, response in zip(unique, responses, strict=True):
        raw = response.get("result") if isinstance(response, dict) else None
        word = bytes.fromhex(str(raw).removeprefix("0x")) if isinstance(raw, str) else b""
        if len(word) < 32 or int.from_bytes(word[:32], "big") > 255:
            raise UnknownToken(f"{token} is not an ERC20 token (no decimals())")
        found[token] = int.from_bytes(word[:32], "big")
    return found


def _call(target: str, data: bytes):
    from mevcli.chain.multicall import Call

    return Call(target, data)


def _route_tokens(states: Sequence[PoolState], token_in: str, token_out: str | None) -> list[tuple[str, str]]:
    """(token_in, token_out) per hop: each hop's output is the token it shares with the next pool."""
    pairs = []
    current = token_in
    for i, state in enumerate(states):
        tokens = pool_tokens(state)
        if current not in tokens:
            raise UnknownToken(f"token {current} is not in pool {state.address} (hop {i + 1})")
        others = [t for t in tokens if t != current]
        if i + 1 < len(states):
            candidates = [t for t in others if t in pool_tokens(states[i + 1])]
        elif token_out is not None:
            if token_out not in others:
                raise UnknownToken(f"token {token_out} is not in pool {state.address} (hop {i + 1})")
            candidates = [token_out]
        else:
            candidates = others
        if len(candidates) != 1:
            where = f"pool {state.address} (hop {i + 1})"
            if not candidates:
                raise UnknownToken(f"{where} shares no token with the next pool")
            raise UsageError(f"{where} has several possible output tokens: pass --token-out")
        pairs.append((current, candidates[0]))
        current = candidates[0]
    return pairs


def resolve_pool(ctx: AppContext, text: str, names: PoolIdentities | None = None) -> str:
    """A pool address, or `DEX:TOKEN_A/TOKEN_B[:FEE]` looked up in that DEX's factory
    (e.g. `uniswap_v3:WETH/USDC:500`, `sushiswap:WETH/USDC`); `names` remembers the factories' answers."""
    if ":" not in text:
        return canonical_pool(text) if is_pool_id(text) else parse_address(text, "pool address")
    dex_name, _, rest = text.partition(":")
    pair, _, fee_text = rest.partition(":")
    dex = next((d for d in ctx.dexes.dexes if d.name == dex_name.strip().lower()), None)
    if dex is None:
        known = ", ".join(sorted(d.name for d in ctx.dexes.dexes))
        raise UsageError(f"unknown DEX {dex_name!r} in pool {text!r} (known: {known})")
    symbols = pair.split("/")
    if len(symbols) != 2:
        raise UsageError(f"invalid pool {text!r}: expected DEX:TOKEN_A/TOKEN_B[:FEE]")
    a, b = (ctx.resolve_token(s) for s in symbols)
    data, fee_key = kind_named(dex.kind).lookup_call(dex, a, b, fee_text, text)
    key = f"{dex.factory.lower()}:{'/'.join(sorted((a, b)))}:{fee_key}"
    known = names.named(key) if names is not None else None
    if known is not None:
        return known
    (address,) = decode(["address"], ctx.w3.eth.call({"to": dex.factory, "data": data}))
    if int(address, 16) == 0:
        raise UnknownPool(f"{dex.name} has no pool {pair}{':' + fee_text if fee_text else ''}")
    if names is not None:
        names.remember_name(key, address, ctx.w3.eth.block_number)
    return parse_address(address)


def path_states(
    ctx: AppContext, addresses: Sequence[str], block: int, fresh: bool
) -> tuple[list[PoolRef], dict[str, PoolState]]:
    """The pools' refs and states at `block`: straight from the chain when `fresh`, else through the
    reserve cache (identity remembered per chain, states kept exact by events)."""
    if fresh:
        refs = ctx.dexes.identify(ctx.multicall, addresses, block)
        return refs, read_states(ctx.multicall, refs, block)
    cache = ctx.reserve_cache
    refs = _identities(ctx).identify(ctx.multicall, addresses, block, strict=True)
    return refs, dict(cache.get_states(refs, block))


def _identities(ctx: AppContext) -> PoolIdentities:
    from mevcli.cache.anchor import block_hash_reader
    from mevcli.cache.identity import PoolIdentities

    return PoolIdentities(ctx.reserve_cache.store, ctx.dexes, block_hash_reader(ctx.w3))


def quote_path(
    ctx: AppContext,
    pools: Sequence[str],
    token_in: str,
    amount_in: int,
    token_out: str | None = None,
    *,
    fresh: bool = True,
) -> tuple[PathQuote, list[PoolRef], dict[str, PoolState]]:
    """The path's exact quote at the head. `fresh=False` reads the pools through the reserve cache."""
    names = None if fresh else _identities(ctx)
    addresses = [resolve_pool(ctx, p, names) for p in pools]
    if len(set(addresses)) != len(addresses):
        raise UsageError("a path may not use the same pool twice")
    block = ctx.w3.eth.block_number
    refs, states = path_states(ctx, addresses, block, fresh)
    ordered = [states[a] for a in addresses]
    hops = []
    amount = amount_in
    for ref, state, (t_in, t_out) in zip(
        refs, ordered, _route_tokens(ordered, token_in, token_out), strict=True
    ):
        out, states[state.address] = quote_reading_wider(ctx.multicall, ref, state, t_in, amount, t_out)
        hops.append(Hop(state.address, ref.dex.name, t_in, t_out, amount, out))
        amount = out
    result = PathQuote(token_in, hops[-1].token_out, amount_in, amount, block, tuple(hops))
    return result, refs, states


def chain_quotes(ctx: AppContext, path: PathQuote, refs: Sequence[PoolRef], states: dict) -> list[int]:
    """Each hop's amount out as the DEX's own contract computes it (router / QuoterV2), at the same block."""
    amounts = []
    for hop, ref in zip(path.hops, refs, strict=True):

        def call(to: str, data: bytes) -> bytes:
            return bytes(ctx.w3.eth.call({"to": to, "data": data}, path.block))

        kind = kind_named(ref.dex.kind)
        state = states[hop.pool]
        amounts.append(kind.chain_quote(call, ref.dex, state, hop.token_in, hop.token_out, hop.amount_in))
    return amounts
