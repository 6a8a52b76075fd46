// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {
    IAavePool, IBalancerVault, ICurvePool, IPoolManager, IUniswapV2Pair, IUniswapV3Pool
} from "./interfaces/IArbProtocols.sol";

/// @title ArbExecutor
/// @notice Borrows one token with a flash loan, runs a cycle of swaps that ends in the same token, repays
///         the loan and keeps the rest. Safe by construction: the last thing `execute` does is require that
///         the contract holds at least `minProfit` more of the loan token than before, so a call either
///         makes money or reverts (the sender pays only gas).
/// @dev Roles: the owner manages funds and roles; the executor (a hot key) may only call `execute`.
///      Flash-loan callbacks are accepted only while our own `execute` is in flight: `execute` writes the
///      expected lender and the hash of the route to transient storage, and each callback requires
///      `msg.sender` to be that lender and its data to hash to that route, then consumes the marker (one
///      callback per loan). The Balancer Vault passes no initiator and anyone may call `flashLoan` naming
///      this contract, so the marker is what stops a stranger from running our callback. A pool's swap
///      callback is paid once per swap, at most the hop's input (`_payPool`). No allowance outlives the
///      call that needs it. After the route, no token it touches may end below its balance before.
///
///      Uniswap V4: a hop swaps inside the PoolManager's `unlock` and settles its own deltas before the
///      next hop (pay what the swap says we owe, at most the hop's input; take what we are owed), so each
///      hop leaves no debt behind and the other kinds' hops around it run unchanged. A hop opens its own
///      `unlock` unless the route already runs inside one of that PoolManager's (the V4 flash loan: take
///      the token, run the route, settle it back, no fee), where it swaps directly: the PoolManager
///      allows one unlock at a time and would refuse a nested one. `unlockCallback` answers only the
///      PoolManager we called, only for the data we handed it, once.
contract ArbExecutor {
    using SafeERC20 for IERC20;

    /// @param kind   0 Balancer Vault `flashLoan`, 1 Aave V3 `flashLoanSimple`, 2 Uniswap V3 (or fork) pool `flash`,
    ///               3 Uniswap V4 PoolManager (`unlock`, `take`, settle back: no fee)
    /// @param lender the Vault, the Aave pool, the V3 pool or the PoolManager lending `token` (an ERC20)
    struct Loan {
        uint8 kind;
        address lender;
        address token;
        uint256 amount;
    }

    /// @param kind   0 Uniswap V2-style pair, 1 Uniswap V3 pool (or a fork: SushiSwap V3, PancakeSwap V3),
    ///               2 Balancer Vault swap, 3 Curve exchange, 4 Uniswap V4 pool
    /// @param pool   the pair / pool (for Balancer: the pool contract, first 20 bytes of `poolId`;
    ///               for V4: the key's hooks address)
    /// @param fee    V2 forks: the swap fee in pips (3000 = 0.3%); V4: the key's fee (with the dynamic
    ///               flag if set); informational for the other kinds
    /// @param poolId Balancer pool id; V4 pool id (the hash of the key the hop builds, checked)
    /// @param i      Curve index of `tokenIn`; V4: the key's tick spacing
    /// @param j      Curve index of `tokenOut`
    /// @param vault  Balancer Vault that holds the pool (kind 2); V4: the PoolManager (kind 4)
    struct Hop {
        uint8 kind;
        address pool;
        address tokenIn;
        address tokenOut;
        uint24 fee;
        bytes32 poolId;
        int128 i;
        int128 j;
        address vault;
    }

    uint8 internal constant LOAN_BALANCER = 0;
    uint8 internal constant LOAN_AAVE_V3 = 1;
    uint8 internal constant LOAN_UNISWAP_V3 = 2;
    uint8 internal constant LOAN_UNISWAP_V4 = 3;

    uint8 internal constant HOP_UNISWAP_V2 = 0;
    uint8 internal constant HOP_UNISWAP_V3 = 1;
    uint8 internal constant HOP_BALANCER = 2;
    uint8 internal constant HOP_CURVE = 3;
    uint8 internal constant HOP_UNISWAP_V4 = 4;

    uint256 internal constant PIPS = 1_000_000;
    // TickMath.MIN_SQRT_RATIO + 1 and MAX_SQRT_RATIO - 1: no price limit, the amount decides.
    uint160 internal constant MIN_SQRT_RATIO_PLUS_ONE = 4295128740;
    uint160 internal constant MAX_SQRT_RATIO_MINUS_ONE = 1461446703485210103287273052203988822378723970341;

    address public owner;
    address public executor;

    // In-flight marker, live only inside `execute` (transient: gone at the end of the transaction anyway).
    address private transient _lender; // the lender we called; non-zero while a loan is in flight
    bytes32 private transient _routeHash; // keccak256(abi.encode(loan, hops, minProfit)); zeroed by the callback
    // The pool we are swapping in right now, the token we owe it and the most we owe: only that pool may
    // call a swap callback, once (the callback consumes `_swapPool` before paying), and never for more
    // than the hop's input.
    address internal transient _swapPool;
    address internal transient _swapTokenIn;
    uint256 internal transient _swapMaxIn;
    // A V4 hop's own unlock: the PoolManager we called and the hash of the data we handed it; only it
    // may call `unlockCallback` with exactly that data, once (the callback consumes the marker).
    address private transient _v4HopManager;
    bytes32 private transient _v4HopHash;
    // The PoolManager whose unlock the route runs inside (the V4 flash loan): its hops swap directly.
    address private transient _v4Unlocked;
    // Two-step ownership: the owner names a successor, who must accept.
    address public pendingOwner;

    event Executed(address indexed token, uint256 amount, uint256 profit);
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);
    event OwnershipTransferStarted(address indexed previousOwner, address indexed newOwner);
    event ExecutorChanged(address indexed previousExecutor, address indexed newExecutor);

    error NotOwner();
    error NotExecutor();
    error ZeroAddress();
    error AlreadyInFlight();
    error NotInFlight();
    error UnexpectedCaller();
    error RouteMismatch();
    error BadInitiator();
    error BadLoan();
    error EmptyRoute();
    error BadHop(uint256 index);
    error LoanNotTaken();
    error InsufficientProfit(uint256 balanceAfter, uint256 required);
    error Overpayment(uint256 owed, uint256 amountIn);
    error BalanceDecreased(address token, uint256 balanceBefore, uint256 balanceAfter);
    error NotPendingOwner();
    error EthTransferFailed();

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner();
        _;
    }

    modifier onlyExecutor() {
        if (msg.sender != executor) revert NotExecutor();
        _;
    }

    constructor(address owner_, address executor_) {
        if (owner_ == address(0) || executor_ == address(0)) revert ZeroAddress();
        owner = owner_;
        executor = executor_;
        emit OwnershipTransferred(address(0), owner_);
        emit ExecutorChanged(address(0), executor_);
    }

    /// @notice Accepts ETH (e.g. from unwrapping WETH); only the owner can take it out.
    receive() external payable {}

    // ------------------------------------------------------------------------------------------------
    // Entry point
    // ------------------------------------------------------------------------------------------------

    /// @notice Borrow `loan.amount` of `loan.token` from `loan.lender`, swap it through `hops` back into
    ///         `loan.token`, repay the loan plus its fee and keep the profit here.
    /// @dev Each hop swaps everything the previous hop produced (measured by balance difference), so the
    ///      route needs no amounts beyond the loan. Reverts with `InsufficientProfit` unless the balance
    ///      of `loan.token` grew by at least `minProfit` after repayment, and with `BalanceDecreased`
    ///      if any other token a hop names ends below its balance before (whatever the hops did).
    /// @return profit the growth of this contract's `loan.token` balance
    function execute(Loan calldata loan, Hop[] calldata hops, uint256 minProfit)
        external
        onlyExecutor
        returns (uint256 profit)
    {
        if (_lender != address(0)) revert AlreadyInFlight();
        if (loan.lender == address(0) || loan.token == address(0) || loan.amount == 0) revert BadLoan();
        if (hops.length == 0) revert EmptyRoute();

        IERC20 token = IERC20(loan.token);
        uint256 balanceBefore = token.balanceOf(address(this));
        bytes memory route = abi.encode(loan, hops, minProfit);
        _lender = loan.lender;
        _routeHash = keccak256(route);

        if (loan.kind == LOAN_BALANCER) {
            address[] memory tokens = new address[](1);
            uint256[] memory amounts = new uint256[](1);
            tokens[0] = loan.token;
            amounts[0] = loan.amount;
            IBalancerVault(loan.lender).flashLoan(address(this), tokens, amounts, route);
        } else if (loan.kind == LOAN_AAVE_V3) {
            IAavePool(loan.lender).flashLoanSimple(address(this), loan.token, loan.amount, route, 0);
            // Aave pulls exactly amount + premium; clear anything a non-standard token left behind.
            if (token.allowance(address(this), loan.lender) != 0) token.forceApprove(loan.lender, 0);
        } else if (loan.kind == LOAN_UNISWAP_V3) {
            IUniswapV3Pool pool = IUniswapV3Pool(loan.lender);
            if (pool.token0() == loan.token) {
                pool.flash(address(this), loan.amount, 0, route);
            } else if (pool.token1() == loan.token) {
                pool.flash(address(this), 0, loan.amount, route);
            } else {
                revert BadLoan();
            }
        } else if (loan.kind == LOAN_UNISWAP_V4) {
            IPoolManager(loan.lender).unlock(route);
        } else {
            revert BadLoan();
        }

        // A lender that returns without calling back has lent nothing and run nothing.
        if (_routeHash != bytes32(0)) revert LoanNotTaken();
        _lender = address(0);

        // The profit invariant, last: the loan and its fee are repaid by now (the other tokens' balances
        // were checked at the end of the hops).
        uint256 balanceAfter = token.balanceOf(address(this));
        uint256 required = balanceBefore + minProfit;
        if (balanceAfter < required) revert InsufficientProfit(balanceAfter, required);
        profit = balanceAfter - balanceBefore;
        emit Executed(loan.token, loan.amount, profit);
    }

    // ------------------------------------------------------------------------------------------------
    // Flash-loan callbacks
    // ------------------------------------------------------------------------------------------------

    /// @notice Balancer V2 Vault callback. The Vault names no initiator: the in-flight marker is the guard.
    function receiveFlashLoan(
        IERC20[] calldata tokens,
        uint256[] calldata amounts,
        uint256[] calldata feeAmounts,
        bytes calldata userData
    ) external {
        (Loan memory loan, Hop[] memory hops) = _enterCallback(userData, LOAN_BALANCER);
        if (tokens.length != 1 || address(tokens[0]) != loan.token || amounts[0] != loan.amount) revert BadLoan();
        _runHops(loan.token, loan.amount, hops);
        // The Vault checks its balance after the callback: repay by transfer.
        IERC20(loan.token).safeTransfer(msg.sender, loan.amount + feeAmounts[0]);
    }

    /// @notice Aave V3 `flashLoanSimple` callback. Aave pulls `amount + premium` after we return.
    function executeOperation(address asset, uint256 amount, uint256 premium, address initiator, bytes calldata params)
        external
        returns (bool)
    {
        (Loan memory loan, Hop[] memory hops) = _enterCallback(params, LOAN_AAVE_V3);
        if (initiator != address(this)) revert BadInitiator();
        if (asset != loan.token || amount != loan.amount) revert BadLoan();
        _runHops(asset, amount, hops);
        IERC20(asset).forceApprove(msg.sender, amount + premium);
        return true;
    }

    /// @notice Uniswap V3 `flash` callback. Only one side was borrowed, so the other side's fee is zero
    ///         and `fee0 + fee1` is the fee on the loan.
    function uniswapV3FlashCallback(uint256 fee0, uint256 fee1, bytes calldata data) external {
        _v3FlashCallback(fee0, fee1, data);
    }

    /// @notice PancakeSwap V3 `flash` callback: the same loan kind and guards as Uniswap V3's.
    function pancakeV3FlashCallback(uint256 fee0, uint256 fee1, bytes calldata data) external {
        _v3FlashCallback(fee0, fee1, data);
    }

    function _v3FlashCallback(uint256 fee0, uint256 fee1, bytes calldata data) private {
        (Loan memory loan, Hop[] memory hops) = _enterCallback(data, LOAN_UNISWAP_V3);
        _runHops(loan.token, loan.amount, hops);
        IERC20(loan.token).safeTransfer(msg.sender, loan.amount + fee0 + fee1);
    }

    /// @notice Uniswap V4 PoolManager callback, for one of two calls of ours: a V4 hop's own `unlock`
    ///         (only the PoolManager the hop named, only with the data the hop handed it, once), or the
    ///         V4 flash loan (the lender and route markers, as for every loan): take the loan, run the
    ///         route inside this unlock, settle the loan back.
    function unlockCallback(bytes calldata data) external returns (bytes memory) {
        address manager = _v4HopManager;
        if (manager != address(0)) {
            if (msg.sender != manager) revert UnexpectedCaller();
            if (keccak256(data) != _v4HopHash) revert RouteMismatch();
            _v4HopManager = address(0); // one callback per hop
            _v4HopHash = bytes32(0);
            (Hop memory hop, uint256 amountIn, uint256 k) = abi.decode(data, (Hop, uint256, uint256));
            _swapV4(hop, amountIn, k);
            return "";
        }
        (Loan memory loan, Hop[] memory hops) = _enterCallback(data, LOAN_UNISWAP_V4);
        IPoolManager pm = IPoolManager(msg.sender);
        _v4Unlocked = msg.sender;
        pm.take(loan.token, address(this), loan.amount);
        _runHops(loan.token, loan.amount, hops);
        _settleV4(pm, loan.token, loan.amount);
        _v4Unlocked = address(0);
        return "";
    }

    /// @notice Uniswap V3 swap callback: pay the pool we are swapping in what it asks of `tokenIn`, once,
    ///         and never more than the hop's input (other tokens held here are not the route's to spend).
    function uniswapV3SwapCallback(int256 amount0Delta, int256 amount1Delta, bytes calldata) external {
        _payPool(amount0Delta > 0 ? uint256(amount0Delta) : uint256(amount1Delta));
    }

    /// @notice PancakeSwap V3's swap callback: the same swap, the same guards (`_payPool`).
    function pancakeV3SwapCallback(int256 amount0Delta, int256 amount1Delta, bytes calldata) external {
        _payPool(amount0Delta > 0 ? uint256(amount0Delta) : uint256(amount1Delta));
    }

    /// @dev The one way a pool's swap callback gets paid (V3 and any fork or V4-style callback to come):
    ///      only the pool of the swap in flight, only once (the marker is consumed before paying, so a
    ///      second ask, for whatever token, from the pool or from anything it calls, is `UnexpectedCaller`),
    ///      only `tokenIn`, at most the hop's input.
    function _payPool(uint256 owed) internal virtual {
        address pool = _swapPool;
        if (pool == address(0) || msg.sender != pool) revert UnexpectedCaller();
        _swapPool = address(0);
        uint256 maxIn = _swapMaxIn;
        if (owed > maxIn) revert Overpayment(owed, maxIn);
        IERC20(_swapTokenIn).safeTransfer(pool, owed);
    }

    /// @dev Check that this callback answers our own loan, consume the marker and decode the route.
    function _enterCallback(bytes calldata data, uint8 kind) private returns (Loan memory loan, Hop[] memory hops) {
        address lender = _lender;
        if (lender == address(0)) revert NotInFlight();
        if (msg.sender != lender) revert UnexpectedCaller();
        if (keccak256(data) != _routeHash) revert RouteMismatch();
        _routeHash = bytes32(0); // one callback per loan
        (loan, hops,) = abi.decode(data, (Loan, Hop[], uint256));
        if (loan.kind != kind) revert BadLoan();
    }

    // ------------------------------------------------------------------------------------------------
    // Swaps
    // ------------------------------------------------------------------------------------------------

    /// @dev Swap `amount` of `token` along `hops`, each hop spending all the previous hop received, then
    ///      the balance invariant: no token a hop names but the loan token may end below its balance
    ///      before the first hop, whatever the hops did (the loan token is `execute`'s profit check).
    function _runHops(address token, uint256 amount, Hop[] memory hops) private {
        uint256 n = hops.length;
        (address[] memory held, uint256[] memory start, uint256[] memory firstOut) = _balancesBefore(token, hops);
        for (uint256 k = 0; k < n; ++k) {
            Hop memory hop = hops[k];
            if (hop.tokenIn != token || hop.tokenOut == token) revert BadHop(k);
            // A token's first appearance as an output: nothing in the route has touched it yet, so its
            // balance is the one recorded up front (if a hop did touch it, the final check still holds).
            uint256 before = firstOut[k] != 0 ? start[firstOut[k] - 1] : _balanceOf(hop.tokenOut);
            _swap(hop, amount, k);
            amount = _balanceOf(hop.tokenOut) - before;
            token = hop.tokenOut;
        }
        if (token != hops[0].tokenIn) revert BadHop(n - 1); // a cycle ends where it started
        for (uint256 m = 0; m < held.length; ++m) {
            uint256 balance = _balanceOf(held[m]);
            if (balance < start[m]) revert BalanceDecreased(held[m], start[m], balance);
        }
    }

    /// @dev Each distinct hop output but the loan token, with this contract's balance now; `firstOut[k]`
    ///      is 1 + its index when hop `k` is that token's first appearance, else 0. Outputs are every
    ///      token the route names: the loop above requires each input to be the loan token or the
    ///      previous output.
    function _balancesBefore(address loanToken, Hop[] memory hops)
        private
        view
        returns (address[] memory tokens, uint256[] memory balances, uint256[] memory firstOut)
    {
        uint256 n = hops.length;
        tokens = new address[](n);
        balances = new uint256[](n);
        firstOut = new uint256[](n);
        uint256 count;
        unchecked {
            for (uint256 k = 0; k < n; ++k) {
                address t = hops[k].tokenOut;
                if (t == loanToken) continue;
                uint256 m = 0;
                while (m < count && tokens[m] != t) ++m;
                if (m < count) continue;
                tokens[count] = t;
                balances[count] = _balanceOf(t);
                firstOut[k] = ++count;
            }
        }
        assembly {
            mstore(tokens, count) // shrink to the distinct tokens found
            mstore(balances, count)
        }
    }

    /// @dev This contract's balance of `token`; the zero address is the native currency (V4's ETH).
    function _balanceOf(address token) private view returns (uint256) {
        return token == address(0) ? address(this).balance : IERC20(token).balanceOf(address(this));
    }

    function _swap(Hop memory hop, uint256 amountIn, uint256 k) private {
        if (hop.kind == HOP_UNISWAP_V2) {
            _swapV2(hop, amountIn, k);
        } else if (hop.kind == HOP_UNISWAP_V3) {
            // A negative amountSpecified would mean "exact output": never let a cast flip the meaning.
            if (amountIn > uint256(type(int256).max)) revert BadHop(k);
            bool zeroForOne = hop.tokenIn < hop.tokenOut;
            _swapPool = hop.pool;
            _swapTokenIn = hop.tokenIn;
            _swapMaxIn = amountIn;
            IUniswapV3Pool(hop.pool).swap(
                address(this),
                zeroForOne,
                int256(amountIn),
                zeroForOne ? MIN_SQRT_RATIO_PLUS_ONE : MAX_SQRT_RATIO_MINUS_ONE,
                ""
            );
            _swapPool = address(0); // a pool that never called back leaves no marker behind
        } else if (hop.kind == HOP_BALANCER) {
            if (hop.vault == address(0) || address(bytes20(hop.poolId)) != hop.pool) revert BadHop(k);
            IERC20 tokenIn = IERC20(hop.tokenIn);
            tokenIn.forceApprove(hop.vault, amountIn);
            IBalancerVault(hop.vault).swap(
                IBalancerVault.SingleSwap(
                    hop.poolId, IBalancerVault.SwapKind.GIVEN_IN, hop.tokenIn, hop.tokenOut, amountIn, ""
                ),
                IBalancerVault.FundManagement(address(this), false, payable(address(this)), false),
                0, // the profit check at the end is the only limit that matters
                block.timestamp
            );
            tokenIn.forceApprove(hop.vault, 0);
        } else if (hop.kind == HOP_CURVE) {
            IERC20 tokenIn = IERC20(hop.tokenIn);
            tokenIn.forceApprove(hop.pool, amountIn);
            ICurvePool(hop.pool).exchange(hop.i, hop.j, amountIn, 0);
            tokenIn.forceApprove(hop.pool, 0);
        } else if (hop.kind == HOP_UNISWAP_V4) {
            if (hop.vault == address(0)) revert BadHop(k);
            if (_v4Unlocked == hop.vault) {
                _swapV4(hop, amountIn, k); // inside that PoolManager's unlock already (our V4 loan)
            } else {
                bytes memory data = abi.encode(hop, amountIn, k);
                _v4HopManager = hop.vault;
                _v4HopHash = keccak256(data);
                IPoolManager(hop.vault).unlock(data);
                if (_v4HopHash != bytes32(0)) revert BadHop(k); // it never called back: nothing swapped
                _v4HopManager = address(0);
            }
        } else {
            revert BadHop(k);
        }
    }

    /// @dev One V4 swap of exactly `amountIn` inside the PoolManager's unlock, then its deltas settled:
    ///      pay what the swap says we owe of `tokenIn` (at most `amountIn`), take all we are owed of
    ///      `tokenOut`. The key is rebuilt from the hop and must hash to its pool id.
    function _swapV4(Hop memory hop, uint256 amountIn, uint256 k) private {
        if (amountIn == 0 || amountIn > uint256(uint128(type(int128).max))) revert BadHop(k);
        if (hop.i <= 0 || hop.i > type(int24).max) revert BadHop(k);
        bool zeroForOne = hop.tokenIn < hop.tokenOut;
        IPoolManager.PoolKey memory key = IPoolManager.PoolKey(
            zeroForOne ? hop.tokenIn : hop.tokenOut,
            zeroForOne ? hop.tokenOut : hop.tokenIn,
            hop.fee,
            int24(hop.i),
            hop.pool
        );
        if (keccak256(abi.encode(key)) != hop.poolId) revert BadHop(k);
        IPoolManager pm = IPoolManager(hop.vault);
        int256 delta = pm.swap(
            key,
            IPoolManager.SwapParams(
                zeroForOne, -int256(amountIn), zeroForOne ? MIN_SQRT_RATIO_PLUS_ONE : MAX_SQRT_RATIO_MINUS_ONE
            ),
            ""
        );
        int128 amount0 = int128(delta >> 128);
        int128 amount1 = int128(delta);
        (int128 deltaIn, int128 deltaOut) = zeroForOne ? (amount0, amount1) : (amount1, amount0);
        if (deltaIn > 0 || deltaOut < 0) revert BadHop(k);
        uint256 owed = uint256(uint128(-deltaIn));
        if (owed > amountIn) revert Overpayment(owed, amountIn);
        _settleV4(pm, hop.tokenIn, owed);
        if (deltaOut > 0) pm.take(hop.tokenOut, address(this), uint256(uint128(deltaOut)));
    }

    /// @dev Pay the PoolManager `amount` of `currency` we owe it: ETH with `settle`, an ERC20 by `sync`,
    ///      transfer, `settle` (the PoolManager credits the balance grown since `sync`).
    function _settleV4(IPoolManager pm, address currency, uint256 amount) private {
        if (amount == 0) return;
        if (currency == address(0)) {
            pm.settle{value: amount}();
        } else {
            pm.sync(currency);
            IERC20(currency).safeTransfer(address(pm), amount);
            pm.settle();
        }
    }

    /// @dev UniswapV2Library.getAmountOut with the fee in pips (3000 pips == 997/1000: the same integer
    ///      result), then the pair's own swap; the pair checks the constant product itself.
    function _swapV2(Hop memory hop, uint256 amountIn, uint256 k) private {
        if (hop.fee >= PIPS) revert BadHop(k);
        IERC20(hop.tokenIn).safeTransfer(hop.pool, amountIn);
        (uint256 reserve0, uint256 reserve1,) = IUniswapV2Pair(hop.pool).getReserves();
        bool zeroForOne = hop.tokenIn < hop.tokenOut;
        (uint256 reserveIn, uint256 reserveOut) = zeroForOne ? (reserve0, reserve1) : (reserve1, reserve0);
        uint256 amountInWithFee = amountIn * (PIPS - hop.fee);
        uint256 amountOut = (amountInWithFee * reserveOut) / (reserveIn * PIPS + amountInWithFee);
        (uint256 amount0Out, uint256 amount1Out) = zeroForOne ? (uint256(0), amountOut) : (amountOut, uint256(0));
        IUniswapV2Pair(hop.pool).swap(amount0Out, amount1Out, address(this), "");
    }

    // ------------------------------------------------------------------------------------------------
    // Owner
    // ------------------------------------------------------------------------------------------------

    function setExecutor(address newExecutor) external onlyOwner {
        if (newExecutor == address(0)) revert ZeroAddress();
        emit ExecutorChanged(executor, newExecutor);
        executor = newExecutor;
    }

    /// @notice Step one of an ownership transfer: name the successor. Nothing changes until it accepts,
    ///         so a mistyped address costs nothing (name another; `address(0)` cancels).
    function transferOwnership(address newOwner) external onlyOwner {
        pendingOwner = newOwner;
        emit OwnershipTransferStarted(owner, newOwner);
    }

    /// @notice Step two: the named successor takes the owner role.
    function acceptOwnership() external {
        if (msg.sender != pendingOwner) revert NotPendingOwner();
        emit OwnershipTransferred(owner, msg.sender);
        owner = msg.sender;
        pendingOwner = address(0);
    }

    /// @notice Take profit (or rescue any token) out of the contract.
    function withdraw(address token, address to, uint256 amount) external onlyOwner {
        if (to == address(0)) revert ZeroAddress();
        IERC20(token).safeTransfer(to, amount);
    }

    function withdrawETH(address payable to, uint256 amount) external onlyOwner {
        if (to == address(0)) revert ZeroAddress();
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert EthTransferFailed();
    }
}
