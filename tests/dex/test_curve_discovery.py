"""Curve pool discovery from `pool_count`/`pool_list` listings on the real devnet: every pool the listing
names is priced (variant recognised) or listed as unpriced with its reason, never guessed; listings that
do not answer are named. The presets' Curve sources are official, checksummed and complete per chain."""

from __future__ import annotations

import pytest
from eth_abi import encode
from eth_utils import to_checksum_address

from mevcli.chain.multicall import CallResult, Multicall
from mevcli.dex.curve.discovery import CRYPTO_REASON, discover, discover_cached
from mevcli.dex.curve.reader import MAX_COINS, UnpricedCurvePool, _classify
from mevcli.dex.curve.sources import CRYPTO, CURVE_SOURCES, STABLE, CurveSource, devnet_sources, sources_for
from mevcli.dex.forks import CURVE
from mevcli.dex.registry import DexRegistry

DAY = 86_400


def _fund_and_seed(chain, pool, coins) -> None:
    d = chain.deployer(0)
    for coin in coins:
        token = d.at("TestToken", coin)
        d.send(token.functions.mint(d.sender, 10**12))
        d.send(token.functions.approve(pool.address, 10**12))
    d.send(pool.functions.add_liquidity([10**12, 10**12], 0))


def _mc(chain) -> Multicall:
    return Multicall(chain.w3, chain.manifest["multicall3"])


def test_devnet_registry_lists_every_curve_pool_priced_with_its_variant(chain):
    found = discover(_mc(chain), devnet_sources(chain.manifest), chain.w3.eth.block_number)
    assert found.addresses == tuple(chain.manifest["curve"]["pools"])
    assert [s.variant for s in found.priced] == ["classic-v1", "classic-v1", "stableswap-ng"]
    assert found.unpriced == [] and found.failed_sources == []
    assert set(found.source_of.values()) == {"devnet_registry"}


def test_unpriceable_pools_are_listed_with_the_reason(snapshot):
    chain = snapshot
    d = chain.deployer(0)
    classic, _, ng = chain.manifest["curve"]["pools"]
    token = chain.manifest["tokens"]["USDC"]
    coins = [chain.manifest["tokens"][s] for s in ("USDC", "USDT")]
    ramping = d.deploy("CurveStableSwapNG", coins, 100, 4_000_000, 2 * 10**10, "R", "R")
    _fund_and_seed(chain, ramping, coins)
    chain.w3.provider.make_request("evm_increaseTime", [2 * DAY])
    chain.w3.provider.make_request("evm_mine", [])
    now = chain.w3.eth.get_block("latest")["timestamp"]
    d.send(ramping.functions.ramp_A(150, now + 3 * DAY))
    stable = d.deploy("CurvePoolRegistry")
    crypto = d.deploy("CurvePoolRegistry")
    for pool in (classic, token, ramping.address, ng, classic):  # listed twice: kept once
        d.send(stable.functions.add_pool(pool))
    d.send(crypto.functions.add_pool(chain.manifest["curve"]["pools"][1]))
    sources = (
        CurveSource("stable", stable.address, STABLE),
        CurveSource("crypto", crypto.address, CRYPTO),
        CurveSource("gone", "0x" + "ee" * 20, STABLE),  # no code: answers nothing
        CurveSource("named", ng, STABLE, is_pool=True),
    )
    found = discover(_mc(chain), sources, chain.w3.eth.block_number)
    assert found.addresses == (ng, classic, ramping.address)  # pools named directly come first
    assert [s.ramp_end > 0 for s in found.priced] == [False, False, True]  # priced at this block's A
    reasons = {u.address: u.reason for u in found.unpriced}
    assert set(reasons) == {token, chain.manifest["curve"]["pools"][1]}
    assert "not a Curve StableSwap pool" in reasons[token]
    assert reasons[chain.manifest["curve"]["pools"][1]] == CRYPTO_REASON
    assert found.failed_sources == ["gone"]
    assert found.source_of[ng] == "named" and found.source_of[classic] == "stable"


def _results(**overrides: bytes | None) -> list[CallResult]:
    """A probe's results for a 2-coin pool; `overrides` by getter name (None: the call fails)."""
    word = lambda v: encode(["uint256"], [v])  # noqa: E731
    coin = lambda k: encode(["address"], [to_checksum_address(f"0x{k + 1:040x}")])  # noqa: E731
    fields: dict[str, bytes | None] = {
        "A": word(200),
        "fee": word(4_000_000),
        "admin_fee": word(5 * 10**9),
        "A_precise": None,
        "offpeg_fee_multiplier": None,
        "stored_rates": None,
        "future_A_time": None,
        "base_pool": None,
        "BASE_POOL": None,
        "underlying_coins": None,
    }
    fields.update(overrides)
    coins = [CallResult(True, coin(k)) if k < 2 else CallResult(False, b"") for k in range(MAX_COINS)]
    balances = [CallResult(True, word(10**24)) if k < 2 else CallResult(False, b"") for k in range(MAX_COINS)]
    return coins + balances + [CallResult(v is not None, v or b"") for v in fields.values()]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"base_pool": b"\x00" * 32}, "metapool"),
        ({"BASE_POOL": b"\x00" * 32}, "metapool"),
        ({"underlying_coins": b"\x00" * 32}, "lending pool"),
        ({"offpeg_fee_multiplier": b"\x00" * 31 + b"\x02"}, "off-peg fee"),
        ({"A": None}, "not a Curve StableSwap pool"),
    ],
)
def test_variants_we_do_not_price_are_named(overrides, reason):
    found = _classify("0x" + "11" * 20, _results(**overrides), now=1000)
    assert isinstance(found, UnpricedCurvePool) and reason in found.reason


