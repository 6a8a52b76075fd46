"""Deployments of the Uniswap V3 pool code and what differs between them.

A fork with the same pool bytecode interface is only a `dex.forks` entry. A fork whose pool differs in
what we read or follow is a `V3Fork` here, under its DEX name: the ABI of its `slot0()`, its `Swap`
event, and the callbacks its pools make into the executor. Everything else (the swap math, ticks,
Mint/Burn/Initialize) is the kind's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mevcli.chain.addresses import keccak
from mevcli.dex.uniswap_v3.reader import SLOT0_TYPES


@dataclass(frozen=True, slots=True)
class V3Fork:
    name: str
    # slot0(): sqrtPriceX96 and tick first, whatever follows.
    slot0_types: tuple[str, ...] = tuple(SLOT0_TYPES)
    # Swap event: data starts (amount0, amount1, sqrtPriceX96, liquidity, tick), whatever follows.
    swap_signature: str = "Swap(address,address,int256,int256,uint160,uint128,int24)"
    swap_callback: str = "uniswapV3SwapCallback"
    flash_callback: str = "uniswapV3FlashCallback"
    swap_topic: bytes = field(init=False)  # topic 0 of its Swap event

    def __post_init__(self) -> None:
        object.__setattr__(self, "swap_topic", keccak(text=self.swap_signature))


UNISWAP_V3 = V3Fork("uniswap_v3")
# PancakeSwap V3 (`@pancakeswap/v3-core`): slot0's feeProtocol is a uint32 (two uint16 shares), Swap adds
# protocolFeesToken0/1, and its pools call pancakeV3SwapCallback / pancakeV3FlashCallback. Pool addresses
# derive from its pool deployer, not the factory (identification asks the factory's getPool, so that does
# not matter here). SushiSwap V3 runs Uniswap's own code: no entry.
PANCAKESWAP_V3 = V3Fork(
    "pancakeswap_v3",
    slot0_types=("uint160", "int24", "uint16", "uint16", "uint16", "uint32", "bool"),
    swap_signature="Swap(address,address,int256,int256,uint160,uint128,int24,uint128,uint128)",
    swap_callback="pancakeV3SwapCallback",
    flash_callback="pancakeV3FlashCallback",
)
# DEX name -> its fork; a DEX of kind uniswap_v3 not named here behaves as Uniswap's own.
FORKS: dict[str, V3Fork] = {f.name: f for f in (UNISWAP_V3, PANCAKESWAP_V3)}


def fork_of(dex_name: str) -> V3Fork:
    return FORKS.get(dex_name, UNISWAP_V3)


def swap_topics() -> tuple[bytes, ...]:
    """Topic 0 of every fork's Swap event (a pool emits only its own)."""
    return tuple(dict.fromkeys(f.swap_topic for f in FORKS.values()))
