"""Balancer V2 pool states at a block: the Vault's balances plus what the pool's math reads.

`BalancerPoolState` holds what every pool kind shares (tokens, balances, scaling factors, swap fee,
paused) and applies the Vault's events; `WeightedPoolState` (2021 v1 weighted pools) and
`ComposableStablePoolState` add their own parameters and swap steps.

Updates build a new state from the Vault's events (never mutate):
- `Swap(poolId, tokenIn, tokenOut, amountIn, amountOut)`: the Vault adds `amountIn` (fee included) to
  the token-in balance and takes `amountOut` from the token-out balance, exactly. The V2 Vault charges
  no protocol fee on swaps: the protocol's cut of swap fees is taken on the next join/exit, and shows
  up in that `PoolBalanceChanged` event's `protocolFeeAmounts` (weighted v1), or as BPT the pool mints
  to the fee collector (composable stable: no token balance moves).
- `PoolBalanceChanged(poolId, provider, tokens, deltas, protocolFeeAmounts)`: every balance becomes
  `balance + delta - protocolFee` (deltas are +in for joins, -out for exits).
- `PoolBalanceManaged(poolId, manager, token, cashDelta, managedDelta)`: the total balance (cash +
  managed, what pools price on) moves by `cashDelta + managedDelta`.
- The pool's own `SwapFeePercentageChanged(fee)` and `PausedStateChanged(paused)`.

A composable stable pool's own BPT is one of the Vault's tokens for it (at `bpt_index`); the state
leaves it out of `tokens`, `balances` and `scaling_factors`, and drops it from the events' arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from mevcli.dex.balancer import base_pool, composable_stable
from mevcli.dex.balancer.errors import BalancerMathError, Errors, SwapRatioExceeded, SwapReverts, reason
from mevcli.dex.balancer.fixed_point import ONE
from mevcli.errors import NoLiquidity, UnknownToken, UsageError

S = TypeVar("S", bound="BalancerPoolState")
MAX_VAULT_BALANCE = 2**112 - 1  # the Vault packs each balance in 112 bits


@dataclass(frozen=True, slots=True, kw_only=True)
class BalancerPoolState:
    """What every Balancer pool kind shares. Lists are tuples in the Vault's token order (ascending
    address); `swap_fee` is 1e18-based."""

    address: str
    pool_id: str  # 0x-prefixed 32-byte hex
    vault: str
    tokens: tuple[str, ...]
    balances: tuple[int, ...]
    swap_fee: int
    scaling_factors: tuple[int, ...]
    block: int = 0
    paused: bool = False  # getPausedState(): a paused pool refuses swaps

    def __post_init__(self) -> None:
        for name in ("tokens", "balances", "scaling_factors"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        n = len(self.tokens)
        if n < 2 or not n == len(self.balances) == len(self.scaling_factors):
            raise ValueError("a Balancer pool needs 2+ tokens with one balance and scaling factor each")
        if not 0 <= self.swap_fee < ONE:
            raise ValueError(f"swap fee {self.swap_fee} outside [0, 1e18)")
        if any(b < 0 for b in self.balances) or any(f <= 0 for f in self.scaling_factors):
            raise ValueError("balances must be >= 0 and scaling factors > 0")

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
        return self._given_in(i, o, amount_in)

    def quote_in(self, token_in: str, token_out: str, amount_out: int) -> int:
        """Exact amount in (fee included) of a GIVEN_OUT swap buying `amount_out`."""
        if amount_out <= 0:
            raise UsageError("amount out must be greater than zero")
        i, o = self._pair(token_in, token_out)
        return self._given_out(i, o, amount_out)

    def _given_in(self, i: int, o: int, amount_in: int) -> int:
        raise NotImplementedError

    def _given_out(self, i: int, o: int, amount_out: int) -> int:
        raise NotImplementedError

    # -- events ---------------------------------------------------------------------------------
    def _own(self, registered: Sequence[object]) -> list:
        """The entries of a Vault-ordered array (an event's) that belong to `tokens`."""
        return list(registered)

    def _is_bpt(self, token: str) -> bool:
        """Whether `token` is the pool's own BPT registered in the Vault (composable pools only)."""
        return False

    def with_swap(self: S, token_in: str, token_out: str, amount_in: int, amount_out: int, block: int) -> S:
        """State after the Vault's `Swap` event (a side in the pool's own BPT moves no token balance)."""
        balances = list(self.balances)
        for token, delta in ((token_in, amount_in), (token_out, -amount_out)):
            if not self._is_bpt(token):
                balances[self.index(token)] += delta
        return self._with_balances(balances, block)

    def with_balance_change(
        self: S,
        deltas: Sequence[int],
        protocol_fees: Sequence[int],
        block: int,
        tokens: Sequence[str] | None = None,
    ) -> S:
        """State after `PoolBalanceChanged` (join or exit); `tokens`, when given, must be the pool's."""
        if tokens is not None and tuple(self._own(tokens)) != self.tokens:
            raise ValueError(f"PoolBalanceChanged tokens {list(tokens)} are not those of {self.address}")
        deltas, protocol_fees = self._own(deltas), self._own(protocol_fees)
        if not len(deltas) == len(protocol_fees) == len(self.tokens):
            raise ValueError("PoolBalanceChanged needs one delta and one protocol fee per token")
        balances = [b + d - f for b, d, f in zip(self.balances, deltas, protocol_fees, strict=True)]
        return self._with_balances(balances, block)

    def with_managed_balance(self: S, token: str, cash_delta: int, managed_delta: int, block: int) -> S:
        """State after `PoolBalanceManaged` (an asset manager moved or re-valued funds)."""
        if self._is_bpt(token):
            return replace(self, block=block)
        balances = list(self.balances)
        balances[self.index(token)] += cash_delta + managed_delta
        return self._with_balances(balances, block)

    def with_swap_fee(self: S, swap_fee: int, block: int) -> S:
        """State after the pool's `SwapFeePercentageChanged` event."""
        return replace(self, swap_fee=swap_fee, block=block)

    def with_paused(self: S, paused: bool, block: int) -> S:
        """State after the pool's `PausedStateChanged` event."""
        return replace(self, paused=paused, block=block)

    def _with_balances(self: S, balances: list[int], block: int) -> S:
        if any(b < 0 for b in balances):
            raise ValueError(f"event would make a balance of {self.address} negative: state is stale")
        return replace(self, balances=tuple(balances), block=block)


@dataclass(frozen=True, slots=True, kw_only=True)
class WeightedPoolState(BalancerPoolState):
    """Everything a swap on a v1 weighted pool reads: `weights` are normalized (sum to 1e18),
    `scaling_factors` are 10**(18 - decimals)."""

    weights: tuple[int, ...]

    def __post_init__(self) -> None:
        BalancerPoolState.__post_init__(self)
        object.__setattr__(self, "weights", tuple(self.weights))
        if len(self.weights) != len(self.tokens) or any(w <= 0 for w in self.weights):
            raise ValueError("a weighted pool needs one weight > 0 per token")

    def _given_in(self, i: int, o: int, amount_in: int) -> int:
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
                f"Balancer pool {self.address} accepts at most {limit} of {self.tokens[i]} per swap (30% "
                f"of its balance after fees); {amount_in} reverts with {reason(exc.code)}",
                pool=self.address,
                limit=limit,
            ) from exc

    def _given_out(self, i: int, o: int, amount_out: int) -> int:
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
                f"Balancer pool {self.address} pays out at most {limit} of {self.tokens[o]} per swap (30% "
                f"of its balance); {amount_out} reverts with {reason(exc.code)}",
                pool=self.address,
                limit=limit,
            ) from exc


