"""Chain presets: address hygiene, lookup behaviour and CREATE2 derivation against real deployments."""

from __future__ import annotations

import dataclasses
import re

import pytest
from eth_utils import is_checksum_address, keccak

from mevcli.errors import MevcliError
from mevcli.presets import (
    PRESETS,
    ChainPreset,
    DexPreset,
    UnknownChain,
    get_preset,
    preset_for_chain_id,
    v2_pair_address,
    v3_pool_address,
)

LIVE_CHAINS = ("ethereum", "arbitrum", "base")
ADDRESS_FIELDS_DEX = (
    "factory",
    "router",
    "quoter_v2",
    "position_manager",
    "tick_lens",
    "vault",
    "pool_deployer",
)
ADDRESS_FIELDS_CHAIN = ("multicall3", "weth", "aave_v3_pool", "aave_v3_addresses_provider", "balancer_vault")
HASH_RE = re.compile(r"^0x[0-9a-f]{64}$")


def _all_addresses() -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for preset in PRESETS.values():
        for attr in ADDRESS_FIELDS_CHAIN:
            value = getattr(preset, attr)
            if value is not None:
                out.append((f"{preset.name}.{attr}", value))
        for symbol, address in preset.tokens.items():
            out.append((f"{preset.name}.tokens[{symbol}]", address))
        for dex in preset.dexes.values():
            for attr in ADDRESS_FIELDS_DEX:
                value = getattr(dex, attr)
                if value is not None:
                    out.append((f"{preset.name}.{dex.name}.{attr}", value))
    return out


# ---------------------------------------------------------------------------------------------
# Address hygiene
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("where", "address"), [pytest.param(w, a, id=w) for w, a in _all_addresses()])
def test_every_address_is_eip55_checksummed(where: str, address: str) -> None:
    assert is_checksum_address(address), f"{where} = {address} is not EIP-55 checksummed"


def test_addresses_were_found() -> None:
    # Guard against the parametrized test silently collecting nothing.
    assert len(_all_addresses()) > 60


def test_init_code_hashes_are_32_byte_lowercase_hex() -> None:
    for preset in PRESETS.values():
        for dex in preset.dexes.values():
            if dex.init_code_hash is not None:
                assert HASH_RE.match(dex.init_code_hash), (preset.name, dex.name)


def test_chain_ids_are_unique() -> None:
    ids = [p.chain_id for p in PRESETS.values()]
    assert len(ids) == len(set(ids))


def test_preset_keys_match_names() -> None:
    for key, preset in PRESETS.items():
        assert key == preset.name
        for dex_key, dex in preset.dexes.items():
            assert dex_key == dex.name


def test_expected_chain_ids() -> None:
    assert {name: PRESETS[name].chain_id for name in PRESETS} == {
        "ethereum": 1,
        "arbitrum": 42161,
        "base": 8453,
        "devnet": 31337,
    }


@pytest.mark.parametrize("name", list(PRESETS))
def test_base_tokens_exist_in_tokens(name: str) -> None:
    preset = PRESETS[name]
    for symbol in preset.base_tokens:
        assert symbol in preset.tokens, f"{name}: base token {symbol} not in tokens"


@pytest.mark.parametrize("name", LIVE_CHAINS)
def test_live_chain_shape(name: str) -> None:
    preset = PRESETS[name]
    assert preset.weth == preset.tokens["WETH"]
    assert "WETH" in preset.base_tokens
    assert "USDC" in preset.tokens
    assert preset.explorer is not None and preset.explorer.startswith("https://")
    assert preset.aave_v3_pool and preset.aave_v3_addresses_provider
    assert preset.balancer_vault == "0xBA12222222228d8Ba445958a75a0704d566BF2C8"
    assert preset.multicall3 == "0xcA11bde05977b3631167028862bE2a173976CA11"
    assert set(preset.dexes) >= {"uniswap_v2", "sushiswap", "uniswap_v3", "balancer"}
    # Tokens must not collide (e.g. USDC and USDC.e at one address).
    assert len(set(preset.tokens.values())) == len(preset.tokens)


