"""`mevcli quote`: exact amount out for a pool or a path, to the wei, as the contracts compute it."""

from __future__ import annotations

from typing import Annotated

import typer

from mevcli.cli.output import console, emit_json, format_units
from mevcli.context import AppContext
from mevcli.dex.uniswap_v4.pool_id import is_pool_id
from mevcli.errors import UsageError
from mevcli.quoting import (
    PathQuote,
    chain_quotes,
    parse_amount,
    quote_path,
    token_decimals,
    tokens_decimals,
)


def quote(
    ctx: typer.Context,
    pool: Annotated[
        str | None,
        typer.Option(
            "--pool", help="Pool address, DEX:A/B[:FEE] (uniswap_v3:WETH/USDC:500), or a V4 pool id"
        ),
    ] = None,
    path: Annotated[
        str | None,
        typer.Option("--path", help="Comma-separated pools (addresses or DEX:A/B[:FEE]), in hop order"),
    ] = None,
    token_in: Annotated[str, typer.Option("--token-in", help="Token address or symbol")] = "",
    amount_in: Annotated[str, typer.Option("--amount-in", help="Amount in base units (integer)")] = "",
    token_out: Annotated[
        str | None, typer.Option("--token-out", help="Output token (required for pools of 3+ tokens)")
    ] = None,
    human: Annotated[bool, typer.Option("--human", help="Read --amount-in in whole tokens (1.5)")] = False,
    check: Annotated[bool, typer.Option("--check", help="Also ask the chain (QuoterV2 / router)")] = False,
    fresh: Annotated[
        bool | None,
        typer.Option(
            "--fresh/--cached",
            help="Read the pools from the chain, bypassing the reserve cache [config: quote.fresh; "
            "default: through the cache]",
        ),
    ] = None,
) -> None:
    """Exact amount out for a pool (--pool) or a multi-hop path (--path)."""
    app_ctx: AppContext = ctx.obj
    app_ctx.use_light_reads()  # a quote only reads: no web3 client unless the URLs need one
    if (pool is None) == (path is None):
        raise UsageError("pass exactly one of --pool or --path")
    if not token_in:
        raise UsageError("missing --token-in")
    if not amount_in:
        raise UsageError("missing --amount-in")
    if pool is not None and is_pool_id(pool):
        from mevcli.cli.quote_v4 import quote_v4_pool  # V4's reader and math only for a V4 pool id

        quote_v4_pool(app_ctx, pool, token_in, amount_in, token_out, human=human, check=check)
        return
    pools = [pool] if pool else [p for p in path.split(",") if p.strip()]  # type: ignore[union-attr]
    if not pools:
        raise UsageError("--path names no pools")
    token_in_address = app_ctx.resolve_token(token_in)
    token_out_address = app_ctx.resolve_token(token_out) if token_out else None
    amount = parse_amount(amount_in, token_decimals(app_ctx, token_in_address) if human else None)
    result, refs, states = quote_path(
        app_ctx, pools, token_in_address, amount, token_out_address, fresh=_fresh(app_ctx, fresh)
    )
    on_chain = chain_quotes(app_ctx, result, refs, states) if check else None

    if app_ctx.settings.json:
        data = result.to_json()
        if on_chain is not None:
            data["check"] = {
                "chain_amounts_out": on_chain,
                "match": on_chain == [h.amount_out for h in result.hops],
            }
        emit_json(data)
        return
    _print_table(app_ctx, result, on_chain)


def _print_table(app_ctx: AppContext, result: PathQuote, on_chain: list[int] | None) -> None:
    """The quote as a table of hops, then its amount out (rich loads only here: `--json` never needs it)."""
    from rich.table import Table

    decimals = tokens_decimals(app_ctx, [*(h.token_in for h in result.hops), result.token_out])
    table = Table(title=f"quote at block {result.block}")
    for column in ("hop", "dex", "pool", "in", "out"):
        table.add_column(column, justify="right" if column in ("in", "out") else "left")
    if on_chain is not None:
        table.add_column("chain", justify="right")
    for i, hop in enumerate(result.hops):
        row = [
            str(i + 1),
            hop.dex,
            hop.pool,
            f"{format_units(hop.amount_in, decimals[hop.token_in])} {app_ctx.symbol_of(hop.token_in)}",
            f"{format_units(hop.amount_out, decimals[hop.token_out])} {app_ctx.symbol_of(hop.token_out)}",
        ]
        if on_chain is not None:
            row.append("match" if on_chain[i] == hop.amount_out else f"MISMATCH {on_chain[i]}")
        table.add_row(*row)
    stdout = console("stdout")
    stdout.print(table)
    stdout.print(f"amount out: {result.amount_out} ({app_ctx.symbol_of(result.token_out)} base units)")


def _fresh(ctx: AppContext, flag: bool | None) -> bool:
    """The flag, else `[quote] fresh` from the config file, else through the cache."""
    if flag is not None:
        return flag
    value = ctx.settings.extra.get("quote", {}).get("fresh", False)
    if not isinstance(value, bool):
        raise UsageError(f"invalid quote.fresh {value!r} in the config: expected true or false")
    return value
