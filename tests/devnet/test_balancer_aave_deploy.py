"""Deploy the real Balancer V2 and Aave V3 contracts on anvil and drive a swap and a flash loan."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3
from web3.contract import Contract

from mevcli.devnet.aave import deploy_aave
from mevcli.devnet.artifacts import load
from mevcli.devnet.balancer import create_weighted_pool, deploy_balancer, protocol_fees_collector
from mevcli.devnet.deployer import Deployer
from mevcli.devnet.node import AnvilNode

E18 = 10**18
GIVEN_IN = 0
FAR_DEADLINE = 2**40
AAVE_POOL = "aave:protocol/pool/Pool.sol/Pool"
FLASH_RECEIVER = "aave:mocks/flashloan/MockSimpleFlashLoanReceiver.sol/MockFlashLoanSimpleReceiver"
MINTABLE_ERC20 = "aave:mocks/tokens/MintableERC20.sol/MintableERC20"


@pytest.fixture(scope="module")
def d(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployer]:
    log: Path = tmp_path_factory.mktemp("anvil") / "anvil.log"
    node = AnvilNode.start(log)
    try:
        yield Deployer(Web3(Web3.HTTPProvider(node.rpc_url)))
    finally:
        node.stop()


@pytest.fixture(scope="module")
def tokens(d: Deployer) -> dict[str, str]:
    out = {"WETH": d.deploy("WETH9").address}
    for symbol, decimals in (("USDC", 6), ("WBTC", 8), ("DAI", 18)):
        out[symbol] = d.deploy("TestToken", symbol, symbol, decimals).address
    return out


@pytest.fixture(scope="module")
def balancer(d: Deployer, tokens: dict[str, str]) -> dict[str, str]:
    return deploy_balancer(d, tokens["WETH"])


@pytest.fixture(scope="module")
def usdc_weth_pool(d: Deployer, tokens: dict[str, str], balancer: dict[str, str]) -> dict[str, Any]:
    return create_weighted_pool(
        d,
        balancer,
        [tokens["USDC"], tokens["WETH"]],
        [E18 // 2, E18 // 2],
        3 * 10**15,
        [3_000_000 * 10**6, 1_000 * E18],
    )


@pytest.fixture(scope="module")
def mwbtc(d: Deployer) -> str:
    """Aave's own mock token: its mock flash receiver mints the premium through `mint` expecting a
    bool back, which our TestToken's `mint` does not return (the call would revert on decoding)."""
    return d.deploy(load(MINTABLE_ERC20), "Mintable WBTC", "mWBTC", 8).address


@pytest.fixture(scope="module")
def aave(d: Deployer, tokens: dict[str, str], mwbtc: str) -> dict[str, str]:
    return deploy_aave(d, [tokens["USDC"], mwbtc, tokens["WETH"]], 5, weth=tokens["WETH"])


def _erc20(d: Deployer, token: str) -> Contract:
    return d.at("TestToken", token)


def test_balancer_deploys_with_queries(balancer: dict[str, str]) -> None:
    assert set(balancer) == {
        "vault",
        "authorizer",
        "weighted_pool_factory",
        "protocol_fee_percentages_provider",
        "composable_stable_pool_factory",
        "queries",
    }


