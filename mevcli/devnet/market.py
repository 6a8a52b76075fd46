"""Deploy the real DEX contracts on a fresh devnet node and seed the market of `market_spec`.

The result is the manifest: every contract by role, and every pool with its dex, tokens and fee.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from math import isqrt
from typing import Any

from web3 import Web3

from mevcli.chain.multicall import MULTICALL3_ADDRESS
from mevcli.devnet import market_spec as spec
from mevcli.devnet.aave import deploy_aave
from mevcli.devnet.artifacts import load
from mevcli.devnet.balancer import create_composable_stable_pool, create_weighted_pool, deploy_balancer
from mevcli.devnet.curve import deploy_curve_pool, deploy_curve_registry
from mevcli.devnet.deployer import MAX_UINT256, Deployer
from mevcli.devnet.uniswap_v4 import deploy_uniswap_v4
from mevcli.devnet.v3_forks import deploy_v3_forks
from mevcli.dex.uniswap_v3.tick_math import MAX_TICK, MIN_TICK, get_tick_at_sqrt_ratio

WETH_FLOAT = 400_000 * 10**18  # ETH the deployer wraps once to seed WETH pools
V3_TICK_SPACING = {100: 1, 500: 10, 3000: 60, 10000: 200}
FAR_DEADLINE = 2**40


class MarketBuilder:
    """Deploys contracts and seeds pools, keeping the addresses for the manifest."""

    def __init__(self, d: Deployer, *, fair: bool = False) -> None:
        self.d = d
        # A fair market seeds every pool at the same price: no arbitrage (for false-positive tests).
        self.fair = fair
        self.w3 = d.w3
        self.tokens: dict[str, str] = {}
        self.decimals: dict[str, int] = {}
        self.usd: dict[str, Fraction] = {}
        self.pools: list[dict[str, Any]] = []
        self.manifest: dict[str, Any] = {}

    # -- tokens ---------------------------------------------------------------------------------
    def deploy_tokens(self) -> None:
        weth = self.d.deploy("WETH9")
        self.d.send(weth.functions.deposit(), "wrap ETH", value=WETH_FLOAT)
        self._add_token("WETH", weth.address, 18, spec.WETH_USD)
        for t in spec.TOKENS:
            token = self.d.deploy("TestToken", t.name, t.symbol, t.decimals)
            self._add_token(t.symbol, token.address, t.decimals, t.usd)

    def _add_token(self, symbol: str, address: str, decimals: int, usd: Fraction) -> None:
        self.tokens[symbol] = address
        self.decimals[symbol] = decimals
        self.usd[symbol] = usd

    def fund(self, symbol: str, to: str, amount: int) -> None:
        """Give `to` `amount` base units of `symbol` (mint, or move wrapped ETH for WETH)."""
        if symbol == "WETH":
            weth = self.d.at("WETH9", self.tokens["WETH"])
            if to != self.d.sender:
                self.d.send(weth.functions.transfer(to, amount), "fund WETH")
            return
        self.d.send(self.d.at("TestToken", self.tokens[symbol]).functions.mint(to, amount), f"mint {symbol}")

    def units(self, symbol: str, usd: int | Fraction) -> int:
        """Base units of `symbol` worth `usd` dollars."""
        return int(Fraction(usd) / self.usd[symbol] * 10 ** self.decimals[symbol])

    def raw_price(self, base: str, quote: str, skew_bps: int = 0) -> Fraction:
        """Base units of `quote` per base unit of `base`, moved by `skew_bps` (unless fair)."""
        if self.fair:
            skew_bps = 0
        whole = self.usd[base] / self.usd[quote]
        raw = whole * 10 ** self.decimals[quote] / 10 ** self.decimals[base]
        return raw * Fraction(10_000 + skew_bps, 10_000)

    def approve(self, symbol: str, spender: str) -> None:
        token = self.d.at("TestToken", self.tokens[symbol])
        self.d.send(token.functions.approve(spender, MAX_UINT256), f"approve {symbol}")

    # -- infrastructure -------------------------------------------------------------------------
    def install_multicall3(self) -> None:
        """Our Multicall3 at the canonical address, so client code is the same on every chain."""
        code = load("Multicall3")
        runtime = _runtime_code(self.w3, self.d, code.name)
        self.w3.provider.make_request("anvil_setCode", [MULTICALL3_ADDRESS, runtime])
        self.manifest["multicall3"] = MULTICALL3_ADDRESS

    # -- Uniswap V2 and its forks ---------------------------------------------------------------
    def deploy_v2(self, name: str) -> None:
        factory = self.d.deploy("UniswapV2Factory", self.d.sender)
        router = self.d.deploy("UniswapV2Router02", factory.address, self.tokens["WETH"])
        self.manifest[name] = {"factory": factory.address, "router": router.address}

    def seed_v2_pool(self, pool: spec.V2PoolSpec) -> None:
        factory = self.d.at("UniswapV2Factory", self.manifest[pool.dex]["factory"])
        a, b = self.tokens[pool.token_a], self.tokens[pool.token_b]
        self.d.send(factory.functions.createPair(a, b), "createPair")
        pair_address = factory.functions.getPair(a, b).call()
        amount_a = self.units(pool.token_a, pool.depth_usd // 2)
        amount_b = int(amount_a * self.raw_price(pool.token_a, pool.token_b, pool.skew_bps))
        self.fund(pool.token_a, pair_address, amount_a)
        self.fund(pool.token_b, pair_address, amount_b)
        pair = self.d.at("UniswapV2Pair", pair_address)
        self.d.send(pair.functions.mint(self.d.sender), "pair mint")
        token0 = pair.functions.token0().call()
        token1 = pair.functions.token1().call()
        self.pools.append({"address": pair_address, "dex": pool.dex, "tokens": [token0, token1], "fee": 3000})

    # -- Uniswap V3 -----------------------------------------------------------------------------
    def deploy_v3(self, name: str = "uniswap_v3") -> None:
        """The real Uniswap V3 factory and periphery; a second deployment is a faithful SushiSwap V3."""
        weth = self.tokens["WETH"]
        factory = self.d.deploy("UniswapV3Factory")
        # The original factory enables 500/3000/10000; the 1 bp tier was added later by governance.
        self.d.send(factory.functions.enableFeeAmount(100, 1), "enable 1bp tier")
        manager = self.d.deploy("NonfungiblePositionManager", factory.address, weth, self.d.sender)
        self.manifest[name] = {
            "factory": factory.address,
            "swap_router": self.d.deploy("SwapRouter", factory.address, weth).address,
            "quoter_v2": self.d.deploy("QuoterV2", factory.address, weth).address,
            "tick_lens": self.d.deploy("TickLens").address,
            "position_manager": manager.address,
        }
        for symbol in self.tokens:
            self.approve(symbol, manager.address)

    def seed_v3_pool(self, pool: spec.V3PoolSpec) -> None:
        manager = self.d.at("NonfungiblePositionManager", self.manifest[pool.dex]["position_manager"])
        start = sym0, sym1, sqrt_price_x96 = self.v3_start(pool)
        t0, t1 = self.tokens[sym0], self.tokens[sym1]
        self.d.send(
            manager.functions.createAndInitializePoolIfNecessary(t0, t1, pool.fee, sqrt_price_x96),
            "create V3 pool",
        )
        for lower, upper, amount0, amount1 in self.v3_positions(pool, start, V3_TICK_SPACING[pool.fee]):
            params = (t0, t1, pool.fee, lower, upper, amount0, amount1, 0, 0, self.d.sender, FAR_DEADLINE)
            self.d.send(manager.functions.mint(params), "mint V3 position")
        factory = self.d.at("UniswapV3Factory", self.manifest[pool.dex]["factory"])
        address = factory.functions.getPool(t0, t1, pool.fee).call()
        self.pools.append({"address": address, "dex": pool.dex, "tokens": [t0, t1], "fee": pool.fee})

    def v3_start(self, pool: spec.V3PoolSpec) -> tuple[str, str, int]:
        """(token0's symbol, token1's symbol, sqrtPriceX96) a V3-style pool of `pool` starts at."""
        sym0, sym1 = sorted((pool.token_a, pool.token_b), key=lambda s: int(self.tokens[s], 16))
        price = self.raw_price(pool.token_a, pool.token_b, pool.skew_bps)
        price1_per_0 = price if sym0 == pool.token_a else 1 / price
        return sym0, sym1, isqrt(price1_per_0.numerator * 2**192 // price1_per_0.denominator)

    def v3_positions(
        self, pool: spec.V3PoolSpec, start: tuple[str, str, int], spacing: int
    ) -> Iterator[tuple[int, int, int, int]]:
        """(lower tick, upper tick, amount0, amount1) of each position of `pool` around its `v3_start`,
        aligned to `spacing`; the deployer is funded with the amounts before each is yielded."""
        sym0, sym1, _ = start
        for lower, upper, amount0, amount1 in self.v3_ranges(pool, start, spacing):
            self.fund(sym0, self.d.sender, amount0)
            self.fund(sym1, self.d.sender, amount1)
            yield lower, upper, amount0, amount1

    def v3_ranges(
        self, pool: spec.V3PoolSpec, start: tuple[str, str, int], spacing: int
    ) -> Iterator[tuple[int, int, int, int]]:
        """(lower tick, upper tick, amount0, amount1) of each position of `pool` around its `v3_start`,
        aligned to `spacing` (funding nobody: `v3_positions` does, one transaction at a time)."""
        sym0, sym1, sqrt_price_x96 = start
        tick = get_tick_at_sqrt_ratio(sqrt_price_x96)
        for position in pool.positions:
            lower = _align(tick + position.lower_bps, spacing)
            upper = max(_align(tick + position.upper_bps, spacing), lower + spacing)
            yield lower, upper, self.units(sym0, position.usd), self.units(sym1, position.usd)

    # -- Balancer V2 ----------------------------------------------------------------------------
    def deploy_balancer(self) -> None:
        self.manifest["balancer"] = deploy_balancer(self.d, self.tokens["WETH"])

    def weighted_balances(self, pool: spec.WeightedPoolSpec) -> list[int]:
        """The INIT join's amounts of `pool`, in its spec's token order."""
        skews = pool.skew_bps if pool.skew_bps and not self.fair else (0,) * len(pool.tokens)
        # A token's pool price is depth·weight / balance: a positive skew holds less of it (pricier).
        return [
            self.units(symbol, Fraction(pool.depth_usd * weight, 100) * Fraction(10_000, 10_000 + skew))
            for symbol, weight, skew in zip(pool.tokens, pool.weights_pct, skews, strict=True)
        ]

    def seed_weighted_pool(self, pool: spec.WeightedPoolSpec) -> None:
        created = create_weighted_pool(
            self.d,
            self.manifest["balancer"],
            [self.tokens[s] for s in pool.tokens],
            [w * 10**16 for w in pool.weights_pct],
            pool.swap_fee_bps * 10**14,
            self.weighted_balances(pool),
            name="Devnet " + "/".join(pool.tokens),
            symbol="B-" + "-".join(pool.tokens),
        )
        self.pools.append(weighted_pool_entry(pool, created))

    def seed_composable_stable_pool(self, pool: spec.ComposableStablePoolSpec) -> None:
        skews = pool.skew_bps if pool.skew_bps and not self.fair else (0,) * len(pool.tokens)
        balances = [
            self.units(symbol, Fraction(pool.depth_usd, len(pool.tokens)) * Fraction(10_000, 10_000 + skew))
            for symbol, skew in zip(pool.tokens, skews, strict=True)
        ]
        created = create_composable_stable_pool(
            self.d,
            self.manifest["balancer"],
            [self.tokens[s] for s in pool.tokens],
            pool.amplification,
            pool.swap_fee,
            balances,
            name="Devnet stable " + "/".join(pool.tokens),
            symbol="CS-" + "-".join(pool.tokens),
        )
        self.pools.append(
            balancer_pool_entry(created, "composable_stable", pool.swap_fee // 10**12, "amplification")
        )

    # -- Aave V3 --------------------------------------------------------------------------------
    def deploy_aave(self) -> None:
        reserves = [self.tokens[s] for s in ("WETH", "USDC", "USDT", "DAI", "WBTC")]
        prices = {self.tokens[s]: int(self.usd[s] * 10**8) for s in ("WETH", "USDC", "USDT", "DAI", "WBTC")}
        # Deep enough ($50M a reserve) that any devnet opportunity can borrow from Aave too.
        supply = {self.tokens[s]: self.units(s, 50_000_000) for s in ("WETH", "USDC", "USDT", "DAI", "WBTC")}
        self.manifest["aave_v3"] = deploy_aave(
            self.d,
            reserves,
            flash_premium_bps=5,
            weth=self.tokens["WETH"],
            prices_usd=prices,
            supply_amounts=supply,
        )

    # -- Curve StableSwap (our own Vyper pool: no registry ships Curve's bytecode) -----------------
    def deploy_curve(self) -> None:
        self.manifest["curve"] = {"pools": []}
        for pool in spec.CURVE_POOLS:
            entry = deploy_curve_pool(self, pool)
            self.manifest["curve"]["pools"].append(entry["address"])
            self.pools.append(entry)
        self.manifest["curve"]["registry"] = deploy_curve_registry(self, self.manifest["curve"]["pools"])


def weighted_pool_entry(pool: spec.WeightedPoolSpec, created: dict[str, Any]) -> dict[str, Any]:
    """The manifest's entry for a weighted pool `create_weighted_pool` (or a batch of them) created."""
    return balancer_pool_entry(created, "weighted", pool.swap_fee_bps * 100, "weights")


