"""Discover a chain's Curve pools from Curve's own listings (`sources.py`), and sort them into the pools we
price and the ones we do not, each with its reason.

Round one asks every registry/factory for `pool_count()`; round two for every `pool_list(i)`; then the
StableSwap pools are read and recognised by `reader.read_pools_and_unpriced` (two rounds). Pools of the
crypto factories are listed as unpriced without being read. A pool listed twice is kept once (the first
listing names its source).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from eth_abi import decode
from eth_utils import to_checksum_address

from mevcli.chain.multicall import Call, CallResult, Multicall, encode_call
from mevcli.dex.curve.reader import UnpricedCurvePool, read_pools_and_unpriced
from mevcli.dex.curve.sources import CRYPTO, CurveSource
from mevcli.dex.curve.state import CurvePoolState

_POOL_COUNT = encode_call("pool_count()")
CRYPTO_REASON = "cryptoswap pool (tricrypto-ng / twocrypto-ng / crypto factory): not modelled yet"


@dataclass(frozen=True, slots=True)
class CurveDiscovery:
    """Priced pool states, unpriced pools with reasons, the source of each pool, and listings that failed."""

    priced: list[CurvePoolState]
    unpriced: list[UnpricedCurvePool]
    source_of: dict[str, str] = field(default_factory=dict)
    failed_sources: list[str] = field(default_factory=list)

    @property
    def addresses(self) -> tuple[str, ...]:
        return tuple(s.address for s in self.priced)


def _uint(result: CallResult) -> int | None:
    return decode(["uint256"], result.data)[0] if result.ok and len(result.data) >= 32 else None


def _address(result: CallResult) -> str | None:
    if not result.ok or len(result.data) < 32 or any(result.data[:12]):
        return None
    address = to_checksum_address(result.data[12:32])
    return None if int(address, 16) == 0 else address


def list_pools(
    mc: Multicall, sources: Sequence[CurveSource], block: int
) -> tuple[list[tuple[str, CurveSource]], list[str]]:
    """(pool address, the listing that names it) for every source, in listing order, and the names of
    listings that did not answer `pool_count()`."""
    listings = [s for s in sources if not s.is_pool]
    counts = mc.call([Call(s.address, _POOL_COUNT) for s in listings], block) if listings else []
    failed = [s.name for s, r in zip(listings, counts, strict=True) if _uint(r) is None]
    calls: list[Call] = []
    owners: list[CurveSource] = []
    for source, result in zip(listings, counts, strict=True):
        for i in range(_uint(result) or 0):
            calls.append(Call(source.address, encode_call("pool_list(uint256)", ["uint256"], [i])))
            owners.append(source)
    listed = mc.call(calls, block) if calls else []
    found: list[tuple[str, CurveSource]] = [(to_checksum_address(s.address), s) for s in sources if s.is_pool]
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
