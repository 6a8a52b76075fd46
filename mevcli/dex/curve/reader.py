"""Read Curve StableSwap plain pools in two batched Multicall3 round trips, recognising each one's variant.

Round one asks every pool for `coins(k)`, `balances(k)` (k < MAX_COINS; the first failing `coins(k)` ends
the list), `A()`, `fee()`, `admin_fee()` and the getters that tell the variants apart (`A_precise()`,
`offpeg_fee_multiplier()`, `stored_rates()`, `future_A_time()`, and those only metapools and lending pools
have), plus the block's timestamp; round two asks every distinct coin for `decimals()`.

Variants (`math` has their differences): a pool with `offpeg_fee_multiplier()` and stableswap-ng's
`stored_rates()` (a dynamic array) is stableswap-ng; otherwise one with `A_precise()` is a classic pool with
A_PRECISION 100; otherwise a first-generation classic pool. Not priced, each with its reason: metapools
(`base_pool()`/`BASE_POOL()`), lending pools (`underlying_coins(k)`), classic pools with an off-peg fee,
and coins whose stored rate is not the plain 10**(36 - decimals) (rate oracles, ERC4626). A pool whose A
ramps is priced at the block's A (`A_precise()`, or `A()` where there is no precision) and marked
(`ramp_end`): its state holds for that block only, so the reserve cache reads it again at every request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mevcli.chain.abi import decode
from mevcli.chain.addresses import to_checksum_address
from mevcli.chain.multicall import MULTICALL3_ADDRESS, Call, CallResult, Multicall, encode_call
from mevcli.dex.curve.math import rate_multiplier
from mevcli.dex.curve.state import CurvePoolState
from mevcli.errors import UnknownPool

MAX_COINS = 8
A_PRECISION = 100
_COINS = [encode_call("coins(uint256)", ["uint256"], [k]) for k in range(MAX_COINS)]
_BALANCES = [encode_call("balances(uint256)", ["uint256"], [k]) for k in range(MAX_COINS)]
_SCALARS = [
    encode_call("A()"),
    encode_call("fee()"),
    encode_call("admin_fee()"),
    encode_call("A_precise()"),
    encode_call("offpeg_fee_multiplier()"),
    encode_call("stored_rates()"),
    encode_call("future_A_time()"),
    encode_call("base_pool()"),
    encode_call("BASE_POOL()"),
    encode_call("underlying_coins(uint256)", ["uint256"], [0]),
]
CALLS_PER_POOL = 2 * MAX_COINS + len(_SCALARS)  # round one; round two asks each distinct coin once
_CALLS_PER_POOL = CALLS_PER_POOL
_DECIMALS = encode_call("decimals()")
_TIMESTAMP = encode_call("getCurrentBlockTimestamp()")


@dataclass(frozen=True, slots=True)
class UnpricedCurvePool:
    """A Curve pool read but not priced, and why."""

    address: str
    reason: str


def _uint(result: CallResult) -> int | None:
    return decode(["uint256"], result.data)[0] if result.ok and len(result.data) >= 32 else None


def _dynamic_uints(result: CallResult) -> tuple[int, ...] | None:
    if not result.ok or len(result.data) < 64:
        return None
    from eth_abi.exceptions import DecodingError  # a dynamic array: only cold reads get here

    try:
        return tuple(decode(["uint256[]"], result.data)[0])
    except (DecodingError, OverflowError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class _Raw:
    address: str
    coins: list[str]
    balances: list[int]
    amp: int
    fee: int
    admin_fee: int
    a_precision: int
    ng: bool
    offpeg: int
    stored_rates: tuple[int, ...] | None
    ramp_end: int


def _classify(address: str, chunk: Sequence[CallResult], now: int | None) -> _Raw | UnpricedCurvePool:
    coin_results, balance_results = chunk[:MAX_COINS], chunk[MAX_COINS : 2 * MAX_COINS]
    scalars = chunk[2 * MAX_COINS :]
    amp, fee, admin_fee, a_precise, offpeg = (_uint(r) for r in scalars[:5])
    stored_rates = _dynamic_uints(scalars[5])
    future_a_time = _uint(scalars[6])
    base_pool = scalars[7].ok or scalars[8].ok
    lending = scalars[9].ok and len(scalars[9].data) >= 32
    coins: list[str] = []
    for r in coin_results:
        if not r.ok or len(r.data) < 32:
            break
        coins.append(to_checksum_address(decode(["address"], r.data)[0]))
    balances = [_uint(r) for r in balance_results[: len(coins)]]
    if len(coins) < 2 or amp is None or fee is None or None in balances:
        return UnpricedCurvePool(address, "not a Curve StableSwap pool (no coins/balances/A/fee)")
    if base_pool:
        return UnpricedCurvePool(address, "metapool (swaps through a base pool's LP token): not modelled")
    if lending:
        return UnpricedCurvePool(address, "lending pool (wrapped coins with underlying_coins): not modelled")
    ng = offpeg is not None and stored_rates is not None and len(stored_rates) == len(coins)
    if offpeg is not None and not ng:
        return UnpricedCurvePool(address, "classic pool with an off-peg fee multiplier: not modelled")
    a_precision = A_PRECISION if (ng or a_precise is not None) else 1
    return _Raw(
        to_checksum_address(address),
        coins,
        balances,  # type: ignore[arg-type]
        (a_precise if a_precise is not None else amp * A_PRECISION) if a_precision > 1 else amp,
        fee,
        admin_fee or 0,
        a_precision,
        ng,
        offpeg or 0,
        stored_rates,
        future_a_time if future_a_time and (now is None or now < future_a_time) else 0,
    )


def read_pools_and_unpriced(
    mc: Multicall, addresses: Sequence[str], block: int
) -> tuple[list[CurvePoolState], list[UnpricedCurvePool]]:
    """States of the Curve pools at `addresses` that we price, and the others with the reason."""
    multicall3 = getattr(mc, "address", MULTICALL3_ADDRESS)
    calls = [Call(a, data) for a in addresses for data in (*_COINS, *_BALANCES, *_SCALARS)]
    results = mc.call([*calls, Call(multicall3, _TIMESTAMP)], block)
    now = _uint(results[-1])
    raws: list[_Raw] = []
    unpriced: list[UnpricedCurvePool] = []
    for p, address in enumerate(addresses):
        found = _classify(address, results[p * _CALLS_PER_POOL : (p + 1) * _CALLS_PER_POOL], now)
        (unpriced if isinstance(found, UnpricedCurvePool) else raws).append(found)  # type: ignore[arg-type]
    distinct = sorted({c for raw in raws for c in raw.coins})
    decimals = {
        coin: _uint(r)
        for coin, r in zip(distinct, mc.call([Call(c, _DECIMALS) for c in distinct], block), strict=True)
    }
    states = []
    for raw in raws:
        if any(decimals[c] is None or decimals[c] > 18 for c in raw.coins):  # type: ignore[operator]
            unpriced.append(UnpricedCurvePool(raw.address, "a coin without ERC20 decimals() <= 18"))
            continue
        rates = tuple(rate_multiplier(decimals[c]) for c in raw.coins)  # type: ignore[arg-type]
        if raw.ng and raw.stored_rates != rates:
            unpriced.append(
                UnpricedCurvePool(raw.address, "rate-bearing coins (oracle or ERC4626 rates): not modelled")
            )
            continue
        states.append(
            CurvePoolState(
                address=raw.address,
                coins=tuple(raw.coins),
                balances=tuple(raw.balances),
                rates=rates,
                A=raw.amp,
                fee=raw.fee,
                admin_fee=raw.admin_fee,
                block=block,
                a_precision=raw.a_precision,
                ng=raw.ng,
                offpeg_fee_multiplier=raw.offpeg,
                ramp_end=raw.ramp_end,
            )
        )
    return states, unpriced


def read_pools(mc: Multicall, addresses: Sequence[str], block: int) -> list[CurvePoolState]:
    """States of the Curve pools at `addresses` at `block`. Raises UnknownPool for any pool not priced."""
    states, unpriced = read_pools_and_unpriced(mc, addresses, block)
    if unpriced:
        first = unpriced[0]
        raise UnknownPool(f"{first.address} is not a Curve pool we price: {first.reason}")
    order = {a.lower(): k for k, a in enumerate(addresses)}
    return sorted(states, key=lambda s: order[s.address.lower()])