@dataclass(frozen=True, slots=True, kw_only=True)
class ComposableStablePoolState(BalancerPoolState):
    """A composable stable pool: `amp` is A·n^(n-1) times 1e3 as `getAmplificationParameter` reports it
    at `block` (`amp_updating`: a ramp is under way, so later blocks see another value);
    `scaling_factors` are the pool's 18-decimal `getScalingFactors()` (decimals times token rate);
    `bpt_index` is where the pool's own BPT sits among the Vault's tokens; `rate_scales` (per token,
    0 for a token without a rate provider) is 10^(36 - decimals), what a new token rate multiplies;
    `rates_expire` (0: no rate provider) is the earliest time a token rate cache expires: past it, the
    next swap prices with the provider's rate of the moment, which no log announces."""

    amp: int
    bpt_index: int
    amp_updating: bool = False
    rate_scales: tuple[int, ...] = ()
    rates_expire: int = 0

    def holds_at(self, timestamp: int) -> bool:
        """Whether the state (with its events applied) still prices a block of this timestamp: no
        amplification ramp under way and no token rate cache expired by then."""
        return not self.amp_updating and not (self.rates_expire and timestamp > self.rates_expire)

    def __post_init__(self) -> None:
        BalancerPoolState.__post_init__(self)
        if self.amp <= 0:
            raise ValueError(f"amplification {self.amp} must be > 0")
        if not 0 <= self.bpt_index <= len(self.tokens):
            raise ValueError(f"BPT index {self.bpt_index} outside the Vault's token list")

    def with_amp(self, amp: int, updating: bool, block: int) -> ComposableStablePoolState:
        """State after `AmpUpdateStarted` (A at the ramp's start; later blocks need a read) or
        `AmpUpdateStopped` (A fixed from now on)."""
        return replace(self, amp=amp, amp_updating=updating, block=block)

    def with_token_rate(self, registered_index: int, rate: int, block: int) -> ComposableStablePoolState:
        """State after `TokenRateCacheUpdated(tokenIndex, rate)`: that token's scaling factor becomes
        10^(36 - decimals)·rate / 1e18, rounded down. `registered_index` counts the BPT."""
        if registered_index == self.bpt_index or registered_index > len(self.tokens):
            raise ValueError(f"token rate index {registered_index} names no token of {self.address}")
        k = registered_index - (registered_index > self.bpt_index)
        scale = self.rate_scales[k] if k < len(self.rate_scales) else 0
        if not scale:
            raise ValueError(f"{self.address}: no decimals known for the token rate of {self.tokens[k]}")
        factors = list(self.scaling_factors)
        factors[k] = scale * rate // ONE
        return replace(self, scaling_factors=tuple(factors), block=block)

    def _own(self, registered: Sequence[object]) -> list:
        values = list(registered)
        if len(values) == len(self.tokens) + 1:
            del values[self.bpt_index]
        return values

    def _is_bpt(self, token: str) -> bool:
        return token == self.address

    def _reverts(self, exc: BalancerMathError, what: str) -> SwapReverts:
        return SwapReverts(
            f"Balancer pool {self.address} cannot {what}: the pool reverts with {reason(exc.code)}",
            code=exc.code,
            pool=self.address,
        )

    def _given_in(self, i: int, o: int, amount_in: int) -> int:
        if self.balances[i] + amount_in > MAX_VAULT_BALANCE:
            raise SwapReverts(
                f"Balancer pool {self.address}: {amount_in} of {self.tokens[i]} would take its balance past "
                "the Vault's 2^112 - 1 limit",
                pool=self.address,
            )
        try:
            return composable_stable.on_swap_given_in(
                amount_in, self.balances, i, o, self.scaling_factors, self.amp, self.swap_fee
            )
        except BalancerMathError as exc:
            raise self._reverts(exc, f"swap {amount_in} of {self.tokens[i]}") from exc

    def _given_out(self, i: int, o: int, amount_out: int) -> int:
        try:
            return composable_stable.on_swap_given_out(
                amount_out, self.balances, i, o, self.scaling_factors, self.amp, self.swap_fee
            )
        except BalancerMathError as exc:
            raise self._reverts(exc, f"pay out {amount_out} of {self.tokens[o]}") from exc
