"""Deploy Balancer V2 on the devnet: the 2021 mainnet Vault, weighted pools and the 2023 composable
stable pools (v3), from the npm artifacts.

Running the real Vault (not a mock) means our quoting and swap encoding are checked against the exact
code that settles on mainnet: token sorting, 18-decimal upscaling, fee rounding and the batch-swap API.
"""

from __future__ import annotations

import json
from contextlib import suppress
from typing import Any

from eth_abi import encode
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD

from mevcli.devnet.artifacts import COMPOSABLE_STABLE_TASK
from mevcli.devnet.deployer import Deployer, DeployError

ONE = 10**18  # Balancer's fixed-point unit for weights and fees
# Mainnet's 2021 deployment values; the Vault caps them at 90 and 30 days.
PAUSE_WINDOW_DURATION = 90 * 24 * 3600
BUFFER_PERIOD_DURATION = 30 * 24 * 3600
JOIN_KIND_INIT = 0  # WeightedPool.JoinKind.INIT (StablePoolUserData.JoinKind.INIT too)
# ProtocolFeePercentagesProvider ceilings for the yield and AUM fee types (mainnet's 50%).
MAX_YIELD_FEE = MAX_AUM_FEE = ONE // 2
COMPOSABLE_STABLE_VERSION = 3
BPT_MAX_IN = 2**256 - 1  # the INIT join pulls the preminted BPT the pool minted to the joiner

# The npm package ships no ABI for the collector the Vault creates; this is the one getter we read.
PROTOCOL_FEES_COLLECTOR_ABI: list[dict[str, Any]] = [
    {
        "type": "function",
        "name": "getFlashLoanFeePercentage",
        "stateMutability": "view",
        "inputs": [],
        "outputs": [{"name": "", "type": "uint256"}],
    },
    {
        "type": "function",
        "name": "getSwapFeePercentage",
        "stateMutability": "view",
        "inputs": [],
        "outputs": [{"name": "", "type": "uint256"}],
    },
]


def deploy_balancer(d: Deployer, weth: str) -> dict[str, str]:
    """Authorizer, Vault, WeightedPoolFactory, ProtocolFeePercentagesProvider, ComposableStablePoolFactory
    and (when the package has it) BalancerQueries.

    The deployer is the Authorizer admin; no permission is granted, so protocol fees (swap and
    flash loan) stay at the Vault's default of zero.
    """
    authorizer = d.deploy("Authorizer", d.sender)
    weth = Web3.to_checksum_address(weth)
    vault = d.deploy("Vault", authorizer.address, weth, PAUSE_WINDOW_DURATION, BUFFER_PERIOD_DURATION)
    factory = d.deploy("WeightedPoolFactory", vault.address)
    fee_provider = d.deploy("ProtocolFeePercentagesProvider", vault.address, MAX_YIELD_FEE, MAX_AUM_FEE)
    stable_factory = d.deploy(
        "ComposableStablePoolFactory",
        vault.address,
        fee_provider.address,
        _version("ComposableStablePoolFactory"),
        _version("ComposableStablePool"),
    )
    out = {
        "vault": vault.address,
        "authorizer": authorizer.address,
        "weighted_pool_factory": factory.address,
        "protocol_fee_percentages_provider": fee_provider.address,
        "composable_stable_pool_factory": stable_factory.address,
    }
    # Older @balancer-labs/v2-deployments releases do not ship the queries task.
    with suppress(FileNotFoundError):
        out["queries"] = d.deploy("BalancerQueries", vault.address).address
    return out


def protocol_fees_collector(d: Deployer, vault: str) -> Contract:
    """The ProtocolFeesCollector the Vault created in its constructor."""
    address = d.at("Vault", vault).functions.getProtocolFeesCollector().call()
    return d.w3.eth.contract(address=address, abi=PROTOCOL_FEES_COLLECTOR_ABI)


def create_weighted_pool(
    d: Deployer,
    balancer: dict[str, str],
    tokens: list[str],
    weights: list[int],
    swap_fee: int,
    balances: list[int],
    name: str = "Devnet Weighted Pool",
    symbol: str = "DWP",
) -> dict[str, Any]:
    """Create a weighted pool through the factory and seed it with an INIT join from the deployer.

    `weights` and `swap_fee` are 1e18-based; `balances` are base units. Inputs may come in any order:
    the Vault registers tokens sorted by address, so the three lists are sorted together here.
    """
    check_pool_inputs(tokens, weights, balances)
    tokens, weights, balances = sorted_by_token(tokens, weights, balances)
    factory = d.at("WeightedPoolFactory", balancer["weighted_pool_factory"])
    create = factory.functions.create(name, symbol, tokens, weights, swap_fee, d.sender)
    receipt = d.send(create, "create weighted pool")
    pool = d.at("WeightedPool", _created_pool(factory, receipt))
    pool_id: bytes = pool.functions.getPoolId().call()
    vault = d.at("Vault", balancer["vault"])
    _fund_for_join(d, vault, tokens, balances)
    _init_join(d, vault, pool_id, tokens, balances)
    return {
        "address": pool.address,
        "pool_id": "0x" + pool_id.hex(),
        "tokens": tokens,
        "weights": weights,
        "swap_fee": swap_fee,
    }


def _fund_for_join(d: Deployer, vault: Any, tokens: list[str], balances: list[int]) -> None:
    """Give the deployer each token's balance (minted, or wrapped for WETH) and let the Vault pull it."""
    weth = vault.functions.WETH().call()
    for token, amount in zip(tokens, balances, strict=True):
        mint_or_wrap(d, token, amount, weth)
        d.send(d.at("TestToken", token).functions.approve(vault.address, amount), "approve Vault")


