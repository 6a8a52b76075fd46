"""Which DEX a pool belongs to, from the factory that created it.

A pool is only trusted when its factory is one we know (chain preset or devnet manifest) AND that factory
maps the pool's tokens (and fee) back to the same address: a contract that merely claims a factory is
rejected. Adding a fork is a preset entry, not new code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi import decode
from eth_utils import to_checksum_address

from mevcli.chain.multicall import Call, Multicall, encode_call
from mevcli.errors import UnknownPool

V2 = "uniswap_v2"
V3 = "uniswap_v3"


@dataclass(frozen=True, slots=True, kw_only=True)
class DexInfo:
    name: str  # "uniswap_v2", "sushiswap", "uniswap_v3", ...
    kind: str  # protocol family, selects the math and reader
    factory: str
    fee_pips: int = 3000  # V2 forks' fixed fee
    router: str | None = None
    quoter_v2: str | None = None


@dataclass(frozen=True, slots=True)
class PoolRef:
    address: str
    dex: DexInfo


class DexRegistry:
    def __init__(self, dexes: Iterable[DexInfo]) -> None:
        self.by_factory = {d.factory.lower(): d for d in dexes}

    @property
    def dexes(self) -> list[DexInfo]:
        return list(self.by_factory.values())

    @classmethod
    def from_manifest(cls, manifest: Mapping[str, Any]) -> DexRegistry:
        dexes = []
        for name in ("uniswap_v2", "sushiswap"):
            if name in manifest:
                entry = manifest[name]
                dexes.append(DexInfo(name=name, kind=V2, factory=entry["factory"], router=entry["router"]))
        if "uniswap_v3" in manifest:
            entry = manifest["uniswap_v3"]
            dexes.append(
                DexInfo(name="uniswap_v3", kind=V3, factory=entry["factory"], quoter_v2=entry["quoter_v2"])
            )
        return cls(dexes)

    @classmethod
    def from_preset(cls, preset: Any) -> DexRegistry:
        dexes = [
            DexInfo(
                name=d.name,
                kind=d.kind,
                factory=d.factory,
                fee_pips=d.fee_pips or 3000,
                router=d.router,
                quoter_v2=d.quoter_v2,
            )
            for d in preset.dexes.values()
            if d.factory and d.kind in (V2, V3)
        ]
        return cls(dexes)

    def identify(self, mc: Multicall, addresses: Sequence[str], block: int) -> list[PoolRef]:
        """Classify each address by its factory, verifying the factory agrees. Raises UnknownPool."""
        probe = [
            encode_call("factory()"),
            encode_call("token0()"),
            encode_call("token1()"),
            encode_call("fee()"),
        ]
        results = mc.call([Call(a, data) for a in addresses for data in probe], block)
        refs: list[PoolRef] = []
        checks: list[Call] = []
        for i, address in enumerate(addresses):
            factory, token0, token1, fee = results[i * 4 : i * 4 + 4]
            if not (factory.ok and token0.ok and token1.ok) or len(factory.data) < 32:
                raise UnknownPool(f"{address} is not a pool of a known DEX")
            factory_address = to_checksum_address(decode(["address"], factory.data)[0])
            dex = self.by_factory.get(factory_address.lower())
            if dex is None:
                raise UnknownPool(f"{address} was not created by a known DEX factory ({factory_address})")
            t0 = decode(["address"], token0.data)[0]
            t1 = decode(["address"], token1.data)[0]
            if dex.kind == V3:
                if not fee.ok:
                    raise UnknownPool(f"{address} is not a Uniswap V3 pool")
                fee_tier = decode(["uint24"], fee.data)[0]
                check = encode_call(
                    "getPool(address,address,uint24)", ["address", "address", "uint24"], [t0, t1, fee_tier]
                )
            else:
                check = encode_call("getPair(address,address)", ["address", "address"], [t0, t1])
            checks.append(Call(dex.factory, check))
            refs.append(PoolRef(to_checksum_address(address), dex))
        for ref, result in zip(refs, mc.call(checks, block), strict=True):
            if not result.ok or to_checksum_address(decode(["address"], result.data)[0]) != ref.address:
                raise UnknownPool(
                    f"{ref.address} claims factory {ref.dex.factory} but that factory disowns it"
                )
        return refs
