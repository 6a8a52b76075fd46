"""Curve StableSwap plain pools as a `PoolKind`: known by address, every log of the pool followed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mevcli.chain.abi import decode
from mevcli.chain.multicall import encode_call
from mevcli.dex.curve import events
from mevcli.dex.curve.math import StableSwapRevert, marginal_rate
from mevcli.dex.curve.reader import CALLS_PER_POOL, read_pools
from mevcli.dex.curve.state import CurvePoolState
from mevcli.dex.kind import EthCall, HopQuoter, Log, PoolKind

if TYPE_CHECKING:
    from mevcli.chain.multicall import Multicall
    from mevcli.dex.registry import DexInfo, PoolRef


def _index(coins: Sequence[str], token: str, pool: str) -> int:
    lowered = [c.lower() for c in coins]
    if token.lower() not in lowered:
        raise ValueError(f"token {token} is not a coin of Curve pool {pool}")
    return lowered.index(token.lower())


class CurveKind(PoolKind):
    name = "curve"
    label = "Curve"
    state_types = (CurvePoolState,)
    hop_code = 3
    hop_gas = 120_000
    event_topics = None  # every log of the pool: Transfer/Approval are no-ops, unmodelled ones invalidate

    def read(self, mc: Multicall, refs: Sequence[PoolRef], block: int, window_ticks: int) -> Sequence[Any]:
        return read_pools(mc, [r.address for r in refs], block)

    def read_rounds(self, state: Any) -> list[int]:
        return [CALLS_PER_POOL, len(state.coins)]

    def quote(self, state: Any, token_in: str, amount_in: int, token_out: str | None) -> int:
        return state.quote(token_in, amount_in, token_out)

    def exact_hop(self, state: Any, token_in: str, token_out: str) -> HopQuoter | None:
        return state.quoter(token_in, token_out)

    def chain_quote(
        self, call: EthCall, dex: DexInfo, state: Any, token_in: str, token_out: str, amount_in: int
    ) -> int:
        """The pool's own get_dy."""
        i, j = state.index(token_in), state.index(token_out)
        data = encode_call(
            "get_dy(int128,int128,uint256)", ["int128", "int128", "uint256"], [i, j, amount_in]
        )
        return decode(["uint256"], call(state.address, data))[0]

    def marginal_rate(self, state: Any, token_in: str, token_out: str) -> tuple[int, int] | None:
        i, j = state.indices(token_in, token_out)
        if 0 in state.balances:
            return 0, 1
        try:
            xp, invariant = state._xp_and_D()
        except StableSwapRevert:
            return 0, 1  # get_D reverts: so does every swap
        return marginal_rate(i, j, xp, state.rates, state.A, state.fee, invariant, state.a_precision)

    def apply_log(self, state: Any, log: Log) -> Any:
        return events.apply_log(state, log)

    def hop_fields(self, pool: str, token_in: str, token_out: str, info: Mapping[str, Any]) -> dict[str, Any]:
        coins = info.get("coins") or info.get("tokens")
        if not coins:
            raise ValueError(f"Curve pool {pool}: no coin list")
        return {"i": _index(coins, token_in, pool), "j": _index(coins, token_out, pool)}


KIND = CurveKind()
