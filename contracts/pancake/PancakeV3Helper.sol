// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

interface IPancakeV3PoolActions {
    function token0() external view returns (address);
    function token1() external view returns (address);
    function mint(address recipient, int24 tickLower, int24 tickUpper, uint128 amount, bytes calldata data)
        external
        returns (uint256 amount0, uint256 amount1);
    function swap(address recipient, bool zeroForOne, int256 amountSpecified, uint160 sqrtPriceLimitX96, bytes calldata data)
        external
        returns (int256 amount0, int256 amount1);
}

/// @title Devnet mint and swap helper for PancakeSwap V3 pools (the periphery is not shipped)
/// @notice `mint` adds `liquidity` in [tickLower, tickUpper) for `recipient`; `swap` sells exactly `amountIn`
///         (no price limit) for `recipient`. The pool asks for the tokens in `pancakeV3MintCallback` /
///         `pancakeV3SwapCallback`, which pull them from the caller (approve this helper first). Only the pool
///         of the call in flight is paid, once.
contract PancakeV3Helper {
    using SafeERC20 for IERC20;

    uint160 internal constant MIN_SQRT_RATIO_PLUS_ONE = 4295128740;
    uint160 internal constant MAX_SQRT_RATIO_MINUS_ONE = 1461446703485210103287273052203988822378723970341;

    address private _pool;
    address private _payer;

    error UnexpectedCaller();

    function mint(address pool, address recipient, int24 tickLower, int24 tickUpper, uint128 liquidity)
        external
        returns (uint256 amount0, uint256 amount1)
    {
        _enter(pool);
        (amount0, amount1) = IPancakeV3PoolActions(pool).mint(recipient, tickLower, tickUpper, liquidity, "");
        _exit();
    }

    function swap(address pool, address recipient, bool zeroForOne, uint256 amountIn)
        external
        returns (int256 amount0, int256 amount1)
    {
        _enter(pool);
        uint160 limit = zeroForOne ? MIN_SQRT_RATIO_PLUS_ONE : MAX_SQRT_RATIO_MINUS_ONE;
        (amount0, amount1) = IPancakeV3PoolActions(pool).swap(recipient, zeroForOne, int256(amountIn), limit, "");
        _exit();
    }

    function pancakeV3MintCallback(uint256 amount0Owed, uint256 amount1Owed, bytes calldata) external {
        _pay(amount0Owed, amount1Owed);
    }

    function pancakeV3SwapCallback(int256 amount0Delta, int256 amount1Delta, bytes calldata) external {
        _pay(amount0Delta > 0 ? uint256(amount0Delta) : 0, amount1Delta > 0 ? uint256(amount1Delta) : 0);
    }

    function _enter(address pool) private {
        _pool = pool;
        _payer = msg.sender;
    }

    function _exit() private {
        _pool = address(0);
        _payer = address(0);
    }

    function _pay(uint256 amount0, uint256 amount1) private {
        address pool = _pool;
        if (pool == address(0) || msg.sender != pool) revert UnexpectedCaller();
        _pool = address(0);
        if (amount0 > 0) IERC20(IPancakeV3PoolActions(pool).token0()).safeTransferFrom(_payer, pool, amount0);
        if (amount1 > 0) IERC20(IPancakeV3PoolActions(pool).token1()).safeTransferFrom(_payer, pool, amount1);
    }
}
