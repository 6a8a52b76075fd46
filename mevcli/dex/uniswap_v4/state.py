"""A V4 pool's state at a block: its key, slot0 (price, tick, protocol fee, LP fee), active liquidity and
initialized ticks. Frozen: every update builds a new state and leaves the old one intact.

The tick structure (`ticks`, `bitmap`, `gross`, `word_range`) means exactly what it means in
`V3PoolState`; liquidity changes are applied by the same Tick.update rules (V4's Pool library keeps them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from mevcli.dex.uniswap_v3.state import liquidity_change
from mevcli.dex.uniswap_v4.fees import MAX_LP_FEE, directional_protocol_fee, is_dynamic_fee, swap_fee
from mevcli.dex.uniswap_v4.hooks import ZERO_ADDRESS, unpriced_reason
from mevcli.dex.uniswap_v4.pool_key import PoolKey
from mevcli.errors import UnknownToken


def _empty() -> Mapping[int, int]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True, kw_only=True)
class V4PoolState:
    """Everything a swap simulation reads from one pool of the PoolManager.

    - `fee` is the key's fee (pips, or DYNAMIC_FEE_FLAG); `lp_fee` is slot0's, the one swaps charge.
    - `protocol_fee` is slot0's packed pair: token0-input fee in the low 12 bits, token1-input above.
    - `currency0` is the zero address for the chain's native currency.
    """

    pool_id: str
    pool_manager: str
    currency0: str
    currency1: str
    fee: int
    tick_spacing: int
    hooks: str = ZERO_ADDRESS
    sqrt_price_x96: int
    tick: int
    protocol_fee: int = 0
    lp_fee: int
    liquidity: int
    ticks: Mapping[int, int] = field(hash=False)
    bitmap: Mapping[int, int] = field(hash=False)
    gross: Mapping[int, int] = field(default_factory=_empty, hash=False)
    block: int = 0
    word_range: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if self.tick_spacing <= 0:
            raise ValueError(f"tick spacing must be positive, got {self.tick_spacing}")
        if not 0 <= self.lp_fee <= MAX_LP_FEE:
            raise ValueError(f"LP fee {self.lp_fee} pips outside [0, {MAX_LP_FEE}]")
        for name in ("ticks", "bitmap", "gross"):
            value = getattr(self, name)
            if not isinstance(value, MappingProxyType):
                object.__setattr__(self, name, MappingProxyType(dict(value)))

    @property
    def address(self) -> str:
        """The pool's identifier where other kinds have an address: its pool id."""
        return self.pool_id

    @property
    def token0(self) -> str:
        return self.currency0

    @property
    def token1(self) -> str:
        return self.currency1

    @property
    def tokens(self) -> tuple[str, str]:
        return (self.currency0, self.currency1)

    @property
    def key(self) -> PoolKey:
        return PoolKey(
            currency0=self.currency0,
            currency1=self.currency1,
            fee=self.fee,
            tick_spacing=self.tick_spacing,
            hooks=self.hooks,
        )

    @property
    def dynamic_fee(self) -> bool:
        return is_dynamic_fee(self.fee)

    @property
    def unpriced_reason(self) -> str | None:
        """Why this pool cannot be priced exactly (a swap-changing hook), or None."""
        return unpriced_reason(self.hooks, self.fee)

    def swap_fee(self, zero_for_one: bool) -> int:
        """The total fee in pips a swap in this direction pays (LP and protocol)."""
        return swap_fee(self.protocol_fee, self.lp_fee, zero_for_one)

    def zero_for_one(self, token_in: str) -> bool:
        if token_in.lower() == self.currency0.lower():
            return True
        if token_in.lower() == self.currency1.lower():
            return False
        raise UnknownToken(f"token {token_in} is not in V4 pool {self.pool_id}")

    def with_swap(
        self, sqrt_price_x96: int, liquidity: int, tick: int, block: int, *, fee: int, zero_for_one: bool
    ) -> V4PoolState:
        """State after a `Swap` event: price, liquidity and tick in full. `fee` is the swap fee the event
        names; on a dynamic-fee pool it is the LP fee now in slot0 when no protocol fee was combined."""
        lp_fee = self.lp_fee
        if self.dynamic_fee and directional_protocol_fee(self.protocol_fee, zero_for_one) == 0:
            lp_fee = fee
        return replace(
            self, sqrt_price_x96=sqrt_price_x96, liquidity=liquidity, tick=tick, lp_fee=lp_fee, block=block
        )

    def with_price(self, sqrt_price_x96: int, tick: int, block: int) -> V4PoolState:
        """State after `Initialize`: price and tick, nothing else."""
        return replace(self, sqrt_price_x96=sqrt_price_x96, tick=tick, block=block)

    def with_protocol_fee(self, protocol_fee: int, block: int) -> V4PoolState:
        """State after `ProtocolFeeUpdated`."""
        return replace(self, protocol_fee=protocol_fee, block=block)

    def with_liquidity_change(self, tick_lower: int, tick_upper: int, delta: int, block: int) -> V4PoolState:
        """State after a `ModifyLiquidity` of `delta` over [tick_lower, tick_upper) (V3 Mint/Burn rules)."""
        return replace(self, **liquidity_change(self, tick_lower, tick_upper, delta), block=block)
