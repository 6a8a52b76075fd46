"""DEXes by name: which kind each is, and which devnet manifest fields fill its `DexInfo`.

A fork of a known kind (SushiSwap V2 is a Uniswap V2) is one entry here plus its preset entries; what
really differs in its contracts lives in its kind's package (e.g. `uniswap_v3/forks.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

# Kind names (`kinds.KIND_MODULES`), not the kinds: naming a DEX's kind loads none of them.
UNISWAP_V2 = "uniswap_v2"
UNISWAP_V3 = "uniswap_v3"
BALANCER = "balancer"
CURVE = "curve"
UNISWAP_V4 = "uniswap_v4"


@dataclass(frozen=True, slots=True)
class Dex:
    name: str  # the devnet manifest key and DexInfo.name
    kind: str  # a `kinds.KINDS` name
    # DexInfo field <- manifest field, for the fields this DEX's manifest entry carries.
    manifest_fields: tuple[tuple[str, str], ...] = ()


_V2_FIELDS = (("factory", "factory"), ("router", "router"))
_V3_FIELDS = (("factory", "factory"), ("quoter_v2", "quoter_v2"))

DEXES: dict[str, Dex] = {
    d.name: d
    for d in (
        Dex("uniswap_v2", UNISWAP_V2, _V2_FIELDS),
        Dex("sushiswap", UNISWAP_V2, _V2_FIELDS),
        Dex("uniswap_v3", UNISWAP_V3, _V3_FIELDS),
        Dex("sushiswap_v3", UNISWAP_V3, _V3_FIELDS),  # Uniswap V3's code, its own factory
        Dex("pancakeswap_v3", UNISWAP_V3, _V3_FIELDS),  # what differs: uniswap_v3/forks.py
        Dex("balancer", BALANCER, (("vault", "vault"), ("queries", "queries"))),
        Dex("curve", CURVE, (("pools", "pools"),)),
        # One PoolManager; its pools are known by id (the manifest's `pools` entries).
        Dex("uniswap_v4", UNISWAP_V4, (("factory", "pool_manager"), ("pools", "pools"))),
    )
}
