"""Uniswap V4 on the devnet: the real PoolManager and its test routers from v4-core's build, two hooks
of ours at CREATE2 addresses whose low bits grant the permissions we want, and pools seeded at the
market's prices (hookless over several fees, native ETH, observe-only hooks, a dynamic fee, and one
pool whose hook may change swaps, which mevcli lists unpriced).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import isqrt
from typing import TYPE_CHECKING, Any

from eth_utils import keccak, to_checksum_address

from mevcli.devnet.artifacts import load
from mevcli.dex.uniswap_v3.tick_math import MAX_TICK, MIN_TICK, get_sqrt_ratio_at_tick, get_tick_at_sqrt_ratio
from mevcli.dex.uniswap_v4.fees import DYNAMIC_FEE_FLAG
from mevcli.dex.uniswap_v4.hooks import AFTER_SWAP, ALL_HOOK_MASK, BEFORE_SWAP, BEFORE_SWAP_RETURNS_DELTA
from mevcli.dex.uniswap_v4.pool_key import NATIVE, PoolKey

if TYPE_CHECKING:
    from mevcli.devnet.market import MarketBuilder

# Anvil predeploys the deterministic CREATE2 deployer: calldata is salt (32 bytes) then init code.
CREATE2_DEPLOYER = "0x4e59b44847b379578588920cA78FbF26c0B4956C"
Q96 = 2**96
ETH = "ETH"  # the symbol for native ETH as a V4 currency (priced like WETH)
OBSERVER = "observer"
DELTA = "delta"
OBSERVER_FLAGS = AFTER_SWAP
DELTA_FLAGS = BEFORE_SWAP | BEFORE_SWAP_RETURNS_DELTA


@dataclass(frozen=True, slots=True)
class V4PositionSpec:
    lower_bps: int
    upper_bps: int
    usd: int  # at most this much of each currency


@dataclass(frozen=True, slots=True)
class V4PoolSpec:
    token_a: str
    token_b: str
    fee: int  # pips, or DYNAMIC_FEE_FLAG
    tick_spacing: int
    positions: tuple[V4PositionSpec, ...]
    skew_bps: int = 0
    hook: str | None = None  # OBSERVER, DELTA or None
    dynamic_fee: int = 0  # the LP fee the hook sets on a dynamic-fee pool
    protocol_fee: int = 0  # packed: token0-input fee | token1-input fee << 12


_WIDE = (
    V4PositionSpec(-60, 60, 300_000),
    V4PositionSpec(-400, 250, 500_000),
    V4PositionSpec(-3_000, 3_000, 900_000),
    V4PositionSpec(200, 1_500, 200_000),
    V4PositionSpec(-1_800, -300, 200_000),
)
_STABLE = (
    V4PositionSpec(-4, 4, 800_000),
    V4PositionSpec(-30, 20, 600_000),
    V4PositionSpec(6, 50, 150_000),
    V4PositionSpec(-50, -8, 150_000),
)

V4_POOLS: tuple[V4PoolSpec, ...] = (
    V4PoolSpec("WETH", "USDC", 500, 10, _WIDE, skew_bps=60, protocol_fee=300 | 150 << 12),
    V4PoolSpec("USDC", "USDT", 100, 1, _STABLE, skew_bps=-20),
    V4PoolSpec("WBTC", "WETH", 3000, 60, _WIDE, skew_bps=-70),
    V4PoolSpec(ETH, "USDC", 3000, 60, _WIDE, skew_bps=40),
    V4PoolSpec("WETH", "DAI", 3000, 60, _WIDE, skew_bps=30, hook=OBSERVER),
    V4PoolSpec("WETH", "USDT", DYNAMIC_FEE_FLAG, 60, _WIDE, hook=OBSERVER, dynamic_fee=2_500),
    V4PoolSpec("DAI", "USDC", 500, 10, _STABLE, hook=DELTA),
)


def mine_salt(deployer: str, init_code: bytes, flags: int) -> tuple[bytes, str]:
    """A CREATE2 salt whose address has exactly `flags` in its low 14 bits, and that address."""
    prefix = b"\xff" + bytes.fromhex(deployer[2:])
    code_hash = keccak(init_code)
    for n in range(1 << 24):
        salt = n.to_bytes(32, "big")
        address = keccak(prefix + salt + code_hash)[12:]
        if int.from_bytes(address[-2:], "big") & ALL_HOOK_MASK == flags:
            return salt, to_checksum_address(address)
    raise RuntimeError(f"no CREATE2 salt found for hook flags {flags:#x}")


def liquidity_for_amounts(sqrt_price: int, sqrt_a: int, sqrt_b: int, amount0: int, amount1: int) -> int:
    """Most liquidity [a, b) can take from at most amount0 / amount1 at the given price (LiquidityAmounts)."""
    if sqrt_price <= sqrt_a:
        return amount0 * sqrt_a * sqrt_b // ((sqrt_b - sqrt_a) * Q96)
    if sqrt_price >= sqrt_b:
        return amount1 * Q96 // (sqrt_b - sqrt_a)
    from_0 = amount0 * sqrt_price * sqrt_b // ((sqrt_b - sqrt_price) * Q96)
    from_1 = amount1 * Q96 // (sqrt_price - sqrt_a)
    return min(from_0, from_1)


class V4Builder:
    """Deploys the PoolManager, routers and hooks, then seeds `V4_POOLS` with the MarketBuilder's tokens."""

    def __init__(self, market: MarketBuilder) -> None:
        self.m = market
        self.d = market.d
        self.w3 = market.w3
        self.entry: dict[str, Any] = {}
        self.pools: list[dict[str, Any]] = []

    def deploy(self) -> dict[str, Any]:
        manager = self.d.deploy("PoolManager", self.d.sender)
        self.d.send(manager.functions.setProtocolFeeController(self.d.sender), "V4 protocol fee controller")
        swap_router = self.d.deploy("PoolSwapTest", manager.address)
        liquidity_router = self.d.deploy("PoolModifyLiquidityTest", manager.address)
        for symbol in self.m.tokens:
            self.m.approve(symbol, swap_router.address)
            self.m.approve(symbol, liquidity_router.address)
        self.entry = {
            "pool_manager": manager.address,
            "pool_swap_test": swap_router.address,
            "pool_modify_liquidity_test": liquidity_router.address,
            "observer_hook": self._deploy_hook(
                "V4ObserverHook", OBSERVER_FLAGS, manager.address, self.d.sender
            ),
            "delta_hook": self._deploy_hook("V4DeltaHook", DELTA_FLAGS, manager.address),
        }
        return self.entry

    def _deploy_hook(self, name: str, flags: int, *args: Any) -> str:
        art = load(name)
        contract = self.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
        init_code = bytes.fromhex(contract.constructor(*args).data_in_transaction[2:])
        salt, address = mine_salt(CREATE2_DEPLOYER, init_code, flags)
        tx = {"from": self.d.sender, "to": CREATE2_DEPLOYER, "data": "0x" + (salt + init_code).hex()}
        self.d._wait(self.w3.eth.send_transaction(tx), f"CREATE2 {name}")
        if len(self.w3.eth.get_code(address)) == 0:
            raise RuntimeError(f"{name} did not land at its CREATE2 address {address}")
        return address

    def _address(self, symbol: str) -> str:
        return NATIVE if symbol == ETH else self.m.tokens[symbol]

    def _price_symbol(self, symbol: str) -> str:
        return "WETH" if symbol == ETH else symbol

    def seed(self, pool: V4PoolSpec) -> dict[str, Any]:
        manager = self.d.at("PoolManager", self.entry["pool_manager"])
        sym0, sym1 = sorted((pool.token_a, pool.token_b), key=lambda s: int(self._address(s), 16))
        hooks = {None: NATIVE, OBSERVER: self.entry["observer_hook"], DELTA: self.entry["delta_hook"]}[
            pool.hook
        ]
        key = PoolKey(
            currency0=self._address(sym0),
            currency1=self._address(sym1),
            fee=pool.fee,
            tick_spacing=pool.tick_spacing,
            hooks=hooks,
        )
        price = self.m.raw_price(
            self._price_symbol(pool.token_a), self._price_symbol(pool.token_b), pool.skew_bps
        )
        price1_per_0 = price if sym0 == pool.token_a else 1 / price
        sqrt_price = isqrt(price1_per_0.numerator * 2**192 // price1_per_0.denominator)
        self.d.send(manager.functions.initialize(key.as_tuple, sqrt_price), "initialize V4 pool")
        if pool.dynamic_fee:
            hook = self.d.at("V4ObserverHook", self.entry["observer_hook"])
            self.d.send(hook.functions.setDynamicFee(key.as_tuple, pool.dynamic_fee), "set V4 dynamic fee")
        if pool.protocol_fee:
            self.d.send(
                manager.functions.setProtocolFee(key.as_tuple, pool.protocol_fee), "set V4 protocol fee"
            )
        tick = get_tick_at_sqrt_ratio(sqrt_price)
        router = self.d.at("PoolModifyLiquidityTest", self.entry["pool_modify_liquidity_test"])
        for n, position in enumerate(pool.positions):
            lower = _align(tick + position.lower_bps, pool.tick_spacing)
            upper = max(_align(tick + position.upper_bps, pool.tick_spacing), lower + pool.tick_spacing)
            amount0 = self.m.units(self._price_symbol(sym0), position.usd)
            amount1 = self.m.units(self._price_symbol(sym1), position.usd)
            liquidity = liquidity_for_amounts(
                sqrt_price, get_sqrt_ratio_at_tick(lower), get_sqrt_ratio_at_tick(upper), amount0, amount1
            )
            value = 0
            for symbol, amount in ((sym0, amount0), (sym1, amount1)):
                if symbol == ETH:
                    value = amount + 1
                else:
                    self.m.fund(symbol, self.d.sender, amount + 1)
            params = (lower, upper, liquidity, n.to_bytes(32, "big"))
            self.d.send(
                router.functions.modifyLiquidity(key.as_tuple, params, b""), "add V4 liquidity", value=value
            )
        entry = {
            "dex": "uniswap_v4",
            "pool_id": key.pool_id,
            "tokens": [key.currency0, key.currency1],
            "fee": pool.fee,
            "tick_spacing": pool.tick_spacing,
            "hooks": key.hooks,
        }
        self.pools.append(entry)
        return entry


def _align(tick: int, spacing: int) -> int:
    aligned = (tick // spacing) * spacing
    return max(min(aligned, (MAX_TICK // spacing) * spacing), -((-MIN_TICK) // spacing) * spacing)


def deploy_uniswap_v4(market: MarketBuilder) -> dict[str, Any]:
    """The manifest's `uniswap_v4` entry: PoolManager, routers, hooks and the seeded pools."""
    builder = V4Builder(market)
    entry = builder.deploy()
    for pool in V4_POOLS:
        builder.seed(pool)
    return {**entry, "pools": builder.pools}
