"""Multicall batches that a node's request-size limit would refuse: anvil answers a JSON-RPC body a
little over 2 MB with "Invalid request", which a cold read of ~1,000 pools used to hit."""

from __future__ import annotations

from mevcli.chain.multicall import Call, Multicall, encode_call

TOKEN0 = encode_call("token0()")


def _calls(chain, count: int) -> tuple[list[Call], list[str]]:
    pairs = chain.pools("uniswap_v2")
    chosen = [pairs[i % len(pairs)] for i in range(count)]
    return [Call(p["address"], TOKEN0) for p in chosen], [p["tokens"][0].lower() for p in chosen]


def _token(result) -> str:
    return "0x" + result.data[-20:].hex()


def test_a_read_larger_than_the_node_takes_in_one_request_is_sent_in_parts(chain) -> None:
    calls, expected = _calls(chain, 12_000)  # 24 aggregate3 chunks, ~4.6 MB of calldata in all
    mc = Multicall(chain.w3, chain.manifest["multicall3"])
    results = mc.call(calls)
    assert all(r.ok for r in results)
    assert [_token(r) for r in results] == expected


def test_a_batch_the_node_refuses_is_split_in_halves(chain) -> None:
    calls, expected = _calls(chain, 12_000)
    # No byte cap of our own: the node refuses the 20-chunk batch, which goes again in halves.
    mc = Multicall(chain.w3, chain.manifest["multicall3"], bytes_per_request=10**12)
    results = mc.call(calls)
    assert [_token(r) for r in results] == expected
