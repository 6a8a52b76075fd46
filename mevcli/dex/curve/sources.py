"""Where Curve's pools are listed on each real chain: its registries and factories, and pools we name.

Every address was taken from Curve's own published sources: the constants of Curve's JavaScript package
(curvefi/curve-js `src/constants/network_constants.ts`, per-chain `ALIASES_*`: `factory`,
`stable_ng_factory`, `crvusd_factory`, `crypto_factory`, `twocrypto_factory`, `tricrypto_factory`; and
`src/constants/pools/arbitrum.ts` for the 2pool), cross-checked where they list it against Curve's docs
(docs.curve.finance "Deployments": the stableswap-ng factories of Ethereum and Arbitrum; "Deployed
contracts": Ethereum's StableRegistry). All are EIP-55 checksummed; nothing here is guessed.

Every factory and registry answers `pool_count()` and `pool_list(i)`. What a listing holds:
- `stable`: StableSwap pools (classic plain pools, metapools, stableswap-ng pools): read, recognised and
  priced or listed as unpriced with the reason (`reader.py`);
- `crypto`: cryptoswap pools (tricrypto-ng, twocrypto-ng, the older crypto factory): listed as unpriced
  (their newton_D/newton_y math, price scale and dynamic fee are not modelled yet).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

STABLE = "stable"
CRYPTO = "crypto"


@dataclass(frozen=True, slots=True)
class CurveSource:
    """A Curve registry or factory (`pool_list`), or one pool named directly (`pool`)."""

    name: str
    address: str
    listing: str  # STABLE or CRYPTO
    is_pool: bool = False


_ETHEREUM = (
    # docs.curve.finance "Deployed contracts" (Pool Registry: StableRegistry): the classic pools, 3pool on.
    CurveSource("stable_registry", "0x90E00ACe148ca3b23Ac1bC8C240C2a7Dd9c2d7f5", STABLE),
    CurveSource("stable_factory", "0xB9fC157394Af804a3578134A6585C0dc9cc990d4", STABLE),
    CurveSource("crvusd_factory", "0x4F8846Ae9380B90d2E71D5e3D042dff3E7ebb40d", STABLE),
    CurveSource("stableswap_ng_factory", "0x6A8cbed756804B16E05E741eDaBd5cB544AE21bf", STABLE),
    CurveSource("crypto_factory", "0xF18056Bbd320E96A48e3Fbf8bC061322531aac99", CRYPTO),
    CurveSource("twocrypto_ng_factory", "0x98EE851a00abeE0d95D08cF4CA2BdCE32aeaAF7F", CRYPTO),
    CurveSource("tricrypto_ng_factory", "0x0c0e5f2fF0ff18a3be9b835635039256dC4B4963", CRYPTO),
)

_ARBITRUM = (
    # The 2pool (USDC.e/USDT), a classic plain pool with A_PRECISION: not in any factory's list.
    CurveSource("2pool", "0x7f90122BF0700F9E7e1F688fe926940E8839F353", STABLE, is_pool=True),
    CurveSource("stable_factory", "0xb17b674D9c5CB2e441F8e196a2f048A81355d031", STABLE),
    CurveSource("stableswap_ng_factory", "0x9AF14D26075f142eb3F292D5065EB3faa646167b", STABLE),
    CurveSource("twocrypto_ng_factory", "0x98EE851a00abeE0d95D08cF4CA2BdCE32aeaAF7F", CRYPTO),
    CurveSource("tricrypto_ng_factory", "0xbC0797015fcFc47d9C1856639CaE50D0e69FbEE8", CRYPTO),
)

_BASE = (
    CurveSource("stable_factory", "0x3093f9B57A428F3EB6285a589cb35bEA6e78c336", STABLE),
    CurveSource("stableswap_ng_factory", "0xd2002373543Ce3527023C75e7518C274A51ce712", STABLE),
    CurveSource("crypto_factory", "0x5EF72230578b3e399E6C6F4F6360edF95e83BBfd", CRYPTO),
    CurveSource("twocrypto_ng_factory", "0xc9Fe0C63Af9A39402e8a5514f9c43Af0322b665F", CRYPTO),
    CurveSource("tricrypto_ng_factory", "0xA5961898870943c68037F6848d2D866Ed2016bcB", CRYPTO),
)

CURVE_SOURCES = MappingProxyType({"ethereum": _ETHEREUM, "arbitrum": _ARBITRUM, "base": _BASE})


def sources_for(chain: str) -> tuple[CurveSource, ...]:
    """Curve's listings on `chain` (a preset name); () where we know none."""
    return CURVE_SOURCES.get(chain, ())


def devnet_sources(manifest: Mapping[str, Any]) -> tuple[CurveSource, ...]:
    """The devnet's Curve listing (`contracts/curve/CurvePoolRegistry.vy`), if its manifest has one."""
    registry = (manifest.get("curve") or {}).get("registry")
    return (CurveSource("devnet_registry", registry, STABLE),) if registry else ()
