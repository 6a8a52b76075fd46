"""`mevcli.execution.calldata`, pure: the encoding matches the compiled ABI, every hop kind is filled from
its pool info, impossible lender/route pairs are refused, and reverts decode to readable text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_abi import decode, encode
from eth_utils import keccak, to_checksum_address

from mevcli.arbitrage.opportunity import Opportunity
from mevcli.execution.calldata import (
    EXECUTE_SELECTOR,
    HOP_TYPE,
    LOAN_TYPE,
    CalldataError,
    build_execute_call,
    decode_revert,
)

ARTIFACT = Path(__file__).resolve().parents[2] / "mevcli" / "artifacts" / "ArbExecutor.json"


def addr(n: int) -> str:
    return to_checksum_address(f"0x{n:040x}")


WETH, USDC, USDT, DAI = addr(0xE0), addr(0xC0), addr(0xD0), addr(0xDA)
V2, V3, BAL, CRV = addr(0x1002), addr(0x1003), addr(0x100B), addr(0x100C)
VAULT, AAVE, V3_LENDER = addr(0xBA), addr(0xAA), addr(0x3333)
POOL_ID = bytes.fromhex(BAL[2:]) + bytes(10) + b"\x00\x01"

POOL_INFO = {
    V2.lower(): {"kind": "uniswap_v2", "fee": 3000},
    V3: {"kind": "uniswap_v3", "fee": 500},
    BAL: {"kind": "balancer", "fee": 10**15, "pool_id": "0x" + POOL_ID.hex()},
    CRV: {"kind": "curve", "coins": [USDC, USDT, DAI]},
}


def opportunity(**overrides: object) -> Opportunity:
    values: dict = {
        "id": "x",
        "chain_id": 31337,
        "block": 1,
        "base_token": WETH,
        "tokens": (WETH, USDC, DAI, USDT, WETH),
        "pools": (V2, CRV, BAL, V3),
        "dexes": ("sushiswap", "curve", "balancer", "uniswap_v3"),
        "hop_amounts": (1, 2, 3, 4),
        "amount_in": 10**18,
        "amount_out": 2 * 10**18,
        "profit": 10**18,
        "flash_source": "aave_v3",
        "flash_lender": AAVE,
        "flash_fee": 5 * 10**14,
        "gas_units": 0,
        "gas_price": 0,
        "gas_cost": 0,
        "net_profit": 0,
    }
    values.update(overrides)
    return Opportunity(**values)


def test_selector_matches_the_compiled_abi():
    abi = json.loads(ARTIFACT.read_text())["abi"]
    (execute,) = [i for i in abi if i.get("name") == "execute"]

    def canonical(param: dict) -> str:
        if param["type"].startswith("tuple"):
            inner = ",".join(canonical(c) for c in param["components"])
            return f"({inner}){param['type'][5:]}"
        return param["type"]

    signature = f"execute({','.join(canonical(p) for p in execute['inputs'])})"
    assert keccak(text=signature)[:4] == EXECUTE_SELECTOR


def test_every_hop_kind_is_encoded():
    data = build_execute_call(opportunity(), POOL_INFO, 7, VAULT)
    assert data[:4] == EXECUTE_SELECTOR
    loan, hops, min_profit = decode([LOAN_TYPE, f"{HOP_TYPE}[]", "uint256"], data[4:])
    assert loan == (1, AAVE.lower(), WETH.lower(), 10**18)
    assert min_profit == 7
    zero = "0x" + "00" * 20
    assert hops == (
        (0, V2.lower(), WETH.lower(), USDC.lower(), 3000, bytes(32), 0, 0, zero),
        (3, CRV.lower(), USDC.lower(), DAI.lower(), 0, bytes(32), 0, 2, zero),
        (2, BAL.lower(), DAI.lower(), USDT.lower(), 0, POOL_ID, 0, 0, VAULT.lower()),
        (1, V3.lower(), USDT.lower(), WETH.lower(), 500, bytes(32), 0, 0, zero),
    )


V4_ID = "0x" + "4a" * 32
MANAGER, HOOKS = addr(0x4444), addr(0x40C0)
V4_INFO = {"kind": "uniswap_v4", "fee": 0x800000, "pool_id": V4_ID, "hooks": HOOKS, "tick_spacing": 60}


def test_a_v4_hop_carries_its_key_and_pool_manager():
    """Hooks in `pool`, the key's fee (dynamic flag kept), tick spacing in `i`, the id, the PoolManager in
    `vault` (the route's Balancer Vault is not it); the pool id is the route's pool, not an address."""
    info = {**POOL_INFO, V4_ID: {**V4_INFO, "pool_manager": MANAGER}}
    opp = opportunity(pools=(V2, CRV, BAL, V4_ID), dexes=("sushiswap", "curve", "balancer", "uniswap_v4"))
    _, hops, _ = decode([LOAN_TYPE, f"{HOP_TYPE}[]", "uint256"], build_execute_call(opp, info, 0, VAULT)[4:])
    assert hops[3] == (
        4,
        HOOKS.lower(),
        USDT.lower(),
        WETH.lower(),
        0x800000,
        bytes.fromhex("4a" * 32),
        60,
        0,
        MANAGER.lower(),
    )
    with pytest.raises(CalldataError, match="no pool_manager"):
        build_execute_call(opp, {**POOL_INFO, V4_ID: V4_INFO}, 0, VAULT)


@pytest.mark.parametrize(
    "source,kind", [("balancer", 0), ("aave_v3", 1), ("uniswap_v3", 2), ("uniswap_v4", 3)]
)
def test_flash_kinds(source: str, kind: int):
    opp = opportunity(flash_source=source, flash_lender=V3_LENDER, tokens=(WETH, USDC, WETH), pools=(V2, V3))
    loan, _, _ = decode(
        [LOAN_TYPE, f"{HOP_TYPE}[]", "uint256"], build_execute_call(opp, POOL_INFO, 0, None)[4:]
    )
    assert loan[0] == kind and loan[1] == V3_LENDER.lower()


@pytest.mark.parametrize(
    "overrides,info,vault,needle",
    [
        ({"flash_source": "dydx"}, POOL_INFO, VAULT, "unknown flash source"),
        ({"flash_lender": ""}, POOL_INFO, VAULT, "no flash lender"),
        ({"flash_source": "balancer", "flash_lender": VAULT}, POOL_INFO, VAULT, "Balancer Vault"),
        ({"flash_source": "uniswap_v3", "flash_lender": V3}, POOL_INFO, VAULT, "swaps in"),
        ({}, {k: v for k, v in POOL_INFO.items() if k != CRV}, VAULT, "no pool info"),
        ({}, POOL_INFO, None, "no Vault"),
        ({}, {**POOL_INFO, V2.lower(): {"kind": "uniswap_v2"}}, VAULT, "fee in pips"),
        ({}, {**POOL_INFO, V3: {"kind": "pancake"}}, VAULT, "unsupported kind"),
        ({}, {**POOL_INFO, CRV: {"kind": "curve", "coins": [USDC, USDT]}}, VAULT, "not a coin"),
        ({"tokens": (WETH, USDC, DAI, USDT, DAI)}, POOL_INFO, VAULT, "cycle"),
        ({"base_token": USDC}, POOL_INFO, VAULT, "base token"),
    ],
)
def test_unbuildable_routes_are_refused(overrides: dict, info: dict, vault: str | None, needle: str):
    with pytest.raises(CalldataError, match=needle):
        build_execute_call(opportunity(**overrides), info, 0, vault)


def test_negative_min_profit_is_refused():
    with pytest.raises(CalldataError, match="negative"):
        build_execute_call(opportunity(), POOL_INFO, -1, VAULT)


def _error(signature: str, types: list[str], values: list) -> bytes:
    return keccak(text=signature)[:4] + encode(types, values)


def test_decode_revert():
    insufficient = _error("InsufficientProfit(uint256,uint256)", ["uint256", "uint256"], [5, 9])
    assert decode_revert(insufficient) == "InsufficientProfit(balanceAfter=5, required=9)"
    assert decode_revert("0x" + insufficient.hex()) == "InsufficientProfit(balanceAfter=5, required=9)"
    assert decode_revert(_error("NotExecutor()", [], [])) == "NotExecutor()"
    assert decode_revert(_error("BadHop(uint256)", ["uint256"], [2])) == "BadHop(index=2)"
    token = addr(0xC0)
    assert decode_revert(_error("SafeERC20FailedOperation(address)", ["address"], [token])) == (
        f"SafeERC20FailedOperation(token={token})"
    )
    assert decode_revert(_error("Error(string)", ["string"], ["UniswapV2: K"])) == "UniswapV2: K"
    assert decode_revert(_error("Panic(uint256)", ["uint256"], [0x11])) == (
        "Panic(0x11: arithmetic overflow or underflow)"
    )
    assert decode_revert(b"") == "reverted without data"
    assert decode_revert(bytes.fromhex("deadbeef")) == "unknown error 0xdeadbeef"
    assert decode_revert(bytes.fromhex("deadbeef01")) == "unknown error 0xdeadbeef (data 0x01)"
    # A known selector with a malformed body falls back to hex rather than raising.
    assert decode_revert(keccak(text="BadHop(uint256)")[:4] + b"\x01").startswith("unknown error 0x")
