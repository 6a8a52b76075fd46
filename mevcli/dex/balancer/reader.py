"""Read Balancer V2 weighted pools over Multicall3, every call pinned to one block.

1. each pool's getPoolId, getVault, getNormalizedWeights, getSwapFeePercentage, getPausedState (and
   getScalingFactors, which only the 2022+ pools have: their math differs, so they are refused);
2. each pool's Vault.getPoolTokens(poolId) (tokens in the Vault's order, total balances);
3. decimals() of every token not already known (skipped when `decimals` covers them all).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from eth_abi import decode
from eth_utils import to_checksum_address

from mevcli.chain.multicall import Call, CallResult, Multicall, encode_call
from mevcli.dex.balancer.base_pool import scaling_factor
from mevcli.dex.balancer.state import WeightedPoolState
from mevcli.errors import UnknownPool, UnknownToken

_HEADER = [
    encode_call("getPoolId()"),
    encode_call("getVault()"),
    encode_call("getNormalizedWeights()"),
    encode_call("getSwapFeePercentage()"),
    encode_call("getPausedState()"),
    encode_call("getScalingFactors()"),
]
_DECIMALS = encode_call("decimals()")


def _ok(result: CallResult, size: int = 32) -> bool:
    return result.ok and len(result.data) >= size


def get_pool_tokens_call(vault: str, pool_id: bytes) -> Call:
    return Call(vault, encode_call("getPoolTokens(bytes32)", ["bytes32"], [pool_id]))


def _read_headers(mc: Multicall, addresses: Sequence[str], block: int) -> list[list[CallResult]]:
    n = len(_HEADER)
    header = mc.call([Call(a, data) for a in addresses for data in _HEADER], block)
    return [header[i * n : (i + 1) * n] for i in range(len(addresses))]


def _unsupported(address: str, *results: CallResult) -> str | None:
    """Why the pool whose header calls gave `results` cannot be read, or None when it can."""
    pool_id, vault, weights, fee, newer = results
    if not all(_ok(r) for r in (pool_id, vault, weights, fee)):
        return f"{address} is not a Balancer weighted pool"
    if newer.ok:
        return (
            f"{address} is a post-2021 Balancer pool (it has getScalingFactors): only the 2021 (v1) "
            "weighted pools are supported"
        )
    return None


def supported_weighted_pools(mc: Multicall, addresses: Sequence[str], block: int) -> list[str]:
    """The addresses `read_weighted_pools` can read: a Vault registers pools of every kind."""
    return [
        address
        for address, (pool_id, vault, weights, fee, _paused, newer) in zip(
            addresses, _read_headers(mc, addresses, block), strict=True
        )
        if _unsupported(address, pool_id, vault, weights, fee, newer) is None
    ]


def read_weighted_pools(
    mc: Multicall, addresses: Sequence[str], block: int, decimals: Mapping[str, int] | None = None
) -> list[WeightedPoolState]:
    """States of the weighted pools at `addresses` at `block`; `decimals` (token -> decimals) saves
    the third round trip for tokens it names."""
    pools = []
    for address, (pool_id, vault, weights, fee, paused, newer) in zip(
        addresses, _read_headers(mc, addresses, block), strict=True
    ):
        problem = _unsupported(address, pool_id, vault, weights, fee, newer)
        if problem:
            raise UnknownPool(problem)
        pools.append(
            (
                to_checksum_address(address),
                decode(["bytes32"], pool_id.data)[0],
                to_checksum_address(decode(["address"], vault.data)[0]),
                tuple(decode(["uint256[]"], weights.data)[0]),
                decode(["uint256"], fee.data)[0],
                _ok(paused, 96) and decode(["bool", "uint256", "uint256"], paused.data)[0],
            )
        )
    registered = mc.call([get_pool_tokens_call(p[2], p[1]) for p in pools], block)
    token_lists: list[tuple[tuple[str, ...], tuple[int, ...]]] = []
    for (address, *_), result in zip(pools, registered, strict=True):
        if not _ok(result, 96):
            raise UnknownPool(f"the Vault does not know Balancer pool {address}")
        tokens, balances, _ = decode(["address[]", "uint256[]", "uint256"], result.data)
        token_lists.append((tuple(to_checksum_address(t) for t in tokens), tuple(balances)))
    token_decimals = _read_decimals(mc, [t for tokens, _ in token_lists for t in tokens], block, decimals)
    states = []
    for (address, pool_id, vault, weights, fee, paused), (tokens, balances) in zip(
        pools, token_lists, strict=True
    ):
        if len(weights) != len(tokens):
            raise UnknownPool(f"{address} has {len(weights)} weights for {len(tokens)} tokens")
        states.append(
            WeightedPoolState(
                address=address,
                pool_id="0x" + pool_id.hex(),
                vault=vault,
                tokens=tokens,
                balances=balances,
                weights=weights,
                swap_fee=fee,
                scaling_factors=tuple(scaling_factor(token_decimals[t]) for t in tokens),
                block=block,
                paused=bool(paused),
            )
        )
    return states


def _read_decimals(
    mc: Multicall, tokens: Sequence[str], block: int, known: Mapping[str, int] | None
) -> dict[str, int]:
    found = {to_checksum_address(t): d for t, d in (known or {}).items()}
    missing = sorted({t for t in tokens if t not in found})
    for token, result in zip(missing, mc.call([Call(t, _DECIMALS) for t in missing], block), strict=True):
        if not _ok(result):
            raise UnknownToken(f"Balancer pool token {token} has no decimals()")
        found[token] = decode(["uint8"], result.data)[0]
    return found
