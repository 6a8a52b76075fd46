"""The reserve cache keeps a stableswap-ng pool exact: its TokenExchange is applied with no eth_call; a
ramp of A invalidates it, and while A ramps the pool is read again at every request (its A moves with the
block time); once the ramp is stopped events apply again. On anvil."""

from __future__ import annotations

from cache_checks import assert_matches_chain, open_cache

DAY = 86_400
MAX_UINT256 = 2**256 - 1


def _ng(market) -> dict:
    return next(p for p in market.pools("curve") if p["variant"] == "stableswap-ng")


def _exchange(market, pool: dict, amount: int) -> None:
    d = market.chain.deployer(0)
    token = d.at("TestToken", pool["tokens"][0])
    d.send(token.functions.mint(d.sender, amount))
    d.send(token.functions.approve(pool["address"], MAX_UINT256))
    d.send(d.at("CurveStableSwapNG", pool["address"]).functions.exchange(0, 1, amount, 0))


def _warp(market, seconds: int) -> None:
    market.chain.w3.provider.make_request("evm_increaseTime", [seconds])
    market.chain.w3.provider.make_request("evm_mine", [])


def test_ng_pool_events_apply_and_a_ramp_is_read_every_time(market, tmp_path, proxy):
    pool = _ng(market)
    refs = [r for r in market.refs(("curve",)) if r.address == pool["address"]]
    cache = open_cache(market.chain, tmp_path, proxy.url)
    cache.snapshot(refs)
    _exchange(market, pool, 250_000 * 10**18)
    proxy.reset()
    snap = cache.snapshot(refs)
    assert proxy.reset()["eth_call"] == 0 and pool["address"] in snap.report.changed()
    assert_matches_chain(cache, refs)

    contract = market.chain.deployer(0).at("CurveStableSwapNG", pool["address"])
    _warp(market, 2 * DAY)
    now = market.chain.w3.eth.get_block("latest")["timestamp"]
    market.chain.deployer(0).send(contract.functions.ramp_A(400, now + 7 * DAY))
    assert pool["address"] in cache.snapshot(refs).read  # RampA invalidates
    for _ in range(2):
        _warp(market, DAY // 3)
        assert pool["address"] in cache.snapshot(refs).read  # mid-ramp: read again, at this block's A
        assert_matches_chain(cache, refs)

    market.chain.deployer(0).send(contract.functions.stop_ramp_A())
    assert pool["address"] in cache.snapshot(refs).read
    _exchange(market, pool, 10_000 * 10**18)
    assert not cache.snapshot(refs).read  # A fixed again: the exchange is applied
    assert_matches_chain(cache, refs)
