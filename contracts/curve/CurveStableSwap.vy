# pragma version ~=0.4.3
# pragma evm-version cancun
# pragma optimize gas
"""
@title CurveStableSwap
@notice mevcli's devnet StableSwap pool: Curve's classic plain-pool interface (`coins`, `balances`,
        `A`, `fee`, `get_dy`, `exchange`, `add_liquidity`, `remove_liquidity` and their events) over
        the StableSwap invariant of the whitepaper. The pool is its own LP token. Devnet only.
@dev    Invariant: A n^n sum(x_i) + D = A D n^n + D^(n+1) / (n^n prod(x_i)). Like Curve, the stored A
        is the whitepaper's A * n^(n-1), so `Ann = A * N_COINS` is the whitepaper's A * n^n.
        Balances are brought to 18 decimals by rate multipliers 10**(36 - decimals) (`xp`).
        Fees use 1e10 precision; `admin_fee` is the admin's share of each fee, kept out of `balances`.
        mevcli.devnet.vyper_build compiles this one source with N_COINS = 2 and N_COINS = 3.
"""

from ethereum.ercs import IERC20
from ethereum.ercs import IERC20Detailed

N_COINS: constant(uint256) = 2
PRECISION: constant(uint256) = 10**18
FEE_DENOMINATOR: constant(uint256) = 10**10
MAX_FEE: constant(uint256) = 5 * 10**9
MAX_A: constant(uint256) = 10**6
MAX_ITERATIONS: constant(uint256) = 255


event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    value: uint256

event Approval:
    owner: indexed(address)
    spender: indexed(address)
    value: uint256

event TokenExchange:
    buyer: indexed(address)
    sold_id: int128
    tokens_sold: uint256
    bought_id: int128
    tokens_bought: uint256

event AddLiquidity:
    provider: indexed(address)
    token_amounts: uint256[N_COINS]
    fees: uint256[N_COINS]
    invariant: uint256
    token_supply: uint256

event RemoveLiquidity:
    provider: indexed(address)
    token_amounts: uint256[N_COINS]
    fees: uint256[N_COINS]
    token_supply: uint256


coins: public(address[N_COINS])
balances: public(uint256[N_COINS])
A: public(uint256)
fee: public(uint256)
admin_fee: public(uint256)
rate_multipliers: uint256[N_COINS]

name: public(String[64])
symbol: public(String[32])
decimals: public(constant(uint8)) = 18
totalSupply: public(uint256)
balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])


@deploy
def __init__(
    _coins: address[N_COINS],
    _A: uint256,
    _fee: uint256,
    _admin_fee: uint256,
    _name: String[64],
    _symbol: String[32],
):
    assert _A > 0 and _A <= MAX_A, "A out of range"
    assert _fee <= MAX_FEE, "fee too high"
    assert _admin_fee <= FEE_DENOMINATOR, "admin fee too high"
    for k: uint256 in range(N_COINS):
        assert _coins[k] != empty(address), "zero coin"
        for m: uint256 in range(N_COINS):
            assert m >= k or _coins[m] != _coins[k], "duplicate coin"
        coin_decimals: uint256 = convert(staticcall IERC20Detailed(_coins[k]).decimals(), uint256)
        assert coin_decimals <= 18, "more than 18 decimals"
        self.rate_multipliers[k] = 10 ** (36 - coin_decimals)
    self.coins = _coins
    self.A = _A
    self.fee = _fee
    self.admin_fee = _admin_fee
    self.name = _name
    self.symbol = _symbol


# ---------------------------------------- LP token ------------------------------------------------

@external
def transfer(_to: address, _value: uint256) -> bool:
    self.balanceOf[msg.sender] -= _value
    self.balanceOf[_to] += _value
    log Transfer(sender=msg.sender, receiver=_to, value=_value)
    return True


@external
def transferFrom(_from: address, _to: address, _value: uint256) -> bool:
    allowed: uint256 = self.allowance[_from][msg.sender]
    if allowed != max_value(uint256):
        self.allowance[_from][msg.sender] = allowed - _value
    self.balanceOf[_from] -= _value
    self.balanceOf[_to] += _value
    log Transfer(sender=_from, receiver=_to, value=_value)
    return True


@external
def approve(_spender: address, _value: uint256) -> bool:
    self.allowance[msg.sender][_spender] = _value
    log Approval(owner=msg.sender, spender=_spender, value=_value)
    return True


# ---------------------------------------- StableSwap math -----------------------------------------

@view
@internal
def _xp_mem(_balances: uint256[N_COINS]) -> uint256[N_COINS]:
    result: uint256[N_COINS] = empty(uint256[N_COINS])
    for k: uint256 in range(N_COINS):
        result[k] = self.rate_multipliers[k] * _balances[k] // PRECISION
    return result


