"""The gas limit a transaction is sent with, from its estimate in the landing block (docs/executor.md).

The estimate is made in the context of the block the transaction lands in (`execution/landing.py`), so
it already pays for what the clock moving on costs. The headroom covers what that context cannot show:
storage first written between the estimate and inclusion (or on a node that cannot estimate in the
landing block at all), and the 63/64 rule, which hands a nested call only 63/64 of the gas left, so every
extra unit needed `depth` calls down costs (64/63)^depth at the top. Capped at the block gas limit.
"""

from __future__ import annotations

FIRST_WRITE_GAS = 22_100  # SSTORE of a cold slot from zero to non-zero: 20,000 + 2,100 cold access
FIRST_WRITES_PER_HOP = 2  # e.g. a V2 pair's two cumulative prices, a V3 pool's observation + tick slots
# executor → flash lender → executor callback → pool → swap callback / token → token transfer
ARBITRAGE_CALL_DEPTH = 5
DEPLOY_CALL_DEPTH = 1  # the constructor makes no call; one factor for the creation frame itself


def with_headroom(estimate: int, first_writes: int, depth: int, block_gas_limit: int) -> int:
    """⌈(estimate + first_writes × 22,100) × (64/63)^depth⌉, at most `block_gas_limit`."""
    needed = estimate + first_writes * FIRST_WRITE_GAS
    limit = -(-needed * 64**depth // 63**depth)
    return min(limit, block_gas_limit)


def arbitrage_gas_limit(estimate: int, hops: int, block_gas_limit: int) -> int:
    """The gas limit of an executor transaction through `hops` pools."""
    return with_headroom(estimate, hops * FIRST_WRITES_PER_HOP, ARBITRAGE_CALL_DEPTH, block_gas_limit)


def deploy_gas_limit(estimate: int, block_gas_limit: int) -> int:
    """The gas limit of a contract creation: its estimate is exact (no pool state involved)."""
    return with_headroom(estimate, 0, DEPLOY_CALL_DEPTH, block_gas_limit)
