"""What the devnet market holds: tokens, pools and the prices they are seeded at.

Prices are USD per whole token. The same pair is deliberately priced differently across DEXes
(`skew_bps` moves the pool's price of token1 in token0 terms), so arbitrage exists on the devnet.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True, slots=True)
class TokenSpec:
    symbol: str
    name: str
    decimals: int
    usd: Fraction


@dataclass(frozen=True, slots=True)
class V2PoolSpec:
    dex: str  # "uniswap_v2" or "sushiswap"
    token_a: str
    token_b: str
    depth_usd: int  # total value locked, split evenly
    skew_bps: int = 0  # > 0: token_b is richer in this pool (more token_b per token_a)


@dataclass(frozen=True, slots=True)
class V3PositionSpec:
    lower_bps: int  # price offset of the lower bound from the pool price (1 bp ≈ 1 tick)
    upper_bps: int
    usd: int  # value offered for each token; the position manager takes what the range needs


@dataclass(frozen=True, slots=True)
class V3PoolSpec:
    token_a: str
    token_b: str
    fee: int  # fee tier in pips: 100, 500, 3000, 10000 (PancakeSwap V3: 100, 500, 2500, 10000)
    positions: tuple[V3PositionSpec, ...]
    skew_bps: int = 0
    dex: str = "uniswap_v3"  # or a fork: "sushiswap_v3", "pancakeswap_v3"


@dataclass(frozen=True, slots=True)
class WeightedPoolSpec:
    tokens: tuple[str, ...]
    weights_pct: tuple[int, ...]
    depth_usd: int
    swap_fee_bps: int = 30
    skew_bps: tuple[int, ...] = ()  # per token: > 0 makes that token scarcer (pricier) in the pool


@dataclass(frozen=True, slots=True)
class ComposableStablePoolSpec:
    """A Balancer composable stable pool (no rate providers: every token rate is 1e18)."""

    tokens: tuple[str, ...]
    amplification: int  # the plain A (1..5000); the pool keeps it times 1e3
    swap_fee: int  # 1e18-based: 4 * 10**14 = 0.04%
    depth_usd: int  # split evenly before any skew
    skew_bps: tuple[int, ...] = ()  # per token: > 0 holds less of it (pricier in the pool)


TOKENS: tuple[TokenSpec, ...] = (
    TokenSpec("USDC", "USD Coin", 6, Fraction(1)),
    TokenSpec("USDT", "Tether USD", 6, Fraction(1)),
    TokenSpec("DAI", "Dai Stablecoin", 18, Fraction(1)),
    TokenSpec("WBTC", "Wrapped BTC", 8, Fraction(60_000)),
    TokenSpec("ARB", "Arbitrum", 18, Fraction(4, 5)),
)
WETH_USD = Fraction(3_000)

V2_POOLS: tuple[V2PoolSpec, ...] = (
    V2PoolSpec("uniswap_v2", "WETH", "USDC", 20_000_000),
    V2PoolSpec("uniswap_v2", "WETH", "USDT", 8_000_000),
    V2PoolSpec("uniswap_v2", "WETH", "DAI", 6_000_000),
    V2PoolSpec("uniswap_v2", "WBTC", "WETH", 10_000_000),
    V2PoolSpec("uniswap_v2", "ARB", "WETH", 4_000_000),
    V2PoolSpec("uniswap_v2", "USDC", "USDT", 5_000_000),
    V2PoolSpec("sushiswap", "WETH", "USDC", 6_000_000, skew_bps=150),
    V2PoolSpec("sushiswap", "WBTC", "WETH", 3_000_000, skew_bps=-120),
    V2PoolSpec("sushiswap", "ARB", "WETH", 2_000_000, skew_bps=200),
    V2PoolSpec("sushiswap", "USDC", "DAI", 3_000_000, skew_bps=60),
    # Only reachable in four hops from WETH through stables: plants the 4-hop opportunity.
    V2PoolSpec("sushiswap", "ARB", "DAI", 1_500_000, skew_bps=300),
)

_WIDE = (
    V3PositionSpec(-50, 50, 400_000),
    V3PositionSpec(-200, 150, 600_000),
    V3PositionSpec(-1_000, 1_200, 1_000_000),
    V3PositionSpec(-5_000, 5_000, 1_500_000),
    V3PositionSpec(300, 2_000, 300_000),  # above the price: token0 only
    V3PositionSpec(-2_500, -400, 300_000),  # below the price: token1 only
)
_STABLE = (
    V3PositionSpec(-5, 5, 1_000_000),
    V3PositionSpec(-20, 15, 800_000),
    V3PositionSpec(-100, 100, 1_200_000),
    V3PositionSpec(8, 60, 200_000),
    V3PositionSpec(-60, -10, 200_000),
)

V3_POOLS: tuple[V3PoolSpec, ...] = (
    V3PoolSpec("WETH", "USDC", 500, _WIDE, skew_bps=-80),
    V3PoolSpec("WETH", "USDC", 3000, _WIDE),
    V3PoolSpec("USDC", "USDT", 100, _STABLE, skew_bps=25),
    V3PoolSpec("DAI", "USDC", 100, _STABLE, skew_bps=-30),
    V3PoolSpec("WBTC", "WETH", 3000, _WIDE, skew_bps=90),
    V3PoolSpec("ARB", "WETH", 10000, _WIDE, skew_bps=-150),
    V3PoolSpec("WETH", "USDT", 10000, _WIDE),
)

# Uniswap V3's forks: SushiSwap V3 (the same bytecode, its own factory) and PancakeSwap V3 (its own pool
# bytecode and deployer). Priced against each other and against Uniswap V3 and the V2s.
V3_FORK_POOLS: tuple[V3PoolSpec, ...] = (
    V3PoolSpec("WETH", "USDC", 500, _WIDE, skew_bps=60, dex="sushiswap_v3"),
    V3PoolSpec("WBTC", "WETH", 3000, _WIDE, dex="sushiswap_v3"),
    V3PoolSpec("WETH", "USDC", 2500, _WIDE, skew_bps=-100, dex="pancakeswap_v3"),
    V3PoolSpec("USDC", "USDT", 100, _STABLE, skew_bps=-35, dex="pancakeswap_v3"),
    V3PoolSpec("ARB", "WETH", 10000, _WIDE, dex="pancakeswap_v3"),
)

WEIGHTED_POOLS: tuple[WeightedPoolSpec, ...] = (
    WeightedPoolSpec(("WETH", "USDC"), (80, 20), 5_000_000, 30, skew_bps=(0, 120)),
    WeightedPoolSpec(("WBTC", "WETH", "USDC"), (50, 25, 25), 6_000_000, 20, skew_bps=(-60, 0, 0)),
    WeightedPoolSpec(("ARB", "WETH"), (50, 50), 2_000_000, 50, skew_bps=(100, 0)),
)

COMPOSABLE_STABLE_POOLS: tuple[ComposableStablePoolSpec, ...] = (
    ComposableStablePoolSpec(
        ("USDC", "USDT", "DAI"), amplification=200, swap_fee=4 * 10**14, depth_usd=12_000_000
    ),
)


@dataclass(frozen=True, slots=True)
class PlantedRoute:
    """An opportunity the seeded prices create on purpose: tokens (first == last) and the DEX per hop."""

    tokens: tuple[str, ...]
    dexes: tuple[str, ...]


PLANTED: tuple[PlantedRoute, ...] = (
    PlantedRoute(("WETH", "USDC", "WETH"), ("sushiswap", "uniswap_v3")),
    PlantedRoute(("WETH", "ARB", "WETH"), ("uniswap_v3", "sushiswap")),
    PlantedRoute(("WETH", "USDC", "USDT", "WETH"), ("sushiswap", "uniswap_v3", "uniswap_v2")),
    PlantedRoute(
        ("WETH", "ARB", "DAI", "USDC", "WETH"), ("uniswap_v2", "sushiswap", "uniswap_v3", "uniswap_v3")
    ),
    PlantedRoute(("USDC", "USDT", "USDC"), ("uniswap_v3", "curve")),
    PlantedRoute(("WETH", "USDC", "WETH"), ("sushiswap", "balancer")),
    PlantedRoute(("WETH", "USDC", "WBTC", "WETH"), ("sushiswap", "balancer", "uniswap_v3")),
    PlantedRoute(("WETH", "ARB", "DAI", "USDC", "WETH"), ("uniswap_v3", "sushiswap", "curve", "balancer")),
    # The composable stable pool holds USDC and DAI at par while Uniswap V3's 1 bp pool has USDC 30 bps rich.
    PlantedRoute(("USDC", "DAI", "USDC"), ("uniswap_v3", "balancer")),
    # Across Uniswap V3's forks and the V2s.
    PlantedRoute(("WETH", "USDC", "WETH"), ("sushiswap_v3", "uniswap_v3")),
    PlantedRoute(("WETH", "USDC", "WETH"), ("sushiswap_v3", "pancakeswap_v3")),
    PlantedRoute(("WETH", "USDC", "WETH"), ("sushiswap", "pancakeswap_v3")),
    PlantedRoute(("USDC", "USDT", "USDC"), ("uniswap_v3", "pancakeswap_v3")),
)


@dataclass(frozen=True, slots=True)
class CurvePoolSpec:
    """One of our Curve pools, coins in pool order: classic (`contracts/curve/CurveStableSwap.vy`) or, with
    `ng`, stableswap-ng-style (`contracts/curve/CurveStableSwapNG.vy`, admin fee fixed at half)."""

    tokens: tuple[str, ...]
    A: int  # Curve's A (the whitepaper's A·n^(n-1))
    fee: int  # 1e10 precision: 4_000_000 = 0.04%
    depth_usd: int  # split evenly before any skew
    admin_fee: int = 0  # the admin's share of each fee, 1e10 precision (classic pools)
    skew_bps: int = 0  # 2-coin pools: > 0 makes coin 0 buy more coin 1 than its USD price says
    ng: bool = False
    offpeg_fee_multiplier: int = 0  # ng: 1e10 precision, 20_000_000_000 doubles the fee far off peg


CURVE_POOLS: tuple[CurvePoolSpec, ...] = (
    CurvePoolSpec(
        ("USDC", "USDT", "DAI"), A=200, fee=4_000_000, depth_usd=30_000_000, admin_fee=5_000_000_000
    ),
    # USDC 30 bps cheap against USDT, while Uniswap V3's 1 bp pool has it 25 bps rich: a stable arbitrage.
    CurvePoolSpec(("USDC", "USDT"), A=100, fee=4_000_000, depth_usd=8_000_000, skew_bps=-30),
    # stableswap-ng: DAI 35 bps cheap against USDC (the dynamic fee rises as the pool leaves its peg),
    # while Uniswap V3's and SushiSwap's DAI/USDC pools have DAI at or above par.
    CurvePoolSpec(
        ("DAI", "USDC"),
        A=200,
        fee=3_000_000,
        depth_usd=6_000_000,
        skew_bps=35,
        ng=True,
        offpeg_fee_multiplier=20_000_000_000,
    ),
)
