"""Balancer weighted pools and Curve pools created many at a time through a `BatchSender`.

The same contracts, factories and seeding as the base market's one-at-a-time path (`MarketBuilder`), in
three rounds of transactions whatever the number of pools: create, fund, seed. The deployer is credited
each token's total once and approves each spender once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from web3 import Web3

from mevcli.devnet import market_spec as spec
from mevcli.devnet.balancer import check_pool_inputs, init_join_request, sorted_by_token
from mevcli.devnet.batch_sender import BatchSender, calldata, creation_data
from mevcli.devnet.curve import curve_constructor, curve_pool_entry, seed_balances
from mevcli.devnet.deployer import MAX_UINT256, DeployError

if TYPE_CHECKING:
    from mevcli.devnet.market import MarketBuilder

POOL_CREATED = Web3.keccak(text="PoolCreated(address)").hex().removeprefix("0x")
GAS = {"weighted": 12_000_000, "join": 1_500_000, "curve": 12_000_000, "add_liquidity": 1_500_000}
GAS |= {"mint": 200_000, "approve": 100_000}


def create_weighted_pools(
    m: MarketBuilder, sender: BatchSender, pools: list[spec.WeightedPoolSpec]
) -> list[dict[str, Any]]:
    """Create `pools` through the WeightedPoolFactory and INIT-join each (`create_weighted_pool`'s dicts)."""
    balancer = m.manifest["balancer"]
    factory, vault = balancer["weighted_pool_factory"], balancer["vault"]
    rows = []
    for pool in pools:
        tokens, weights = [m.tokens[s] for s in pool.tokens], [w * 10**16 for w in pool.weights_pct]
        balances = m.weighted_balances(pool)
        check_pool_inputs(tokens, weights, balances)
        tokens, weights, balances = sorted_by_token(tokens, weights, balances)
        swap_fee = pool.swap_fee_bps * 10**14
        name, symbol = "Devnet " + "/".join(pool.tokens), "B-" + "-".join(pool.tokens)
        args = (name, symbol, tokens, weights, swap_fee, sender.sender)
        create = calldata("WeightedPoolFactory", "create", *args)
        sender.add(factory, create, GAS["weighted"], "create weighted pool")
        rows.append((tokens, weights, balances, swap_fee))
    addresses = [_created_pool(factory, r) for r in sender.flush()]
    ids = sender.call((a, calldata("WeightedPool", "getPoolId")) for a in addresses)
    deposits = (deposit for tokens, _, balances, _ in rows for deposit in zip(tokens, balances, strict=True))
    fund_sender(m, sender, deposits, [vault])
    for (tokens, _, balances, _), pool_id in zip(rows, ids, strict=True):
        request = init_join_request(tokens, balances)
        args = (bytes.fromhex(pool_id[2:]), sender.sender, sender.sender, request)
        sender.add(vault, calldata("Vault", "joinPool", *args), GAS["join"], "init join")
    sender.flush()
    return [
        {"address": a, "pool_id": pool_id, "tokens": t, "weights": w, "swap_fee": fee}
        for a, pool_id, (t, w, _, fee) in zip(addresses, ids, rows, strict=True)
    ]


def deploy_curve_pools(
    m: MarketBuilder, sender: BatchSender, pools: list[spec.CurvePoolSpec]
) -> list[dict[str, Any]]:
    """Deploy `pools` and seed each with its first deposit; their manifest entries."""
    artifacts = []
    for pool in pools:
        artifact, args = curve_constructor(m, pool)
        sender.add(None, creation_data(artifact, *args), GAS["curve"], f"deploy {artifact}")
        artifacts.append(artifact)
    addresses = [Web3.to_checksum_address(r["contractAddress"]) for r in sender.flush()]
    deposits = [seed_balances(m, pool) for pool in pools]
    fund_sender(
        m,
        sender,
        (
            (m.tokens[symbol], amount)
            for pool, amounts in zip(pools, deposits, strict=True)
            for symbol, amount in zip(pool.tokens, amounts, strict=True)
        ),
        [],
    )
    for pool, artifact, address, amounts in zip(pools, artifacts, addresses, deposits, strict=True):
        for symbol in pool.tokens:
            approve = calldata("TestToken", "approve", address, MAX_UINT256)
            sender.add(m.tokens[symbol], approve, GAS["approve"], "approve Curve pool")
        add = calldata(artifact, "add_liquidity", amounts, 0)
        sender.add(address, add, GAS["add_liquidity"], "Curve add_liquidity")
    sender.flush()
    return [curve_pool_entry(m, pool, address) for pool, address in zip(pools, addresses, strict=True)]


def fund_sender(
    m: MarketBuilder, sender: BatchSender, deposits: Iterable[tuple[str, int]], spenders: list[str]
) -> None:
    """Credit the deployer each token's total of `deposits` ((token, amount) pairs) at once, in the order
    the tokens first appear (minted; WETH wrapped), and let every spender pull it."""
    totals: dict[str, int] = {}
    for token, amount in deposits:
        totals[token] = totals.get(token, 0) + amount
    for token, amount in totals.items():
        if int(token, 16) == int(m.tokens["WETH"], 16):
            sender.add(token, calldata("WETH9", "deposit"), GAS["mint"], "wrap ETH", value=amount)
        else:
            sender.add(token, calldata("TestToken", "mint", sender.sender, amount), GAS["mint"], "mint")
        for spender in spenders:
            approve = calldata("TestToken", "approve", spender, MAX_UINT256)
            sender.add(token, approve, GAS["approve"], "approve")


def _created_pool(factory: str, receipt: dict[str, Any]) -> str:
    """The pool a factory `create` receipt announces in its PoolCreated event."""
    for log in receipt["logs"]:
        topics = log["topics"]
        if int(log["address"], 16) == int(factory, 16) and topics and topics[0][2:] == POOL_CREATED:
            return Web3.to_checksum_address("0x" + topics[1][-40:])
    raise DeployError(f"{factory}.create emitted no PoolCreated event")
