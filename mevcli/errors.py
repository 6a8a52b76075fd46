"""One exception root for everything mevcli reports to an operator.

The CLI turns any `MevcliError` into a single `Error: …` line and a non-zero exit; anything else is a bug
and shows a traceback only with `--debug`.
"""

from __future__ import annotations


class MevcliError(Exception):
    """Base of all expected, operator-facing failures."""

    exit_code = 1


class UsageError(MevcliError):
    """The command line or config asks for something malformed (exit code 2, like click)."""

    exit_code = 2


class ConfigError(UsageError):
    """The config file or environment is unreadable or invalid."""


class ChainMismatch(MevcliError):
    def __init__(self, expected: int, actual: int, preset: str) -> None:
        super().__init__(f"RPC chain id {actual} does not match --chain {preset} (chain id {expected})")
        self.expected = expected
        self.actual = actual


class RpcError(MevcliError):
    """The node could not be reached or answered with something that is not JSON-RPC."""


class UnknownPool(MevcliError):
    """An address that is not a pool of any DEX we know."""


class UnknownToken(MevcliError):
    """A symbol or address that the chain preset / manifest does not know, or not in the pool."""


class NoLiquidity(MevcliError):
    """The pool cannot fill the requested amount (empty, or the swap runs out of liquidity)."""

    def __init__(self, message: str, *, pool: str | None = None, filled: int | None = None) -> None:
        super().__init__(message)
        self.pool = pool
        self.filled = filled


class PoolMathError(MevcliError, ValueError):
    """The pool contract would revert on this input (an amount out of range, an overflow, a price or tick
    outside its bounds, an invariant that does not converge): the swap cannot be made. Also a
    ValueError, as the pure math modules raised before joining this tree."""


def as_pool_error(exc: Exception) -> MevcliError:
    """`exc` itself when it is one of ours, else a PoolMathError naming it (the integer math of a pool
    raising a plain ArithmeticError / ValueError is the pool refusing the input)."""
    if isinstance(exc, MevcliError):
        return exc
    error = PoolMathError(f"{type(exc).__name__}: {exc}")
    error.__cause__ = exc
    return error


class StaleState(MevcliError):
    def __init__(self, block: int, message: str = "") -> None:
        super().__init__(message or f"state at block {block} is stale")
        self.block = block


class DevnetError(MevcliError):
    """The local devnet could not be started, reached or deployed."""


class NotAvailableYet(MevcliError):
    """A command of the product whose implementation has not landed."""
