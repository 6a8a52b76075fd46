"""Uniswap V2 and its forks (SushiSwap, …): constant-product pairs."""

from mevcli.dex.uniswap_v2.math import get_amount_in, get_amount_out
from mevcli.dex.uniswap_v2.state import V2PairState

__all__ = ["V2PairState", "get_amount_in", "get_amount_out"]
