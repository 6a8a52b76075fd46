"""UniswapV2Library.getAmountOut with one direction's fee-scaled reserves bound (repeated quotes)."""

from __future__ import annotations

from mevcli.errors import PoolMathError

PIPS = 1_000_000


class V2Hop:
    """amount -> getAmountOut(amount) through fixed reserves; `local` is its Möbius piece."""

    # _native: what the native sizing kernel keeps of the hop (mevcli/native), made on its first use
    __slots__ = ("_local", "_native", "gamma", "reserve_out", "scaled_reserve_in")

    def __init__(self, scaled_reserve_in: int, reserve_out: int, gamma: int) -> None:
        self.scaled_reserve_in = scaled_reserve_in
        self.reserve_out = reserve_out
        self.gamma = gamma
        self._local = (gamma * reserve_out, scaled_reserve_in, gamma, 0, 0)
        self._native: object = None

    def __call__(self, amount: int) -> int:
        if amount <= 0:
            raise PoolMathError("INSUFFICIENT_INPUT_AMOUNT")
        with_fee = amount * self.gamma
        return with_fee * self.reserve_out // (self.scaled_reserve_in + with_fee)

    def local(self, amount: int) -> tuple[int, int, int, int, int]:
        """(a, b, c, O, P): out ≈ O + a·u/(b + c·u), u = amount − P (see `sizing.refine_guess`)."""
        return self._local
