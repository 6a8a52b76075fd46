"""Curve StableSwap plain pools: exact integer math, a frozen state, a batched reader, event application."""

from mevcli.dex.curve.math import StableSwapRevert, get_D, get_dy, get_y
from mevcli.dex.curve.state import CurvePoolState

__all__ = ["CurvePoolState", "StableSwapRevert", "get_D", "get_dy", "get_y"]
