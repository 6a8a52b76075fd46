"""Uniswap V3 pool state at a block: slot0 price/tick, active liquidity, initialized ticks and bitmap.

The mappings are stored as `types.MappingProxyType` views and must never be mutated: every update
(`with_swap`, `with_liquidity_change`) builds a new state with new mappings and leaves the old one
intact, so a state can be shared between simulations freely.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Protocol

from mevcli.dex.uniswap_v3.full_math import MAX_INT128, MAX_UINT128, MIN_INT128, MathOverflow
from mevcli.dex.uniswap_v3.liquidity_math import add_delta
from mevcli.dex.uniswap_v3.tick_bitmap import compress, flip_tick, is_initialized, position, sdiv, smod
from mevcli.dex.uniswap_v3.tick_math import MAX_TICK, MIN_TICK
from mevcli.errors import UnknownToken


def _frozen(mapping: Mapping[int, int]) -> Mapping[int, int]:
    """A read-only view; a caller's dict is copied so later changes to it cannot leak in."""
    if isinstance(mapping, MappingProxyType):
        return mapping
    return MappingProxyType(dict(mapping))


def _empty() -> Mapping[int, int]:
    return MappingProxyType({})


def tick_spacing_to_max_liquidity_per_tick(tick_spacing: int) -> int:
    """Most gross liquidity a single tick may reference (Tick.tickSpacingToMaxLiquidityPerTick)."""
    min_tick = sdiv(MIN_TICK, tick_spacing) * tick_spacing
    max_tick = sdiv(MAX_TICK, tick_spacing) * tick_spacing
    num_ticks = sdiv(max_tick - min_tick, tick_spacing) + 1
    return MAX_UINT128 // num_ticks


@dataclass(frozen=True, slots=True, kw_only=True)
class V3PoolState:
    """Everything a swap simulation reads from a V3 pool.

    - `fee` is in pips (3000 = 0.30%), `sqrt_price_x96`/`tick`/`liquidity` are slot0 and `liquidity()`.
    - `ticks`: initialized tick -> liquidityNet (signed int128). It must hold every tick whose bit is
      set in `bitmap` (with 0 if its net is 0), at least over the words in `bitmap`.
    - `bitmap`: int16 word position -> uint256 word; a missing word reads as 0, i.e. ticks outside
      the fetched words are treated as uninitialized. Each word present must be complete.
    - `gross`: tick -> liquidityGross where known (TickLens returns it; `ticks(t)` too). Optional; see
      `with_liquidity_change` for what happens without it.
    """

    address: str
    token0: str
    token1: str
    fee: int
    tick_spacing: int
    sqrt_price_x96: int
    tick: int
    liquidity: int
    ticks: Mapping[int, int] = field(hash=False)
    bitmap: Mapping[int, int] = field(hash=False)
    block: int = 0
    gross: Mapping[int, int] = field(default_factory=_empty, hash=False)
    # Inclusive bitmap word positions the reader loaded; None means the bitmap is complete. A swap that
    # needs a word outside it raises `IncompletePoolState` rather than guess (the caller re-reads wider).
    word_range: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if self.tick_spacing <= 0:
            raise ValueError(f"tick spacing must be positive, got {self.tick_spacing}")
        if not 0 <= self.fee < 1_000_000:
            raise ValueError(f"fee {self.fee} pips outside [0, 1000000)")
        # Frozen dataclass: this is how __post_init__ may normalise its own fields.
        object.__setattr__(self, "ticks", _frozen(self.ticks))
        object.__setattr__(self, "bitmap", _frozen(self.bitmap))
        object.__setattr__(self, "gross", _frozen(self.gross))

    @property
    def tokens(self) -> tuple[str, str]:
        return (self.token0, self.token1)

    def zero_for_one(self, token_in: str) -> bool:
        """Swap direction for selling `token_in` into this pool (addresses compared as given)."""
        if token_in == self.token0:
            return True
        if token_in == self.token1:
            return False
        raise UnknownToken(f"token {token_in} is not in pool {self.address}")

    def with_swap(self, sqrt_price_x96: int, liquidity: int, tick: int, block: int) -> V3PoolState:
        """State after a `Swap` event: the event carries the new price, active liquidity and tick in full."""
        return replace(self, sqrt_price_x96=sqrt_price_x96, liquidity=liquidity, tick=tick, block=block)

    def with_liquidity_change(self, tick_lower: int, tick_upper: int, delta: int, block: int) -> V3PoolState:
        """State after a `Mint` (delta = +amount) or `Burn` (delta = -amount) of [tick_lower, tick_upper):
        see `liquidity_change`."""
        return replace(self, **liquidity_change(self, tick_lower, tick_upper, delta), block=block)


class TickedState(Protocol):
    """The tick structure both V3 and V4 pool states carry (V4's Pool library keeps V3's Tick rules)."""

    tick_spacing: int
    tick: int
    liquidity: int
    ticks: Mapping[int, int]
    bitmap: Mapping[int, int]
    gross: Mapping[int, int]
    word_range: tuple[int, int] | None


