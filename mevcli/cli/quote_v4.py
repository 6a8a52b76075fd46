"""`mevcli quote --pool <V4 pool id>`: one Uniswap V4 pool, named by its 32-byte id."""

from __future__ import annotations

from rich.table import Table

from mevcli.cli.output import emit_json, format_units, stdout
from mevcli.context import AppContext
from mevcli.dex.uniswap_v4.pool_key import NATIVE
from mevcli.dex.uniswap_v4.quote import quote_pool_id, resolve_currency
from mevcli.errors import UsageError
from mevcli.quoting import parse_amount, token_decimals

NATIVE_DECIMALS = 18


def _decimals(ctx: AppContext, currency: str) -> int:
    return NATIVE_DECIMALS if currency == NATIVE else token_decimals(ctx, currency)


def _symbol(ctx: AppContext, currency: str) -> str:
    return "ETH" if currency == NATIVE else ctx.symbol_of(currency)


def quote_v4_pool(
    ctx: AppContext,
    pool_id: str,
    token_in: str,
    amount_in: str,
    token_out: str | None,
    *,
    human: bool,
    check: bool,
) -> None:
    if check:
        raise UsageError("--check is not supported for Uniswap V4 pools")
    currency_in = resolve_currency(ctx, token_in)
    currency_out = resolve_currency(ctx, token_out) if token_out else None
    amount = parse_amount(amount_in, _decimals(ctx, currency_in) if human else None)
    result = quote_pool_id(ctx, pool_id, currency_in, amount, currency_out)
    if ctx.settings.json:
        emit_json(result.to_json())
        return
    hop = result.hops[0]
    table = Table(title=f"quote at block {result.block}")
    for column in ("hop", "dex", "pool", "in", "out"):
        table.add_column(column, justify="right" if column in ("in", "out") else "left")
    table.add_row(
        "1",
        hop.dex,
        hop.pool,
        f"{format_units(hop.amount_in, _decimals(ctx, hop.token_in))} {_symbol(ctx, hop.token_in)}",
        f"{format_units(hop.amount_out, _decimals(ctx, hop.token_out))} {_symbol(ctx, hop.token_out)}",
    )
    stdout.print(table)
    stdout.print(f"amount out: {result.amount_out} ({_symbol(ctx, result.token_out)} base units)")
