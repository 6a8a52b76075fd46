"""Curve StableSwap pool state at a block: coins, balances, rate multipliers, A and fees.

Every update (`with_exchange`, `with_add_liquidity`, `with_remove_liquidity`) returns a new state; the
events carry what is needed, except the admin's share of an exchange fee, which is recomputed from the
state before the exchange (and checked against the event's amount).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from mevcli.dex.curve.math import (
    FEE_DENOMINATOR,
    StableSwapRevert,
    dy_quoter,
    exchange,
    get_D,
    get_dy,
    xp_mem,
)
from mevcli.errors import NoLiquidity, StaleState, UnknownToken, UsageError

FEE_TO_PIPS = FEE_DENOMINATOR // 1_000_000  # Curve fee (1e10 = 100%) -> pips (1e6 = 100%)


class _Memo:
    """A slot outside the dataclass fields (so codecs and `replace` never see it) for derived values."""

    __slots__ = ("_memo",)


@dataclass(frozen=True, slots=True, kw_only=True)
class CurvePoolState(_Memo):
    """A plain StableSwap pool. `rates` are the rate multipliers 10**(36 - decimals) per coin; `A` is the
    amplification as the math takes it: `A()` where `a_precision` is 1 (first-generation pools),
    `A_precise()` (A·100) where it is 100 — during a ramp, the value at `block`; `fee` and `admin_fee`
    have 1e10 precision. `ng` marks a
    stableswap-ng pool (its D iteration, and the dynamic fee of `offpeg_fee_multiplier`, 1e10-based)."""

    address: str
    coins: tuple[str, ...]
    balances: tuple[int, ...]
    rates: tuple[int, ...]
    A: int
    fee: int
    admin_fee: int = 0
    block: int = 0
    a_precision: int = 1
    ng: bool = False
    offpeg_fee_multiplier: int = 0
    ramp_end: int = 0  # read while A ramps: `future_A_time` (A is then the value at this state's block)

    def __post_init__(self) -> None:
        n = len(self.coins)
        if n < 2 or len(self.balances) != n or len(self.rates) != n:
            raise ValueError(
                f"pool {self.address}: coins, balances and rates need one entry per coin (n >= 2)"
            )
        if self.A < 1:
            raise ValueError(f"pool {self.address}: A must be at least 1, got {self.A}")
        if self.a_precision not in (1, 100):
            raise ValueError(f"pool {self.address}: A precision is 1 or 100, got {self.a_precision}")
        if self.offpeg_fee_multiplier and not self.ng:
            raise ValueError(f"pool {self.address}: only a stableswap-ng pool has an off-peg fee multiplier")
        if not (0 <= self.fee <= FEE_DENOMINATOR and 0 <= self.admin_fee <= FEE_DENOMINATOR):
            raise ValueError(f"pool {self.address}: fees must lie in [0, 1e10]")
        # Frozen dataclass: normalise list arguments to tuples.
        object.__setattr__(self, "coins", tuple(self.coins))
        object.__setattr__(self, "balances", tuple(self.balances))
        object.__setattr__(self, "rates", tuple(self.rates))

    @property
    def tokens(self) -> tuple[str, ...]:
        return self.coins

    @property
    def fee_pips(self) -> int:
        return self.fee // FEE_TO_PIPS

    def holds_at(self, timestamp: int) -> bool:
        """Whether the state (with its events applied) still prices a block of this timestamp: not when
        it was read while A ramped (A moves with the block time, which no event reports)."""
        return self.ramp_end == 0

    @property
    def variant(self) -> str:
        """ "stableswap-ng", "classic" (A_PRECISION 100) or "classic-v1" (A without precision)."""
        if self.ng:
            return "stableswap-ng"
        return "classic" if self.a_precision == 100 else "classic-v1"

    def math_kwargs(self) -> dict[str, int | bool]:
        """The variant's keyword arguments for `math.get_dy`, `math.exchange` and `math.dy_and_fee`."""
        return {"a_precision": self.a_precision, "ng": self.ng, "offpeg": self.offpeg_fee_multiplier}

    def index(self, token: str) -> int:
        try:
            return self.coins.index(token)
        except ValueError:
            raise UnknownToken(f"token {token} is not in pool {self.address}") from None

    def indices(self, token_in: str, token_out: str | None) -> tuple[int, int]:
        """(i, j) for a swap; `token_out` may be omitted only in a 2-coin pool."""
        i = self.index(token_in)
        if token_out is None:
            if len(self.coins) != 2:
                raise UsageError(f"pool {self.address} has {len(self.coins)} coins: name the output token")
            return i, 1 - i
        j = self.index(token_out)
        if i == j:
            raise UnknownToken(f"token {token_out} is not the other token of pool {self.address}")
        return i, j

    def quote(self, token_in: str, amount_in: int, token_out: str | None = None) -> int:
        """Exactly what the pool's `get_dy` returns (and `exchange` pays); NoLiquidity where it reverts."""
        i, j = self.indices(token_in, token_out)
        try:
            xp, D = self._xp_and_D()
            return get_dy(
                i, j, amount_in, self.balances, self.rates, self.A, self.fee, xp=xp, D=D, **self.math_kwargs()
            )
        except StableSwapRevert as exc:
            raise NoLiquidity(
                f"pool {self.address} cannot quote {amount_in} (the pool reverts: {exc})", pool=self.address
            ) from exc

    def quoter(self, token_in: str, token_out: str) -> Callable[[int], int] | None:
        """amount -> `quote(token_in, amount, token_out)`, the same integers, for many quotes of this
        state (indices, xp, D and the variant's settings found once); None where the state cannot swap.
        Anything the pool would refuse goes through `pools.quote`, which words the error."""
        try:
            i, j = self.indices(token_in, token_out)
            xp, invariant = self._xp_and_D()
        except (StableSwapRevert, UnknownToken, UsageError):
            return None
        from mevcli.dex.pools import fallback_quoter  # the kinds' registry imports this module

        slow = fallback_quoter(self, token_in, token_out)  # the same integers, or the worded refusal
        kwargs = self.math_kwargs()
        return dy_quoter(i, j, xp, self.rates, self.A, self.fee, invariant, **kwargs, fallback=slow)

    def _xp_and_D(self) -> tuple[tuple[int, ...], int]:
        """xp and D of this state, computed once: every quote on the state needs them."""
        memo = getattr(self, "_memo", None)
        if memo is None:
            xp = tuple(xp_mem(self.rates, self.balances))
            memo = (xp, get_D(xp, self.A, self.a_precision, self.ng))
            object.__setattr__(self, "_memo", memo)
        return memo

    def with_exchange(
        self, sold_id: int, tokens_sold: int, bought_id: int, tokens_bought: int, block: int
    ) -> CurvePoolState:
        """State after `TokenExchange(buyer, sold_id, tokens_sold, bought_id, tokens_bought)`.

        Coin j also loses the admin's share of the fee; with an admin fee it is recomputed from this
        state, and a result that disagrees with the event means this state was not the pool's before
        the exchange (StaleState).
        """
        if self.admin_fee == 0:
            after = list(self.balances)
            after[sold_id] += tokens_sold
            after[bought_id] -= tokens_bought
        else:
            try:
                paid, after = exchange(
                    sold_id,
                    bought_id,
                    tokens_sold,
                    self.balances,
                    self.rates,
                    self.A,
                    self.fee,
                    self.admin_fee,
                    **self.math_kwargs(),
                )
            except StableSwapRevert as exc:
                raise StaleState(block, f"pool {self.address}: exchange does not apply ({exc})") from exc
            if paid != tokens_bought:
                raise StaleState(
                    block,
                    f"pool {self.address}: state at block {self.block} predicts {paid}, event paid "
                    f"{tokens_bought}",
                )
        return self._with_balances(after, block)

    def with_add_liquidity(
        self, token_amounts: Sequence[int], fees: Sequence[int], block: int
    ) -> CurvePoolState:
        """State after `AddLiquidity(provider, token_amounts, fees, invariant, token_supply)`: each balance
        grows by its amount less the admin's share of its imbalance fee."""
        after = [
            b + a - f * self.admin_fee // FEE_DENOMINATOR
            for b, a, f in zip(self.balances, token_amounts, fees, strict=True)
        ]
        return self._with_balances(after, block)

    def with_remove_liquidity(self, token_amounts: Sequence[int], block: int) -> CurvePoolState:
        """State after `RemoveLiquidity(provider, token_amounts, fees, token_supply)`."""
        after = [b - a for b, a in zip(self.balances, token_amounts, strict=True)]
        return self._with_balances(after, block)

    def _with_balances(self, balances: Sequence[int], block: int) -> CurvePoolState:
        if min(balances) < 0:
            raise StaleState(block, f"pool {self.address}: event takes more than the state holds")
        return replace(self, balances=tuple(balances), block=block)
