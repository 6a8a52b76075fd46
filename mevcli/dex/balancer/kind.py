"""Balancer V2 pools (weighted, composable stable) as a `PoolKind`: the Vault holds their balances."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mevcli.chain.abi import decode
from mevcli.chain.addresses import keccak, to_checksum_address
from mevcli.chain.multicall import encode_call
from mevcli.dex.balancer import base_pool, composable_stable, events, hop
from mevcli.dex.balancer.errors import BalancerMathError
from mevcli.dex.balancer.reader import read_balancer_pools
from mevcli.dex.balancer.state import ComposableStablePoolState, WeightedPoolState
from mevcli.dex.kind import EthCall, HopQuoter, Log, PoolKind, Route
from mevcli.errors import UsageError

if TYPE_CHECKING:
    from mevcli.chain.multicall import Multicall
    from mevcli.dex.registry import DexInfo, PoolRef

# PoolRegistered(bytes32 indexed poolId, address indexed poolAddress, uint8 specialization), by the Vault.
POOL_REGISTERED = "0x" + keccak(text="PoolRegistered(bytes32,address,uint8)").hex()


def _pool_id(value: Any) -> bytes:
    raw = bytes.fromhex(value.removeprefix("0x")) if isinstance(value, str) else bytes(value)
    if len(raw) != 32:
        raise ValueError(f"Balancer pool id must be 32 bytes, got {len(raw)}")
    return raw


class BalancerKind(PoolKind):
    name = "balancer"
    label = "Balancer"
    state_types = (WeightedPoolState, ComposableStablePoolState)
    hop_code = 2
    hop_gas = 85_000
    flash_gas = 40_000
    # The Vault's events (routed by pool id) and the pool's own, as `events.py` lists them.
    event_topics = events.VAULT_TOPICS + events.POOL_TOPICS
    creation_topic = POOL_REGISTERED
    immutable_calls = tuple(encode_call(s) for s in ("getPoolId()", "getVault()", "getBptIndex()"))

    def read(self, mc: Multicall, refs: Sequence[PoolRef], block: int, window_ticks: int) -> Sequence[Any]:
        return read_balancer_pools(mc, [r.address for r in refs], block)

    def read_rounds(self, state: Any) -> list[int]:
        if isinstance(state, WeightedPoolState):  # 8 header calls, getPoolTokens, decimals per token
            return [8, 1, len(state.tokens)]
        return [8, 2]  # 8 header calls, getPoolTokens and getRateProviders

    def quote(self, state: Any, token_in: str, amount_in: int, token_out: str | None) -> int:
        if token_out is None:
            others = [t for t in state.tokens if t != token_in]
            if len(others) != 1:
                raise UsageError(
                    f"pool {state.address} has {len(state.tokens)} tokens: name the output token"
                )
            token_out = others[0]
        return state.quote(token_in, amount_in, token_out)

    def exact_hop(self, state: Any, token_in: str, token_out: str) -> HopQuoter | None:
        return hop.exact_hop(state, token_in, token_out)

    def chain_quote(
        self, call: EthCall, dex: DexInfo, state: Any, token_in: str, token_out: str, amount_in: int
    ) -> int:
        """A one-step GIVEN_IN `Vault.queryBatchSwap` (what `Vault.swap` would pay)."""
        zero = "0x" + "00" * 20
        types = [
            "uint8",
            "(bytes32,uint256,uint256,uint256,bytes)[]",
            "address[]",
            "(address,bool,address,bool)",
        ]
        step = (_pool_id(state.pool_id), 0, 1, amount_in, b"")
        data = encode_call(
            f"queryBatchSwap({','.join(types)})",
            types,
            [0, [step], [token_in, token_out], (zero, False, zero, False)],
        )
        return -decode(["int256[]"], call(dex.vault or state.vault, data))[0][1]

    def marginal_rate(self, state: Any, token_in: str, token_out: str) -> tuple[int, int] | None:
        i, o = state.index(token_in), state.index(token_out)
        if i == o:
            return None
        if state.paused or state.balances[i] == 0 or state.balances[o] == 0:
            return 0, 1
        if isinstance(state, WeightedPoolState):
            return base_pool.marginal_rate(
                state.balances[i], state.balances[o], state.weights[i], state.weights[o], state.swap_fee
            )
        try:
            return composable_stable.marginal_rate(
                state.balances, i, o, state.scaling_factors, state.amp, state.swap_fee
            )
        except BalancerMathError:
            return 0, 1  # the invariant reverts: so does every swap

    def fee_pips(self, state: Any) -> int:
        return state.swap_fee // 10**12  # 1e18 = 100 %

    def routes(self, state: Any) -> list[Route]:
        return [(state.vault, state.pool_id.lower()), (state.address, None)]

    def apply_log(self, state: Any, log: Log) -> Any:
        return events.apply_log(state, log)

    def pool_from_creation(self, log: Log) -> str:
        return to_checksum_address(bytes(log["topics"][2])[12:])  # the second indexed topic

    def hop_fields(self, pool: str, token_in: str, token_out: str, info: Mapping[str, Any]) -> dict[str, Any]:
        vault = info.get("vault")
        if not vault:
            raise ValueError(f"Balancer pool {pool}: no Vault address")
        if "pool_id" not in info:
            raise ValueError(f"Balancer pool {pool}: no pool id")
        return {"pool_id": _pool_id(info["pool_id"]), "vault": to_checksum_address(vault)}


KIND = BalancerKind()
