"""Chain presets: the real contract addresses mevcli needs on each supported chain.

Every address below was checked against the source named in the comment above its block; an address
no official source confirmed is left out (`None`, or absent from `tokens`) rather than guessed. All
addresses are EIP-55 checksummed (`tests/unit/test_presets.py` enforces it).

The `devnet` preset carries no token or DEX addresses: those come from the devnet manifest at run time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import NamedTuple

from mevcli.chain.addresses import keccak, to_checksum_address
from mevcli.errors import UsageError

__all__ = [
    "L1_FEE_MODELS",
    "PRESETS",
    "ChainPreset",
    "DexPreset",
    "UnknownChain",
    "get_preset",
    "preset_for_chain_id",
    "v2_pair_address",
    "v3_pool_address",
]


# --------------------------------------------------------------------------------------------------
# Data model
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class DexPreset:
    """One DEX deployment on one chain.

    `kind` is the protocol family the pricing code dispatches on ("uniswap_v2" for every V2 fork).
    `fee_pips` is the fixed swap fee of a V2 fork in hundredths of a bip (3000 = 0.30 %); V3 fees are
    per pool. `init_code_hash` is the pair/pool creation-code hash used for CREATE2 address derivation.
    `deployed_at` is the block pool discovery starts from (None: not confirmed by an official source,
    discovery then looks back a fixed number of blocks).
    """

    name: str
    kind: str
    factory: str | None = None
    router: str | None = None
    quoter_v2: str | None = None
    position_manager: str | None = None
    tick_lens: str | None = None
    vault: str | None = None
    fee_pips: int | None = None
    init_code_hash: str | None = None
    deployed_at: int | None = None  # block of the factory's (Vault's) deployment: discovery starts there
    pool_deployer: str | None = None  # PancakeSwap V3: pools are CREATE2'd by this, not by the factory


# How a rollup charges for the L1 data of a transaction, on top of its L2 execution gas
# (`mevcli/arbitrage/l1fee.py` asks the chain's own oracle): "arbitrum" (NodeInterface) or "op_stack"
# (GasPriceOracle predeploy). None: no separate L1 data fee (Ethereum itself, the devnet by default).
L1_FEE_MODELS = ("arbitrum", "op_stack")


@dataclass(frozen=True, slots=True, kw_only=True)
class ChainPreset:
    """Static facts about one chain: ids, timing, core contracts, tokens, DEXes and the L1 fee model."""

    name: str
    chain_id: int
    block_time_ms: int
    multicall3: str
    weth: str | None
    tokens: Mapping[str, str]
    dexes: Mapping[str, DexPreset]
    aave_v3_pool: str | None = None
    aave_v3_addresses_provider: str | None = None
    balancer_vault: str | None = None
    base_tokens: tuple[str, ...] = ()
    explorer: str | None = None
    l1_fee_model: str | None = None  # one of L1_FEE_MODELS, or None

    def __post_init__(self) -> None:
        # Read-only views, so a preset cannot be mutated through its mappings either.
        object.__setattr__(self, "tokens", MappingProxyType(dict(self.tokens)))
        object.__setattr__(self, "dexes", MappingProxyType(dict(self.dexes)))
        object.__setattr__(self, "base_tokens", tuple(self.base_tokens))
        if self.l1_fee_model is not None and self.l1_fee_model not in L1_FEE_MODELS:
            raise ValueError(f"preset {self.name!r}: unknown l1_fee_model {self.l1_fee_model!r}")
        missing = [symbol for symbol in self.base_tokens if symbol not in self.tokens]
        if missing:
            raise ValueError(f"preset {self.name!r}: base tokens not in tokens: {', '.join(missing)}")


class UnknownChain(UsageError, KeyError, ValueError):
    """`--chain` names no preset; the message lists the known ones."""

    def __init__(self, name: str, known: tuple[str, ...]) -> None:
        self.name = name
        self.known = known
        super().__init__(f"unknown chain {name!r}; known chains: {', '.join(known)}")

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


# --------------------------------------------------------------------------------------------------
# Shared constants
# --------------------------------------------------------------------------------------------------

# Multicall3 — mds1/multicall3 deployments.json lists this address on Mainnet (1), Arbitrum (42161)
# and Base (8453); Base docs "Base contracts" page lists it for Base too.
MULTICALL3 = "0xcA11bde05977b3631167028862bE2a173976CA11"

# Balancer V2 Vault — balancer/balancer-deployments addresses/{mainnet,arbitrum,base}.json,
# task 20210418-vault (same address on all three); Balancer docs "Mainnet Deployment Addresses".
BALANCER_V2_VAULT = "0xBA12222222228d8Ba445958a75a0704d566BF2C8"

# Uniswap V2 pair init code hash — Uniswap docs, V2 SDK guide "Getting pair addresses". The Uniswap
# v2-sdk (Uniswap/sdks sdks/v2-sdk/src/entities/pair.ts) uses this one hash with every chain's factory.
UNISWAP_V2_INIT_CODE_HASH = "0x96e8ac4277198ff8b6f785478aa9a39f403cb768dd02cbee326c3e7da348845f"

# SushiSwap V2 pair init code hash — sushi-labs/sushiswap packages/sushi/src/config/sushiswap-v2.ts,
# SUSHISWAP_V2_INIT_CODE_HASH (same for ETHEREUM, ARBITRUM and BASE).
SUSHISWAP_V2_INIT_CODE_HASH = "0xe18a34eb0e04b04f7a0ac29a6e80748dca96319b42c54d679cb821dca90c6303"

# Uniswap V3 pool init code hash — Uniswap/sdks sdks/v3-sdk/src/constants.ts, POOL_INIT_CODE_HASH
# (poolInitCodeHash() returns it for every chain except ZKsync, which is not supported here).
UNISWAP_V3_POOL_INIT_CODE_HASH = "0xe34f199b19b2b4f47f68442619d555527d244f78a3297ea89325f843f87b8b54"

# PancakeSwap V3 pool init code hash: keccak256 of the PancakeV3Pool creation code in
# `@pancakeswap/v3-core` 1.0.2 (tests/unit/test_presets.py recomputes it from the npm artifact). Pool
# addresses derive from the pool deployer with it, not from the factory.
PANCAKESWAP_V3_POOL_INIT_CODE_HASH = "0x6ce8eb472fa82df5469c6ab6d485f17c3ad13c8cd7af59b3d4a8026c5ce0f7e2"

V2_FEE_PIPS = 3000  # UniswapV2Pair and the SushiSwap fork both charge 0.30 %


# --------------------------------------------------------------------------------------------------
# Per-chain tables: tokens, then each DEX and lender, keyed by chain name
# --------------------------------------------------------------------------------------------------

_TOKENS: dict[str, dict[str, str]] = {
    "ethereum": {
        # WETH — Uniswap docs: v3 Ethereum deployments, "Wrapped Native Token Addresses".
        "WETH": "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2",
        # USDC, DAI, WBTC — Aave address book (bgd-labs/aave-address-book AaveV3EthereumAssets
        # UNDERLYING_*) and the Superchain token list (ethereum-optimism.github.io data/*/data.json,
        # "ethereum").
        "USDC": "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
        # USDT — Superchain token list data/USDT ("ethereum"); Aave AIP "Add USDT to Aave Ethereum V3
        # pool".
        "USDT": "0xdAC17F958D2ee523a2206206994597C13D831ec7",
        "DAI": "0x6B175474E89094C44Da98b954EedeAC495271d0F",
        "WBTC": "0x2260FAC5E5542a773Aa44fBCfeDf7C193bc2C599",
    },
    "arbitrum": {
        # WETH — Uniswap docs: v3 Arbitrum deployments, "Wrapped Native Token Addresses";
        # also Aave address book AaveV3ArbitrumAssets.WETH_UNDERLYING.
        "WETH": "0x82aF49447D8a07e3bd95BD0d56f35241523fBab1",
        # USDC (native, Circle) and USDC.e (bridged from Ethereum) — Arbitrum docs "USDC on Arbitrum One";
        # also Aave address book AaveV3ArbitrumAssets USDCn_UNDERLYING / USDC_UNDERLYING.
        "USDC": "0xaf88d065e77c8cC2239327C5EDb3A432268e5831",
        "USDC.e": "0xFF970A61A04b1cA14834A43f5dE4533eBDDB5CC8",
        # USDT, DAI, WBTC, ARB — Aave address book AaveV3ArbitrumAssets *_UNDERLYING.
        "USDT": "0xFd086bC7CD5C481DCC9C85ebE478A1C0b69FCbb9",
        "DAI": "0xDA10009cBd5D07dd0CeCc66161FC93D7c9000da1",
        "WBTC": "0x2f2a2543B76A4166549F7aaB2e75Bef0aefC5B0f",
        "ARB": "0x912CE59144191C1204E64559FE8253a0e49E6548",
    },
    "base": {
        # WETH (OP-stack predeploy) — Uniswap docs: v3 Base deployments, "Wrapped Native Token Addresses";
        # also Aave address book AaveV3BaseAssets.WETH_UNDERLYING.
        "WETH": "0x4200000000000000000000000000000000000006",
        # USDC (native, Circle), USDbC (bridged), DAI — Superchain token list (ethereum-optimism.github.io
        # data/USDC, data/USDbC, data/DAI, "base"); USDbC also Aave address book AaveV3BaseAssets.
        "USDC": "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913",
        "USDbC": "0xd9aAEc86B65D86f6A7B5B1b0c42FFA531710b6CA",
        "DAI": "0x50c5725949A6F0c72E6C4a641F24049A917DB0Cb",
        # USDT and WBTC left out: no Tether- or BitGo-issued Base address in an official source checked.
    },
}

# Uniswap V2, chain: (Factory, V2Router02, deployed_at) — Uniswap docs: v2 deployments, the "Mainnet",
# "Arbitrum" and "Base" rows (Arbitrum's and Base's are later deployments, not the mainnet addresses; Base
# docs "Base contracts" list Base's too). deployed_at: Uniswap/v2-subgraph
# config/{ethereum,arbitrum-one,base}/config.json "startblock".
_UNISWAP_V2: dict[str, tuple[str, str, int]] = {
    "ethereum": (
        "0x5C69bEe701ef814a2B6a3EDD4B1652CB9cc5aA6f",
        "0x7a250d5630B4cF539739dF2C5dAcb4c659F2488D",
        10_000_834,
    ),
    "arbitrum": (
        "0xf1D7CC64Fb4452F05c498126312eBE29f30Fbcf9",
        "0x4752ba5DBc23f44D87826276BF6Fd6b1C372aD24",
        150_442_611,
    ),
    "base": (
        "0x8909Dc15e40173Ff4699343b6eB8132c65e18eC6",
        "0x4752ba5DBc23f44D87826276BF6Fd6b1C372aD24",
        6_601_915,
    ),
}

# SushiSwap V2, chain: (factory, router) — sushi-labs/sushiswap packages/sushi/src/config/sushiswap-v2.ts
# (ETHEREUM, ARBITRUM and BASE). deployed_at left out: no official SushiSwap source states the factory's
# deployment block.
_SUSHISWAP: dict[str, tuple[str, str]] = {
    "ethereum": ("0xC0AEe478e3658e2610c5F7A4A2E1777cE9e4f2Ac", "0xd9e1cE17f2641f24aE83637ab66a2cca9C378B9F"),
    "arbitrum": ("0xc35DADB65012eC5796536bD9864eD8773aBc74C4", "0x1b02dA8Cb0d097eB8D57A175b88c7D8b47997506"),
    "base": ("0x71524B4f93c58fcbF659783284E38825f0622859", "0x6BDED42c6DA8FBf0d2bA55B2fa120C5e0c8D7891"),
}


class _V3Deployment(NamedTuple):
    """A Uniswap V3 core and periphery deployment (a fork's too): the `DexPreset` fields it sets."""

    factory: str
    router: str | None
    quoter_v2: str | None
    position_manager: str
    tick_lens: str
    deployed_at: int | None = None
    init_code_hash: str = UNISWAP_V3_POOL_INIT_CODE_HASH
    pool_deployer: str | None = None


# Uniswap V3 — Uniswap docs: v3 Ethereum, Arbitrum and Base deployments; Base docs "Base contracts"
# (v3CoreFactory, quoterV2, ...) too. Ethereum and Arbitrum share one set of addresses, where `router` is
# the original SwapRouter (periphery v1.0.0, exactInputSingle takes a deadline; SwapRouter02 is
# 0x68b3465833fb72A70ecDF485E0e4C7bD8665Fc45). Base has no original SwapRouter: its `router` is
# SwapRouter02 (exactInputSingle without a deadline). deployed_at: Uniswap/v3-subgraph
# config/{ethereum,arbitrum-one,base}/config.json "startblock".
_UNISWAP_V3_CANONICAL = _V3Deployment(
    "0x1F98431c8aD98523631AE4a59f267346ea31F984",
    "0xE592427A0AEce92De3Edee1F18E0157C05861564",
    "0x61fFE014bA17989E743c5F6cB21bF9697530B21e",
    "0xC36442b4a4522E871399CD717aBDD847Ab11FE88",
    "0xbfd8137f7d1516D3ea5cA83523914859ec47F573",
)

# Chain: DEX name: its V3 deployment, in the order the chain's preset lists them.
_V3_DEPLOYMENTS: dict[str, dict[str, _V3Deployment]] = {
    "ethereum": {"uniswap_v3": _UNISWAP_V3_CANONICAL._replace(deployed_at=12_369_621)},
    "arbitrum": {
        "uniswap_v3": _UNISWAP_V3_CANONICAL._replace(deployed_at=175),
        # sushi-labs/sushiswap packages/sushi/src/config/sushiswap-v3.ts (ARBITRUM: factory, position
        # manager, tick lens; the pool init code hash is Uniswap V3's). Router and QuoterV2 left out: no
        # official SushiSwap source checked names them for Arbitrum (`quote --check` then refuses these
        # pools).
        "sushiswap_v3": _V3Deployment(
            factory="0x1af415a1EbA07a4986a52B6f2e7dE7003D82231e",
            router=None,
            quoter_v2=None,
            position_manager="0xF0cBce1942A68BEB3d1b73F0dd86C8DCc363eF49",
            tick_lens="0x8516944E89f296eb6473d79aED1Ba12088016c9e",
        ),
        # PancakeSwap docs (pancakeswap/pancake-document, developers/smart-contracts/pancakeswap-exchange/
        # v3-contracts): Core "ARB" column (PancakeV3Factory, PancakeV3PoolDeployer) and Periphery
        # "Arbitrum" column (SwapRouter (v3), QuoterV2, NonfungiblePositionManager, TickLens). deployed_at
        # left out: no official source checked states the factory's deployment block.
        "pancakeswap_v3": _V3Deployment(
            factory="0x0BFbCF9fa4f9C56B0F40a671Ad40E0805A091865",
            pool_deployer="0x41ff9AA7e16B8B1a8a8dc4f0eFacd93D02d071c9",
            router="0x1b81D678ffb9C0263b24A97847620C99d213eB14",
            quoter_v2="0xB048Bbc1Ee6b733FFfCFb9e9CeF7375518e25997",
            position_manager="0x46A15B0b27311cedF172AB29E4f4766fbE7F4364",
            tick_lens="0x9a489505a00cE272eAa5e07Dba6491314CaE3796",
            init_code_hash=PANCAKESWAP_V3_POOL_INIT_CODE_HASH,
        ),
    },
    "base": {
        "uniswap_v3": _V3Deployment(
            "0x33128a8fC17869897dcE68Ed026d694621f6FDfD",
            "0x2626664c2603336E57B271c5C0b26F421741e481",
            "0x3d4e44Eb1374240CE5F1B871ab261CD16335B76a",
            "0x03a520b32C04BF3bEEf7BEb72E919cf822Ed34f1",
            "0x0CdeE061c75D43c82520eD998C23ac2991c9ac6d",
            deployed_at=2_009_445,
        )
    },
}

# Balancer V2 Vault, chain: deployed_at — balancer/balancer-subgraph-v2 networks.yaml, the network's Vault
# startBlock.
_BALANCER_DEPLOYED_AT = {"ethereum": 12_272_146, "arbitrum": 222_832, "base": 1_196_036}

# Aave V3, chain: (POOL, POOL_ADDRESSES_PROVIDER) — Aave address book: AaveV3Ethereum.sol, AaveV3Arbitrum.sol,
# AaveV3Base.sol.
_AAVE_V3: dict[str, tuple[str, str]] = {
    "ethereum": ("0x87870Bca3F3fD6335C3F4ce8392D69350B4fA4E2", "0x2f39d218133AFaB8F2B819B1066c7E434Ad94E9e"),
    "arbitrum": ("0x794a61358D6845594F94dc1DB02A252b5b4814aD", "0xa97684ead0e402dC232d5A977953DF7ECBaB3CDb"),
    "base": ("0xA238Dd80C259a72e81d7e4664a9801593F98d1c5", "0xe20fCBdBfFC4Dd138cE8b2E6FBb6CB49777ad64D"),
}


def _dexes(chain: str) -> dict[str, DexPreset]:
    """The chain's DEXes from the tables above: both V2s, the V3s, then Balancer."""
    v2_forks = (
        ("uniswap_v2", UNISWAP_V2_INIT_CODE_HASH, _UNISWAP_V2[chain]),
        ("sushiswap", SUSHISWAP_V2_INIT_CODE_HASH, (*_SUSHISWAP[chain], None)),
    )
    dexes = (
        *(
            DexPreset(
                name=name,
                kind="uniswap_v2",
                factory=factory,
                router=router,
                fee_pips=V2_FEE_PIPS,
                init_code_hash=init_code_hash,
                deployed_at=deployed_at,
            )
            for name, init_code_hash, (factory, router, deployed_at) in v2_forks
        ),
        *(
            DexPreset(name=name, kind="uniswap_v3", **deployment._asdict())
            for name, deployment in _V3_DEPLOYMENTS[chain].items()
        ),
        DexPreset(
            name="balancer",
            kind="balancer",
            vault=BALANCER_V2_VAULT,
            deployed_at=_BALANCER_DEPLOYED_AT[chain],
        ),
    )
    return {dex.name: dex for dex in dexes}


def _live_chain(
    name: str,
    chain_id: int,
    block_time_ms: int,
    base_tokens: tuple[str, ...],
    explorer: str,
    *,
    l1_fee_model: str | None = None,
) -> ChainPreset:
    """A live chain's preset from the per-chain tables above."""
    tokens = _TOKENS[name]
    aave_pool, aave_addresses_provider = _AAVE_V3[name]
    return ChainPreset(
        name=name,
        chain_id=chain_id,
        block_time_ms=block_time_ms,
        multicall3=MULTICALL3,
        weth=tokens["WETH"],
        tokens=tokens,
        dexes=_dexes(name),
        aave_v3_pool=aave_pool,
        aave_v3_addresses_provider=aave_addresses_provider,
        balancer_vault=BALANCER_V2_VAULT,
        base_tokens=base_tokens,
        explorer=explorer,
        l1_fee_model=l1_fee_model,
    )


ETHEREUM = _live_chain("ethereum", 1, 12_000, ("WETH", "USDC", "USDT", "DAI"), "https://etherscan.io")
# Arbitrum One. L1 fee: Arbitrum docs "NodeInterface reference", gasEstimateL1Component at 0xc8, reachable
# over RPC only.
ARBITRUM = _live_chain(
    "arbitrum",
    42161,
    250,
    ("WETH", "USDC", "USDC.e", "USDT"),
    "https://arbiscan.io",
    l1_fee_model="arbitrum",
)
# Base. L1 fee: the OP Stack GasPriceOracle predeploy (ethereum-optimism/optimism contracts-bedrock
# src/L2/GasPriceOracle.sol, @custom:predeploy 0x420…0F): getL1Fee(unsigned RLP tx).
BASE = _live_chain("base", 8453, 2_000, ("WETH", "USDC"), "https://basescan.org", l1_fee_model="op_stack")


# --------------------------------------------------------------------------------------------------
# Local devnet (31337): addresses come from the deployment manifest at run time.
# --------------------------------------------------------------------------------------------------

DEVNET = ChainPreset(
    name="devnet",
    chain_id=31337,
    block_time_ms=1_000,
    multicall3=MULTICALL3,  # deployed at its canonical address by the devnet deployer
    weth=None,
    tokens={},
    dexes={},
)


PRESETS: Mapping[str, ChainPreset] = MappingProxyType(
    {preset.name: preset for preset in (ARBITRUM, ETHEREUM, BASE, DEVNET)}
)

_BY_CHAIN_ID: Mapping[int, ChainPreset] = MappingProxyType({p.chain_id: p for p in PRESETS.values()})


def get_preset(name: str) -> ChainPreset:
    """The preset called `name` (case-insensitive); raises `UnknownChain` listing the known names."""
    try:
        return PRESETS[name.strip().lower()]
    except KeyError:
        raise UnknownChain(name, tuple(PRESETS)) from None


def preset_for_chain_id(chain_id: int) -> ChainPreset | None:
    """The preset whose chain id is `chain_id`, or None."""
    return _BY_CHAIN_ID.get(chain_id)


# --------------------------------------------------------------------------------------------------
# CREATE2 address derivation
# --------------------------------------------------------------------------------------------------


def _to_bytes(hexstr: str) -> bytes:
    return bytes.fromhex(hexstr.removeprefix("0x").removeprefix("0X"))


def _sorted_pair(token_a: str, token_b: str) -> tuple[bytes, bytes]:
    a, b = _to_bytes(token_a), _to_bytes(token_b)
    if len(a) != 20 or len(b) != 20:
        raise ValueError("token addresses must be 20 bytes")
    if a == b:
        raise ValueError("a pair needs two different tokens")
    return (a, b) if a < b else (b, a)


def _create2(deployer: str, salt: bytes, init_code_hash: str) -> str:
    code_hash = _to_bytes(init_code_hash)
    if len(code_hash) != 32:
        raise ValueError("init code hash must be 32 bytes")
    digest = keccak(b"\xff" + _to_bytes(deployer) + salt + code_hash)
    return to_checksum_address(digest[12:])


def v2_pair_address(factory: str, token_a: str, token_b: str, init_code_hash: str) -> str:
    """Address of the V2 pair for two tokens (either order): salt = keccak(token0 ++ token1)."""
    token0, token1 = _sorted_pair(token_a, token_b)
    return _create2(factory, keccak(token0 + token1), init_code_hash)


def v3_pool_address(factory: str, token_a: str, token_b: str, fee: int, init_code_hash: str) -> str:
    """Address of the V3 pool for two tokens (either order) and a fee tier in pips.

    Salt = keccak(abi.encode(token0, token1, fee)), as in Uniswap's PoolAddress.computeAddress.
    """
    if not 0 <= fee < 2**24:
        raise ValueError(f"fee {fee} does not fit in a uint24")
    token0, token1 = _sorted_pair(token_a, token_b)
    salt = keccak(token0.rjust(32, b"\0") + token1.rjust(32, b"\0") + fee.to_bytes(32, "big"))
    return _create2(factory, salt, init_code_hash)