@pytest.mark.parametrize("name", LIVE_CHAINS)
def test_dex_kinds_carry_their_fields(name: str) -> None:
    for dex in PRESETS[name].dexes.values():
        if dex.kind == "uniswap_v2":
            assert dex.factory and dex.router and dex.init_code_hash
            assert dex.fee_pips == 3000
            assert dex.quoter_v2 is None and dex.vault is None
        elif dex.kind == "uniswap_v3":
            assert dex.factory and dex.init_code_hash and dex.position_manager and dex.tick_lens
            if dex.name == "uniswap_v3":  # a fork's router / quoter only where an official source names it
                assert dex.router and dex.quoter_v2
            assert dex.fee_pips is None
            assert (dex.pool_deployer is not None) == (dex.name == "pancakeswap_v3")
        elif dex.kind == "balancer":
            assert dex.vault == PRESETS[name].balancer_vault
            assert dex.factory is None
        else:
            pytest.fail(f"unexpected kind {dex.kind!r}")


def test_chain_specific_deployments_differ() -> None:
    # Uniswap V2 on Arbitrum/Base and SushiSwap on Base are separate later deployments.
    mainnet_v2 = PRESETS["ethereum"].dexes["uniswap_v2"].factory
    assert PRESETS["arbitrum"].dexes["uniswap_v2"].factory != mainnet_v2
    assert PRESETS["base"].dexes["uniswap_v2"].factory != mainnet_v2
    assert PRESETS["base"].dexes["sushiswap"].factory != PRESETS["arbitrum"].dexes["sushiswap"].factory
    assert PRESETS["base"].dexes["uniswap_v3"].factory != PRESETS["ethereum"].dexes["uniswap_v3"].factory


def test_arbitrum_has_both_usdcs_and_arb() -> None:
    tokens = PRESETS["arbitrum"].tokens
    assert tokens["USDC"] == "0xaf88d065e77c8cC2239327C5EDb3A432268e5831"
    assert tokens["USDC.e"] == "0xFF970A61A04b1cA14834A43f5dE4533eBDDB5CC8"
    assert tokens["ARB"] == "0x912CE59144191C1204E64559FE8253a0e49E6548"


def test_base_has_native_and_bridged_usdc() -> None:
    tokens = PRESETS["base"].tokens
    assert tokens["USDC"] == "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"
    assert tokens["USDbC"] == "0xd9aAEc86B65D86f6A7B5B1b0c42FFA531710b6CA"


def test_devnet_preset_is_empty_shell() -> None:
    devnet = PRESETS["devnet"]
    assert devnet.chain_id == 31337
    assert devnet.multicall3 == "0xcA11bde05977b3631167028862bE2a173976CA11"
    assert devnet.weth is None
    assert dict(devnet.tokens) == {}
    assert dict(devnet.dexes) == {}
    assert devnet.base_tokens == ()
    assert devnet.aave_v3_pool is None and devnet.balancer_vault is None


# ---------------------------------------------------------------------------------------------
# Immutability and validation
# ---------------------------------------------------------------------------------------------


def test_presets_are_frozen() -> None:
    preset = PRESETS["arbitrum"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        preset.chain_id = 1  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        preset.dexes["uniswap_v3"].factory = None  # type: ignore[misc]
    with pytest.raises(TypeError):
        preset.tokens["EVIL"] = "0x0000000000000000000000000000000000000001"  # type: ignore[index]
    with pytest.raises(TypeError):
        PRESETS["evil"] = preset  # type: ignore[index]


def test_dataclasses_are_keyword_only_and_slotted() -> None:
    with pytest.raises(TypeError):
        DexPreset("x", "uniswap_v2")  # type: ignore[misc]
    assert not hasattr(PRESETS["base"], "__dict__")
    assert not hasattr(PRESETS["base"].dexes["uniswap_v2"], "__dict__")


def test_base_token_outside_tokens_is_rejected() -> None:
    with pytest.raises(ValueError, match="USDC"):
        ChainPreset(
            name="x",
            chain_id=999,
            block_time_ms=1,
            multicall3="0xcA11bde05977b3631167028862bE2a173976CA11",
            weth=None,
            tokens={},
            dexes={},
            base_tokens=("USDC",),
        )


def test_replace_keeps_mappings_read_only() -> None:
    devnet = dataclasses.replace(PRESETS["devnet"], tokens={"WETH": "0x" + "11" * 20})
    with pytest.raises(TypeError):
        devnet.tokens["X"] = "y"  # type: ignore[index]


# ---------------------------------------------------------------------------------------------
# Lookup
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["arbitrum", "Arbitrum", "ARBITRUM", " arbitrum "])
def test_get_preset_is_case_insensitive(spelling: str) -> None:
    assert get_preset(spelling) is PRESETS["arbitrum"]