def balancer_pool_entry(created: dict[str, Any], kind: str, fee_pips: int, parameter: str) -> dict[str, Any]:
    """The manifest's entry for a Balancer pool a `create_*_pool` made; `parameter` names its kind's own
    field (`weights`, `amplification`)."""
    return {
        "address": created["address"],
        "dex": "balancer",
        "kind": kind,
        "tokens": created["tokens"],
        "fee": fee_pips,
        "pool_id": created["pool_id"],
        parameter: created[parameter],
        "swap_fee": created["swap_fee"],
    }


def _align(tick: int, spacing: int) -> int:
    """Round `tick` down to a multiple of `spacing`, inside the usable tick range."""
    aligned = (tick // spacing) * spacing
    return max(min(aligned, (MAX_TICK // spacing) * spacing), -((-MIN_TICK) // spacing) * spacing)


def _runtime_code(w3: Web3, d: Deployer, name: str) -> str:
    """Deploy once to learn the runtime code (immutables resolved), for anvil_setCode."""
    contract = d.deploy(name)
    return "0x" + bytes(w3.eth.get_code(contract.address)).hex()


def deploy_market(w3: Web3, *, fair: bool = False) -> dict[str, Any]:
    """Deploy every contract and seed every pool; return the manifest (without `rpc_url`)."""
    d = Deployer(w3)
    m = MarketBuilder(d, fair=fair)
    m.install_multicall3()
    m.deploy_tokens()
    m.deploy_v2("uniswap_v2")
    m.deploy_v2("sushiswap")
    for v2 in spec.V2_POOLS:
        m.seed_v2_pool(v2)
    m.deploy_v3()
    for v3 in spec.V3_POOLS:
        m.seed_v3_pool(v3)
    deploy_v3_forks(m)
    m.deploy_balancer()
    for weighted in spec.WEIGHTED_POOLS:
        m.seed_weighted_pool(weighted)
    for stable in spec.COMPOSABLE_STABLE_POOLS:
        m.seed_composable_stable_pool(stable)
    m.deploy_aave()
    m.deploy_curve()
    m.manifest["uniswap_v4"] = deploy_uniswap_v4(m)
    return {
        "chain_id": w3.eth.chain_id,
        "deployer": d.sender,
        "block": w3.eth.block_number,
        "tokens": dict(m.tokens),
        "decimals": dict(m.decimals),
        "weth": m.tokens["WETH"],
        **m.manifest,
        "pools": m.pools,
    }
