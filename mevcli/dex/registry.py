"""Which DEX a pool belongs to, from the factory that created it.

A pool is only trusted when its factory is one we know (chain preset or devnet manifest) AND that factory
maps the pool's tokens (and fee) back to the same address: a contract that merely claims a factory is
rejected. Adding a fork is a `forks.DEXES` entry and its preset entries; what differs in its contracts
lives in its kind (`kinds.py`).

Balancer pools have no factory we can ask: a pool is trusted when its `getVault()` is a Vault we know
and that Vault's `getPool(poolId)` names the same address. Their `DexInfo.factory` is the Vault.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mevcli.chain.addresses import to_checksum_address
from mevcli.chain.multicall import Call, CallResult, Multicall, encode_call
from mevcli.dex.forks import BALANCER, CURVE, DEXES, UNISWAP_V2, UNISWAP_V4
from mevcli.dex.kinds import KINDS, kind_named
from mevcli.dex.uniswap_v4.deployments import POOL_MANAGERS
from mevcli.dex.uniswap_v4.pool_id import is_pool_id, normalize_pool_id
from mevcli.errors import UnknownPool


@dataclass(frozen=True, slots=True, kw_only=True)
class DexInfo:
    name: str  # "uniswap_v2", "sushiswap", "uniswap_v3", ...
    kind: str  # protocol family, selects the math and reader
    factory: str
    fee_pips: int = 3000  # V2 forks' fixed fee
    router: str | None = None
    quoter_v2: str | None = None
    pools: tuple[str, ...] = ()  # Curve: the pools this DEX is known to have
    vault: str | None = None  # Balancer: the Vault that registers the pools
    queries: str | None = None  # Balancer: BalancerQueries, when deployed


def canonical_pool(address: str) -> str:
    """How a pool is keyed: its checksummed address, or (Uniswap V4) its 32-byte pool id as 0x and lower
    case (`pool_id.normalize_pool_id`)."""
    if is_pool_id(address):
        return normalize_pool_id(address)
    return to_checksum_address(address)


@dataclass(frozen=True, slots=True)
class PoolRef:
    address: str
    dex: DexInfo


class DexRegistry:
    def __init__(self, dexes: Iterable[DexInfo]) -> None:
        self.by_factory = {d.factory.lower(): d for d in dexes}
        self.by_pool = {p.lower(): d for d in self.by_factory.values() for p in d.pools}
        # A DEX's kind by name: this registry's, else the known forks'.
        self.kind_by_name = {name: spec.kind for name, spec in DEXES.items()}
        self.kind_by_name.update((d.name, d.kind) for d in self.by_factory.values())

    @property
    def dexes(self) -> list[DexInfo]:
        return list(self.by_factory.values())

    def swaps_through_vault(self, dex_names: Iterable[str]) -> bool:
        """Whether a route over these DEXes swaps inside the Balancer Vault (which then cannot lend it):
        by each DEX's kind (this registry's, then the known forks'); an unknown name counts as the Vault,
        the safe side."""
        return any(self.kind_by_name.get(name, BALANCER) == BALANCER for name in dex_names)

    @classmethod
    def from_manifest(cls, manifest: Mapping[str, Any]) -> DexRegistry:
        """The DEXes of a devnet manifest, each as `forks.DEXES` describes its entry."""
        dexes = []
        for name, spec in DEXES.items():
            entry = manifest.get(name)
            if not entry:
                continue
            fields = {field: entry.get(key) for field, key in spec.manifest_fields}
            if spec.kind == BALANCER:
                dexes.append(_balancer(name, fields["vault"], fields.get("queries")))
            elif spec.kind == CURVE:
                dexes.append(DexInfo(name=name, kind=CURVE, factory="", pools=tuple(fields["pools"])))
            elif spec.kind == UNISWAP_V4:
                ids = tuple(p["pool_id"].lower() for p in fields["pools"] or ())
                factory = to_checksum_address(fields["factory"])
                dexes.append(DexInfo(name=name, kind=UNISWAP_V4, factory=factory, pools=ids))
            else:
                dexes.append(DexInfo(name=name, kind=spec.kind, **fields))
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
            if d.factory and d.kind in KINDS and KINDS[d.kind].identified_by_factory
        ]
        vaults = [(d.name, d.vault) for d in preset.dexes.values() if d.kind == BALANCER and d.vault]
        if not vaults and getattr(preset, "balancer_vault", None):
            vaults = [("balancer", preset.balancer_vault)]
        dexes.extend(_balancer(name, vault) for name, vault in vaults)
        manager = POOL_MANAGERS.get(getattr(preset, "name", ""))
        if manager is not None:  # its pools are found by discovery (the PoolManager's Initialize events)
            dexes.append(DexInfo(name=UNISWAP_V4, kind=UNISWAP_V4, factory=to_checksum_address(manager)))
        return cls(dexes)

    @property
    def _vaults(self) -> dict[str, DexInfo]:
        return {d.vault.lower(): d for d in self.by_factory.values() if d.kind == BALANCER and d.vault}

    def identify(self, mc: Multicall, addresses: Sequence[str], block: int) -> list[PoolRef]:
        """Classify each address by its factory, verifying the factory agrees. Raises UnknownPool for the
        first address that is not a pool we can price."""
        refs, rejected = self.classify(mc, addresses, block)
        for address in addresses:
            if address in rejected:
                raise UnknownPool(rejected[address])
        return refs

    def classify(
        self,
        mc: Multicall,
        addresses: Sequence[str],
        block: int,
        unsettled: set[str] | None = None,
        creators: Mapping[str, str] | None = None,
    ) -> tuple[list[PoolRef], dict[str, str]]:
        """PoolRefs of the addresses a known DEX vouches for and we can price (in the given order), and
        why each other address was refused. Two batched rounds for any number of pools of every kind:
        the pools' own getters, then their factories' (or Vault's) word and Balancer pools' headers.
        `creators` (lower-case pool -> the factory or Vault whose event announced it, as discovery saw)
        only narrows which getters are asked; the claim is checked the same way.
        Refusals only because a call failed (no code yet, a node error) are added to `unsettled`."""
        unsettled = set() if unsettled is None else unsettled
        rejected: dict[str, str] = {}
        by_address: dict[str, PoolRef] = {}
        probed = [a for a in addresses if a.lower() not in self.by_pool and not is_pool_id(a)]
        for address in addresses:
            if address.lower() in self.by_pool:  # pools known by address (Curve) or id (Uniswap V4)
                by_address[address] = PoolRef(canonical_pool(address), self.by_pool[address.lower()])
            elif is_pool_id(address):
                dex = self._v4_initializer(address)
                if dex is not None:
                    by_address[address] = PoolRef(canonical_pool(address), dex)
                    continue
                rejected[address] = f"{address} is not a Uniswap V4 pool id this chain's DEXes list"
                unsettled.add(address)  # discovery may find its Initialize event later
        vaults = self._vaults
        probe = _PROBE + (_BALANCER_PROBE if vaults else [])
        asked = [self._probe_for(a, probe, creators or {}) for a in probed]
        answers = iter(
            mc.call([Call(a, d) for a, ds in zip(probed, asked, strict=True) for d in ds], block, fresh=True)
            if probed
            else []
        )
        # per address, each getter asked -> its answer
        probe_of = {a: {d: next(answers) for d in datas} for a, datas in zip(probed, asked, strict=True)}
        claims: list[tuple[str, PoolRef, Call]] = []
        for address in probed:
            try:
                ref, check = self._claim(address, vaults, probe_of[address])
            except UnknownPool as exc:
                rejected[address] = str(exc)
                if isinstance(exc, CallFailed):
                    unsettled.add(address)
                continue
            claims.append((address, ref, check))
        balancer = [(address, ref.address) for address, ref, _ in claims if ref.dex.kind == BALANCER]
        header = _balancer_reader().HEADER if balancer else ()
        rest = [data for data in header if data not in probe]  # the probe read getPoolId, getVault
        second = mc.call(
            [check for _, _, check in claims] + [Call(pool, data) for _, pool in balancer for data in rest],
            block,
            fresh=True,
        )
        answers = iter(second[len(claims) :])
        header_of: dict[str, list[Any]] = {}
        for address, pool in balancer:
            answered = {data: next(answers) for data in rest}
            header_of[pool] = [answered.get(d) or probe_of[address][d] for d in header]
        for (address, ref, _), result in zip(claims, second[: len(claims)], strict=True):
            try:
                _verify(ref, result)
                if ref.dex.kind == BALANCER:
                    _balancer_reader().pool_kind(ref.address, header_of[ref.address])
            except UnknownPool as exc:
                rejected[address] = str(exc)
                if isinstance(exc, CallFailed):
                    unsettled.add(address)
                continue
            by_address[address] = ref
            asked = list(probe_of[address].items())
            if ref.address in header_of:
                asked += zip(header, header_of[ref.address], strict=True)
            _remember_immutables(mc, ref, asked)
        return [by_address[a] for a in addresses if a in by_address], rejected

    def _probe_for(self, address: str, probe: list[bytes], creators: Mapping[str, str]) -> list[bytes]:
        """The probe's getters worth asking `address`: those its announcing DEX's kind reads (all of them
        when no known DEX announced it)."""
        creator = creators.get(address.lower()) or creators.get(address)
        dex = self.by_factory.get(creator.lower()) if creator else None
        if dex is None or not dex.factory:
            return probe
        if dex.kind == BALANCER:
            return _BALANCER_PROBE
        return _PROBE[:3] if dex.kind == UNISWAP_V2 else _PROBE

    def _v4_initializer(self, pool_id: str) -> DexInfo | None:
        """The V4 DEX whose PoolManager's Initialize event named `pool_id` (found by discovery)."""
        for dex in self.by_factory.values():
            if dex.kind == UNISWAP_V4 and kind_named(UNISWAP_V4).known_key(dex.factory, pool_id) is not None:
                return dex
        return None

    def _claim(
        self, address: str, vaults: Mapping[str, DexInfo], answered: Mapping[bytes, CallResult]
    ) -> tuple[PoolRef, Call]:
        """The DEX `address` claims (from its probe getters' answers; one not asked counts as failed) and
        the call that checks the claim. Raises UnknownPool."""
        from eth_abi import decode

        balancer = _balancer_claim(vaults, answered)
        if balancer is not None:
            return PoolRef(to_checksum_address(address), balancer[0]), balancer[1]
        probe = [answered.get(d, _NOT_ASKED) for d in _PROBE]
        factory, token0, token1, _ = probe
        if not (factory.ok and token0.ok and token1.ok) or len(factory.data) < 32:
            raise CallFailed(f"{address} is not a pool of a known DEX")
        factory_address = to_checksum_address(decode(["address"], factory.data)[0])
        dex = self.by_factory.get(factory_address.lower())
        if dex is None:
            raise UnknownPool(f"{address} was not created by a known DEX factory ({factory_address})")
        check = kind_named(dex.kind).identity_check(dex, probe)
        if check is None:
            raise CallFailed(f"{address} is not a {dex.kind} pool")
        return PoolRef(to_checksum_address(address), dex), Call(dex.factory, check)


_PROBE = [encode_call("factory()"), encode_call("token0()"), encode_call("token1()"), encode_call("fee()")]
_BALANCER_PROBE = [encode_call("getVault()"), encode_call("getPoolId()")]
_NOT_ASKED = CallResult(False, b"")  # a probe getter not asked (the announcing DEX's kind needs none)


def _remember_immutables(mc: Multicall, ref: PoolRef, asked: Sequence[tuple[bytes, Any]]) -> None:
    """Hand what identity read of a trusted pool's immutable getters to its first state read."""
    immutable = kind_named(ref.dex.kind).immutable_calls
    for data, result in asked:
        if data in immutable:
            mc.remember(Call(ref.address, data), result)


class CallFailed(UnknownPool):
    """A refusal only because a call failed or returned nothing: not a fact about the address."""


def _verify(ref: PoolRef, result: Any) -> None:
    """Raise UnknownPool unless the factory (or Vault) names `ref.address` back."""
    if ref.dex.kind == BALANCER:
        if not result.ok:
            raise CallFailed(f"{ref.address} claims Balancer Vault {ref.dex.vault}, which did not answer")
        if _first_address(result.data) != ref.address:
            raise UnknownPool(f"{ref.address} claims Balancer Vault {ref.dex.vault}, which disowns it")
        return
    if not result.ok or len(result.data) < 32:
        raise CallFailed(f"{ref.address} claims factory {ref.dex.factory}, which did not answer")
    if _first_address(result.data) != ref.address:
        raise UnknownPool(f"{ref.address} claims factory {ref.dex.factory} but that factory disowns it")


def _balancer_reader() -> Any:
    """Balancer's reader module, imported only when a Balancer pool is being identified."""
    from mevcli.dex.balancer import reader

    return reader


def _balancer(name: str, vault: str, queries: str | None = None) -> DexInfo:
    vault = to_checksum_address(vault)
    return DexInfo(name=name, kind=BALANCER, factory=vault, vault=vault, queries=queries)


def _balancer_claim(
    vaults: Mapping[str, DexInfo], answered: Mapping[bytes, CallResult]
) -> tuple[DexInfo, Call] | None:
    """(dex, Vault.getPool(poolId) check) when `getVault()` names a known Vault, else None."""
    vault, pool_id = (answered.get(d, _NOT_ASKED) for d in _BALANCER_PROBE)
    if not (vault.ok and pool_id.ok and len(pool_id.data) >= 32):
        return None
    dex = vaults.get((_first_address(vault.data) or "").lower())
    if dex is None:
        return None
    check = encode_call("getPool(bytes32)", ["bytes32"], [pool_id.data[:32]])
    return dex, Call(dex.factory, check)


def _first_address(data: bytes) -> str | None:
    """The address in the first ABI word, or None when there is no well-formed one."""
    if len(data) < 32 or any(data[:12]):
        return None
    return to_checksum_address(data[12:32])
