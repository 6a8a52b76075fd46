# pragma version ~=0.4.3
# pragma evm-version cancun
# pragma optimize gas
"""
@title CurveStableSwapNG
@notice mevcli's devnet stableswap-ng-style plain pool: the interface and the behaviour Curve documents
        for its stableswap-ng plain pools (2 to 8 coins, A with A_PRECISION = 100 and ramps, stored
        rates, the dynamic "off-peg" fee, admin fees kept in `admin_balances`, `exchange_received`,
        dynamic-array liquidity events). Plain ERC20 coins only (no rate oracles, no rebasing coins,
        no moving-average price oracles). The pool is its own LP token. Devnet only.
@dev    Invariant: A n^n sum(x_i) + D = A D n^n + D^(n+1) / (n^n prod(x_i)), with A stored times
        A_PRECISION. xp = balance * rate // 1e18, rate = 10**(36 - decimals).
        Dynamic fee of a swap between i and j, at the mean of each coin's balance before and after:
        fee * m / ((m - 1) * 4 xpi xpj / (xpi + xpj)^2 + 1), m = offpeg_fee_multiplier / 1e10 (> 1).
"""

from ethereum.ercs import IERC20
from ethereum.ercs import IERC20Detailed

MAX_COINS: constant(uint256) = 8
PRECISION: constant(uint256) = 10**18
FEE_DENOMINATOR: constant(uint256) = 10**10
MAX_FEE: constant(uint256) = 5 * 10**9
A_PRECISION: constant(uint256) = 100
MAX_A: constant(uint256) = 10**6
MAX_A_CHANGE: constant(uint256) = 10
MIN_RAMP_TIME: constant(uint256) = 86400
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
    token_amounts: DynArray[uint256, MAX_COINS]
    fees: DynArray[uint256, MAX_COINS]
    invariant: uint256
    token_supply: uint256

event RemoveLiquidity:
    provider: indexed(address)
    token_amounts: DynArray[uint256, MAX_COINS]
    fees: DynArray[uint256, MAX_COINS]
    token_supply: uint256

event RampA:
    old_A: uint256
    new_A: uint256
    initial_time: uint256
    future_time: uint256

event StopRampA:
    A: uint256
    t: uint256

event ApplyNewFee:
    fee: uint256
    offpeg_fee_multiplier: uint256


N_COINS: public(immutable(uint256))
coins: public(immutable(DynArray[address, MAX_COINS]))
rate_multipliers: immutable(DynArray[uint256, MAX_COINS])
owner: public(immutable(address))

stored_balances: DynArray[uint256, MAX_COINS]
admin_balances: public(DynArray[uint256, MAX_COINS])
fee: public(uint256)
offpeg_fee_multiplier: public(uint256)
admin_fee: public(constant(uint256)) = 5000000000

initial_A: public(uint256)
future_A: public(uint256)
initial_A_time: public(uint256)
future_A_time: public(uint256)

name: public(String[64])
symbol: public(String[32])
decimals: public(constant(uint8)) = 18
totalSupply: public(uint256)
balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])


@deploy
def __init__(
    _coins: DynArray[address, MAX_COINS],
    _A: uint256,
    _fee: uint256,
    _offpeg_fee_multiplier: uint256,
    _name: String[64],
    _symbol: String[32],
):
    n: uint256 = len(_coins)
    assert n >= 2, "at least two coins"
    assert _A > 0 and _A <= MAX_A, "A out of range"
    assert _fee <= MAX_FEE, "fee too high"
    assert _offpeg_fee_multiplier * _fee <= MAX_FEE * FEE_DENOMINATOR, "offpeg multiplier too high"
    rates: DynArray[uint256, MAX_COINS] = []
    for k: uint256 in range(MAX_COINS):
        if k == n:
            break
        assert _coins[k] != empty(address), "zero coin"
        for m: uint256 in range(MAX_COINS):
            if m == k:
                break
            assert _coins[m] != _coins[k], "duplicate coin"
        coin_decimals: uint256 = convert(staticcall IERC20Detailed(_coins[k]).decimals(), uint256)
        assert coin_decimals <= 18, "more than 18 decimals"
        rates.append(10 ** (36 - coin_decimals))
        self.stored_balances.append(0)
        self.admin_balances.append(0)
    N_COINS = n
    coins = _coins
    rate_multipliers = rates
    owner = msg.sender
    self.initial_A = _A * A_PRECISION
    self.future_A = _A * A_PRECISION
    self.fee = _fee
    self.offpeg_fee_multiplier = _offpeg_fee_multiplier
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


# ---------------------------------------- State getters -------------------------------------------