def test_two_token_pool_holds_its_init_balances(
    d: Deployer, balancer: dict[str, str], usdc_weth_pool: dict[str, Any]
) -> None:
    vault = d.at("Vault", balancer["vault"])
    pool_tokens, balances, _ = vault.functions.getPoolTokens(usdc_weth_pool["pool_id"]).call()
    assert pool_tokens == usdc_weth_pool["tokens"] == sorted(pool_tokens, key=lambda t: int(t, 16))
    by_token = dict(zip(pool_tokens, balances, strict=True))
    assert sorted(by_token.values()) == [3_000_000 * 10**6, 1_000 * E18]
    assert usdc_weth_pool["weights"] == [E18 // 2, E18 // 2]


def test_three_token_pool_sorts_weights_with_tokens(
    d: Deployer, tokens: dict[str, str], balancer: dict[str, str]
) -> None:
    wanted = {tokens["WBTC"]: (E18 // 2, 10 * 10**8), tokens["DAI"]: (E18 // 4, 150_000 * E18)}
    wanted[tokens["USDC"]] = (E18 // 4, 150_000 * 10**6)
    pool = create_weighted_pool(
        d, balancer, list(wanted), [w for w, _ in wanted.values()], 10**15, [b for _, b in wanted.values()]
    )
    vault = d.at("Vault", balancer["vault"])
    pool_tokens, balances, _ = vault.functions.getPoolTokens(pool["pool_id"]).call()
    assert pool_tokens == pool["tokens"]
    assert balances == [wanted[t][1] for t in pool_tokens]
    on_chain = d.at("WeightedPool", pool["address"]).functions.getNormalizedWeights().call()
    assert on_chain == pool["weights"] == [wanted[t][0] for t in pool_tokens]


def test_swap_given_in_matches_query_batch_swap(
    d: Deployer, tokens: dict[str, str], balancer: dict[str, str], usdc_weth_pool: dict[str, Any]
) -> None:
    trader = Web3.to_checksum_address(d.w3.eth.accounts[1])
    vault = d.at("Vault", balancer["vault"])
    usdc, weth = _erc20(d, tokens["USDC"]), _erc20(d, tokens["WETH"])
    amount_in = 30_000 * 10**6
    d.send(usdc.functions.mint(trader, amount_in), "mint")
    d.send(usdc.functions.approve(vault.address, amount_in), "approve", sender=trader)
    funds = (trader, False, trader, False)
    step = (usdc_weth_pool["pool_id"], 0, 1, amount_in, b"")
    deltas = vault.functions.queryBatchSwap(GIVEN_IN, [step], [usdc.address, weth.address], funds).call(
        {"from": trader}
    )
    single = (usdc_weth_pool["pool_id"], GIVEN_IN, usdc.address, weth.address, amount_in, b"")
    queried = d.at("BalancerQueries", balancer["queries"]).functions.querySwap(single, funds).call()
    weth_before = weth.functions.balanceOf(trader).call()
    d.send(vault.functions.swap(single, funds, 1, FAR_DEADLINE), "swap", sender=trader)
    received = weth.functions.balanceOf(trader).call() - weth_before
    assert deltas == [amount_in, -received]
    assert queried == received > 0
    assert usdc.functions.balanceOf(trader).call() == 0


def test_balancer_flash_loans_are_free(d: Deployer, balancer: dict[str, str]) -> None:
    collector = protocol_fees_collector(d, balancer["vault"])
    assert collector.functions.getFlashLoanFeePercentage().call() == 0


def test_aave_market_lists_reserves_with_flash_loans(
    d: Deployer, tokens: dict[str, str], mwbtc: str, aave: dict[str, str]
) -> None:
    pool = d.at(AAVE_POOL, aave["pool"])
    assert pool.functions.FLASHLOAN_PREMIUM_TOTAL().call() == 5
    assert pool.functions.FLASHLOAN_PREMIUM_TO_PROTOCOL().call() == 0
    reserves = {tokens["USDC"]: 6, mwbtc: 8, tokens["WETH"]: 18}
    assert pool.functions.getReservesList().call() == list(reserves)
    data = d.at("aave:misc/AaveProtocolDataProvider.sol/AaveProtocolDataProvider", aave["pool_data_provider"])
    for asset, decimals in reserves.items():
        assert data.functions.getFlashLoanEnabled(asset).call()
        assert data.functions.getReserveConfigurationData(asset).call()[0] == decimals
        a_token = data.functions.getReserveTokensAddresses(asset).call()[0]
        assert _erc20(d, asset).functions.balanceOf(a_token).call() == 100_000 * 10**decimals


def test_aave_flash_loan_simple_pays_the_premium_to_suppliers(
    d: Deployer, mwbtc: str, aave: dict[str, str]
) -> None:
    pool = d.at(AAVE_POOL, aave["pool"])
    asset = mwbtc
    a_token = pool.functions.getReserveData(asset).call()[8]
    supplied_before = _erc20(d, a_token).functions.balanceOf(d.sender).call()
    receiver = d.deploy(load(FLASH_RECEIVER), aave["addresses_provider"])
    amount = 50_000 * 10**8
    d.send(pool.functions.flashLoanSimple(receiver.address, asset, amount, b"", 0), "flashLoanSimple")
    premium = amount * 5 // 10_000
    assert _erc20(d, asset).functions.balanceOf(a_token).call() == 100_000 * 10**8 + premium
    assert _erc20(d, a_token).functions.balanceOf(d.sender).call() - supplied_before in (premium - 1, premium)
    assert pool.functions.getReserveData(asset).call()[1] > 10**27  # liquidityIndex grew


def test_weights_must_sum_to_one_before_any_transaction(balancer: dict[str, str], d: Deployer) -> None:
    block = d.w3.eth.block_number
    with pytest.raises(ValueError, match="sum to 1e18"):
        create_weighted_pool(d, balancer, [d.sender, d.sender], [E18 // 2, E18 // 4], 10**15, [1, 1])
    assert d.w3.eth.block_number == block
