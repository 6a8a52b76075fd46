"""Deploy a minimal but real Aave V3 market on the devnet, from the @aave/core-v3 build artifacts.

The market exists to serve flash loans to our executor, so it has only what `flashLoanSimple` and
`flashLoan` touch for real: the proxied Pool and PoolConfigurator with their external logic libraries,
ACL roles, initialised reserves with their aToken and debt-token proxies, an oracle and supplied
liquidity. No reserve is configured as collateral or borrowable.
"""

from __future__ import annotations

from web3 import Web3
from web3.contract import Contract

from mevcli.devnet.artifacts import load
from mevcli.devnet.balancer import mint_or_wrap
from mevcli.devnet.deployer import Deployer

MARKET_ID = "Devnet"
RAY = 10**27
ZERO_ADDRESS = "0x" + "00" * 20
USD_UNIT = 10**8  # AaveOracle base currency: USD with Chainlink's 8 decimals
DEFAULT_SUPPLY_WHOLE = 100_000  # whole tokens per reserve; WETH is wrapped from the 1M ETH account


def _aave(folder: str, contract: str) -> str:
    """Artifact name of `contract`, compiled from `<folder>/<contract>.sol` in @aave/core-v3."""
    return f"aave:{folder}/{contract}.sol/{contract}"


_ART = {
    "provider": _aave("protocol/configuration", "PoolAddressesProvider"),
    "acl": _aave("protocol/configuration", "ACLManager"),
    "Pool": _aave("protocol/pool", "Pool"),
    "PoolConfigurator": _aave("protocol/pool", "PoolConfigurator"),
    "oracle": _aave("misc", "AaveOracle"),
    "aggregator": _aave("mocks/oracle/CLAggregators", "MockAggregator"),
    "data_provider": _aave("misc", "AaveProtocolDataProvider"),
    "a_token": _aave("protocol/tokenization", "AToken"),
    "stable_debt": _aave("protocol/tokenization", "StableDebtToken"),
    "variable_debt": _aave("protocol/tokenization", "VariableDebtToken"),
    "rate_strategy": _aave("protocol/pool", "DefaultReserveInterestRateStrategy"),
}

# Aave's mainnet stablecoin curve; with nothing borrowable the rates stay at zero anyway.
_RATE_STRATEGY = (
    RAY * 90 // 100,  # optimalUsageRatio
    0,  # baseVariableBorrowRate
    RAY * 4 // 100,  # variableRateSlope1
    RAY * 60 // 100,  # variableRateSlope2
    RAY * 5 // 1000,  # stableRateSlope1
    RAY * 60 // 100,  # stableRateSlope2
    RAY * 1 // 100,  # baseStableRateOffset
    RAY * 8 // 100,  # stableRateExcessOffset
    RAY * 20 // 100,  # optimalStableToTotalDebtRatio
)


def deploy_aave(
    d: Deployer,
    reserves: list[str],
    flash_premium_bps: int = 5,
    *,
    premium_to_protocol_bps: int = 0,
    supply_amounts: dict[str, int] | None = None,
    weth: str | None = None,
    prices_usd: dict[str, int] | None = None,
) -> dict[str, str]:
    """Deploy the market, list `reserves` with flash loans enabled and supply liquidity to each.

    `flash_premium_bps` is Aave's FLASHLOAN_PREMIUM_TOTAL (bps of the amount; 5 = 0.05%), and
    `premium_to_protocol_bps` the share of it (bps of the premium) kept by the treasury; the default 0
    gives the whole premium to suppliers. `supply_amounts` are base units by reserve address (default
    DEFAULT_SUPPLY_WHOLE whole tokens); the `weth` reserve is funded by wrapping ETH. `prices_usd` are
    8-decimal USD prices for the oracle (default $1).
    """
    reserves = [Web3.to_checksum_address(r) for r in reserves]
    provider = d.deploy(_ART["provider"], MARKET_ID, d.sender)
    acl = _deploy_acl(d, provider)
    libraries: dict[str, str] = {}
    pool = _proxy(d, provider, "Pool", deploy_linked(d, _ART["Pool"], libraries, provider.address))
    configurator = _proxy(
        d, provider, "PoolConfigurator", deploy_linked(d, _ART["PoolConfigurator"], libraries)
    )
    oracle = _deploy_oracle(d, provider, reserves, _by_address(prices_usd))
    data_provider = d.deploy(_ART["data_provider"], provider.address)
    d.send(provider.functions.setPoolDataProvider(data_provider.address), "setPoolDataProvider")
    _init_reserves(d, provider, pool, configurator, reserves)
    _configure_flash_loans(d, configurator, reserves, flash_premium_bps, premium_to_protocol_bps)
    _supply(d, pool, reserves, _by_address(supply_amounts), weth)
    return {
        "pool": pool.address,
        "addresses_provider": provider.address,
        "pool_configurator": configurator.address,
        "acl_manager": acl.address,
        "oracle": oracle.address,
        "pool_data_provider": data_provider.address,
    }