@view
@internal
def _A() -> uint256:
    """
    @notice A times A_PRECISION, moving linearly from initial_A to future_A during a ramp.
    """
    t1: uint256 = self.future_A_time
    A1: uint256 = self.future_A
    if block.timestamp < t1:
        A0: uint256 = self.initial_A
        t0: uint256 = self.initial_A_time
        if A1 > A0:
            return A0 + (A1 - A0) * (block.timestamp - t0) // (t1 - t0)
        return A0 - (A0 - A1) * (block.timestamp - t0) // (t1 - t0)
    return A1


@view
@external
def A() -> uint256:
    return self._A() // A_PRECISION


@view
@external
def A_precise() -> uint256:
    return self._A()


@view
@internal
def _balances() -> DynArray[uint256, MAX_COINS]:
    """
    @notice The coins the LPs own: what the pool holds less the admin's fees.
    """
    result: DynArray[uint256, MAX_COINS] = []
    for k: uint256 in range(MAX_COINS):
        if k == N_COINS:
            break
        result.append(self.stored_balances[k] - self.admin_balances[k])
    return result


@view
@external
def balances(i: uint256) -> uint256:
    return self._balances()[i]


@view
@external
def get_balances() -> DynArray[uint256, MAX_COINS]:
    return self._balances()


@view
@external
def stored_rates() -> DynArray[uint256, MAX_COINS]:
    return rate_multipliers


# ---------------------------------------- StableSwap math -----------------------------------------

