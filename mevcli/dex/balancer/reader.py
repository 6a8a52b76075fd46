"""Read Balancer V2 pools over Multicall3, every call pinned to one block.

1. each pool's getPoolId, getVault, getSwapFeePercentage, getPausedState and the calls that tell the
   kinds apart: getNormalizedWeights (weighted), getScalingFactors (only 2022+ pools have it),
   getAmplificationParameter and getBptIndex (composable stable);
2. each pool's Vault.getPoolTokens(poolId) (tokens in the Vault's order, total balances);
3. decimals() of every weighted pool token not already known (skipped when `decimals` covers them all);
   composable stable pools take their scaling factors from the pool (decimals times the cached token
   rate), except that for a token with a rate provider (`getRateProviders`) whose `getTokenRateCache`
   has expired at the block's timestamp, the next swap refreshes the rate before pricing: the reader does
   the same, with the provider's `getRate()` and the token's decimals.

Supported: the 2021 (v1) weighted pools (weights, no getScalingFactors) and composable stable pools
(amplification, BPT index, scaling factors). Post-2021 weighted pools (their math differs), legacy
stable pools and every other kind are refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from mevcli.chain.abi import decode
from mevcli.chain.addresses import to_checksum_address
from mevcli.chain.multicall import Call, CallResult, Multicall, encode_call
from mevcli.dex.balancer import fixed_point as fp
from mevcli.dex.balancer.base_pool import scaling_factor
from mevcli.dex.balancer.state import BalancerPoolState, ComposableStablePoolState, WeightedPoolState
from mevcli.errors import UnknownPool, UnknownToken

WEIGHTED = "weighted"
COMPOSABLE_STABLE = "composable_stable"

HEADER = [
    encode_call("getPoolId()"),
    encode_call("getVault()"),
    encode_call("getSwapFeePercentage()"),
    encode_call("getPausedState()"),
    encode_call("getNormalizedWeights()"),
    encode_call("getScalingFactors()"),
    encode_call("getAmplificationParameter()"),
    encode_call("getBptIndex()"),
]
_DECIMALS = encode_call("decimals()")
_RATE_PROVIDERS = encode_call("getRateProviders()")
_GET_RATE = encode_call("getRate()")
_TIMESTAMP = encode_call("getCurrentBlockTimestamp()")
ZERO_ADDRESS = "0x" + "00" * 20


def _ok(result: CallResult, size: int = 32) -> bool:
    return result.ok and len(result.data) >= size


def get_pool_tokens_call(vault: str, pool_id: bytes) -> Call:
    return Call(vault, encode_call("getPoolTokens(bytes32)", ["bytes32"], [pool_id]))


def _read_headers(mc: Multicall, addresses: Sequence[str], block: int) -> list[list[CallResult]]:
    n = len(HEADER)
    header = mc.call([Call(a, data) for a in addresses for data in HEADER], block)
    return [header[i * n : (i + 1) * n] for i in range(len(addresses))]


def pool_kind(address: str, header: Sequence[CallResult]) -> str:
    """`WEIGHTED` or `COMPOSABLE_STABLE` from a pool's header calls; UnknownPool says why not."""
    pool_id, vault, fee, _paused, weights, scaling, amp, bpt_index = header
    if not all(_ok(r) for r in (pool_id, vault, fee)):
        raise UnknownPool(f"{address} is not a Balancer pool")
    if _ok(weights) and not scaling.ok:
        return WEIGHTED
    if _ok(scaling, 64) and _ok(amp, 96) and _ok(bpt_index):
        return COMPOSABLE_STABLE
    if _ok(weights):
        raise UnknownPool(
            f"{address} is a post-2021 Balancer weighted pool (it has getScalingFactors): only the 2021 "
            "(v1) weighted pools and composable stable pools are supported"
        )
    raise UnknownPool(
        f"{address} is a Balancer pool of a kind we cannot price: only the 2021 (v1) weighted pools and "
        "composable stable pools are supported"
    )


