"""PoolKey and PoolId: a V4 pool is named by the hash of its key inside the one PoolManager."""

from __future__ import annotations

from dataclasses import dataclass

from mevcli.chain.abi import encode
from mevcli.chain.addresses import keccak, to_checksum_address
from mevcli.dex.uniswap_v4.hooks import ZERO_ADDRESS

NATIVE = ZERO_ADDRESS  # currency0 = address(0) is the chain's native currency


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolKey:
    currency0: str
    currency1: str
    fee: int  # LP fee in pips, or DYNAMIC_FEE_FLAG
    tick_spacing: int
    hooks: str = ZERO_ADDRESS

    def __post_init__(self) -> None:
        if int(self.currency0, 16) >= int(self.currency1, 16):
            raise ValueError("currency0 must sort below currency1")

    @property
    def as_tuple(self) -> tuple[str, str, int, int, str]:
        """The ABI tuple (address, address, uint24, int24, address)."""
        return (
            to_checksum_address(self.currency0),
            to_checksum_address(self.currency1),
            self.fee,
            self.tick_spacing,
            to_checksum_address(self.hooks),
        )

    @property
    def pool_id(self) -> str:
        """PoolIdLibrary.toId: keccak256 of the abi-encoded key, as 0x-prefixed hex."""
        encoded = encode(["address", "address", "uint24", "int24", "address"], list(self.as_tuple))
        return "0x" + keccak(encoded).hex()
