"""`mevcli pools sync|list|show`: the pool universe of a chain (discovered, the devnet manifest's, the
config's), with identity and state through the reserve cache."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import typer
from rich.table import Table

from mevcli.arbitrage.discovery import pool_discovery
from mevcli.arbitrage.known import known_refs
from mevcli.arbitrage.liquidity import liquidity_in_native, native_prices
from mevcli.cli.output import emit_json, log, stdout
from mevcli.cli.progress import SyncProgress
from mevcli.context import AppContext, parse_address
from mevcli.dex.kinds import kind_of
from mevcli.dex.pools import PoolState, pool_tokens
from mevcli.dex.registry import PoolRef, canonical_pool, is_pool_id
from mevcli.errors import UnknownPool, UsageError

app = typer.Typer(
    help="The pool universe: discover to the head, list and inspect pools.", no_args_is_help=True
)

COLUMNS = ("address", "dex", "tokens", "fee_pips", "liquidity_wei", "last_update_block")
_WEI = re.compile(r"^\d[\d_]*$")


@dataclass(frozen=True)
class PoolRow:
    address: str
    dex: str
    tokens: tuple[str, ...]
    fee_pips: int
    liquidity_wei: int | None  # None: none of its tokens has a price in the native token
    last_update_block: int | None
    unpriced: str | None = None  # why it is listed but never priced (a V4 hook that may change swaps)

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "dex": self.dex,
            "tokens": list(self.tokens),
            "fee_pips": self.fee_pips,
            "liquidity_wei": self.liquidity_wei,
            "last_update_block": self.last_update_block,
            "unpriced": self.unpriced,
        }


def fee_pips(state: PoolState) -> int:
    """The swap fee in hundredths of a bip (3000 = 0.30 %), whatever unit the protocol keeps it in."""
    return kind_of(state).fee_pips(state)


def parse_wei(text: str, option: str) -> int:
    if not _WEI.match(text.strip()):
        raise UsageError(f"{option} must be a whole number of wei (got {text!r})")
    return int(text.strip().replace("_", ""))


def _native(ctx: AppContext) -> str | None:
    manifest = ctx.manifest or {}
    return manifest.get("weth") or (ctx.preset.weth if ctx.preset else None)


def _universe(ctx: AppContext) -> tuple[int, list[PoolRef], dict[str, PoolState]]:
    """The head, every known pool's ref and its state there (through the reserve cache)."""
    cache = ctx.reserve_cache
    block = cache.chain.head()
    cache.sync(block)
    refs = known_refs(ctx, cache, block, log, with_v4=True)
    return block, refs, cache.get_states(refs, block)


def pool_rows(ctx: AppContext, refs: Sequence[PoolRef], states: dict[str, PoolState]) -> list[PoolRow]:
    native = _native(ctx)
    prices = native_prices(states, native) if native else {}
    store = ctx.reserve_cache.store
    rows = []
    for ref in refs:
        state = states.get(ref.address)
        if state is None:
            continue
        record = store.record(ref.address)
        rows.append(
            PoolRow(
                address=ref.address,
                dex=ref.dex.name,
                tokens=tuple(pool_tokens(state)),
                fee_pips=fee_pips(state),
                liquidity_wei=liquidity_in_native(state, prices) if native else None,
                last_update_block=record.head.block if record is not None else None,
                unpriced=kind_of(state).unpriced(state),
            )
        )
    return rows


def _check_dexes(ctx: AppContext, dexes: Sequence[str]) -> set[str]:
    known = {d.name for d in ctx.dexes.dexes}
    unknown = [d for d in dexes if d not in known]
    if unknown:
        raise UsageError(
            f"--dex {unknown[0]!r} is not a DEX of this chain (known: {', '.join(sorted(known))})"
        )
    return set(dexes)


@app.command("sync")
def sync(ctx: typer.Context) -> None:
    """Discover every pool the known factories (the Balancer Vault, the Uniswap V4 PoolManager) created,
    up to the head."""
    app_ctx: AppContext = ctx.obj
    head = app_ctx.w3.eth.block_number
    discovery = pool_discovery(app_ctx)
    before = set(discovery.created_by())
    with SyncProgress(app_ctx.settings) as progress:
        pools = discovery.discover(head, on_window=progress)
    new = len(set(pools) - before)
    if app_ctx.settings.json:
        emit_json({"chain_id": app_ctx.chain_id, "block": head, "pools": len(pools), "new": new})
        return
    stdout.print(f"block {head}: {len(pools)} pools discovered ({new} new)")