def supported_balancer_pools(mc: Multicall, addresses: Sequence[str], block: int) -> list[str]:
    """The addresses `read_balancer_pools` can read: a Vault registers pools of every kind."""
    supported = []
    for address, header in zip(addresses, _read_headers(mc, addresses, block), strict=True):
        try:
            pool_kind(address, header)
        except UnknownPool:
            continue
        supported.append(address)
    return supported


def read_balancer_pools(
    mc: Multicall, addresses: Sequence[str], block: int, decimals: Mapping[str, int] | None = None
) -> list[BalancerPoolState]:
    """States of the Balancer pools at `addresses` at `block`, each of its kind; `decimals`
    (token -> decimals) saves the third round trip for weighted pool tokens it names."""
    pools = []
    for address, header in zip(addresses, _read_headers(mc, addresses, block), strict=True):
        kind = pool_kind(address, header)
        pool_id, vault, fee, paused = header[:4]
        pools.append(
            (
                kind,
                to_checksum_address(address),
                decode(["bytes32"], pool_id.data)[0],
                to_checksum_address(decode(["address"], vault.data)[0]),
                decode(["uint256"], fee.data)[0],
                bool(_ok(paused, 96) and decode(["bool", "uint256", "uint256"], paused.data)[0]),
                header,
            )
        )
    stable = [p[1] for p in pools if p[0] == COMPOSABLE_STABLE]
    second = mc.call(
        [get_pool_tokens_call(p[3], p[2]) for p in pools] + [Call(a, _RATE_PROVIDERS) for a in stable], block
    )
    registered = second[: len(pools)]
    providers = dict(zip(stable, second[len(pools) :], strict=True))
    token_lists: list[tuple[tuple[str, ...], tuple[int, ...]]] = []
    for pool, result in zip(pools, registered, strict=True):
        if not _ok(result, 96):
            raise UnknownPool(f"the Vault does not know Balancer pool {pool[1]}")
        tokens, balances, _ = decode(["address[]", "uint256[]", "uint256"], result.data)
        token_lists.append((tuple(to_checksum_address(t) for t in tokens), tuple(balances)))
    weighted_tokens = [
        t for pool, (tokens, _) in zip(pools, token_lists, strict=True) if pool[0] == WEIGHTED for t in tokens
    ]
    rated = _rated_tokens(pools, token_lists, providers)
    token_decimals = _read_decimals(mc, weighted_tokens + [t for _, t, _ in rated], block, decimals)
    refreshed, expiries = _refreshed_rates(mc, rated, block)
    states: list[BalancerPoolState] = []
    for (kind, address, pool_id, vault, fee, paused, header), (tokens, balances) in zip(
        pools, token_lists, strict=True
    ):
        common = {
            "address": address,
            "pool_id": "0x" + pool_id.hex(),
            "vault": vault,
            "swap_fee": fee,
            "block": block,
            "paused": paused,
        }
        if kind == WEIGHTED:
            weights = tuple(decode(["uint256[]"], header[4].data)[0])
            if len(weights) != len(tokens):
                raise UnknownPool(f"{address} has {len(weights)} weights for {len(tokens)} tokens")
            states.append(
                WeightedPoolState(
                    **common,
                    tokens=tokens,
                    balances=balances,
                    weights=weights,
                    scaling_factors=tuple(scaling_factor(token_decimals[t]) for t in tokens),
                )
            )
        else:
            factors = list(decode(["uint256[]"], header[5].data)[0])
            for k, token in enumerate(tokens):
                rate = refreshed.get((address, token))
                if rate is not None and k < len(factors):
                    factors[k] = fp.mul_down(10 ** (36 - token_decimals[token]), rate)
            has_rate = {t for p, t, _ in rated if p == address}
            scales = tuple(10 ** (36 - token_decimals[t]) if t in has_rate else 0 for t in tokens)
            state = _composable_stable(common, tokens, balances, tuple(factors), header, scales)
            states.append(replace(state, rates_expire=expiries.get(address, 0)))
    return states


