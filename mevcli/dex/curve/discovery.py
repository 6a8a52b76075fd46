"""Discover a chain's Curve pools from Curve's own listings (`sources.py`), and sort them into the pools we
price and the ones we do not, each with its reason.

Round one asks every registry/factory for `pool_count()`; round two for every `pool_list(i)`; then the
StableSwap pools are read and recognised by `reader.read_pools_and_unpriced` (two rounds). Pools of the
crypto factories are listed as unpriced without being read. A pool listed twice is kept once (the first
listing names its source).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mevcli.chain.abi import decode
from mevcli.chain.addresses import to_checksum_address
from mevcli.chain.multicall import Call, CallResult, Multicall, encode_call
from mevcli.dex.curve.reader import UnpricedCurvePool, read_pools_and_unpriced
from mevcli.dex.curve.sources import CRYPTO, CurveSource, sources_for
from mevcli.dex.curve.state import CurvePoolState
from mevcli.dex.forks import CURVE
from mevcli.dex.registry import DexInfo, DexRegistry

if TYPE_CHECKING:
    from mevcli.context import AppContext

log = logging.getLogger(__name__)

_POOL_COUNT = encode_call("pool_count()")
CRYPTO_REASON = "cryptoswap pool (tricrypto-ng / twocrypto-ng / crypto factory): not modelled yet"


@dataclass(frozen=True, slots=True)
class CurveDiscovery:
    """Priced pool states, unpriced pools with reasons, the source of each pool, and listings that failed."""

    priced: list[CurvePoolState]
    unpriced: list[UnpricedCurvePool]
    source_of: dict[str, str] = field(default_factory=dict)
    failed_sources: list[str] = field(default_factory=list)
    priced_addresses: tuple[str, ...] = ()  # `discover_cached`: the priced pools it did not read again

    @property
    def addresses(self) -> tuple[str, ...]:
        return tuple(s.address for s in self.priced) + self.priced_addresses


def _uint(result: CallResult) -> int | None:
    return decode(["uint256"], result.data)[0] if result.ok and len(result.data) >= 32 else None


def _address(result: CallResult) -> str | None:
    if not result.ok or len(result.data) < 32 or any(result.data[:12]):
        return None
    address = to_checksum_address(result.data[12:32])
    return None if int(address, 16) == 0 else address


def list_pools(
    mc: Multicall,
    sources: Sequence[CurveSource],
    block: int,
    known: Mapping[str, Sequence[str]] | None = None,
) -> tuple[list[tuple[str, CurveSource]], list[str]]:
    """(pool address, the listing that names it) for every source, in listing order, and the names of
    listings that did not answer. `known` (listing address -> the pools it listed before) is taken as
    it is: Curve's listings only ever append, so only the entries past it are asked for."""
    known = known or {}
    listings = [s for s in sources if not s.is_pool]
    counts = mc.call([Call(s.address, _POOL_COUNT) for s in listings], block) if listings else []
    failed = [s.name for s, r in zip(listings, counts, strict=True) if _uint(r) is None]
    calls: list[Call] = []
    owners: list[CurveSource] = []
    found: list[tuple[str, CurveSource]] = [(to_checksum_address(s.address), s) for s in sources if s.is_pool]
    for source, result in zip(listings, counts, strict=True):
        before = list(known.get(source.address, ()))[: _uint(result) or 0]
        found.extend((address, source) for address in before)
        for i in range(len(before), _uint(result) or 0):
            calls.append(Call(source.address, encode_call("pool_list(uint256)", ["uint256"], [i])))
            owners.append(source)
    listed = mc.call(calls, block) if calls else []
    for source, result in zip(owners, listed, strict=True):
        address = _address(result)
        if address is None:
            failed.append(f"{source.name} (pool_list)")
            continue
        found.append((address, source))
    seen: set[str] = set()
    unique = []
    for address, source in found:
        if address.lower() not in seen:
            seen.add(address.lower())
            unique.append((address, source))
    return unique, sorted(set(failed))


def discover(mc: Multicall, sources: Sequence[CurveSource], block: int) -> CurveDiscovery:
    """Every pool Curve lists on this chain at `block`, priced or unpriced."""
    listed, failed = list_pools(mc, sources, block)
    source_of = {address: source.name for address, source in listed}
    stable = [a for a, s in listed if s.listing != CRYPTO]
    unpriced = [UnpricedCurvePool(a, CRYPTO_REASON) for a, s in listed if s.listing == CRYPTO]
    priced, stable_unpriced = read_pools_and_unpriced(mc, stable, block) if stable else ([], [])
    return CurveDiscovery(priced, stable_unpriced + unpriced, source_of, failed)


# Reasons that hold for good (any other is asked again next time).
_LASTING = ("not a Curve", "metapool", "lending", "off-peg fee", "rate-bearing", "decimals", "cryptoswap")


def discover_cached(mc: Multicall, sources: Sequence[CurveSource], block: int, path: Path) -> CurveDiscovery:
    """`discover`, remembering at `path` (JSON) what each listing named and each pool's lasting verdict,
    so that a later run asks only for pools listed since and reads only pools it has not judged. Priced
    pools come back as addresses in `source_of`/`addresses` order; their states are read by the caller."""
    try:
        saved = json.loads(path.read_text())
    except (OSError, ValueError):
        saved = {}
    listed, failed = list_pools(mc, sources, block, saved.get("listings"))
    verdicts: dict[str, str] = dict(saved.get("verdicts", {}))  # pool -> "" (priced) or a lasting reason
    fresh = [a for a, s in listed if a not in verdicts and s.listing != CRYPTO]
    states, unpriced = read_pools_and_unpriced(mc, fresh, block) if fresh else ([], [])
    verdicts.update({s.address: "" for s in states})
    verdicts.update({u.address: u.reason for u in unpriced if u.reason.startswith(_LASTING)})
    verdicts.update({a: CRYPTO_REASON for a, s in listed if s.listing == CRYPTO})
    transient = {u.address: u.reason for u in unpriced if u.address not in verdicts}
    listings: dict[str, list[str]] = {}
    for address, source in listed:
        if not source.is_pool:
            listings.setdefault(source.address, []).append(address)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"listings": listings, "verdicts": verdicts}))
    tmp.replace(path)
    priced = [a for a, _ in listed if verdicts.get(a) == ""]
    reasons = [
        UnpricedCurvePool(a, verdicts.get(a) or transient[a]) for a, _ in listed if verdicts.get(a) != ""
    ]
    return CurveDiscovery([], reasons, {a: s.name for a, s in listed}, failed, tuple(priced))


def with_curve_pools(registry: DexRegistry, ctx: AppContext) -> DexRegistry:
    """`registry` plus a "curve" DEX holding the pools Curve lists on the context's chain that we price
    (`discover_cached`, remembered under the cache dir); the unpriced ones are logged with the reason."""
    sources = sources_for(ctx.preset.name) if ctx.preset is not None else ()
    if not sources:
        return registry
    path = ctx.settings.cache_dir / "curve" / f"{ctx.chain_id}.json"
    found = discover_cached(ctx.multicall, sources, ctx.w3.eth.block_number, path)
    for pool in found.unpriced:
        log.debug("Curve pool %s unpriced: %s", pool.address, pool.reason)
    if found.failed_sources:
        log.warning("Curve listings that did not answer: %s", ", ".join(found.failed_sources))
    log.info("Curve: %d pools priced, %d unpriced", len(found.addresses), len(found.unpriced))
    curve = DexInfo(name="curve", kind=CURVE, factory="", pools=found.addresses)
    return DexRegistry([*registry.dexes, curve])
