"""Tables that fit the terminal: ids and amounts are never cut or wrapped; lower-value columns go first.

A column has a priority: 0 is always shown, higher numbers are dropped first while the table is wider than
the console. `--wide` keeps every column. Off a terminal (pipes, cron) every column is shown in a plain
layout without borders, as wide as its content, so scripts see the same columns at any width.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

# Short DEX names for routes; unknown DEXes keep their own name.
DEX_SHORT = {
    "uniswap_v2": "uni2",
    "sushiswap": "sushi",
    "uniswap_v3": "uni3",
    "sushiswap_v3": "sushi3",
    "pancakeswap_v3": "cake3",
    "balancer": "bal",
    "curve": "crv",
    "uniswap_v4": "uni4",
    "aave_v3": "aave",
}
# Pools named by their fee tier: the uniswap_v3-kind DEXes of dex/forks.py (not imported: tables load
# before the DEX code).
FEE_TIER_DEXES = ("uniswap_v3", "sushiswap_v3", "pancakeswap_v3")
POOL_SUFFIX = 6  # hex digits of a Balancer/Curve (or unnamed V3) pool address shown in a route


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    priority: int = 0  # 0: always; higher: dropped earlier when the table does not fit
    justify: str = "left"
    whole: bool = True  # never wrapped or cut (ids, amounts); False: may wrap at spaces (routes)
    min_width: int = 0  # a wrapping column is given at least this (or its longest cell) before others fit


def pool_label(dex: str, address: str, fee: int | None = None) -> str:
    """A hop's pool, unambiguous within a route: `uni3:500` (fee tier), `bal:1a2b3c`, `sushi`.

    A V2-style DEX has one pair per token pair, so its name suffices; a V3 pool is named by its fee tier
    (its address when the tier is unknown), a Balancer or Curve pool by the start of its address."""
    short = DEX_SHORT.get(dex, dex)
    if dex in FEE_TIER_DEXES and fee is not None:
        return f"{short}:{fee}"
    if dex in ("uniswap_v2", "sushiswap"):
        return short
    return f"{short}:{address.lower().removeprefix('0x')[:POOL_SUFFIX]}"


def compact_route(
    tokens: Sequence[str],
    pools: Sequence[str],
    dexes: Sequence[str],
    symbol_of: Callable[[str], str],
    fees: Mapping[str, int] | None = None,
) -> str:
    """`WETH ─uni3:500→ USDC ─sushi→ WETH`; spaces only between hops, so a narrow column wraps there."""
    fees = fees or {}
    parts = [symbol_of(tokens[0])]
    for pool, dex, token in zip(pools, dexes, tokens[1:], strict=True):
        parts.append(f"─{pool_label(dex, pool, fees.get(pool))}→ {symbol_of(token)}")
    return " ".join(parts)


def fitted_table(
    console: Console,
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    *,
    title: str | None = None,
    wide: bool = False,
    plain: bool | None = None,
) -> Table:
    """The table with as many columns as fit `console.width` (all with `wide` or `plain`).

    `plain` (default: the console is not a terminal) renders without borders or title styling."""
    plain = (not console.is_terminal) if plain is None else plain
    keep = list(range(len(columns)))
    if not (wide or plain):  # a droppable column with nothing in it goes first
        keep = [i for i in keep if not columns[i].priority or any(r[i] for r in rows)]
    table = _build(columns, rows, keep, title, plain)
    if wide or plain:
        return table
    droppable = sorted((i for i in keep if columns[i].priority), key=lambda i: -columns[i].priority)
    while _fitting_width(console, table) > console.width and droppable:
        keep.remove(droppable.pop(0))
        table = _build(columns, rows, keep, title, plain)
    if _fitting_width(console, table) > console.width:  # still too wide: wrapping columns wrap more
        table = _build(columns, rows, keep, title, plain, relax=True)
    return table


def table_width(console: Console, table: Table) -> int:
    """The width the table takes unconstrained: print a plain table at this width to keep rows whole."""
    return _natural_width(console, table)


def _natural_width(console: Console, table: Table) -> int:
    options = console.options.update_width(10_000)
    return Measurement.get(console, options, table).maximum


def _fitting_width(console: Console, table: Table) -> int:
    """The narrowest the table renders with whole columns whole and wrapping ones at their minimum."""
    options = console.options.update_width(10_000)
    return Measurement.get(console, options, table).minimum


def _min_width(column: Column, rows: Sequence[Sequence[str]], index: int, relax: bool) -> int | None:
    longest = max([len(column.name), *(len(r[index]) for r in rows)])
    if column.whole:
        return longest
    return None if relax else min(longest, column.min_width) or None


def _build(
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    keep: list[int],
    title: str | None,
    plain: bool,
    relax: bool = False,
) -> Table:
    table = Table(
        title=title,
        box=None if plain else box.SIMPLE_HEAD,
        pad_edge=not plain,
        title_justify="left",
        collapse_padding=True,
    )
    for i in keep:
        column = columns[i]
        table.add_column(
            column.name,
            justify=column.justify,  # type: ignore[arg-type]
            no_wrap=column.whole,
            min_width=_min_width(column, rows, i, relax),
            overflow="fold",
        )
    for row in rows:
        table.add_row(*(row[i] for i in keep))
    return table


def print_table(console: Console, table: Table) -> None:
    """Print at the console's width on a terminal; off one, as wide as the rows so nothing wraps."""
    if console.is_terminal:
        console.print(table)
        return
    width = console.width
    console.width = max(width, table_width(console, table))  # print's own width is capped by the console's
    try:
        console.print(table)
    finally:
        console.width = width
