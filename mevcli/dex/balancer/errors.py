"""Balancer's revert reasons (`BAL#xxx`, BalancerErrors.sol) as exceptions that carry the code."""

from __future__ import annotations

from enum import IntEnum

from mevcli.errors import MevcliError, NoLiquidity


class Errors(IntEnum):
    """The BalancerErrors.sol codes the ported math can raise."""

    ADD_OVERFLOW = 0
    SUB_OVERFLOW = 1
    MUL_OVERFLOW = 3
    ZERO_DIVISION = 4
    DIV_INTERNAL = 5
    X_OUT_OF_BOUNDS = 6
    Y_OUT_OF_BOUNDS = 7
    PRODUCT_OUT_OF_BOUNDS = 8
    INVALID_EXPONENT = 9
    OUT_OF_BOUNDS = 100
    MAX_IN_RATIO = 304
    MAX_OUT_RATIO = 305
    STABLE_INVARIANT_DIDNT_CONVERGE = 321
    STABLE_GET_BALANCE_DIDNT_CONVERGE = 322


def reason(code: Errors) -> str:
    """The revert string the contracts use plus its name, e.g. `BAL#304 (MAX_IN_RATIO)`."""
    return f"BAL#{int(code):03d} ({code.name})"


class BalancerMathError(MevcliError):
    """The pool contract would revert with `BAL#code` for these inputs."""

    def __init__(self, code: Errors, message: str = "") -> None:
        super().__init__(message or f"Balancer math reverts with {reason(code)}")
        self.code = code


class SwapRatioExceeded(NoLiquidity):
    """The swap moves more than 30% of a pool balance: the pool reverts with BAL#304 / BAL#305."""

    def __init__(
        self, code: Errors, message: str, *, pool: str | None = None, limit: int | None = None
    ) -> None:
        super().__init__(message, pool=pool)
        self.code = code
        self.limit = limit  # the largest amount the pool accepts, in the token's base units


class SwapReverts(NoLiquidity):
    """The pool (or the Vault) reverts for this amount, e.g. a stable pool asked for more than it
    holds: `code` is the BAL# reason when the pool's math gives one."""

    def __init__(self, message: str, *, code: Errors | None = None, pool: str | None = None) -> None:
        super().__init__(message, pool=pool)
        self.code = code


def require(condition: bool, code: Errors) -> None:
    """Solidity's `_require(condition, Errors.X)`."""
    if not condition:
        raise BalancerMathError(code)
