"""BitMath of Uniswap V3 core: index of the most / least significant set bit of a uint256.

The Solidity binary-searches with shifts; `int.bit_length` gives the same index directly.
"""

from __future__ import annotations

from mevcli.dex.uniswap_v3.full_math import MAX_UINT256
from mevcli.errors import PoolMathError


def _check_positive_uint256(x: int) -> None:
    if not 0 < x <= MAX_UINT256:
        # `require(x > 0)` in the Solidity; values above 2**256 - 1 cannot be a uint256 at all.
        raise PoolMathError(f"BitMath: {x} is not a positive uint256")


def most_significant_bit(x: int) -> int:
    """Index r with 2**r <= x < 2**(r+1) (BitMath.mostSignificantBit); x must be > 0."""
    _check_positive_uint256(x)
    return x.bit_length() - 1


def least_significant_bit(x: int) -> int:
    """Index r of the lowest set bit of x (BitMath.leastSignificantBit); x must be > 0."""
    _check_positive_uint256(x)
    return (x & -x).bit_length() - 1