def create_composable_stable_pool(
    d: Deployer,
    balancer: dict[str, str],
    tokens: list[str],
    amplification: int,
    swap_fee: int,
    balances: list[int],
    name: str = "Devnet Composable Stable Pool",
    symbol: str = "DCSP",
    rate_providers: list[str] | None = None,
    cache_durations: list[int] | None = None,
) -> dict[str, Any]:
    """Create a composable stable pool and seed it with an INIT join.

    `amplification` is the plain A (1..5000; the pool keeps it times 1e3); `swap_fee` is 1e18-based.
    `rate_providers` (the zero address for none) and their cache `cache_durations` (seconds) go with
    `tokens`; by default no token has one. The Vault registers the pool's own BPT as one of its tokens;
    the returned `tokens` leave it out.
    """
    n = len(tokens)
    providers = rate_providers or ["0x" + "00" * 20] * n
    durations = cache_durations or [0] * n
    if not n == len(balances) == len(providers) == len(durations):
        raise ValueError("tokens, balances, rate providers and cache durations must have the same length")
    rows = sorted(zip(tokens, balances, providers, durations, strict=True), key=lambda row: int(row[0], 16))
    tokens = [Web3.to_checksum_address(row[0]) for row in rows]
    balances = [row[1] for row in rows]
    factory = d.at("ComposableStablePoolFactory", balancer["composable_stable_pool_factory"])
    create = factory.functions.create(
        name,
        symbol,
        tokens,
        amplification,
        [Web3.to_checksum_address(row[2]) for row in rows],
        [row[3] for row in rows],
        [False] * n,
        swap_fee,
        d.sender,
    )
    receipt = d.send(create, "create composable stable pool")
    pool = d.at("ComposableStablePool", _created_pool(factory, receipt))
    pool_id: bytes = pool.functions.getPoolId().call()
    vault = d.at("Vault", balancer["vault"])
    _fund_for_join(d, vault, tokens, balances)
    registered, _, _ = vault.functions.getPoolTokens(pool_id).call()
    bpt_index = pool.functions.getBptIndex().call()
    amounts = list(balances)
    amounts.insert(bpt_index, 0)
    user_data = encode(["uint256", "uint256[]"], [JOIN_KIND_INIT, amounts])
    max_in = list(balances)
    max_in.insert(bpt_index, BPT_MAX_IN)
    request = (registered, max_in, user_data, False)
    d.send(vault.functions.joinPool(pool_id, d.sender, d.sender, request), "init join")
    return {
        "address": pool.address,
        "pool_id": "0x" + pool_id.hex(),
        "tokens": tokens,
        "amplification": amplification,
        "swap_fee": swap_fee,
    }


def _version(contract: str) -> str:
    """The version string the mainnet deployment gave the factory and its pools."""
    return json.dumps(
        {"name": contract, "version": COMPOSABLE_STABLE_VERSION, "deployment": COMPOSABLE_STABLE_TASK},
        separators=(",", ":"),
    )


def mint_or_wrap(d: Deployer, token: str, amount: int, weth: str | None) -> None:
    """Credit the deployer `amount` of `token`: wrap ETH for WETH9, else TestToken's open `mint`."""
    if weth is not None and int(token, 16) == int(weth, 16):
        d.send(d.at("WETH9", token).functions.deposit(), "wrap ETH", value=amount)
    else:
        d.send(d.at("TestToken", token).functions.mint(d.sender, amount), "mint")


def check_pool_inputs(tokens: list[str], weights: list[int], balances: list[int]) -> None:
    """Fail before any transaction: the factory would only revert with a bare BAL#xxx code."""
    if not len(tokens) == len(weights) == len(balances):
        raise ValueError("tokens, weights and balances must have the same length")
    if sum(weights) != ONE:
        raise ValueError(f"weights must sum to 1e18, got {sum(weights)}")


def sorted_by_token(
    tokens: list[str], weights: list[int], balances: list[int]
) -> tuple[list[str], list[int], list[int]]:
    rows = sorted(zip(tokens, weights, balances, strict=True), key=lambda row: int(row[0], 16))
    return (
        [Web3.to_checksum_address(t) for t, _, _ in rows],
        [w for _, w, _ in rows],
        [b for _, _, b in rows],
    )


def _created_pool(factory: Contract, receipt: dict[str, Any]) -> str:
    events = factory.events.PoolCreated().process_receipt(receipt, errors=DISCARD)
    for event in events:
        if event["address"] == factory.address:
            return event["args"]["pool"]
    raise DeployError(f"{factory.address}.create emitted no PoolCreated event")


def _init_join(d: Deployer, vault: Contract, pool_id: bytes, tokens: list[str], amounts: list[int]) -> None:
    """The first join must be INIT: it sets the invariant and mints the initial BPT."""
    request = init_join_request(tokens, amounts)
    d.send(vault.functions.joinPool(pool_id, d.sender, d.sender, request), "init join")


def init_join_request(tokens: list[str], amounts: list[int]) -> tuple[list[str], list[int], bytes, bool]:
    """The Vault's JoinPoolRequest for a weighted pool's INIT join of `amounts` (tokens sorted)."""
    user_data = encode(["uint256", "uint256[]"], [JOIN_KIND_INIT, amounts])
    return (tokens, amounts, user_data, False)
