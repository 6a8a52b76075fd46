"""Uniswap V2 pair state: the two reserves at a block (what a `Sync` event carries in full)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from mevcli.dex.uniswap_v2.math import get_amount_out
from mevcli.errors import NoLiquidity, UnknownToken


@dataclass(frozen=True, slots=True, kw_only=True)
class V2PairState:
    address: str
    token0: str
    token1: str
    reserve0: int
    reserve1: int
    fee_pips: int = 3000
    block: int = 0

    @property
    def tokens(self) -> tuple[str, str]:
        return (self.token0, self.token1)

    def with_sync(self, reserve0: int, reserve1: int, block: int) -> V2PairState:
        """State after a `Sync(reserve0, reserve1)` event: the event is the whole new state."""
        return replace(self, reserve0=reserve0, reserve1=reserve1, block=block)

    def reserves_for(self, token_in: str) -> tuple[int, int]:
        if token_in == self.token0:
            return self.reserve0, self.reserve1
        if token_in == self.token1:
            return self.reserve1, self.reserve0
        raise UnknownToken(f"token {token_in} is not in pair {self.address}")

    def quote(self, token_in: str, amount_in: int) -> int:
        reserve_in, reserve_out = self.reserves_for(token_in)
        if reserve_in == 0 or reserve_out == 0:
            raise NoLiquidity(f"pair {self.address} has no liquidity", pool=self.address)
        return get_amount_out(amount_in, reserve_in, reserve_out, self.fee_pips)
