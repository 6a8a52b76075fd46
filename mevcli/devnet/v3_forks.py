"""Uniswap V3's forks on the devnet: SushiSwap V3 and PancakeSwap V3.

SushiSwap V3 is a second deployment of the real Uniswap V3 factory and periphery (`MarketBuilder.deploy_v3`).
PancakeSwap V3 runs the real `PancakeV3Factory` and `PancakeV3Pool` bytecode from npm; the package ships no
pool deployer or periphery, so our own (`contracts/pancake/`) stand in: the deployer the factory calls to
CREATE2 each pool (pool addresses derive from it), a mint and swap helper and a quoter. Fee tiers
100/500/2500/10000 with tick spacings 1/10/50/200 are the factory's own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mevcli.devnet import market_spec as spec
from mevcli.devnet.artifacts import load
from mevcli.dex.uniswap_v3.full_math import mul_div
from mevcli.dex.uniswap_v3.tick_math import get_sqrt_ratio_at_tick

if TYPE_CHECKING:
    from mevcli.devnet.market import MarketBuilder

PANCAKE_V3_TICK_SPACING = {100: 1, 500: 10, 2500: 50, 10000: 200}
Q96 = 2**96
MAX_UINT128 = 2**128 - 1


def deploy_v3_forks(m: MarketBuilder) -> None:
    """Deploy both forks and seed `market_spec.V3_FORK_POOLS`."""
    m.deploy_v3("sushiswap_v3")
    deploy_pancake_v3(m)
    for pool in spec.V3_FORK_POOLS:
        if pool.dex == "pancakeswap_v3":
            seed_pancake_v3_pool(m, pool)
        else:
            m.seed_v3_pool(pool)


def data_contract_code(payload: bytes) -> str:
    """Creation code of a contract whose runtime code is `payload` (a plain data store, never called)."""
    size = len(payload)
    if size > 0xFFFF:
        raise ValueError("payload too large for a data contract")
    # PUSH2 size, DUP1, PUSH1 14, PUSH1 0, CODECOPY, PUSH1 0, RETURN; then the payload at offset 14.
    prefix = bytes([0x61, size >> 8, size & 0xFF, 0x80, 0x60, 14, 0x60, 0, 0x39, 0x60, 0, 0xF3])
    prefix += bytes([0x00, 0x00])  # pad to 14 bytes: STOP, STOP (never reached)
    return "0x" + (prefix + payload).hex()


def deploy_pancake_v3(m: MarketBuilder) -> None:
    d = m.d
    pool_code = bytes.fromhex(load("PancakeV3Pool").bytecode.removeprefix("0x"))
    holder = d.deploy_raw(data_contract_code(pool_code), "store the PancakeV3Pool creation code")
    deployer = d.deploy("PancakeV3PoolDeployer", holder)
    factory = d.deploy("PancakeV3Factory", deployer.address)
    d.send(deployer.functions.setFactoryAddress(factory.address), "set Pancake factory")
    helper = d.deploy("PancakeV3Helper")
    m.manifest["pancakeswap_v3"] = {
        "factory": factory.address,
        "pool_deployer": deployer.address,
        "quoter_v2": d.deploy("PancakeV3Quoter", factory.address).address,
        "helper": helper.address,
    }
    for symbol in m.tokens:
        m.approve(symbol, helper.address)


def seed_pancake_v3_pool(m: MarketBuilder, pool: spec.V3PoolSpec) -> None:
    """Create, initialise and fill a PancakeSwap V3 pool the way `MarketBuilder.seed_v3_pool` does."""
    d = m.d
    entry = m.manifest["pancakeswap_v3"]
    factory = d.at("PancakeV3Factory", entry["factory"])
    helper = d.at("PancakeV3Helper", entry["helper"])
    start = sym0, sym1, sqrt_price_x96 = m.v3_start(pool)
    t0, t1 = m.tokens[sym0], m.tokens[sym1]
    d.send(factory.functions.createPool(t0, t1, pool.fee), "create Pancake V3 pool")
    address = factory.functions.getPool(t0, t1, pool.fee).call()
    d.send(d.at("PancakeV3Pool", address).functions.initialize(sqrt_price_x96), "initialize Pancake V3 pool")
    for lower, upper, amount0, amount1 in m.v3_positions(pool, start, PANCAKE_V3_TICK_SPACING[pool.fee]):
        liquidity = liquidity_for_amounts(
            sqrt_price_x96, get_sqrt_ratio_at_tick(lower), get_sqrt_ratio_at_tick(upper), amount0, amount1
        )
        d.send(helper.functions.mint(address, d.sender, lower, upper, liquidity), "mint Pancake V3 position")
    m.pools.append({"address": address, "dex": "pancakeswap_v3", "tokens": [t0, t1], "fee": pool.fee})


def liquidity_for_amounts(sqrt_price: int, sqrt_a: int, sqrt_b: int, amount0: int, amount1: int) -> int:
    """The most liquidity `amount0` and `amount1` pay for in [sqrt_a, sqrt_b) at `sqrt_price` (the rule the
    Uniswap V3 position manager follows, rounding down)."""
    sqrt_a, sqrt_b = min(sqrt_a, sqrt_b), max(sqrt_a, sqrt_b)
    if sqrt_price <= sqrt_a:
        liquidity = _liquidity_for_amount0(sqrt_a, sqrt_b, amount0)
    elif sqrt_price < sqrt_b:
        liquidity = min(
            _liquidity_for_amount0(sqrt_price, sqrt_b, amount0),
            _liquidity_for_amount1(sqrt_a, sqrt_price, amount1),
        )
    else:
        liquidity = _liquidity_for_amount1(sqrt_a, sqrt_b, amount1)
    return min(liquidity, MAX_UINT128)


def _liquidity_for_amount0(sqrt_a: int, sqrt_b: int, amount0: int) -> int:
    return mul_div(amount0, mul_div(sqrt_a, sqrt_b, Q96), sqrt_b - sqrt_a)


def _liquidity_for_amount1(sqrt_a: int, sqrt_b: int, amount1: int) -> int:
    return mul_div(amount1, Q96, sqrt_b - sqrt_a)
