"""Balancer V2 weighted pool state at a block: the Vault's balances plus the pool's weights and fee.

Updates build a new state from the Vault's events (never mutate):
- `Swap(poolId, tokenIn, tokenOut, amountIn, amountOut)`: the Vault adds `amountIn` (fee included) to
  the token-in balance and takes `amountOut` from the token-out balance, exactly. The V2 Vault charges
  no protocol fee on swaps: the protocol's cut of swap fees is taken on the next join/exit, and shows
  up in that `PoolBalanceChanged` event's `protocolFeeAmounts`.
- `PoolBalanceChanged(poolId, provider, tokens, deltas, protocolFeeAmounts)`: every balance becomes
  `balance + delta - protocolFee` (deltas are +in for joins, -out for exits).
- `PoolBalanceManaged(poolId, manager, token, cashDelta, managedDelta)`: the total balance (cash +
  managed, what pools price on) moves by `cashDelta + managedDelta`.
- The pool's own `SwapFeePercentageChanged(fee)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from mevcli.dex.balancer import base_pool
from mevcli.dex.balancer.errors import BalancerMathError, Errors, SwapRatioExceeded, reason
from mevcli.dex.balancer.fixed_point import ONE
from mevcli.errors import NoLiquidity, UnknownToken, UsageError


@dataclass(frozen=True, slots=True, kw_only=True)
class WeightedPoolState:
    """Everything a swap on a v1 weighted pool reads. Lists are tuples in the Vault's token order
    (ascending address); `weights` are normalized (sum to 1e18), `swap_fee` is 1e18-based,
    `scaling_factors` are 10**(18 - decimals)."""

    address: str
    pool_id: str  # 0x-prefixed 32-byte hex
    vault: str
    tokens: tuple[str, ...]
    balances: tuple[int, ...]
    weights: tuple[int, ...]
    swap_fee: int
    scaling_factors: tuple[int, ...]
    block: int = 0
    paused: bool = False  # getPausedState(): a paused pool refuses swaps

    def __post_init__(self) -> None:
        for name in ("tokens", "balances", "weights", "scaling_factors"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        n = len(self.tokens)
        if n < 2 or not n == len(self.balances) == len(self.weights) == len(self.scaling_factors):
            raise ValueError("a weighted pool needs 2+ tokens with one balance, weight and scale each")
        if not 0 <= self.swap_fee < ONE:
            raise ValueError(f"swap fee {self.swap_fee} outside [0, 1e18)")
        if any(b < 0 for b in self.balances) or any(w <= 0 for w in self.weights):
            raise ValueError("balances must be >= 0 and weights > 0")

    def index(self, token: str) -> int:
        try:
            return self.tokens.index(token)
        except ValueError:
            raise UnknownToken(f"token {token} is not in pool {self.address}") from None

    def _pair(self, token_in: str, token_out: str) -> tuple[int, int]:
        i, o = self.index(token_in), self.index(token_out)
        if i == o:
            raise UsageError(f"token in and token out are the same ({token_in})")
        if self.paused:
            raise NoLiquidity(f"Balancer pool {self.address} is paused", pool=self.address)
        if self.balances[i] == 0 or self.balances[o] == 0:
            raise NoLiquidity(f"Balancer pool {self.address} has no liquidity", pool=self.address)
        return i, o

    def quote(self, token_in: str, amount_in: int, token_out: str) -> int:
        """Exact amount out of a GIVEN_IN swap, as the Vault's `queryBatchSwap` returns it."""
        if amount_in <= 0:
            raise UsageError("amount in must be greater than zero")
        i, o = self._pair(token_in, token_out)
        try:
            return base_pool.on_swap_given_in(
                amount_in,
                self.balances[i],
                self.balances[o],
                self.weights[i],
                self.weights[o],
                self.scaling_factors[i],
                self.scaling_factors[o],
                self.swap_fee,
            )
        except BalancerMathError as exc:
            if exc.code != Errors.MAX_IN_RATIO:
                raise
            limit = base_pool.max_amount_in(self.balances[i], self.scaling_factors[i], self.swap_fee)
            raise SwapRatioExceeded(
                exc.code,
                f"Balancer pool {self.address} accepts at most {limit} of {token_in} per swap (30% of its "
                f"balance after fees); {amount_in} reverts with {reason(exc.code)}",
                pool=self.address,
                limit=limit,
            ) from exc

    def quote_in(self, token_in: str, token_out: str, amount_out: int) -> int:
        """Exact amount in (fee included) of a GIVEN_OUT swap buying `amount_out`."""
        if amount_out <= 0:
            raise UsageError("amount out must be greater than zero")
        i, o = self._pair(token_in, token_out)
        try:
            return base_pool.on_swap_given_out(
                amount_out,
                self.balances[i],
                self.balances[o],
                self.weights[i],
                self.weights[o],
                self.scaling_factors[i],
                self.scaling_factors[o],
                self.swap_fee,
            )
        except BalancerMathError as exc:
            if exc.code != Errors.MAX_OUT_RATIO:
                raise
            limit = base_pool.max_amount_out(self.balances[o], self.scaling_factors[o])
            raise SwapRatioExceeded(
                exc.code,
                f"Balancer pool {self.address} pays out at most {limit} of {token_out} per swap (30% of "
                f"its balance); {amount_out} reverts with {reason(exc.code)}",
                pool=self.address,
                limit=limit,
            ) from exc

    # -- events ---------------------------------------------------------------------------------
    def with_swap(
        self, token_in: str, token_out: str, amount_in: int, amount_out: int, block: int
    ) -> WeightedPoolState:
        """State after the Vault's `Swap` event."""
        i, o = self.index(token_in), self.index(token_out)
        balances = list(self.balances)
        balances[i] += amount_in
        balances[o] -= amount_out
        return self._with_balances(balances, block)

    def with_balance_change(
        self,
        deltas: Sequence[int],
        protocol_fees: Sequence[int],
        block: int,
        tokens: Sequence[str] | None = None,
    ) -> WeightedPoolState:
        """State after `PoolBalanceChanged` (join or exit); `tokens`, when given, must be the pool's."""
        if tokens is not None and tuple(tokens) != self.tokens:
            raise ValueError(f"PoolBalanceChanged tokens {list(tokens)} are not those of {self.address}")
        if not len(deltas) == len(protocol_fees) == len(self.tokens):
            raise ValueError("PoolBalanceChanged needs one delta and one protocol fee per token")
        balances = [b + d - f for b, d, f in zip(self.balances, deltas, protocol_fees, strict=True)]
        return self._with_balances(balances, block)

    def with_managed_balance(
        self, token: str, cash_delta: int, managed_delta: int, block: int
    ) -> WeightedPoolState:
        """State after `PoolBalanceManaged` (an asset manager moved or re-valued funds)."""
        balances = list(self.balances)
        balances[self.index(token)] += cash_delta + managed_delta
        return self._with_balances(balances, block)

    def with_swap_fee(self, swap_fee: int, block: int) -> WeightedPoolState:
        """State after the pool's `SwapFeePercentageChanged` event."""
        return replace(self, swap_fee=swap_fee, block=block)

    def with_paused(self, paused: bool, block: int) -> WeightedPoolState:
        """State after the pool's `PausedStateChanged` event."""
        return replace(self, paused=paused, block=block)

    def _with_balances(self, balances: list[int], block: int) -> WeightedPoolState:
        if any(b < 0 for b in balances):
            raise ValueError(f"event would make a balance of {self.address} negative: state is stale")
        return replace(self, balances=tuple(balances), block=block)