@pure
@internal
def _get_D(_xp: uint256[N_COINS], _amp: uint256) -> uint256:
    """
    @notice D from the invariant by Newton's method:
            D' = (Ann S + n D_P) D / ((Ann - 1) D + (n + 1) D_P), D_P = D^(n+1) / (n^n prod(x_i))
    """
    S: uint256 = 0
    for x: uint256 in _xp:
        S += x
    if S == 0:
        return 0
    D: uint256 = S
    Ann: uint256 = _amp * N_COINS
    for _it: uint256 in range(MAX_ITERATIONS):
        D_P: uint256 = D
        for x: uint256 in _xp:
            D_P = D_P * D // (x * N_COINS)
        D_prev: uint256 = D
        D = (Ann * S + D_P * N_COINS) * D // ((Ann - 1) * D + (N_COINS + 1) * D_P)
        if D > D_prev:
            if D - D_prev <= 1:
                return D
        elif D_prev - D <= 1:
            return D
    raise "D did not converge"


@view
@internal
def _get_y(i: uint256, j: uint256, x: uint256, _xp: uint256[N_COINS]) -> uint256:
    """
    @notice The balance x_j that keeps D when x_i becomes `x`: the quadratic
            y^2 + (S' + D / Ann - D) y = D^(n+1) / (n^n prod' Ann n), solved by Newton's method
            y' = (y^2 + c) / (2 y + b - D), S' and prod' over the coins other than j.
    """
    assert i != j, "same coin"
    assert i < N_COINS and j < N_COINS, "coin index out of range"
    amp: uint256 = self.A
    D: uint256 = self._get_D(_xp, amp)
    Ann: uint256 = amp * N_COINS
    c: uint256 = D
    S_: uint256 = 0
    x_k: uint256 = 0
    for k: uint256 in range(N_COINS):
        if k == i:
            x_k = x
        elif k != j:
            x_k = _xp[k]
        else:
            continue
        S_ += x_k
        c = c * D // (x_k * N_COINS)
    c = c * D // (Ann * N_COINS)
    b: uint256 = S_ + D // Ann
    y: uint256 = D
    for _it: uint256 in range(MAX_ITERATIONS):
        y_prev: uint256 = y
        y = (y * y + c) // (2 * y + b - D)
        if y > y_prev:
            if y - y_prev <= 1:
                return y
        elif y_prev - y <= 1:
            return y
    raise "y did not converge"


@view
@internal
def _dy_and_fee(i: uint256, j: uint256, _dx: uint256, _xp: uint256[N_COINS]) -> (uint256, uint256):
    """
    @notice Output of coin j before the fee and the fee, both in xp (18-decimal) units.
    """
    x: uint256 = _xp[i] + _dx * self.rate_multipliers[i] // PRECISION
    y: uint256 = self._get_y(i, j, x, _xp)
    dy: uint256 = _xp[j] - y - 1  # -1: any rounding error goes to the pool
    return dy, dy * self.fee // FEE_DENOMINATOR


# ---------------------------------------- Swaps ---------------------------------------------------

@view
@external
def get_dy(i: int128, j: int128, dx: uint256) -> uint256:
    """
    @notice Amount of coin j that `exchange(i, j, dx, 0)` would pay now.
    """
    ii: uint256 = convert(i, uint256)
    jj: uint256 = convert(j, uint256)
    dy: uint256 = 0
    dy_fee: uint256 = 0
    dy, dy_fee = self._dy_and_fee(ii, jj, dx, self._xp_mem(self.balances))
    return (dy - dy_fee) * PRECISION // self.rate_multipliers[jj]


@external
@nonreentrant
def exchange(i: int128, j: int128, _dx: uint256, _min_dy: uint256) -> uint256:
    """
    @notice Sell `_dx` of coin i for at least `_min_dy` of coin j; returns the amount of j paid.
    """
    ii: uint256 = convert(i, uint256)
    jj: uint256 = convert(j, uint256)
    old_balances: uint256[N_COINS] = self.balances
    dy: uint256 = 0
    dy_fee: uint256 = 0
    dy, dy_fee = self._dy_and_fee(ii, jj, _dx, self._xp_mem(old_balances))
    rate_j: uint256 = self.rate_multipliers[jj]
    dy_out: uint256 = (dy - dy_fee) * PRECISION // rate_j
    assert dy_out >= _min_dy, "Exchange resulted in fewer coins than expected"
    dy_admin_fee: uint256 = dy_fee * self.admin_fee // FEE_DENOMINATOR
    dy_admin_fee = dy_admin_fee * PRECISION // rate_j

    self.balances[ii] = old_balances[ii] + _dx
    self.balances[jj] = old_balances[jj] - dy_out - dy_admin_fee

    assert extcall IERC20(self.coins[ii]).transferFrom(msg.sender, self, _dx, default_return_value=True)
    assert extcall IERC20(self.coins[jj]).transfer(msg.sender, dy_out, default_return_value=True)
    log TokenExchange(buyer=msg.sender, sold_id=i, tokens_sold=_dx, bought_id=j, tokens_bought=dy_out)
    return dy_out