def test_get_preset_unknown_lists_known_names() -> None:
    with pytest.raises(UnknownChain) as excinfo:
        get_preset("optimism")
    err = excinfo.value
    message = str(err)
    assert "optimism" in message
    for name in PRESETS:
        assert name in message
    assert err.known == tuple(PRESETS)
    # Catchable as KeyError (mapping-style), ValueError, and as an operator-facing mevcli error.
    assert isinstance(err, KeyError)
    assert isinstance(err, ValueError)
    assert isinstance(err, MevcliError)
    assert not message.startswith("'")  # not KeyError's repr-quoting


def test_preset_for_chain_id() -> None:
    assert preset_for_chain_id(1) is PRESETS["ethereum"]
    assert preset_for_chain_id(42161) is PRESETS["arbitrum"]
    assert preset_for_chain_id(8453) is PRESETS["base"]
    assert preset_for_chain_id(31337) is PRESETS["devnet"]
    assert preset_for_chain_id(10) is None


# ---------------------------------------------------------------------------------------------
# CREATE2 derivation
# ---------------------------------------------------------------------------------------------

# Real, deployed pairs/pools. Factory and init code hash are taken from the presets, so these cases
# check the preset data as much as the helpers.
V2_PAIRS = [
    # Uniswap V2 WETH/USDC on mainnet.
    ("ethereum", "uniswap_v2", "WETH", "USDC", "0xB4e16d0168e52d35CaCD2c6185b44281Ec28C9Dc"),
    # Uniswap V2 USDC/DAI on mainnet (Uniswap v2-sdk pair.test.ts, Pair.getAddress).
    ("ethereum", "uniswap_v2", "USDC", "DAI", "0xAE461cA67B15dc8dc81CE7615e0320dA1A9aB8D5"),
    # SushiSwap WETH/USDC SLP on mainnet.
    ("ethereum", "sushiswap", "WETH", "USDC", "0x397FF1542f962076d0BFE58eA045FfA2d347ACa0"),
    # SushiSwap WETH/USDC.e on Arbitrum.
    ("arbitrum", "sushiswap", "WETH", "USDC.e", "0x905dfCD5649217c42684f23958568e533C711Aa3"),
    # Uniswap V2 WETH/USDC on Base.
    ("base", "uniswap_v2", "WETH", "USDC", "0x88A43bbDF9D098eEC7bCEda4e2494615dfD9bB9C"),
]

V3_POOLS = [
    # Uniswap V3 USDC/WETH 0.05 % and 0.3 % on mainnet (the latter is the Uniswap docs' example pool).
    ("ethereum", "USDC", "WETH", 500, "0x88e6A0c2dDD26FEEb64F039a2c41296FcB3f5640"),
    ("ethereum", "USDC", "WETH", 3000, "0x8ad599c3A0ff1De082011EFDDc58f1908eb6e6D8"),
    # Uniswap V3 WETH/USDC 0.05 % on Arbitrum, native USDC and USDC.e.
    ("arbitrum", "WETH", "USDC", 500, "0xC6962004f452bE9203591991D15f6b388e09E8D0"),
    ("arbitrum", "WETH", "USDC.e", 500, "0xC31E54c7a869B9FcBEcc14363CF510d1c41fa443"),
    # Uniswap V3 WETH/USDC 0.05 % on Base (different factory, same pool init code hash).
    ("base", "WETH", "USDC", 500, "0xd0b53D9277642d899DF5C87A3966A349A798F224"),
]


@pytest.mark.parametrize(("chain", "dex", "sym_a", "sym_b", "expected"), V2_PAIRS)
def test_v2_pair_address_reproduces_real_pairs(
    chain: str, dex: str, sym_a: str, sym_b: str, expected: str
) -> None:
    preset = PRESETS[chain]
    d = preset.dexes[dex]
    assert d.factory and d.init_code_hash
    a, b = preset.tokens[sym_a], preset.tokens[sym_b]
    assert v2_pair_address(d.factory, a, b, d.init_code_hash) == expected
    assert v2_pair_address(d.factory, b, a, d.init_code_hash) == expected  # order-independent


