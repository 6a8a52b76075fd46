// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice The few protocol entry points ArbExecutor touches, declared as the deployed contracts
///         expose them (mainnet ABIs). Only what is called is declared.

/// @dev Balancer V2 Vault: flash loans and single swaps share one reentrancy lock.
interface IBalancerVault {
    enum SwapKind {
        GIVEN_IN,
        GIVEN_OUT
    }

    struct SingleSwap {
        bytes32 poolId;
        SwapKind kind;
        address assetIn;
        address assetOut;
        uint256 amount;
        bytes userData;
    }

    struct FundManagement {
        address sender;
        bool fromInternalBalance;
        address payable recipient;
        bool toInternalBalance;
    }

    function flashLoan(address recipient, address[] calldata tokens, uint256[] calldata amounts, bytes calldata userData)
        external;

    function swap(SingleSwap calldata singleSwap, FundManagement calldata funds, uint256 limit, uint256 deadline)
        external
        payable
        returns (uint256 amountCalculated);
}

/// @dev Aave V3 Pool: the receiver is called back with `executeOperation` and must let the pool pull
///      `amount + premium` with transferFrom.
interface IAavePool {
    function flashLoanSimple(
        address receiverAddress,
        address asset,
        uint256 amount,
        bytes calldata params,
        uint16 referralCode
    ) external;
}

/// @dev Uniswap V2 pair (and its forks: SushiSwap, ...). Tokens are sorted: token0 < token1.
interface IUniswapV2Pair {
    function getReserves() external view returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast);

    function swap(uint256 amount0Out, uint256 amount1Out, address to, bytes calldata data) external;
}

/// @dev Uniswap V3 pool: `swap` and `flash` both pay out first and call back for payment.
interface IUniswapV3Pool {
    function token0() external view returns (address);

    function token1() external view returns (address);

    function swap(
        address recipient,
        bool zeroForOne,
        int256 amountSpecified,
        uint160 sqrtPriceLimitX96,
        bytes calldata data
    ) external returns (int256 amount0, int256 amount1);

    function flash(address recipient, uint256 amount0, uint256 amount1, bytes calldata data) external;
}

/// @dev Curve StableSwap. Declared without a return value: old pools return nothing, new ones a
///      uint256, and Solidity only checks return data that is declared.
interface ICurvePool {
    function exchange(int128 i, int128 j, uint256 dx, uint256 minDy) external;
}

/// @dev Uniswap V4 PoolManager (v4-core 1.0): every pool in one contract. Swaps and `take` only run
///      inside `unlock`, which calls `unlockCallback` on its caller; the caller's deltas must net to zero
///      by the time the callback returns. `Currency` is an address (zero: the native currency),
///      `BalanceDelta` an int256 packing amount0 (high 128 bits) and amount1 (low 128 bits).
interface IPoolManager {
    struct PoolKey {
        address currency0;
        address currency1;
        uint24 fee;
        int24 tickSpacing;
        address hooks;
    }

    struct SwapParams {
        bool zeroForOne;
        int256 amountSpecified; // negative: exact input
        uint160 sqrtPriceLimitX96;
    }

    function unlock(bytes calldata data) external returns (bytes memory);

    function swap(PoolKey memory key, SwapParams memory params, bytes calldata hookData)
        external
        returns (int256 swapDelta);

    function sync(address currency) external;

    function settle() external payable returns (uint256 paid);

    function take(address currency, address to, uint256 amount) external;
}
