"""One rule for a Uniswap V4 pool id typed by an operator: 32 bytes of hex, with or without 0x, any case,
white space around it ignored; kept as 0x and lower case. Every command asks the same function."""

from __future__ import annotations

import pytest

from mevcli.chain.addresses import to_checksum_address
from mevcli.dex import registry
from mevcli.dex.registry import canonical_pool
from mevcli.dex.uniswap_v4.pool_id import is_pool_id, normalize_pool_id

DIGITS = "ab" * 16 + "0123456789abcdef" * 2
CANONICAL = "0x" + DIGITS


@pytest.mark.parametrize(
    "text", [CANONICAL, DIGITS, DIGITS.upper(), "0X" + DIGITS.upper(), f"  {CANONICAL}\n", f" {DIGITS} "]
)
def test_a_pool_id_with_or_without_0x_reads_as_one(text):
    assert is_pool_id(text)
    assert normalize_pool_id(text) == canonical_pool(text) == CANONICAL


@pytest.mark.parametrize(
    "text",
    [
        "0x" + DIGITS[:-1],  # 63 digits
        DIGITS + "0",  # 65 digits
        "0x" + DIGITS[:-1] + "g",  # not hex
        "0x0x" + DIGITS[:-2],  # 0x twice
        "0x" + "ab" * 20,  # an address
        "ab" * 20,
        "",
        "uniswap_v3:WETH/USDC:500",
    ],
)
def test_anything_else_is_no_pool_id(text):
    assert not is_pool_id(text)
    with pytest.raises(ValueError, match="not a V4 pool id"):
        normalize_pool_id(text)


def test_the_registry_asks_the_same_rule():
    assert registry.is_pool_id is is_pool_id
    address = "0x" + "ab" * 20
    assert canonical_pool(address) == to_checksum_address(address) != address  # an address stays one
