"""The batched devnet build encodes calldata straight from the artifacts' ABIs: the same bytes web3 encodes
(tuples, dynamic and fixed arrays, overloads picked by arity), and constructor arguments after the code."""

from __future__ import annotations

import pytest
from web3 import Web3

from mevcli.devnet.artifacts import load
from mevcli.devnet.batch_sender import calldata, creation_data

A = "0x" + "11" * 20
B = "0x" + "22" * 20
C = Web3.to_checksum_address(A)
D = Web3.to_checksum_address(B)


def web3_calldata(artifact: str, function: str, *args: object) -> str:
    contract = Web3().eth.contract(address=C, abi=load(artifact).abi)
    return contract.encode_abi(function, args=list(args))


@pytest.mark.parametrize(
    ("artifact", "function", "args"),
    [
        ("UniswapV2Factory", "createPair", (C, D)),
        ("NonfungiblePositionManager", "createAndInitializePoolIfNecessary", (C, D, 3000, 2**96)),
        ("NonfungiblePositionManager", "mint", ((C, D, 500, -120, 60, 10**18, 5 * 10**6, 0, 0, C, 2**40),)),
        ("Vault", "joinPool", (b"\x07" * 32, C, D, ([C, D], [10**18, 3], b"\x01\x02", False))),
        (
            "WeightedPoolFactory",
            "create",
            ("Devnet X/Y", "B-X-Y", [C, D], [8 * 10**17, 2 * 10**17], 3 * 10**15, C),
        ),
        ("CurveStableSwap2", "add_liquidity", ([10**6, 2 * 10**18], 0)),
        ("CurveStableSwapNG", "add_liquidity", ([10**6, 2 * 10**18], 0)),
        ("WETH9", "deposit", ()),
    ],
)
def test_calldata_matches_web3(artifact: str, function: str, args: tuple[object, ...]) -> None:
    assert calldata(artifact, function, *args) == web3_calldata(artifact, function, *args)


def test_creation_data_is_the_code_then_the_constructor_arguments() -> None:
    art = load("TestToken")
    expected = Web3().eth.contract(abi=art.abi, bytecode=art.bytecode).constructor("Extra X", "X", 8)
    assert (
        creation_data("TestToken", "Extra X", "X", 8)
        == expected.build_transaction({"from": C, "gas": 1, "gasPrice": 1, "nonce": 0, "chainId": 1})["data"]
    )


def test_an_unknown_function_or_arity_is_refused() -> None:
    with pytest.raises(KeyError):
        calldata("TestToken", "mint", C)