def covers_ticks(state: TickedState, *ticks: int) -> bool:
    """Whether the bitmap words the state loaded (`word_range`; None: all of them) hold every one of `ticks`:
    a position outside them changes ticks the state never saw, so the pool must be read again."""
    if state.word_range is None:
        return True
    low, high = state.word_range
    return all(low <= position(compress(t, state.tick_spacing))[0] <= high for t in ticks)


def liquidity_change(state: TickedState, tick_lower: int, tick_upper: int, delta: int) -> dict[str, Any]:
    """The fields that change when `delta` of liquidity is added (> 0) or removed (< 0) over
    [tick_lower, tick_upper): new `ticks`, `bitmap`, `gross` and `liquidity`, for `dataclasses.replace`.

    Mirrors UniswapV3Pool._modifyPosition: each end goes through Tick.update (lower gets +delta,
    upper -delta in liquidityNet), a tick whose gross liquidity becomes / stops being non-zero is
    flipped in the bitmap (and cleared when it stops), and the active liquidity changes when
    tick_lower <= tick < tick_upper.

    The bitmap bit is taken as the truth about whether a tick is initialized before the change.
    Gross liquidity is tracked exactly when it is known (`gross` has the tick, or the tick was
    uninitialized so its gross was 0). Approximation when it is not known: an initialized tick
    stays initialized after a mint, and after a burn it stays initialized iff its liquidityNet is
    still non-zero. A tick whose positions cancel out in net (net 0, gross > 0) is therefore
    wrongly cleared; crossing it would have changed nothing, but a later burn at that tick would
    then raise. Readers that can should supply `gross`.
    """
    spacing = state.tick_spacing
    if not tick_lower < tick_upper:
        raise ValueError(f"tick_lower {tick_lower} must be below tick_upper {tick_upper} (TLU)")
    if tick_lower < MIN_TICK:
        raise ValueError(f"tick_lower {tick_lower} below MIN_TICK (TLM)")
    if tick_upper > MAX_TICK:
        raise ValueError(f"tick_upper {tick_upper} above MAX_TICK (TUM)")
    for tick in (tick_lower, tick_upper):
        if smod(tick, spacing) != 0:
            raise ValueError(f"tick {tick} is not a multiple of tick spacing {spacing}")
    if not MIN_INT128 < delta <= MAX_INT128:
        raise MathOverflow(f"liquidity delta {delta} does not fit in int128 (SafeCast.toInt128)")

    if delta == 0:  # a zero burn ("poke") updates fees only; no tick is touched
        return {}

    ticks = dict(state.ticks)
    bitmap = dict(state.bitmap)
    gross = dict(state.gross)
    max_liquidity = tick_spacing_to_max_liquidity_per_tick(spacing)
    _update_tick(ticks, bitmap, gross, spacing, tick_lower, delta, max_liquidity, upper=False)
    _update_tick(ticks, bitmap, gross, spacing, tick_upper, delta, max_liquidity, upper=True)

    liquidity = state.liquidity
    if tick_lower <= state.tick < tick_upper:
        liquidity = add_delta(liquidity, delta)
    return {
        "ticks": MappingProxyType(ticks),
        "bitmap": MappingProxyType(bitmap),
        "gross": MappingProxyType(gross),
        "liquidity": liquidity,
    }


def _update_tick(
    ticks: dict[int, int],
    bitmap: dict[int, int],
    gross: dict[int, int],
    spacing: int,
    tick: int,
    delta: int,
    max_liquidity: int,
    *,
    upper: bool,
) -> None:
    """Tick.update (+ flipTick / Tick.clear as _updatePosition does) on the new, private dicts."""
    was_initialized = is_initialized(bitmap, tick, spacing)
    if not was_initialized and ticks.get(tick, 0) != 0:
        raise ValueError(f"tick {tick} has liquidityNet but its bitmap bit is not set: incomplete bitmap")

    net_before = ticks.get(tick, 0)
    net_after = net_before - delta if upper else net_before + delta
    if not MIN_INT128 <= net_after <= MAX_INT128:
        raise MathOverflow(f"liquidityNet of tick {tick} overflows int128")

    gross_known = tick in gross or not was_initialized
    gross_after = 0
    if gross_known:
        gross_after = add_delta(gross.get(tick, 0) if was_initialized else 0, delta)
        if gross_after > max_liquidity:
            raise MathOverflow(f"gross liquidity of tick {tick} above the per-tick maximum (LO)")
        now_initialized = gross_after > 0
    else:
        now_initialized = delta > 0 or net_after != 0

    if now_initialized:
        ticks[tick] = net_after
        if gross_known:
            gross[tick] = gross_after
    else:
        ticks.pop(tick, None)
        gross.pop(tick, None)
    if now_initialized != was_initialized:
        flip_tick(bitmap, tick, spacing)
