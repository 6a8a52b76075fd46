"""Real trades on the devnet market for the cache tests: V2/V3 swaps, V3 mints and burns, Balancer swaps.

One trader account gets tokens and standing approvals once; every helper then sends one transaction.
"""

from __future__ import annotations

from typing import Any

from web3.logs import DISCARD

from mevcli.chain.multicall import Multicall
from mevcli.devnet.market_spec import TOKENS, WETH_USD
from mevcli.devnet.v3_forks import PANCAKE_V3_TICK_SPACING
from mevcli.dex.registry import DexRegistry, PoolRef

FAR = 2**40
MAX = 2**256 - 1
TRADER = 3
SPACING = {100: 1, 500: 10, 3000: 60, 10000: 200}


class Market:
    def __init__(self, chain: Any) -> None:
        self.chain = chain
        self.manifest = chain.manifest
        self.d = chain.deployer(TRADER)
        self.funded = False
        self.next_token_id: int | None = None

    def units(self, token: str, usd: int) -> int:
        """About `usd` dollars of `token`, in its base units."""
        symbol = next(s for s, a in self.manifest["tokens"].items() if a == token)
        price = WETH_USD if symbol == "WETH" else next(t.usd for t in TOKENS if t.symbol == symbol)
        return int(usd / price * 10 ** self.manifest["decimals"][symbol])

    def multicall(self, w3: Any = None) -> Multicall:
        return Multicall(w3 or self.chain.w3, self.manifest["multicall3"])

    def refs(self, dexes: tuple[str, ...] = ()) -> list[PoolRef]:
        pools = [p["address"] for p in self.manifest["pools"] if not dexes or p["dex"] in dexes]
        registry = DexRegistry.from_manifest(self.manifest)
        return registry.identify(self.multicall(), pools, self.chain.w3.eth.block_number)

    def pools(self, dex: str) -> list[dict[str, Any]]:
        return self.chain.pools(dex)

    def fund(self) -> None:
        """Tokens and standing approvals for the trader (inside the caller's snapshot)."""
        if self.funded:
            return
        owner = self.chain.deployer(0)
        spenders = [
            self.manifest["uniswap_v2"]["router"],
            self.manifest["sushiswap"]["router"],
            self.manifest["uniswap_v3"]["swap_router"],
            self.manifest["uniswap_v3"]["position_manager"],
            self.manifest["sushiswap_v3"]["swap_router"],
            self.manifest["sushiswap_v3"]["position_manager"],
            self.manifest["pancakeswap_v3"]["helper"],
            self.manifest["balancer"]["vault"],
        ]
        for token in [*self.manifest["tokens"].values(), self.manifest["weth"]]:
            if token == self.manifest["weth"]:
                owner.send(owner.at("WETH9", token).functions.deposit(), value=10**23, sender=self.d.sender)
            else:
                owner.send(owner.at("TestToken", token).functions.mint(self.d.sender, 10**40))
            contract = self.d.at("TestToken", token)
            for spender in spenders:
                self.d.send(contract.functions.approve(spender, MAX))
        self.funded = True

    def v2_swap(self, pool: dict[str, Any], usd: int, zero_for_one: bool = True) -> None:
        self.fund()
        token_in, token_out = pool["tokens"] if zero_for_one else pool["tokens"][::-1]
        amount = self.units(token_in, usd)
        router = self.d.at("UniswapV2Router02", self.manifest[pool["dex"]]["router"])
        self.d.send(
            router.functions.swapExactTokensForTokens(amount, 0, [token_in, token_out], self.d.sender, FAR)
        )

    def v3_swap(self, pool: dict[str, Any], usd: int, zero_for_one: bool = True) -> None:
        self.fund()
        token_in, token_out = pool["tokens"] if zero_for_one else pool["tokens"][::-1]
        amount = self.units(token_in, usd)
        if pool["dex"] == "pancakeswap_v3":
            helper = self.d.at("PancakeV3Helper", self.manifest["pancakeswap_v3"]["helper"])
            self.d.send(helper.functions.swap(pool["address"], self.d.sender, zero_for_one, amount))
            return
        router = self.d.at("SwapRouter", self.manifest[pool["dex"]]["swap_router"])
        params = (token_in, token_out, pool["fee"], self.d.sender, FAR, amount, 0, 0)
        self.d.send(router.functions.exactInputSingle(params))

    def v3_mint(self, pool: dict[str, Any], lower: int, upper: int, usd: int) -> int:
        """Mint a position [lower, upper) with up to `usd` of each token; returns its NFT id."""
        self.fund()
        manager = self.d.at("NonfungiblePositionManager", self.manifest[pool["dex"]]["position_manager"])
        t0, t1 = pool["tokens"]
        amount0, amount1 = self.units(t0, usd), self.units(t1, usd)
        params = (t0, t1, pool["fee"], lower, upper, amount0, amount1, 0, 0, self.d.sender, FAR)
        receipt = self.d.send(manager.functions.mint(params))
        transfer = manager.events.Transfer().process_receipt(receipt, errors=DISCARD)
        return int(transfer[0]["args"]["tokenId"])

    def pancake_mint(self, pool: dict[str, Any], lower: int, upper: int, liquidity: int) -> None:
        """Mint `liquidity` in [lower, upper) of a PancakeSwap V3 pool for the trader (no NFT: the trader
        owns the position in the pool itself)."""
        self.fund()
        helper = self.d.at("PancakeV3Helper", self.manifest["pancakeswap_v3"]["helper"])
        self.d.send(helper.functions.mint(pool["address"], self.d.sender, lower, upper, liquidity))

    def pancake_burn(self, pool: dict[str, Any], lower: int, upper: int, liquidity: int) -> None:
        self.d.send(self.d.at("PancakeV3Pool", pool["address"]).functions.burn(lower, upper, liquidity))

    def v3_burn(self, token_id: int, fraction_bps: int = 5_000, dex: str = "uniswap_v3") -> None:
        manager = self.d.at("NonfungiblePositionManager", self.manifest[dex]["position_manager"])
        liquidity = manager.functions.positions(token_id).call()[7]
        params = (token_id, liquidity * fraction_bps // 10_000, 0, 0, FAR)
        self.d.send(manager.functions.decreaseLiquidity(params))

    def balancer_swap(self, pool: dict[str, Any], usd: int) -> None:
        self.fund()
        vault = self.d.at("Vault", self.manifest["balancer"]["vault"])
        token_in, token_out = pool["tokens"][0], pool["tokens"][1]
        amount = self.units(token_in, usd)
        single = (bytes.fromhex(pool["pool_id"][2:]), 0, token_in, token_out, amount, b"")
        funds = (self.d.sender, False, self.d.sender, False)
        self.d.send(vault.functions.swap(single, funds, 0, FAR))

    def tick(self, pool: dict[str, Any]) -> int:
        contract = self.d.at(
            "PancakeV3Pool" if pool["dex"] == "pancakeswap_v3" else "UniswapV3Pool", pool["address"]
        )
        return int(contract.functions.slot0().call()[1])

    def aligned(self, pool: dict[str, Any], offset_spacings: int) -> int:
        spacing = (PANCAKE_V3_TICK_SPACING if pool["dex"] == "pancakeswap_v3" else SPACING)[pool["fee"]]
        return (self.tick(pool) // spacing + offset_spacings) * spacing

    def mine(self, blocks: int = 1) -> None:
        for _ in range(blocks):
            self.chain.w3.provider.make_request("evm_mine", [])
