"""Uniswap V3 pools and their forks (`forks.py`) as a `PoolKind`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mevcli.chain.abi import decode
from mevcli.chain.addresses import keccak, to_checksum_address
from mevcli.chain.multicall import encode_call
from mevcli.dex.kind import EthCall, HopQuoter, Invalidate, Log, Mobius, PoolKind
from mevcli.dex.uniswap_v3.ceiling import ceiling_form
from mevcli.dex.uniswap_v3.forks import FORKS, fork_of, swap_topics
from mevcli.dex.uniswap_v3.reader import read_pools
from mevcli.dex.uniswap_v3.state import V3PoolState, covers_ticks
from mevcli.dex.uniswap_v3.steps import PIPS, V3Hop, quote, virtual_reserves
from mevcli.errors import UsageError

if TYPE_CHECKING:
    from mevcli.chain.multicall import Multicall
    from mevcli.dex.registry import DexInfo, PoolRef

MINT = keccak(text="Mint(address,address,int24,int24,uint128,uint256,uint256)")
BURN = keccak(text="Burn(address,int24,int24,uint128,uint256,uint256)")
INITIALIZE = keccak(text="Initialize(uint160,int24)")
POOL_CREATED = "0x" + keccak(text="PoolCreated(address,address,uint24,int24,address)").hex()
_SWAP_HEAD = ["int256", "int256", "uint160", "uint128", "int24"]  # what every fork's Swap data starts with


class UniswapV3Kind(PoolKind):
    name = "uniswap_v3"
    label = "Uniswap V3"
    state_types = (V3PoolState,)
    identified_by_factory = True
    hop_code = 1
    hop_gas = 95_000
    flash_gas = 45_000
    pools_lend = True
    creation_topic = POOL_CREATED
    immutable_calls = tuple(
        encode_call(s) for s in ("factory()", "token0()", "token1()", "fee()", "tickSpacing()")
    )

    @property
    def callbacks(self) -> tuple[str, ...]:  # type: ignore[override]
        return tuple(dict.fromkeys(c for f in FORKS.values() for c in (f.swap_callback, f.flash_callback)))

    @property
    def event_topics(self) -> tuple[bytes, ...]:  # type: ignore[override]
        return (*swap_topics(), MINT, BURN, INITIALIZE)

    def read(self, mc: Multicall, refs: Sequence[PoolRef], block: int, window_ticks: int) -> Sequence[Any]:
        slot0 = [list(fork_of(r.dex.name).slot0_types) for r in refs]
        return read_pools(mc, [r.address for r in refs], block, window_ticks, slot0)

    def read_rounds(self, state: Any) -> list[int]:
        words = state.word_range[1] - state.word_range[0] + 1 if state.word_range else len(state.bitmap)
        return [6, words, len(state.ticks)]

    def identity_check(self, dex: DexInfo, probe: Sequence[Any]) -> bytes | None:
        _, token0, token1, fee = probe
        if not fee.ok:
            return None
        t0, t1 = decode(["address"], token0.data)[0], decode(["address"], token1.data)[0]
        fee_tier = decode(["uint24"], fee.data)[0]
        return encode_call(
            "getPool(address,address,uint24)", ["address", "address", "uint24"], [t0, t1, fee_tier]
        )

    def lookup_call(
        self, dex: DexInfo, token_a: str, token_b: str, fee_text: str, text: str
    ) -> tuple[bytes, str]:
        if not fee_text.strip().isdigit():
            raise UsageError(f"invalid pool {text!r}: a Uniswap V3 pool needs its fee tier, e.g. :500")
        data = encode_call(
            "getPool(address,address,uint24)",
            ["address", "address", "uint24"],
            [token_a, token_b, int(fee_text)],
        )
        return data, fee_text.strip()

    def chain_quote(
        self, call: EthCall, dex: DexInfo, state: Any, token_in: str, token_out: str, amount_in: int
    ) -> int:
        """QuoterV2.quoteExactInputSingle (a fork's quoter takes the same call; its answer leads with the
        amount out, which is all this reads)."""
        if not dex.quoter_v2:
            raise UsageError(f"--check needs a QuoterV2 for {dex.name}; none is known on this chain")
        data = encode_call(
            "quoteExactInputSingle((address,address,uint256,uint24,uint160))",
            ["(address,address,uint256,uint24,uint160)"],
            [(token_in, token_out, amount_in, state.fee, 0)],
        )
        return decode(["uint256"], call(dex.quoter_v2, data)[:32])[0]

    def quote(self, state: Any, token_in: str, amount_in: int, token_out: str | None) -> int:
        return quote(state, token_in, amount_in)

    def exact_hop(self, state: Any, token_in: str, token_out: str) -> HopQuoter | None:
        return V3Hop(state, token_in)

    def cpmm(self, state: Any) -> tuple[int, int, int] | None:
        """The active range's virtual reserves, as `mobius` floors them."""
        if state.liquidity == 0 or state.sqrt_price_x96 == 0:
            return 0, 0, 0
        virtual0, virtual1 = virtual_reserves(state.liquidity, state.sqrt_price_x96)
        return PIPS - state.fee, virtual0, virtual1

    def mobius(self, state: Any, token_in: str) -> Mobius | None:
        if state.liquidity == 0:
            return None
        virtual0, virtual1 = virtual_reserves(state.liquidity, state.sqrt_price_x96)
        reserve_in, reserve_out = (virtual0, virtual1) if token_in == state.token0 else (virtual1, virtual0)
        gamma = PIPS - state.fee
        return gamma * reserve_out, reserve_in * PIPS, gamma

    def upper_mobius(self, state: Any, token_in: str) -> Mobius | None:
        return ceiling_form(state, state.zero_for_one(token_in), PIPS - state.fee)

    def depth(self, state: Any) -> dict[str, int]:
        """The virtual reserves of the active range: liquidity outside it is not there at this price."""
        if state.sqrt_price_x96 == 0:
            return {state.token0: 0, state.token1: 0}
        virtual0, virtual1 = virtual_reserves(state.liquidity, state.sqrt_price_x96)
        return {state.token0: virtual0, state.token1: virtual1}

    def fee_pips(self, state: Any) -> int:
        return int(state.fee)

    def apply_log(self, state: Any, log: Log) -> Any:
        """Swap (any fork's) -> `with_swap`; Mint/Burn -> `with_liquidity_change`, unless a tick lies in
        a bitmap word the reader did not load (that would leave the word half known: Invalidate);
        Initialize -> `with_swap`."""
        topics, data, block = log["topics"], log["data"], log["blockNumber"]
        topic = topics[0]
        if topic in (MINT, BURN):
            lower = decode(["int24"], topics[2])[0]
            upper = decode(["int24"], topics[3])[0]
            if topic == MINT:
                amount = decode(["address", "uint128", "uint256", "uint256"], data)[1]
            else:
                amount = -decode(["uint128", "uint256", "uint256"], data)[0]
            if not covers_ticks(state, lower, upper):
                raise Invalidate(f"position [{lower}, {upper}) reaches bitmap words the state did not load")
            return state.with_liquidity_change(lower, upper, amount, block)
        if topic == INITIALIZE:
            sqrt_price, tick = decode(["uint160", "int24"], data)
            return state.with_swap(sqrt_price, state.liquidity, tick, block)
        if topic in swap_topics():
            _, _, sqrt_price, liquidity, tick = decode(_SWAP_HEAD, bytes(data)[: 32 * len(_SWAP_HEAD)])
            return state.with_swap(sqrt_price, liquidity, tick, block)
        return state

    def pool_from_creation(self, log: Log) -> str:
        return to_checksum_address(bytes(log["data"])[44:64])  # PoolCreated data: (tickSpacing, pool)

    def hop_fields(self, pool: str, token_in: str, token_out: str, info: Any) -> dict[str, Any]:
        return {"fee": int(info.get("fee") or 0)}  # informational: the pool knows its fee


KIND = UniswapV3Kind()