@view
@internal
def _xp_mem(_balances: DynArray[uint256, MAX_COINS]) -> DynArray[uint256, MAX_COINS]:
    result: DynArray[uint256, MAX_COINS] = []
    for k: uint256 in range(MAX_COINS):
        if k == N_COINS:
            break
        result.append(rate_multipliers[k] * _balances[k] // PRECISION)
    return result


@view
@internal
def _get_D(_xp: DynArray[uint256, MAX_COINS], _amp: uint256) -> uint256:
    """
    @notice D by Newton's method, D_P = D^(n+1) / prod(x_i) / n^n:
            D' = (Ann S / A_PRECISION + n D_P) D / ((Ann - A_PRECISION) D / A_PRECISION + (n + 1) D_P)
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
            D_P = D_P * D // x
        D_P //= pow_mod256(N_COINS, N_COINS)  # at most 8**8: no overflow
        D_prev: uint256 = D
        D = (Ann * S // A_PRECISION + D_P * N_COINS) * D // (
            (Ann - A_PRECISION) * D // A_PRECISION + (N_COINS + 1) * D_P
        )
        if D > D_prev:
            if D - D_prev <= 1:
                return D
        elif D_prev - D <= 1:
            return D
    raise "D did not converge"


@view
@internal
def _get_y(
    i: uint256, j: uint256, x: uint256, _xp: DynArray[uint256, MAX_COINS], _amp: uint256, _D: uint256
) -> uint256:
    """
    @notice The balance x_j that keeps D when x_i becomes `x`, by Newton's method on
            y^2 + (S' + D A_PRECISION / Ann - D) y = c, y' = (y^2 + c) / (2 y + b - D).
    """
    assert i != j, "same coin"
    assert i < N_COINS and j < N_COINS, "coin index out of range"
    Ann: uint256 = _amp * N_COINS
    c: uint256 = _D
    S_: uint256 = 0
    x_k: uint256 = 0
    for k: uint256 in range(MAX_COINS):
        if k == N_COINS:
            break
        if k == i:
            x_k = x
        elif k != j:
            x_k = _xp[k]
        else:
            continue
        S_ += x_k
        c = c * _D // (x_k * N_COINS)
    c = c * _D * A_PRECISION // (Ann * N_COINS)
    b: uint256 = S_ + _D * A_PRECISION // Ann
    y: uint256 = _D
    for _it: uint256 in range(MAX_ITERATIONS):
        y_prev: uint256 = y
        y = (y * y + c) // (2 * y + b - _D)
        if y > y_prev:
            if y - y_prev <= 1:
                return y
        elif y_prev - y <= 1:
            return y
    raise "y did not converge"


@view
@internal
def _dynamic_fee(xpi: uint256, xpj: uint256, _fee: uint256) -> uint256:
    """
    @notice The fee raised as the pair moves off peg; the base fee while the multiplier is at most 1.
    """
    m: uint256 = self.offpeg_fee_multiplier
    if m <= FEE_DENOMINATOR:
        return _fee
    xps2: uint256 = (xpi + xpj) ** 2
    return m * _fee // ((m - FEE_DENOMINATOR) * 4 * xpi * xpj // xps2 + FEE_DENOMINATOR)


@view
@internal
def _swap(i: uint256, j: uint256, dx: uint256, xp: DynArray[uint256, MAX_COINS]) -> (uint256, uint256):
    """
    @notice (amount of coin j out, fee in xp units) for `dx` of coin i.
    """
    amp: uint256 = self._A()
    D: uint256 = self._get_D(xp, amp)
    x: uint256 = xp[i] + dx * rate_multipliers[i] // PRECISION
    y: uint256 = self._get_y(i, j, x, xp, amp, D)
    dy: uint256 = xp[j] - y - 1  # -1: any rounding error goes to the pool
    dy_fee: uint256 = dy * self._dynamic_fee((xp[i] + x) // 2, (xp[j] + y) // 2, self.fee) // FEE_DENOMINATOR
    return (dy - dy_fee) * PRECISION // rate_multipliers[j], dy_fee


# ---------------------------------------- Swaps ---------------------------------------------------

@view
@external
def get_dy(i: int128, j: int128, dx: uint256) -> uint256:
    """
    @notice Amount of coin j that `exchange(i, j, dx, 0)` would pay now.
    """
    out: uint256 = 0
    dy_fee: uint256 = 0
    out, dy_fee = self._swap(convert(i, uint256), convert(j, uint256), dx, self._xp_mem(self._balances()))
    return out


@view
@external
def dynamic_fee(i: int128, j: int128) -> uint256:
    """
    @notice The fee a tiny swap between coins i and j pays now (1e10 precision).
    """
    xp: DynArray[uint256, MAX_COINS] = self._xp_mem(self._balances())
    return self._dynamic_fee(xp[convert(i, uint256)], xp[convert(j, uint256)], self.fee)


@internal
def _exchange(i: int128, j: int128, _dx: uint256, _min_dy: uint256, receiver: address, received: bool) -> uint256:
    assert i != j, "same coin"
    assert receiver != empty(address), "zero receiver"
    ii: uint256 = convert(i, uint256)
    jj: uint256 = convert(j, uint256)
    xp: DynArray[uint256, MAX_COINS] = self._xp_mem(self._balances())
    dx: uint256 = 0
    if received:
        dx = staticcall IERC20(coins[ii]).balanceOf(self) - self.stored_balances[ii]
        assert dx >= _dx, "not received"
    else:
        assert _dx > 0, "zero amount"
        assert extcall IERC20(coins[ii]).transferFrom(msg.sender, self, _dx, default_return_value=True)
        dx = _dx
    self.stored_balances[ii] += dx

    dy: uint256 = 0
    dy_fee: uint256 = 0
    dy, dy_fee = self._swap(ii, jj, dx, xp)
    assert dy >= _min_dy, "Exchange resulted in fewer coins than expected"
    self.admin_balances[jj] += dy_fee * admin_fee // FEE_DENOMINATOR * PRECISION // rate_multipliers[jj]

    self.stored_balances[jj] -= dy
    assert extcall IERC20(coins[jj]).transfer(receiver, dy, default_return_value=True)
    log TokenExchange(buyer=msg.sender, sold_id=i, tokens_sold=dx, bought_id=j, tokens_bought=dy)
    return dy


@external
@nonreentrant
def exchange(i: int128, j: int128, _dx: uint256, _min_dy: uint256, _receiver: address = msg.sender) -> uint256:
    """
    @notice Sell `_dx` of coin i (pulled with transferFrom) for at least `_min_dy` of coin j.
    """
    return self._exchange(i, j, _dx, _min_dy, _receiver, False)


@external
@nonreentrant
def exchange_received(
    i: int128, j: int128, _dx: uint256, _min_dy: uint256, _receiver: address = msg.sender
) -> uint256:
    """
    @notice Sell the coin i already sent to the pool (at least `_dx`) for at least `_min_dy` of coin j.
    """
    return self._exchange(i, j, _dx, _min_dy, _receiver, True)


# ---------------------------------------- Liquidity -----------------------------------------------

@external
@nonreentrant
def add_liquidity(_amounts: DynArray[uint256, MAX_COINS], _min_mint_amount: uint256) -> uint256:
    """
    @notice Deposit coins for LP tokens. A deposit off the pool's proportions pays the dynamic fee
            (base fee scaled by n / (4 (n - 1))) on each coin's distance from them.
    """
    assert len(_amounts) == N_COINS, "one amount per coin"
    amp: uint256 = self._A()
    old_balances: DynArray[uint256, MAX_COINS] = self._balances()
    D0: uint256 = self._get_D(self._xp_mem(old_balances), amp)
    total_supply: uint256 = self.totalSupply
    new_balances: DynArray[uint256, MAX_COINS] = old_balances
    for k: uint256 in range(MAX_COINS):
        if k == N_COINS:
            break
        if _amounts[k] > 0:
            assert extcall IERC20(coins[k]).transferFrom(msg.sender, self, _amounts[k], default_return_value=True)
            self.stored_balances[k] += _amounts[k]
            new_balances[k] += _amounts[k]
        else:
            assert total_supply != 0, "initial deposit requires all coins"
    D1: uint256 = self._get_D(self._xp_mem(new_balances), amp)
    assert D1 > D0, "D must grow"

    fees: DynArray[uint256, MAX_COINS] = []
    mint_amount: uint256 = 0
    if total_supply > 0:
        base_fee: uint256 = self.fee * N_COINS // (4 * (N_COINS - 1))
        ys: uint256 = (D0 + D1) // N_COINS
        for k: uint256 in range(MAX_COINS):
            if k == N_COINS:
                break
            ideal_balance: uint256 = D1 * old_balances[k] // D0
            new_balance: uint256 = new_balances[k]
            difference: uint256 = 0
            if ideal_balance > new_balance:
                difference = ideal_balance - new_balance
            else:
                difference = new_balance - ideal_balance
            xs: uint256 = rate_multipliers[k] * (old_balances[k] + new_balance) // PRECISION
            fees.append(self._dynamic_fee(xs, ys, base_fee) * difference // FEE_DENOMINATOR)
            self.admin_balances[k] += fees[k] * admin_fee // FEE_DENOMINATOR
            new_balances[k] -= fees[k]
        D1 = self._get_D(self._xp_mem(new_balances), amp)
        mint_amount = total_supply * (D1 - D0) // D0
    else:
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
def remove_liquidity(
    _burn_amount: uint256, _min_amounts: DynArray[uint256, MAX_COINS]
) -> DynArray[uint256, MAX_COINS]:
    """
    @notice Burn `_burn_amount` LP tokens for the same share of every balance (no fee).
    """
    assert _burn_amount > 0, "zero burn"
    assert len(_min_amounts) == N_COINS, "one amount per coin"
    total_supply: uint256 = self.totalSupply
    balances: DynArray[uint256, MAX_COINS] = self._balances()
    amounts: DynArray[uint256, MAX_COINS] = []
    for k: uint256 in range(MAX_COINS):
        if k == N_COINS:
            break
        value: uint256 = balances[k] * _burn_amount // total_supply
        assert value >= _min_amounts[k], "Withdrawal resulted in fewer coins than expected"
        amounts.append(value)
        self.stored_balances[k] -= value
        assert extcall IERC20(coins[k]).transfer(msg.sender, value, default_return_value=True)
    self.balanceOf[msg.sender] -= _burn_amount
    self.totalSupply = total_supply - _burn_amount
    log Transfer(sender=msg.sender, receiver=empty(address), value=_burn_amount)
    log RemoveLiquidity(
        provider=msg.sender,
        token_amounts=amounts,
        fees=empty(DynArray[uint256, MAX_COINS]),
        token_supply=total_supply - _burn_amount,
    )
    return amounts


# ---------------------------------------- Admin ---------------------------------------------------

@external
def ramp_A(_future_A: uint256, _future_time: uint256):
    """
    @notice Move A linearly to `_future_A` by `_future_time` (owner only, at least a day, at most 10x).
    """
    assert msg.sender == owner, "owner only"
    assert block.timestamp >= self.initial_A_time + MIN_RAMP_TIME, "ramp too soon"
    assert _future_time >= block.timestamp + MIN_RAMP_TIME, "ramp too short"
    initial: uint256 = self._A()
    future: uint256 = _future_A * A_PRECISION
    assert _future_A > 0 and _future_A < MAX_A, "A out of range"
    if future < initial:
        assert future * MAX_A_CHANGE >= initial, "A falls too far"
    else:
        assert future <= initial * MAX_A_CHANGE, "A rises too far"
    self.initial_A = initial
    self.future_A = future
    self.initial_A_time = block.timestamp
    self.future_A_time = _future_time
    log RampA(old_A=initial, new_A=future, initial_time=block.timestamp, future_time=_future_time)


@external
def stop_ramp_A():
    assert msg.sender == owner, "owner only"
    current: uint256 = self._A()
    self.initial_A = current
    self.future_A = current
    self.initial_A_time = block.timestamp
    self.future_A_time = block.timestamp
    log StopRampA(A=current, t=block.timestamp)


@external
def set_new_fee(_new_fee: uint256, _new_offpeg_fee_multiplier: uint256):
    assert msg.sender == owner, "owner only"
    assert _new_fee <= MAX_FEE, "fee too high"
    assert _new_offpeg_fee_multiplier * _new_fee <= MAX_FEE * FEE_DENOMINATOR, "offpeg multiplier too high"
    self.fee = _new_fee
    self.offpeg_fee_multiplier = _new_offpeg_fee_multiplier
    log ApplyNewFee(fee=_new_fee, offpeg_fee_multiplier=_new_offpeg_fee_multiplier)