def test_classic_variants_are_told_apart_by_their_getters():
    v1 = _classify("0x" + "11" * 20, _results(), now=1000)
    v2 = _classify("0x" + "11" * 20, _results(A_precise=(20_050).to_bytes(32, "big")), now=1000)
    assert (v1.a_precision, v1.amp, v1.ng) == (1, 200, False)
    assert (v2.a_precision, v2.amp, v2.ng) == (100, 20_050, False)  # mid-ramp stop: A_precise as is
    ended = _classify("0x" + "11" * 20, _results(future_A_time=(999).to_bytes(32, "big")), now=1000)
    ramping = _classify("0x" + "11" * 20, _results(future_A_time=(2000).to_bytes(32, "big")), now=1000)
    assert (ended.ramp_end, ramping.ramp_end) == (0, 2000)  # a ramp in the past is over


def test_presets_list_official_curve_sources_per_chain():
    assert set(CURVE_SOURCES) == {"ethereum", "arbitrum", "base"}
    for chain, sources in CURVE_SOURCES.items():
        assert all(s.address == to_checksum_address(s.address) for s in sources), chain
        names = {s.name for s in sources}
        assert {"stableswap_ng_factory", "twocrypto_ng_factory", "tricrypto_ng_factory"} <= names, chain
        assert {s.listing for s in sources if "crypto" in s.name} == {CRYPTO}
    two_pool = next(s for s in sources_for("arbitrum") if s.name == "2pool")
    assert two_pool.is_pool and two_pool.address == "0x7f90122BF0700F9E7e1F688fe926940E8839F353"
    assert sources_for("devnet") == ()


class _Counting(Multicall):
    """A Multicall that counts the calls it sends."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.sent = 0

    def call(self, calls, block="latest"):
        self.sent += len(calls)
        return super().call(calls, block)


def test_cached_discovery_asks_only_for_what_is_new(snapshot, tmp_path):
    chain = snapshot
    d = chain.deployer(0)
    pools = chain.manifest["curve"]["pools"]
    token = chain.manifest["tokens"]["USDC"]
    sources = devnet_sources(chain.manifest)
    path = tmp_path / "curve.json"
    first_mc = _Counting(chain.w3, chain.manifest["multicall3"])
    first = discover_cached(first_mc, sources, chain.w3.eth.block_number, path)
    assert first.addresses == tuple(pools) and first.unpriced == []
    registry = d.at("CurvePoolRegistry", chain.manifest["curve"]["registry"])
    d.send(registry.functions.add_pool(token))
    again_mc = _Counting(chain.w3, chain.manifest["multicall3"])
    again = discover_cached(again_mc, sources, chain.w3.eth.block_number, path)
    assert again.addresses == tuple(pools)
    assert [(u.address, "not a Curve" in u.reason) for u in again.unpriced] == [(token, True)]
    # pool_count, one pool_list, and one pool's probe (+ the block's timestamp): not the three known pools.
    assert again_mc.sent < first_mc.sent // 2
    third_mc = _Counting(chain.w3, chain.manifest["multicall3"])
    third = discover_cached(third_mc, sources, chain.w3.eth.block_number, path)
    assert (third.addresses, third.unpriced) == (again.addresses, again.unpriced)
    assert third_mc.sent == 1  # only pool_count: every pool is judged for good


def test_a_chain_with_curve_listings_gets_a_curve_dex_of_the_priced_pools(chain, tmp_path, monkeypatch):
    """`with_curve_pools` on a context whose chain has Curve listings (here the devnet's registry stands
    in for a preset chain's): the registry gains a `curve` DEX with the priced pools, remembered on disk."""
    from types import SimpleNamespace

    from mevcli.dex.curve import discovery

    monkeypatch.setattr(discovery, "sources_for", lambda name: devnet_sources(chain.manifest))
    ctx = SimpleNamespace(
        preset=SimpleNamespace(name="arbitrum"),
        settings=SimpleNamespace(cache_dir=tmp_path),
        chain_id=31337,
        multicall=_mc(chain),
        w3=chain.w3,
    )
    base = DexRegistry.from_manifest({k: v for k, v in chain.manifest.items() if k != "curve"})
    registry = discovery.with_curve_pools(base, ctx)
    curve = next(d for d in registry.dexes if d.kind == CURVE)
    assert curve.pools == tuple(chain.manifest["curve"]["pools"])
    assert len(registry.dexes) == len(base.dexes) + 1
    assert (tmp_path / "curve" / "31337.json").exists()
