"""Uniswap V2 pairs and their forks (SushiSwap, ...) as a `PoolKind`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mevcli.chain.abi import decode
from mevcli.chain.addresses import keccak, to_checksum_address
from mevcli.chain.multicall import encode_call
from mevcli.dex.kind import EthCall, HopQuoter, Log, Mobius, PoolKind
from mevcli.dex.uniswap_v2.hop import PIPS, V2Hop
from mevcli.dex.uniswap_v2.reader import read_pairs
from mevcli.dex.uniswap_v2.state import V2PairState
from mevcli.errors import UsageError

if TYPE_CHECKING:
    from mevcli.chain.multicall import Multicall
    from mevcli.dex.registry import DexInfo, PoolRef

SYNC = keccak(text="Sync(uint112,uint112)")
PAIR_CREATED = "0x" + keccak(text="PairCreated(address,address,address,uint256)").hex()


class UniswapV2Kind(PoolKind):
    name = "uniswap_v2"
    label = "Uniswap V2"
    state_types = (V2PairState,)
    identified_by_factory = True
    hop_code = 0
    hop_gas = 60_000
    event_topics = (SYNC,)
    creation_topic = PAIR_CREATED
    immutable_calls = tuple(encode_call(s) for s in ("factory()", "token0()", "token1()"))

    def read(self, mc: Multicall, refs: Sequence[PoolRef], block: int, window_ticks: int) -> Sequence[Any]:
        return read_pairs(mc, [r.address for r in refs], block, [r.dex.fee_pips for r in refs])

    def read_rounds(self, state: Any) -> list[int]:
        return [3]

    def identity_check(self, dex: DexInfo, probe: Sequence[Any]) -> bytes | None:
        _, token0, token1, _ = probe
        t0, t1 = decode(["address"], token0.data)[0], decode(["address"], token1.data)[0]
        return encode_call("getPair(address,address)", ["address", "address"], [t0, t1])

    def lookup_call(
        self, dex: DexInfo, token_a: str, token_b: str, fee_text: str, text: str
    ) -> tuple[bytes, str]:
        if fee_text:
            raise UsageError(f"invalid pool {text!r}: a {dex.name} pair has one fee, name it without :FEE")
        return encode_call("getPair(address,address)", ["address", "address"], [token_a, token_b]), ""

    def chain_quote(
        self, call: EthCall, dex: DexInfo, state: Any, token_in: str, token_out: str, amount_in: int
    ) -> int:
        """The router's getAmountsOut."""
        data = encode_call(
            "getAmountsOut(uint256,address[])", ["uint256", "address[]"], [amount_in, [token_in, token_out]]
        )
        return decode(["uint256[]"], call(dex.router or "", data))[0][-1]

    def quote(self, state: Any, token_in: str, amount_in: int, token_out: str | None) -> int:
        return state.quote(token_in, amount_in)

    def exact_hop(self, state: Any, token_in: str, token_out: str) -> HopQuoter | None:
        reserve_in, reserve_out = state.reserves_for(token_in)
        if reserve_in > 0 and reserve_out > 0:
            return V2Hop(reserve_in * PIPS, reserve_out, PIPS - state.fee_pips)
        return None

    def cpmm(self, state: Any) -> tuple[int, int, int] | None:
        return PIPS - state.fee_pips, state.reserve0, state.reserve1

    def mobius(self, state: Any, token_in: str) -> Mobius | None:
        reserve_in, reserve_out = state.reserves_for(token_in)
        gamma = PIPS - state.fee_pips
        return gamma * reserve_out, reserve_in * PIPS, gamma

    def upper_mobius(self, state: Any, token_in: str) -> Mobius | None:
        return self.mobius(state, token_in)  # getAmountOut is this map, floored

    def depth(self, state: Any) -> dict[str, int]:
        return {state.token0: state.reserve0, state.token1: state.reserve1}

    def apply_log(self, state: Any, log: Log) -> Any:
        if log["topics"][0] != SYNC:
            return state
        reserve0, reserve1 = decode(["uint112", "uint112"], log["data"])
        return state.with_sync(reserve0, reserve1, log["blockNumber"])

    def pool_from_creation(self, log: Log) -> str:
        return to_checksum_address(bytes(log["data"])[12:32])  # PairCreated data: (pair, index)

    def hop_fields(self, pool: str, token_in: str, token_out: str, info: Mapping[str, Any]) -> dict[str, Any]:
        if "fee" not in info or not 0 <= int(info["fee"]) < PIPS:
            raise ValueError(f"V2 pool {pool}: needs its swap fee in pips (e.g. 3000)")
        return {"fee": int(info["fee"])}

    def pool_info(self, ref: PoolRef, state: Any) -> dict[str, Any]:
        return {"fee": ref.dex.fee_pips}


KIND = UniswapV2Kind()
