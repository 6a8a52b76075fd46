"""`mevcli devnet up --extra-pools N`: N more real pools through the real factories, over extra tokens.

The extra market is a pure function of N (seeded): extra test tokens at spread-out USD prices, each
paired with WETH on Uniswap V2 and SushiSwap, then Uniswap V2 / SushiSwap pairs and Uniswap V3 pools
(three positions each, across the 500/3000/10000 tiers) between the extra tokens, a few Balancer weighted
pools and Curve pools between the extra dollar tokens. Every pool sits within a few basis points of the
tokens' fair prices (inside the fee: no arbitrage) except the planted ones: a handful of SushiSwap
WETH pairs priced hundreds of basis points off, each a 2-hop opportunity against its Uniswap V2 twin.

Every transaction goes through a `BatchSender` (JSON-RPC batches with explicit nonces and gas, a batch
mined as one block, every receipt checked): the tokens, then each kind's pools in a few rounds whatever
their number (create, fund, seed). Balancer and Curve pools use the base market's factories, contracts and
seeding (`batched_pools`).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from math import isqrt
from typing import Any

from web3 import Web3

from mevcli.devnet import market_spec as spec
from mevcli.devnet.batch_sender import BatchSender, calldata, creation_data
from mevcli.devnet.batched_pools import create_weighted_pools, deploy_curve_pools, fund_sender
from mevcli.devnet.deployer import Deployer
from mevcli.devnet.market import (
    FAR_DEADLINE,
    V3_TICK_SPACING,
    MarketBuilder,
    weighted_pool_entry,
)

SEED = 11
NOISE_BPS = 12  # fair pools: each pool's price within ± this of the tokens' price (well inside the fee)
PLANTED_BPS = (350, 500, 650, 800)
V3_FEES = (500, 3000, 10_000)
V3_POSITIONS = (
    spec.V3PositionSpec(-100, 100, 150_000),
    spec.V3PositionSpec(-1_000, 1_000, 300_000),
    spec.V3PositionSpec(-6_000, 6_000, 400_000),
)
GAS = {"create_v2": 6_000_000, "create_v3": 15_000_000, "mint": 200_000, "pair_mint": 600_000}
GAS |= {"position": 1_500_000, "wrap": 100_000, "token": 3_000_000}


@dataclass(frozen=True, slots=True)
class ExtraToken:
    symbol: str
    decimals: int
    usd: Fraction
    stable: bool


@dataclass(slots=True)
class ExtraPlan:
    """What `--extra-pools N` adds: tokens, then pool specs by kind, and which pools are planted."""

    tokens: list[ExtraToken]
    v2: list[spec.V2PoolSpec] = field(default_factory=list)
    v3: list[spec.V3PoolSpec] = field(default_factory=list)
    weighted: list[spec.WeightedPoolSpec] = field(default_factory=list)
    curve: list[spec.CurvePoolSpec] = field(default_factory=list)
    planted: list[spec.V2PoolSpec] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.v2) + len(self.v3) + len(self.weighted) + len(self.curve)


def plan_extra_pools(count: int, seed: int = SEED) -> ExtraPlan:
    """The extra market for `count` pools (exactly `count`), the same for the same arguments."""
    rng = random.Random(seed)
    n_tokens = max(4, isqrt(count * 2 // 3) + 2)
    tokens = []
    for i in range(n_tokens):
        stable = i % 6 == 0
        usd = (
            Fraction(1)
            if stable
            else Fraction(round(10 ** rng.uniform(-1.5, 3.5), 4)).limit_denominator(10**4)
        )
        decimals = 6 if stable else (8 if i % 7 == 3 else 18)
        tokens.append(ExtraToken(f"X{i:03d}", decimals, usd or Fraction(1, 100), stable))
    plan = ExtraPlan(tokens)

    def noise() -> int:
        return rng.randint(-NOISE_BPS, NOISE_BPS)

    def depth() -> int:
        return rng.choice((100_000, 250_000, 500_000, 1_000_000, 2_000_000))

    n_planted = min(len(tokens), max(2, count // 250))
    # Every extra token trades against WETH on both Uniswap V2 and SushiSwap (as most tokens do).
    for i, token in enumerate(tokens):
        if plan.count + 2 > count:
            break
        plan.v2.append(spec.V2PoolSpec("uniswap_v2", "WETH", token.symbol, depth(), noise()))
        if i < n_planted:
            skew = PLANTED_BPS[i % len(PLANTED_BPS)] * (1 if i % 2 else -1)
            planted = spec.V2PoolSpec("sushiswap", "WETH", token.symbol, depth(), skew)
            plan.v2.append(planted)
            plan.planted.append(planted)
        else:
            plan.v2.append(spec.V2PoolSpec("sushiswap", "WETH", token.symbol, depth(), noise()))
    pairs = [(a.symbol, b.symbol) for i, a in enumerate(tokens) for b in tokens[i + 1 :]]
    rng.shuffle(pairs)
    stables = [t.symbol for t in tokens if t.stable]
    stable_pairs = [(a, b) for i, a in enumerate(stables) for b in stables[i + 1 :]]
    rest = count - plan.count
    n_curve = min(len(stable_pairs), max(1, rest // 40)) if rest >= 10 else 0
    n_weighted = max(1, rest // 40) if rest >= 10 else 0
    for a, b in stable_pairs[:n_curve]:
        plan.curve.append(
            spec.CurvePoolSpec((a, b), A=200, fee=4_000_000, depth_usd=depth(), skew_bps=noise())
        )
    for n in range(n_weighted):
        a, b = pairs[n % len(pairs)]
        weights = (50, 50) if n % 2 else (80, 20)
        plan.weighted.append(spec.WeightedPoolSpec((a, b), weights, depth(), 30, skew_bps=(noise(), 0)))
    # The rest: per token pair a Uniswap V2 pair, a SushiSwap pair and a V3 pool (fee tiers in turn).
    if count - plan.count > 3 * len(pairs):
        raise ValueError(f"{count} extra pools need more tokens than planned")
    slot = 0
    while plan.count < count:
        (a, b), kind = pairs[slot // 3], slot % 3
        if kind < 2:
            plan.v2.append(spec.V2PoolSpec(("uniswap_v2", "sushiswap")[kind], a, b, depth(), noise()))
        else:
            fee = V3_FEES[(slot // 3) % len(V3_FEES)]
            plan.v3.append(spec.V3PoolSpec(a, b, fee, V3_POSITIONS, noise()))
        slot += 1
    return plan


def add_extra_pools(
    w3: Web3, rpc_url: str, manifest: dict[str, Any], count: int, log: Callable[[str], None] = lambda _: None
) -> dict[str, Any]:
    """Create the `count` extra pools on the devnet of `manifest`; return the manifest with them listed."""
    plan = plan_extra_pools(count)
    d = Deployer(w3)
    m = MarketBuilder(d)
    m.manifest = {
        k: v for k, v in manifest.items() if k in ("uniswap_v2", "sushiswap", "uniswap_v3", "balancer")
    }
    for symbol, address in manifest["tokens"].items():
        usd = spec.WETH_USD if symbol == "WETH" else next(t.usd for t in spec.TOKENS if t.symbol == symbol)
        m._add_token(symbol, address, manifest["decimals"][symbol], usd)
    sender = BatchSender(rpc_url, d.sender, w3.eth.get_transaction_count(d.sender))
    log(f"extra pools: deploying {len(plan.tokens)} tokens")
    for token in plan.tokens:
        code = creation_data("TestToken", f"Extra {token.symbol}", token.symbol, token.decimals)
        sender.add(None, code, GAS["token"], f"deploy token {token.symbol}")
    for token, receipt in zip(plan.tokens, sender.flush(), strict=True):
        address = Web3.to_checksum_address(receipt["contractAddress"])
        m._add_token(token.symbol, address, token.decimals, token.usd)
    weth_needed = sum(
        amount for pool in plan.v2 for symbol, amount in _v2_amounts(m, pool) if symbol == "WETH"
    )
    if weth_needed:
        sender.add(m.tokens["WETH"], calldata("WETH9", "deposit"), GAS["wrap"], "wrap ETH", value=weth_needed)
    entries = _uniswap_pools(m, sender, plan, log)
    log(f"extra pools: {len(plan.weighted)} Balancer weighted, {len(plan.curve)} Curve")
    created = create_weighted_pools(m, sender, plan.weighted)
    entries += [weighted_pool_entry(p, c) for p, c in zip(plan.weighted, created, strict=True)]
    curve_entries = deploy_curve_pools(m, sender, plan.curve)
    curve_pools = [*manifest.get("curve", {}).get("pools", []), *(e["address"] for e in curve_entries)]
    entries += curve_entries
    for entry in entries:
        entry["extra"] = True
    planted = [e for e in entries if e.get("planted_skew_bps")]
    extra_tokens = {t.symbol: m.tokens[t.symbol] for t in plan.tokens}
    return {
        **manifest,
        "block": w3.eth.block_number,
        "tokens": {**manifest["tokens"], **extra_tokens},
        "decimals": {**manifest["decimals"], **{t.symbol: t.decimals for t in plan.tokens}},
        "curve": {**manifest.get("curve", {}), "pools": curve_pools},
        "pools": [*manifest["pools"], *entries],
        "extra_pools": {
            "count": len(entries),
            "tokens": extra_tokens,
            "planted": [{"address": e["address"], "skew_bps": e["planted_skew_bps"]} for e in planted],
        },
    }


def _uniswap_pools(
    m: MarketBuilder, sender: BatchSender, plan: ExtraPlan, log: Callable[[str], None]
) -> list[Any]:
    """Create and seed the plan's V2 pairs and V3 pools in batches; their manifest entries, in plan order."""
    v2_factory = {dex: m.manifest[dex]["factory"] for dex in ("uniswap_v2", "sushiswap")}
    v3_factory = m.manifest["uniswap_v3"]["factory"]
    manager = m.manifest["uniswap_v3"]["position_manager"]

    # 1. Create every pair and pool (V3 pools initialised at their price).
    v3_prices = []
    for pool in plan.v2:
        a, b = m.tokens[pool.token_a], m.tokens[pool.token_b]
        create = calldata("UniswapV2Factory", "createPair", a, b)
        sender.add(v2_factory[pool.dex], create, GAS["create_v2"], "createPair")
    for pool in plan.v3:
        v3_prices.append(start := m.v3_start(pool))
        sym0, sym1, sqrt_price_x96 = start
        args = (m.tokens[sym0], m.tokens[sym1], pool.fee, sqrt_price_x96)
        create = calldata("NonfungiblePositionManager", "createAndInitializePoolIfNecessary", *args)
        sender.add(manager, create, GAS["create_v3"], "create V3 pool")
    log(f"extra pools: creating {len(plan.v2)} V2/Sushi pairs and {len(plan.v3)} V3 pools")
    sender.flush()
    lookups = [
        (v2_factory[p.dex], calldata("UniswapV2Factory", "getPair", m.tokens[p.token_a], m.tokens[p.token_b]))
        for p in plan.v2
    ]
    lookups += [
        (v3_factory, calldata("UniswapV3Factory", "getPool", m.tokens[s0], m.tokens[s1], p.fee))
        for p, (s0, s1, _) in zip(plan.v3, v3_prices, strict=True)
    ]
    addresses = [Web3.to_checksum_address("0x" + r[-40:]) for r in sender.call(lookups)]

    # 2. Fund: V2 pairs receive both tokens and mint; V3 positions are minted from the sender's balance.
    entries: list[dict[str, Any]] = []
    for pool, address in zip(plan.v2, addresses, strict=False):
        for symbol, amount in _v2_amounts(m, pool):
            if symbol == "WETH":
                transfer = calldata("WETH9", "transfer", address, amount)
                sender.add(m.tokens["WETH"], transfer, GAS["mint"], "fund WETH")
            else:
                mint = calldata("TestToken", "mint", address, amount)
                sender.add(m.tokens[symbol], mint, GAS["mint"], "mint")
        sender.add(address, calldata("UniswapV2Pair", "mint", sender.sender), GAS["pair_mint"], "pair mint")
        t0, t1 = sorted((m.tokens[pool.token_a], m.tokens[pool.token_b]), key=lambda t: int(t, 16))
        entry = {"address": address, "dex": pool.dex, "tokens": [t0, t1], "fee": 3000}
        if pool in plan.planted:
            entry["planted_skew_bps"] = pool.skew_bps
        entries.append(entry)
    positions = []
    deposits: list[tuple[str, int]] = []
    for pool, start, address in zip(plan.v3, v3_prices, addresses[len(plan.v2) :], strict=True):
        t0, t1 = m.tokens[start[0]], m.tokens[start[1]]
        for lower, upper, amount0, amount1 in m.v3_ranges(pool, start, V3_TICK_SPACING[pool.fee]):
            deposits += ((t0, amount0), (t1, amount1))
            positions.append(
                (t0, t1, pool.fee, lower, upper, amount0, amount1, 0, 0, sender.sender, FAR_DEADLINE)
            )
        entries.append({"address": address, "dex": "uniswap_v3", "tokens": [t0, t1], "fee": pool.fee})
    fund_sender(m, sender, deposits, [manager])
    for params in positions:
        mint = calldata("NonfungiblePositionManager", "mint", params)
        sender.add(manager, mint, GAS["position"], "mint V3 position")
    log(f"extra pools: seeding liquidity ({sender.queued} transactions)")
    sender.flush()
    return entries


def _v2_amounts(m: MarketBuilder, pool: spec.V2PoolSpec) -> tuple[tuple[str, int], tuple[str, int]]:
    """The two deposits that seed a V2 pair: half the depth in token A, and B at the (skewed) price."""
    amount_a = m.units(pool.token_a, pool.depth_usd // 2)
    amount_b = int(amount_a * m.raw_price(pool.token_a, pool.token_b, pool.skew_bps))
    return (pool.token_a, amount_a), (pool.token_b, amount_b)
