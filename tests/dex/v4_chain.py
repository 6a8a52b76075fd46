"""Helpers for V4 tests: pool keys from the manifest, funding, and the real routers of v4-core."""

from __future__ import annotations

from typing import Any

from mevcli.chain.multicall import Multicall
from mevcli.dex.uniswap_v3.reader import FULL_RANGE
from mevcli.dex.uniswap_v4.pool_key import NATIVE, PoolKey
from mevcli.dex.uniswap_v4.reader import read_pools
from mevcli.dex.uniswap_v4.state import V4PoolState

RICH = 10**30


def v4(chain) -> dict[str, Any]:
    return chain.manifest["uniswap_v4"]


def key_of(pool: dict[str, Any]) -> PoolKey:
    c0, c1 = pool["tokens"]
    return PoolKey(
        currency0=c0, currency1=c1, fee=pool["fee"], tick_spacing=pool["tick_spacing"], hooks=pool["hooks"]
    )


def read(chain, pool: dict[str, Any], block: int | str = "latest", window: int = FULL_RANGE) -> V4PoolState:
    """The pool's state read through extsload; every bitmap word by default."""
    number = chain.w3.eth.block_number if block == "latest" else block
    mc = Multicall(chain.w3, chain.manifest["multicall3"])
    return read_pools(mc, v4(chain)["pool_manager"], [key_of(pool)], number, window)[0]


def make_rich(chain, account: str) -> None:
    """Give `account` far more of every currency than any test swap needs, approved to both routers."""
    w3 = chain.w3
    w3.provider.make_request("anvil_setBalance", [account, hex(RICH * 10)])
    d = chain.deployer(0)
    weth = d.at("WETH9", chain.manifest["weth"])
    d.send(weth.functions.deposit(), value=RICH, sender=account)
    for symbol, token in chain.manifest["tokens"].items():
        if symbol != "WETH":
            d.send(d.at("TestToken", token).functions.mint(account, RICH))
        for router in (v4(chain)["pool_swap_test"], v4(chain)["pool_modify_liquidity_test"]):
            d.send(d.at("TestToken", token).functions.approve(router, 2**256 - 1), sender=account)


def split_delta(raw: int) -> tuple[int, int]:
    """BalanceDelta (int256): amount0 in the high 128 bits, amount1 in the low, both signed."""
    raw %= 2**256
    amount0, amount1 = raw >> 128, raw & (2**128 - 1)
    return (amount0 - 2**128 if amount0 >= 2**127 else amount0), (
        amount1 - 2**128 if amount1 >= 2**127 else amount1
    )


def router_swap(
    chain, key: PoolKey, zero_for_one: bool, amount_specified: int, limit: int, sender: str, *, send: bool
) -> tuple[int, int]:
    """Swap through PoolSwapTest: eth_call (send=False) or a transaction; the swapper's BalanceDelta."""
    d = chain.deployer(0)
    router = d.at("PoolSwapTest", v4(chain)["pool_swap_test"])
    call = router.functions.swap(key.as_tuple, (zero_for_one, amount_specified, limit), (False, False), b"")
    tx = {"from": sender}
    if key.currency0 == NATIVE and zero_for_one:
        tx["value"] = RICH
    raw = call.call(tx)
    if send:
        d.send(call, "V4 swap", value=tx.get("value", 0), sender=sender)
    return split_delta(raw)


def add_liquidity(
    chain, key: PoolKey, lower: int, upper: int, liquidity: int, salt: int, sender: str
) -> None:
    d = chain.deployer(0)
    router = d.at("PoolModifyLiquidityTest", v4(chain)["pool_modify_liquidity_test"])
    value = RICH if key.currency0 == NATIVE else 0
    d.send(
        router.functions.modifyLiquidity(
            key.as_tuple, (lower, upper, liquidity, salt.to_bytes(32, "big")), b""
        ),
        "V4 liquidity",
        value=value,
        sender=sender,
    )


def protocol_fees_accrued(chain, currency: str) -> int:
    manager = chain.deployer(0).at("PoolManager", v4(chain)["pool_manager"])
    return manager.functions.protocolFeesAccrued(currency).call()