def _by_address(mapping: dict[str, int] | None) -> dict[str, int]:
    return {Web3.to_checksum_address(k): v for k, v in (mapping or {}).items()}


def _deploy_acl(d: Deployer, provider: Contract) -> Contract:
    """ACLManager reads its admin from the provider at construction, so the admin is set first."""
    d.send(provider.functions.setACLAdmin(d.sender), "setACLAdmin")
    acl = d.deploy(_ART["acl"], provider.address)
    d.send(provider.functions.setACLManager(acl.address), "setACLManager")
    # Pool admin is enough for listing, risk and premium settings.
    d.send(acl.functions.addPoolAdmin(d.sender), "addPoolAdmin")
    return acl


def _proxy(d: Deployer, provider: Contract, role: str, impl: Contract) -> Contract:
    """Register `impl` as `role`: the provider deploys a proxy to it and calls initialize(provider)."""
    d.send(getattr(provider.functions, f"set{role}Impl")(impl.address), f"set{role}Impl")
    return d.at(_ART[role], getattr(provider.functions, f"get{role}")().call())


def deploy_linked(d: Deployer, name: str, deployed: dict[str, str], *args: object) -> Contract:
    """Deploy `name` after its external libraries, recursively (FlashLoanLogic links BorrowLogic).

    `deployed` maps library name to address and is filled in, so a shared library is deployed once.
    """
    for source, libs in load(name).link_references.items():
        for lib in libs:
            if lib not in deployed:
                artifact = f"aave:{source.removeprefix('contracts/')}/{lib}"
                deployed[lib] = deploy_linked(d, artifact, deployed).address
    return d.deploy(name, *args, libraries=deployed)


def _deploy_oracle(d: Deployer, provider: Contract, reserves: list[str], prices: dict[str, int]) -> Contract:
    """AaveOracle over MockAggregators (one per distinct price); the Pool reads it for collateral math."""
    price_of = {asset: prices.get(asset, USD_UNIT) for asset in reserves}
    feeds = {p: d.deploy(_ART["aggregator"], p).address for p in sorted(set(price_of.values()))}
    sources = [feeds[price_of[asset]] for asset in reserves]
    # No fallback oracle; base currency 0x0 with an 8-decimal unit means USD, as on Aave's markets.
    oracle = d.deploy(
        _ART["oracle"], provider.address, reserves, sources, ZERO_ADDRESS, ZERO_ADDRESS, USD_UNIT
    )
    d.send(provider.functions.setPriceOracle(oracle.address), "setPriceOracle")
    return oracle


def _init_reserves(
    d: Deployer, provider: Contract, pool: Contract, configurator: Contract, reserves: list[str]
) -> None:
    """One initReserves call listing every reserve over shared token implementations and rate curve."""
    impls = tuple(
        d.deploy(_ART[k], pool.address).address for k in ("a_token", "stable_debt", "variable_debt")
    )
    strategy = d.deploy(_ART["rate_strategy"], provider.address, *_RATE_STRATEGY).address
    inputs = [_reserve_input(d, asset, impls, strategy) for asset in reserves]
    d.send(configurator.functions.initReserves(inputs), "initReserves")


def _reserve_input(d: Deployer, asset: str, impls: tuple[str, ...], strategy: str) -> tuple[object, ...]:
    """ConfiguratorInputTypes.InitReserveInput; the deployer is the treasury, with no incentives."""
    token = d.at("TestToken", asset)
    symbol = token.functions.symbol().call()
    a_token, stable_debt, variable_debt = impls
    return (
        a_token,
        stable_debt,
        variable_debt,
        token.functions.decimals().call(),
        strategy,
        asset,
        d.sender,  # treasury
        ZERO_ADDRESS,  # incentives controller
        f"Aave Devnet {symbol}",
        f"aDev{symbol}",
        f"Aave Devnet Variable Debt {symbol}",
        f"variableDebtDev{symbol}",
        f"Aave Devnet Stable Debt {symbol}",
        f"stableDebtDev{symbol}",
        b"",
    )


def _configure_flash_loans(
    d: Deployer, configurator: Contract, reserves: list[str], premium_bps: int, to_protocol_bps: int
) -> None:
    for asset in reserves:
        d.send(configurator.functions.setReserveFlashLoaning(asset, True), "setReserveFlashLoaning")
    d.send(configurator.functions.updateFlashloanPremiumTotal(premium_bps), "updateFlashloanPremiumTotal")
    d.send(configurator.functions.updateFlashloanPremiumToProtocol(to_protocol_bps), "premium to protocol")


def _supply(
    d: Deployer, pool: Contract, reserves: list[str], amounts: dict[str, int], weth: str | None
) -> None:
    """The deployer supplies each reserve: that balance is what flash loans can borrow."""
    for asset in reserves:
        token = d.at("TestToken", asset)
        amount = amounts.get(asset) or DEFAULT_SUPPLY_WHOLE * 10 ** token.functions.decimals().call()
        mint_or_wrap(d, asset, amount, weth)
        d.send(token.functions.approve(pool.address, amount), "approve Pool")
        d.send(pool.functions.supply(asset, amount, d.sender, 0), "supply")