@app.command("list")
def list_pools(
    ctx: typer.Context,
    dex: Annotated[list[str] | None, typer.Option("--dex", help="Only this DEX (repeatable)")] = None,
    token: Annotated[
        list[str] | None,
        typer.Option(
            "--token", help="Only pools holding this token (symbol or address; repeatable: all of them)"
        ),
    ] = None,
    min_liquidity: Annotated[
        str | None,
        typer.Option("--min-liquidity", help="Only pools worth at least this many wei of the native token"),
    ] = None,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV on stdout (header row first)")] = False,
) -> None:
    """Every known pool: address, DEX, tokens, fee, liquidity in native wei, last update block."""
    app_ctx: AppContext = ctx.obj
    if as_csv and app_ctx.settings.json:
        raise UsageError("--csv and --json exclude each other")
    minimum = parse_wei(min_liquidity, "--min-liquidity") if min_liquidity is not None else None
    tokens = [app_ctx.resolve_token(t) for t in token or []]
    if minimum and _native(app_ctx) is None:
        raise UsageError("--min-liquidity needs the chain's wrapped native token (none known)")
    wanted = _check_dexes(app_ctx, dex or [])
    block, refs, states = _universe(app_ctx)
    rows = [
        row
        for row in pool_rows(app_ctx, refs, states)
        if (not wanted or row.dex in wanted)
        and all(t in row.tokens for t in tokens)
        and (minimum is None or (row.liquidity_wei or 0) >= minimum)
    ]
    if app_ctx.settings.json:
        emit_json([row.to_json() for row in rows])
    elif as_csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in rows:
            data = row.to_json()
            writer.writerow([*(data[c] if c != "tokens" else " ".join(row.tokens) for c in COLUMNS)])
        typer.echo(buffer.getvalue(), nl=False)
    else:
        table = Table(title=f"{len(rows)} pools, chain {app_ctx.chain_id}, block {block}")
        for column in ("pool", "dex", "tokens", "fee (pips)", "liquidity (native wei)", "updated at"):
            table.add_column(column, no_wrap=column != "tokens", justify="right" if "(" in column else "left")
        for row in rows:
            table.add_row(
                row.address,
                row.dex,
                "/".join(app_ctx.symbol_of(t) for t in row.tokens),
                f"{row.fee_pips:,}",
                "-" if row.liquidity_wei is None else f"{row.liquidity_wei:,}",
                "-" if row.last_update_block is None else str(row.last_update_block),
            )
        stdout.print(table)


def _origin(ctx: AppContext, address: str) -> str:
    manifest = ctx.manifest or {}
    if any(p["address"].lower() == address.lower() for p in manifest.get("pools", [])):
        return "devnet manifest"
    configured = ctx.settings.extra.get("scan", {}).get("pools", [])
    if any(str(p).lower() == address.lower() for p in configured):
        return "config [scan] pools"
    factory = pool_discovery(ctx).created_by().get(address)
    if factory is not None:
        dex = ctx.dexes.by_factory.get(factory)
        return f"creation event of {dex.name if dex else 'factory'} {factory}"
    return "tracked by the reserve cache"


@app.command("show")
def show(
    ctx: typer.Context, pool: Annotated[str, typer.Argument(help="Pool address (Uniswap V4: pool id)")]
) -> None:
    """One pool: identity, state at the head and where it came from."""
    app_ctx: AppContext = ctx.obj
    address = canonical_pool(pool) if is_pool_id(pool) else parse_address(pool, "pool address")
    block, refs, states = _universe(app_ctx)
    ref = next((r for r in refs if r.address == address), None)
    if ref is None or address not in states:
        raise UnknownPool(f"{address} is not a pool this chain's universe knows (try `mevcli pools sync`)")
    row = pool_rows(app_ctx, [ref], states)[0]
    state = states[address]
    detail = {
        **row.to_json(),
        "kind": ref.dex.kind,
        "factory": ref.dex.factory,
        "origin": _origin(app_ctx, address),
        "block": block,
        "state": _plain(state),
    }
    if app_ctx.settings.json:
        emit_json(detail)
        return
    table = Table(title=f"pool {address}, chain {app_ctx.chain_id}, block {block}", show_header=False)
    table.add_column("field")
    table.add_column("value", overflow="fold")
    for key, value in detail.items():
        if key == "state":
            for name, item in value.items():
                table.add_row(f"state.{name}", str(item))
        else:
            table.add_row(key, str(value))
    stdout.print(table)


def _plain(state: PoolState) -> dict[str, Any]:
    """The state's scalar fields (ticks and bitmaps left out), JSON-friendly."""
    fields = getattr(state, "__dataclass_fields__", {})
    out: dict[str, Any] = {}
    for name in fields:
        value = getattr(state, name)
        if isinstance(value, int | str | bool) or (
            isinstance(value, tuple) and all(isinstance(v, int | str) for v in value)
        ):
            out[name] = list(value) if isinstance(value, tuple) else value
    return out
