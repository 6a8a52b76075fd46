"""The StableSwap balance solve that Curve's `get_y` and Balancer's StableMath both run, for their
per-state fast quoters: Newton's y' = (y² + c) / (2y + b − D) until two iterates are at most 1 apart."""

from __future__ import annotations

MAX_UINT256 = 2**256 - 1
MAX_ITERATIONS = 255


def solve_balance(y: int, c: int, b_less_d: int, round_up: bool) -> int | None:
    """The iterate at which the loop stops, from `y`, each step rounded down (Curve) or up (Balancer);
    None where a step's y² + c leaves uint256, its 2y + b − D is not positive, or 255 steps do not
    converge (the caller's plain function then raises the contract's revert).

    Every operand is non-negative but b − D: y² + c ≤ MAX_UINT256 covers y² and the sum, and gives
    y < 2^128, so 2y + b cannot overflow when the caller has checked b ≤ MAX_UINT256 − 2^129; a
    denominator ≤ 0 is then the contract's underflow or division by zero.
    """
    for _ in range(MAX_ITERATIONS):
        numerator = y * y + c
        denominator = y + y + b_less_d
        if numerator > MAX_UINT256 or denominator <= 0:
            return None
        y_next = (numerator + denominator - 1 if round_up else numerator) // denominator
        if -1 <= y_next - y <= 1:
            return y_next
        y = y_next
    return None
