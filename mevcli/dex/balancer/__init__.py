"""Balancer V2 weighted pools (the 2021 v1 pools): exact swap math, state, reader and events.

Modules mirror the Solidity: `fixed_point` (FixedPoint), `log_exp_math` (LogExpMath),
`weighted_math` (WeightedMath), `base_pool` (the scaling and fee steps of BasePool.onSwap).
"""

from mevcli.dex.balancer.errors import BalancerMathError, SwapRatioExceeded
from mevcli.dex.balancer.reader import read_weighted_pools
from mevcli.dex.balancer.state import WeightedPoolState

__all__ = ["BalancerMathError", "SwapRatioExceeded", "WeightedPoolState", "read_weighted_pools"]