def _rated_tokens(
    pools: Sequence[tuple], token_lists: Sequence[tuple[tuple[str, ...], tuple[int, ...]]], providers: dict
) -> list[tuple[str, str, str]]:
    """(pool, token, rate provider) of every composable stable pool token that has a provider."""
    rated = []
    for pool, (tokens, _) in zip(pools, token_lists, strict=True):
        result = providers.get(pool[1])
        if result is None or not _ok(result, 64):
            continue
        addresses = [to_checksum_address(a) for a in decode(["address[]"], result.data)[0]]
        rated += [(pool[1], t, a) for t, a in zip(tokens, addresses, strict=False) if int(a, 16) != 0]
    return rated


def _refreshed_rates(
    mc: Multicall, rated: Sequence[tuple[str, str, str]], block: int
) -> tuple[dict[tuple[str, str], int], dict[str, int]]:
    """(pool, token) -> the provider's rate, for the token rate caches expired at the block's timestamp
    (`block.timestamp > expires`: the next swap's `_cacheTokenRatesIfNecessary` refreshes them); and
    per pool the earliest expiry of its token rate caches."""
    if not rated:
        return {}, {}
    calls = [Call(mc.address, _TIMESTAMP)]
    for pool, token, provider in rated:
        calls.append(Call(pool, encode_call("getTokenRateCache(address)", ["address"], [token])))
        calls.append(Call(provider, _GET_RATE))
    results = mc.call(calls, block)
    if not _ok(results[0]):
        raise UnknownPool("Multicall3 getCurrentBlockTimestamp failed: cannot tell expired token rates")
    now = decode(["uint256"], results[0].data)[0]
    fresh = {}
    earliest: dict[str, int] = {}
    for k, (pool, token, provider) in enumerate(rated):
        cache, rate = results[1 + 2 * k], results[2 + 2 * k]
        if not (_ok(cache, 128) and _ok(rate)):
            raise UnknownPool(f"{pool}: cannot read the rate of {token} (cache or provider {provider})")
        expires = decode(["uint256", "uint256", "uint256", "uint256"], cache.data)[3]
        earliest[pool] = min(earliest.get(pool, expires), expires)
        if now > expires:
            fresh[(pool, token)] = decode(["uint256"], rate.data)[0]
    return fresh, earliest


def _composable_stable(
    common: dict,
    tokens: tuple[str, ...],
    balances: tuple[int, ...],
    factors: tuple[int, ...],
    header: Sequence[CallResult],
    scales: tuple[int, ...],
) -> ComposableStablePoolState:
    """The state from the Vault's registered tokens (BPT included) and the pool's own getters."""
    address = common["address"]
    amp, updating, precision = decode(["uint256", "bool", "uint256"], header[6].data)
    bpt_index = decode(["uint256"], header[7].data)[0]
    if len(factors) != len(tokens) or bpt_index >= len(tokens) or tokens[bpt_index] != address:
        raise UnknownPool(f"{address}: its BPT index or scaling factors do not match the Vault's tokens")
    if precision != 1_000:
        raise UnknownPool(f"{address} has amplification precision {precision}, not 1e3")

    def own(values: tuple) -> tuple:
        return values[:bpt_index] + values[bpt_index + 1 :]

    return ComposableStablePoolState(
        **common,
        tokens=own(tokens),
        balances=own(balances),
        scaling_factors=own(factors),
        amp=amp,
        amp_updating=updating,
        bpt_index=bpt_index,
        rate_scales=own(scales),
    )


def read_weighted_pools(
    mc: Multicall, addresses: Sequence[str], block: int, decimals: Mapping[str, int] | None = None
) -> list[WeightedPoolState]:
    """`read_balancer_pools` for addresses that must all be 2021 (v1) weighted pools."""
    weighted = []
    for state in read_balancer_pools(mc, addresses, block, decimals):
        if not isinstance(state, WeightedPoolState):
            raise UnknownPool(f"{state.address} is not a Balancer weighted pool")
        weighted.append(state)
    return weighted


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
