"""Balancer V2 weighted pools (the 2021 v1 pools) and composable stable pools: exact swap math, state,
reader and events.

Modules mirror the Solidity: `fixed_point` (FixedPoint), `log_exp_math` (LogExpMath),
`weighted_math` (WeightedMath), `stable_math` (StableMath), `base_pool` (the scaling and fee steps of
BasePool / BaseGeneralPool `onSwap`), `composable_stable` (ComposableStablePool's regular swaps).
"""

from mevcli.dex.balancer.errors import BalancerMathError, SwapRatioExceeded
from mevcli.dex.balancer.reader import read_balancer_pools, read_weighted_pools
from mevcli.dex.balancer.state import BalancerPoolState, ComposableStablePoolState, WeightedPoolState

__all__ = [
    "BalancerMathError",
    "BalancerPoolState",
    "ComposableStablePoolState",
    "SwapRatioExceeded",
    "WeightedPoolState",
    "read_balancer_pools",
    "read_weighted_pools",
]
