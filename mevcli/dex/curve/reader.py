"""Read Curve StableSwap plain pools in two batched Multicall3 round trips.

Round one asks every pool for `coins(k)`, `balances(k)` (k < MAX_COINS; the first failing `coins(k)`
ends the list), `A()`, `fee()` and `admin_fee()`; round two asks every distinct coin for `decimals()`,
from which the rate multipliers follow (plain pools: 10**(36 - decimals)).
"""

from __future__ import annotations

from collections.abc import Sequence

from eth_abi import decode
from eth_utils import to_checksum_address

from mevcli.chain.multicall import Call, CallResult, Multicall, encode_call
from mevcli.dex.curve.math import rate_multiplier
from mevcli.dex.curve.state import CurvePoolState
from mevcli.errors import UnknownPool

MAX_COINS = 8
_COINS = [encode_call("coins(uint256)", ["uint256"], [k]) for k in range(MAX_COINS)]
_BALANCES = [encode_call("balances(uint256)", ["uint256"], [k]) for k in range(MAX_COINS)]
_SCALARS = [encode_call("A()"), encode_call("fee()"), encode_call("admin_fee()")]
_CALLS_PER_POOL = 2 * MAX_COINS + len(_SCALARS)
_DECIMALS = encode_call("decimals()")


def _uint(result: CallResult) -> int | None:
    return decode(["uint256"], result.data)[0] if result.ok and len(result.data) >= 32 else None


def read_pools(mc: Multicall, addresses: Sequence[str], block: int) -> list[CurvePoolState]:
    """States of the Curve pools at `addresses` at `block`. Raises UnknownPool for anything else."""
    calls = [Call(a, data) for a in addresses for data in (*_COINS, *_BALANCES, *_SCALARS)]
    results = mc.call(calls, block)
    partial = []
    for p, address in enumerate(addresses):
        chunk = results[p * _CALLS_PER_POOL : (p + 1) * _CALLS_PER_POOL]
        coin_results, balance_results = chunk[:MAX_COINS], chunk[MAX_COINS : 2 * MAX_COINS]
        amp, fee, admin_fee = (_uint(r) for r in chunk[2 * MAX_COINS :])
        coins: list[str] = []
        for r in coin_results:
            if not r.ok or len(r.data) < 32:
                break
            coins.append(to_checksum_address(decode(["address"], r.data)[0]))
        balances = [_uint(r) for r in balance_results[: len(coins)]]
        if len(coins) < 2 or amp is None or fee is None or None in balances:
            raise UnknownPool(f"{address} is not a Curve StableSwap pool")
        partial.append((to_checksum_address(address), coins, balances, amp, fee, admin_fee or 0))
    distinct = sorted({c for _, coins, *_ in partial for c in coins})
    decimals = {
        coin: _uint(r)
        for coin, r in zip(distinct, mc.call([Call(c, _DECIMALS) for c in distinct], block), strict=True)
    }
    states = []
    for address, coins, balances, amp, fee, admin_fee in partial:
        if any(decimals[c] is None or decimals[c] > 18 for c in coins):
            raise UnknownPool(f"{address} holds a coin without ERC20 decimals() <= 18")
        states.append(
            CurvePoolState(
                address=address,
                coins=tuple(coins),
                balances=tuple(balances),  # type: ignore[arg-type]
                rates=tuple(rate_multiplier(decimals[c]) for c in coins),  # type: ignore[arg-type]
                A=amp,
                fee=fee,
                admin_fee=admin_fee,
                block=block,
            )
        )
    return states