@pytest.mark.parametrize(("chain", "sym_a", "sym_b", "fee", "expected"), V3_POOLS)
def test_v3_pool_address_reproduces_real_pools(
    chain: str, sym_a: str, sym_b: str, fee: int, expected: str
) -> None:
    preset = PRESETS[chain]
    d = preset.dexes["uniswap_v3"]
    assert d.factory and d.init_code_hash
    a, b = preset.tokens[sym_a], preset.tokens[sym_b]
    assert v3_pool_address(d.factory, a, b, fee, d.init_code_hash) == expected
    assert v3_pool_address(d.factory, b, a, fee, d.init_code_hash) == expected


USDC = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"
DAI = "0x6B175474E89094C44Da98b954EedeAC495271d0F"
FAKE_FACTORY = "0x1111111111111111111111111111111111111111"


def test_v2_matches_uniswap_sdk_vector() -> None:
    # Uniswap v2-sdk pair.test.ts: computePairAddress with factory 0x1111…1111.
    h = PRESETS["ethereum"].dexes["uniswap_v2"].init_code_hash
    assert h is not None
    assert v2_pair_address(FAKE_FACTORY, USDC, DAI, h) == "0xb50b5182D6a47EC53a469395AF44e371d7C76ed4"


def test_v3_matches_uniswap_sdk_vector() -> None:
    # Uniswap v3-sdk computePoolAddress.test.ts: factory 0x1111…1111, USDC/DAI, FeeAmount.LOW.
    h = PRESETS["ethereum"].dexes["uniswap_v3"].init_code_hash
    assert h is not None
    assert v3_pool_address(FAKE_FACTORY, USDC, DAI, 500, h) == "0x90B1b09A9715CaDbFD9331b3A7652B24BfBEfD32"


def test_derivation_accepts_lowercase_input_and_returns_checksum() -> None:
    d = PRESETS["ethereum"].dexes["uniswap_v2"]
    assert d.factory and d.init_code_hash
    got = v2_pair_address(d.factory.lower(), USDC.lower(), DAI.lower(), d.init_code_hash)
    assert got == "0xAE461cA67B15dc8dc81CE7615e0320dA1A9aB8D5"


def test_wrong_init_code_hash_gives_a_different_address() -> None:
    d = PRESETS["ethereum"].dexes["sushiswap"]
    assert d.factory
    weth = PRESETS["ethereum"].tokens["WETH"]
    # A near-miss of the real Sushi hash must not reproduce the real pair.
    wrong = "0xe18a34eb0e04b04f7a0ac29a6e80748dca96319b42c520a2ea60e9ca68d4b7c3"
    assert v2_pair_address(d.factory, weth, USDC, wrong) != "0x397FF1542f962076d0BFE58eA045FfA2d347ACa0"


def test_derivation_rejects_bad_input() -> None:
    h = PRESETS["ethereum"].dexes["uniswap_v3"].init_code_hash
    assert h is not None
    with pytest.raises(ValueError):
        v2_pair_address(FAKE_FACTORY, USDC, USDC, h)
    with pytest.raises(ValueError):
        v3_pool_address(FAKE_FACTORY, USDC, DAI, 2**24, h)
    with pytest.raises(ValueError):
        v3_pool_address(FAKE_FACTORY, USDC, DAI, 500, "0x1234")


def test_pancake_init_code_hash_is_the_npm_pool_bytecode() -> None:
    """The Pancake init code hash in the presets is keccak256 of the real PancakeV3Pool creation code."""
    from mevcli.devnet.artifacts import load
    from mevcli.presets import PANCAKESWAP_V3_POOL_INIT_CODE_HASH, UNISWAP_V3_POOL_INIT_CODE_HASH

    assert "0x" + keccak(hexstr=load("PancakeV3Pool").bytecode).hex() == PANCAKESWAP_V3_POOL_INIT_CODE_HASH
    assert "0x" + keccak(hexstr=load("UniswapV3Pool").bytecode).hex() == UNISWAP_V3_POOL_INIT_CODE_HASH


def test_arbitrum_v3_forks_are_registered_by_their_factories() -> None:
    """Both forks' factories reach the DEX registry as V3-kind DEXes of their own name."""
    from mevcli.dex.forks import UNISWAP_V3
    from mevcli.dex.registry import DexRegistry

    registry = DexRegistry.from_preset(PRESETS["arbitrum"])
    for name in ("sushiswap_v3", "pancakeswap_v3"):
        preset = PRESETS["arbitrum"].dexes[name]
        info = registry.by_factory[preset.factory.lower()]
        assert (info.name, info.kind, info.quoter_v2) == (name, UNISWAP_V3, preset.quoter_v2)
