"""Deploy our Curve pools on the devnet and seed them: classic (`contracts/curve/CurveStableSwap.vy`) and
stableswap-ng-style (`contracts/curve/CurveStableSwapNG.vy`).

A 2-coin pool can be seeded off peg (`skew_bps`): its first deposit is made imbalanced so that the pool's
fee-free marginal price of coin 0 in coin 1 is the tokens' USD ratio moved by `skew_bps`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mevcli.devnet import market_spec as spec
from mevcli.dex.curve.math import StableSwapRevert, get_dy, rate_multiplier

if TYPE_CHECKING:
    from mevcli.devnet.market import MarketBuilder

_SCALE = 1_000_000  # resolution of the imbalance search
NG_A_PRECISION = 100
NG_ADMIN_FEE = 5_000_000_000  # stableswap-ng's admin share is a constant half


def seed_balances(m: MarketBuilder, pool: spec.CurvePoolSpec) -> list[int]:
    """First-deposit amounts: `depth_usd` split evenly, then tilted until coin 0 trades `skew_bps` off."""
    n = len(pool.tokens)
    even = [m.units(s, pool.depth_usd // n) for s in pool.tokens]
    if pool.skew_bps == 0 or m.fair:
        return even
    if n != 2:
        raise ValueError("skew_bps is only supported for 2-coin Curve pools")
    rates = [rate_multiplier(m.decimals[s]) for s in pool.tokens]
    precision = NG_A_PRECISION if pool.ng else 1
    variant = {"a_precision": precision, "ng": pool.ng}
    probe = m.units(pool.tokens[0], 1)
    target = probe * m.raw_price(pool.tokens[0], pool.tokens[1], pool.skew_bps)

    def tilted(k: int) -> list[int]:
        # k > 0 holds more coin 0 (coin 0 cheaper); k < 0 more coin 1.
        return [even[0] * (_SCALE + k) // _SCALE, even[1] * (_SCALE - k) // _SCALE]

    def price_ok(k: int) -> bool:  # coin 0 still buys at least the target
        try:
            return get_dy(0, 1, probe, tilted(k), rates, pool.A * precision, 0, **variant) >= target
        except StableSwapRevert:
            return False

    # The price of coin 0 falls as k grows: find the boundary by bisection.
    lo, hi = -(_SCALE - 1), _SCALE - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if price_ok(mid) else (lo, mid)
    return tilted(lo)


def curve_constructor(m: MarketBuilder, pool: spec.CurvePoolSpec) -> tuple[str, tuple[Any, ...]]:
    """The artifact name and constructor arguments of `pool`'s contract."""
    coins = [m.tokens[s] for s in pool.tokens]
    name, symbol = "Curve " + "/".join(pool.tokens), "crv" + "".join(pool.tokens)
    if pool.ng:
        return "CurveStableSwapNG", (coins, pool.A, pool.fee, pool.offpeg_fee_multiplier, name, symbol)
    return f"CurveStableSwap{len(coins)}", (coins, pool.A, pool.fee, pool.admin_fee, name, symbol)


def deploy_curve_pool(m: MarketBuilder, pool: spec.CurvePoolSpec) -> dict[str, Any]:
    """Deploy, fund and seed one pool; return its `manifest["pools"]` entry."""
    artifact, args = curve_constructor(m, pool)
    contract = m.d.deploy(artifact, *args)
    amounts = seed_balances(m, pool)
    for symbol, amount in zip(pool.tokens, amounts, strict=True):
        m.fund(symbol, m.d.sender, amount)
        m.approve(symbol, contract.address)
    m.d.send(contract.functions.add_liquidity(amounts, 0), "Curve add_liquidity")
    return curve_pool_entry(m, pool, contract.address)


def curve_pool_entry(m: MarketBuilder, pool: spec.CurvePoolSpec, address: str) -> dict[str, Any]:
    """The manifest's entry for `pool` deployed at `address`."""
    return {
        "address": address,
        "dex": "curve",
        "tokens": [m.tokens[s] for s in pool.tokens],
        "fee": pool.fee // 10_000,  # 1e10 precision -> pips
        "A": pool.A,
        "admin_fee": NG_ADMIN_FEE if pool.ng else pool.admin_fee,
        "variant": "stableswap-ng" if pool.ng else "classic-v1",
    }


def deploy_curve_registry(m: MarketBuilder, pools: list[str]) -> str:
    """Our Curve pool listing (`pool_count`/`pool_list`, as Curve's registries and factories answer)
    holding `pools`; its address."""
    registry = m.d.deploy("CurvePoolRegistry")
    for pool in pools:
        m.d.send(registry.functions.add_pool(pool), "Curve registry add_pool")
    return registry.address
