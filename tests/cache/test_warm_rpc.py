"""What a warm run costs the node, counted by a JSON-RPC proxy on the real devnet: a scan or a quote at an
unchanged block asks no pool and no factory anything, a count that does not grow with the pools; after
swaps only logs are fetched; Balancer fee, amplification and token rate changes arrive by their events,
and a token rate cache expiring (no log) makes the cache read the pool again."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import replace
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from cache_checks import assert_matches_chain
from devnet_support import all_pools
from typer.testing import CliRunner
from web3 import Web3
from web3.providers.rpc import HTTPProvider

from mevcli.cache import ReserveCache
from mevcli.cache.identity import PoolIdentities
from mevcli.cache.store import ReserveStore
from mevcli.chain.multicall import Multicall
from mevcli.cli.app import app
from mevcli.devnet.balancer import create_composable_stable_pool
from mevcli.devnet.counting_proxy import CountingProxy, RpcCount
from mevcli.dex.balancer.reader import read_balancer_pools
from mevcli.dex.registry import DexRegistry
from mevcli.errors import UnknownPool

ZERO = "0x" + "00" * 20
# Getters a pool-identity or pool-state read asks (of pools, factories or the Vault).
POOL_SELECTORS = {
    Web3.keccak(text=s)[:4].hex()
    for s in (
        "factory()",
        "token0()",
        "token1()",
        "fee()",
        "tickSpacing()",
        "getVault()",
        "getPoolId()",
        "getReserves()",
        "slot0()",
        "liquidity()",
        "getPoolTokens(bytes32)",
        "getPair(address,address)",
        "getPool(address,address,uint24)",
        "getPool(bytes32)",
        "getSwapFeePercentage()",
        "getAmplificationParameter()",
        "getScalingFactors()",
        "A()",
        "balances(uint256)",
        "coins(uint256)",
    )
}


# Getters whose answer never changes for a pool (Curve's fee() does change, but no identity asks it).
IMMUTABLE_GETTERS = {
    Web3.keccak(text=s)[:4].hex(): s
    for s in ("factory()", "token0()", "token1()", "fee()", "tickSpacing()", "getVault()", "getPoolId()")
}


@pytest.fixture(scope="module")
def counting(chain: Any) -> Iterator[CountingProxy]:
    proxy = CountingProxy(chain.rpc_url)
    yield proxy
    proxy.close()


def cli(chain: Any, cache: Path, url: str, *args: str, config: Path | None = None) -> Any:
    env = {k: v for k, v in os.environ.items() if k not in ("CHAIN", "MEVCLI_CONFIG")}
    env.update(chain.cli_env(cache), ETH_RPC_URL=url)
    if config is not None:
        env["MEVCLI_CONFIG"] = str(config)
    result = CliRunner().invoke(app, ["--json", *args], env=env)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def pool_calls(count: RpcCount, pools: list[str]) -> int:
    """Calls (inside batches or not) to a pool, or asking any pool-identity or pool-state getter."""
    return count.calls_to(pools) + sum(n for sel, n in count.selectors.items() if sel[2:] in POOL_SELECTORS)


def add_pairs(chain: Any, count: int) -> list[str]:
    """`count` new Uniswap V2 pairs with liquidity between fresh tokens (factory discovery finds them)."""
    d = chain.deployer(0)
    tokens = [d.deploy("TestToken", f"Warm {i}", f"W{i}", 18).address for i in range(count + 1)]
    factory = d.at("UniswapV2Factory", chain.manifest["uniswap_v2"]["factory"])
    pairs = []
    for a, b in pairwise(tokens):
        d.send(factory.functions.createPair(a, b))
        pair = factory.functions.getPair(a, b).call()
        for token in (a, b):
            d.send(d.at("TestToken", token).functions.mint(pair, 10**24))
        d.send(d.at("UniswapV2Pair", pair).functions.mint(d.sender))
        pairs.append(pair)
    return pairs


def test_warm_scan_and_quote_ask_no_pool_and_do_not_grow_with_pools(market, tmp_path, counting):
    chain = market.chain
    scan = ("scan", "--max-hops", "2")
    v2, v3 = market.pools("uniswap_v2")[0], market.pools("uniswap_v3")[0]

    def name(pool: dict[str, Any]) -> str:  # a pool by name: the factory's answer is remembered too
        return f"uniswap_v3:{pool['tokens'][0]}/{pool['tokens'][1]}:{pool['fee']}"

    hop2 = next(p for p in market.pools("uniswap_v3") if v2["tokens"][1] in p["tokens"])
    path = f"{v2['address']},{name(hop2)}"
    quote = ("quote", "--pool", name(v3), "--token-in", v3["tokens"][0], "--amount-in", "10000000")
    quote_path = ("quote", "--path", path, "--token-in", v2["tokens"][0], "--amount-in", "10000000")

    # The pool reads alone: the token probe (its own verdict cache) is off here, and checked below.
    no_probe = tmp_path / "mevcli.toml"
    no_probe.write_text("[scan]\ntoken_probe = false\n")

    def warm_costs(cache: Path) -> tuple[RpcCount, RpcCount]:
        counting.take()
        cli(chain, cache, counting.url, *scan, config=no_probe)
        cold = counting.take()
        print("cold scan round trips:", cold.round_trips, dict(cold.methods))
        # The anchors' block hashes (discovery progress, pool identities) included; one eth_chainId, the
        # pending block and the tip in one batch.
        assert cold.round_trips <= len(all_pools(chain)) // 500 + 15, cold.methods
        cli(chain, cache, counting.url, *scan, config=no_probe)
        warm_scan = counting.take()
        cli(chain, cache, counting.url, *quote)
        cli(chain, cache, counting.url, *quote_path)
        counting.take()
        cli(chain, cache, counting.url, *quote)  # the second time at the same block
        cli(chain, cache, counting.url, *quote_path)
        return warm_scan, counting.take()

    warm_scan, warm_quote = warm_costs(tmp_path / "small")
    pools = all_pools(chain)
    assert pool_calls(warm_scan, pools) == 0, warm_scan.selectors
    assert warm_scan.eth_calls <= 1, warm_scan.methods  # flash-lender liquidity, one batch
    assert "eth_getLogs" not in warm_scan.methods  # nothing happened since the last processed block
    assert pool_calls(warm_quote, pools) == 0 and warm_quote.eth_calls == 0, warm_quote.methods
    # With the token probe on, a cold scan adds two round trips whatever the number of tokens (every
    # balanceOf, then every probe, each one JSON-RPC batch), and a warm scan costs the same: the probe's
    # verdicts are cached too.
    cli(chain, tmp_path / "probed", counting.url, *scan)
    # + 2 probe batches, + 1 block hash anchoring their verdicts
    assert counting.take().round_trips <= len(all_pools(chain)) // 500 + 15 + 3
    cli(chain, tmp_path / "probed", counting.url, *scan)
    # the same: the cached verdicts' anchors are checked with the block hash the scan read for the pool
    # identities' anchors (one read per block per scan)
    assert counting.take().methods == warm_scan.methods

    extra = add_pairs(chain, 6)
    bigger_scan, bigger_quote = warm_costs(tmp_path / "bigger")
    assert pool_calls(bigger_scan, pools + extra) == 0, bigger_scan.selectors
    # Same requests, same calls, with more pools.
    assert bigger_scan.methods == warm_scan.methods, (bigger_scan.methods, warm_scan.methods)
    assert bigger_scan.batched_calls == warm_scan.batched_calls
    assert bigger_quote.methods == warm_quote.methods


def test_after_swaps_a_warm_scan_applies_events_only(market, tmp_path, counting):
    chain, cache = market.chain, tmp_path / "cache"
    market.fund()
    cli(chain, cache, counting.url, "scan", "--max-hops", "2")
    market.v2_swap(market.pools("uniswap_v2")[0], 30_000)
    market.v3_swap(market.pools("uniswap_v3")[0], 50_000)
    market.balancer_swap(market.pools("balancer")[0], 20_000)
    counting.take()
    cli(chain, cache, counting.url, "scan", "--max-hops", "2")
    count = counting.take()
    assert pool_calls(count, all_pools(chain)) == 0, count.selectors
    assert count.methods["eth_getLogs"] >= 1 and count.eth_calls <= 1, count.methods
    stats = cli(chain, cache, counting.url, "cache", "stats")
    stats = stats[0] if isinstance(stats, list) else stats
    assert stats["event_updates"] >= 3
    reader = ReserveCache.open(cache, chain.w3.eth.chain_id, chain.w3, market.multicall())
    assert_matches_chain(reader, market.refs())


def test_balancer_fee_amp_and_rate_changes_arrive_by_events(snapshot, tmp_path, counting):
    chain = snapshot
    d = chain.deployer(0)
    tokens = [d.deploy("TestToken", f"Rated {i}", f"RT{i}", dec).address for i, dec in enumerate((18, 6, 18))]
    provider = d.deploy("TestRateProvider")
    d.send(provider.functions.setRate(1_050_000_000_000_000_000))
    created = create_composable_stable_pool(
        d,
        chain.manifest["balancer"],
        tokens,
        300,
        10**15,
        [3_000_000 * 10**18, 3_100_000 * 10**6, 2_500_000 * 10**18],
        rate_providers=[provider.address, ZERO, ZERO],
        cache_durations=[2 * 86_400, 0, 0],
    )
    address = created["address"]
    pool = d.at("ComposableStablePool", address)
    w3 = Web3(HTTPProvider(counting.url, request_kwargs={"timeout": 60}))
    mc = Multicall(w3, chain.manifest["multicall3"])
    refs = DexRegistry.from_manifest(chain.manifest).identify(mc, [address], w3.eth.block_number)
    cache = ReserveCache.open(tmp_path, chain.w3.eth.chain_id, w3, mc, ttl=3600)
    cache.snapshot(refs)

    d.send(pool.functions.setSwapFeePercentage(3 * 10**15))
    now = chain.w3.eth.get_block("latest")["timestamp"]
    d.send(pool.functions.startAmplificationParameterUpdate(600, now + 2 * 86_400))
    chain.w3.provider.make_request("evm_increaseTime", [12 * 3600])
    d.send(pool.functions.stopAmplificationParameterUpdate())
    d.send(provider.functions.setRate(1_200_000_000_000_000_000))
    d.send(pool.functions.updateTokenRateCache(tokens[0]))

    counting.take()
    snap = cache.snapshot(refs)
    count = counting.take()
    assert count.calls_to([address, chain.manifest["balancer"]["vault"]]) == 0, count.selectors
    assert snap.report.event_updates >= 4 and snap.read == ()
    state = snap.states[address]
    fresh = read_balancer_pools(Multicall(chain.w3, chain.manifest["multicall3"]), [address], snap.block)[0]
    assert state.swap_fee == fresh.swap_fee == 3 * 10**15
    assert state.amp == fresh.amp and not state.amp_updating and 300_000 < state.amp < 600_000
    assert state.scaling_factors == fresh.scaling_factors
    assert 12 * 10**17 in state.scaling_factors  # the new rate of the 18-decimal rated token
    # The refresh's new expiry is not in its log: the cached one stays the earlier (safe) bound.
    assert state.rates_expire <= fresh.rates_expire
    assert replace(state, rates_expire=fresh.rates_expire) == fresh

    # Past the rate cache's expiry the next swap prices with the provider's rate of the moment, which
    # no log announces: the cache reads the pool again (no TTL wait), then serves it from disk.
    chain.w3.provider.make_request("evm_increaseTime", [3 * 86_400])
    chain.w3.provider.make_request("evm_mine", [])
    assert cache.snapshot(refs).read == (address,)


def test_identity_is_read_once_per_chain_and_refusals_follow_the_dex_set(chain, tmp_path, counting):
    w3 = Web3(HTTPProvider(counting.url, request_kwargs={"timeout": 60}))
    mc = Multicall(w3, chain.manifest["multicall3"])
    registry = DexRegistry.from_manifest(chain.manifest)
    not_a_pool = chain.manifest["tokens"]["USDC"]
    addresses = [*all_pools(chain), not_a_pool]
    store = ReserveStore(tmp_path)
    block = chain.w3.eth.block_number
    counting.take()
    refs = PoolIdentities(store, registry).identify(mc, addresses, block)
    cold = counting.take()
    assert [r.address for r in refs] == all_pools(chain) and cold.eth_calls == 2  # two rounds, all kinds
    again = PoolIdentities(store, registry).identify(mc, all_pools(chain), block)
    assert again == refs and counting.take().eth_calls == 0
    with pytest.raises(UnknownPool, match="not a pool"):
        PoolIdentities(store, registry).identify(mc, [not_a_pool], block, strict=True)
    assert counting.take().eth_calls == 1  # a refusal from a failed call is not a fact: asked again

    # Without SushiSwap in the DEX set its pairs are judged again (and refused); the rest stay known.
    manifest = {k: v for k, v in chain.manifest.items() if k != "sushiswap"}
    fewer = PoolIdentities(store, DexRegistry.from_manifest(manifest)).identify(mc, addresses, block)
    sushi = {p["address"] for p in chain.pools("sushiswap")}
    assert [r.address for r in fewer] == [a for a in all_pools(chain) if a not in sushi]
    assert counting.take().calls_to(sushi) > 0


def test_a_cold_scan_reads_each_immutable_getter_once_per_pool(chain, tmp_path, counting):
    """Identity reads a new pool's tokens, fee, factory, Vault and pool id; its first state read takes
    them from there instead of asking the pool again. V4 pools (scanned when named) take their keys from
    discovery's one `eth_getLogs`, not from one more per pool."""
    config = tmp_path / "mevcli.toml"
    config.write_text("[scan]\ntoken_probe = false\n")
    every_dex = [arg for d in DexRegistry.from_manifest(chain.manifest).dexes for arg in ("--dex", d.name)]
    counting.take()
    cli(chain, tmp_path / "cache", counting.url, "scan", "--max-hops", "2", *every_dex, config=config)
    cold = counting.take()
    print("cold scan:", cold.to_json())  # the figures `-s` shows
    asked = {
        (target, IMMUTABLE_GETTERS[sel[2:]]): n
        for (target, sel), n in cold.calls.items()
        if sel[2:] in IMMUTABLE_GETTERS
    }
    assert asked and max(asked.values()) == 1, {k: n for k, n in asked.items() if n > 1}
    assert cold.methods["eth_getLogs"] == 1, cold.methods