# ---------------------------------------- Liquidity -----------------------------------------------

@external
@nonreentrant
def add_liquidity(_amounts: uint256[N_COINS], _min_mint_amount: uint256) -> uint256:
    """
    @notice Deposit coins for LP tokens. A deposit off the pool's proportions pays the swap fee
            (scaled by n / (4 (n - 1))) on its distance from them.
    """
    amp: uint256 = self.A
    old_balances: uint256[N_COINS] = self.balances
    D0: uint256 = self._get_D(self._xp_mem(old_balances), amp)
    total_supply: uint256 = self.totalSupply
    new_balances: uint256[N_COINS] = old_balances
    for k: uint256 in range(N_COINS):
        if _amounts[k] > 0:
            assert extcall IERC20(self.coins[k]).transferFrom(
                msg.sender, self, _amounts[k], default_return_value=True
            )
            new_balances[k] += _amounts[k]
        else:
            assert total_supply != 0, "initial deposit requires all coins"
    D1: uint256 = self._get_D(self._xp_mem(new_balances), amp)
    assert D1 > D0, "D must grow"

    fees: uint256[N_COINS] = empty(uint256[N_COINS])
    mint_amount: uint256 = 0
    if total_supply > 0:
        base_fee: uint256 = self.fee * N_COINS // (4 * (N_COINS - 1))
        admin_fee: uint256 = self.admin_fee
        for k: uint256 in range(N_COINS):
            ideal_balance: uint256 = D1 * old_balances[k] // D0
            new_balance: uint256 = new_balances[k]
            difference: uint256 = 0
            if ideal_balance > new_balance:
                difference = ideal_balance - new_balance
            else:
                difference = new_balance - ideal_balance
            fees[k] = base_fee * difference // FEE_DENOMINATOR
            self.balances[k] = new_balance - fees[k] * admin_fee // FEE_DENOMINATOR
            new_balances[k] = new_balance - fees[k]
        D2: uint256 = self._get_D(self._xp_mem(new_balances), amp)
        mint_amount = total_supply * (D2 - D0) // D0
    else:
        self.balances = new_balances
        mint_amount = D1
    assert mint_amount >= _min_mint_amount, "Slippage screwed you"

    total_supply += mint_amount
    self.balanceOf[msg.sender] += mint_amount
    self.totalSupply = total_supply
    log Transfer(sender=empty(address), receiver=msg.sender, value=mint_amount)
    log AddLiquidity(
        provider=msg.sender, token_amounts=_amounts, fees=fees, invariant=D1, token_supply=total_supply
    )
    return mint_amount


@external
@nonreentrant
def remove_liquidity(_amount: uint256, _min_amounts: uint256[N_COINS]) -> uint256[N_COINS]:
    """
    @notice Burn `_amount` LP tokens for the same share of every balance (no fee, no invariant math).
    """
    total_supply: uint256 = self.totalSupply
    amounts: uint256[N_COINS] = empty(uint256[N_COINS])
    for k: uint256 in range(N_COINS):
        old_balance: uint256 = self.balances[k]
        value: uint256 = old_balance * _amount // total_supply
        assert value >= _min_amounts[k], "Withdrawal resulted in fewer coins than expected"
        self.balances[k] = old_balance - value
        amounts[k] = value
    total_supply -= _amount
    self.balanceOf[msg.sender] -= _amount
    self.totalSupply = total_supply
    for k: uint256 in range(N_COINS):
        assert extcall IERC20(self.coins[k]).transfer(msg.sender, amounts[k], default_return_value=True)
    log Transfer(sender=msg.sender, receiver=empty(address), value=_amount)
    log RemoveLiquidity(
        provider=msg.sender, token_amounts=amounts, fees=empty(uint256[N_COINS]), token_supply=total_supply
    )
    return amounts


@view
@external
def admin_balances(i: uint256) -> uint256:
    """
    @notice Admin fees held by the pool in coin i (its token balance beyond `balances(i)`).
    """
    return staticcall IERC20(self.coins[i]).balanceOf(self) - self.balances[i]
