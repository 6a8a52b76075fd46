// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

interface IPancakeV3FactoryLookup {
    function getPool(address tokenA, address tokenB, uint24 fee) external view returns (address);
}

interface IPancakeV3PoolQuote {
    function slot0()
        external
        view
        returns (uint160 sqrtPriceX96, int24 tick, uint16, uint16, uint16, uint32 feeProtocol, bool unlocked);
    function swap(address recipient, bool zeroForOne, int256 amountSpecified, uint160 sqrtPriceLimitX96, bytes calldata data)
        external
        returns (int256 amount0, int256 amount1);
}

/// @title Devnet quoter for PancakeSwap V3 pools (the periphery is not shipped)
/// @notice Quotes an exact-input single-pool swap the way QuoterV2 does: start the real swap, and in
///         `pancakeV3SwapCallback` revert with what it produced, so nothing is ever paid. Takes QuoterV2's
///         `quoteExactInputSingle` parameters; returns the amount out, the pool's price and tick after.
///         Reverts `PartialFill` when the pool cannot take the whole input (the limit or the liquidity ran out).
///         Call it with eth_call.
contract PancakeV3Quoter {
    struct QuoteExactInputSingleParams {
        address tokenIn;
        address tokenOut;
        uint256 amountIn;
        uint24 fee;
        uint160 sqrtPriceLimitX96;
    }

    uint160 internal constant MIN_SQRT_RATIO_PLUS_ONE = 4295128740;
    uint160 internal constant MAX_SQRT_RATIO_MINUS_ONE = 1461446703485210103287273052203988822378723970341;

    address public immutable factory;
    address private _pool;

    error UnknownPool();
    error UnexpectedCaller();
    error PartialFill(uint256 amountIn, uint256 amountTaken);

    constructor(address factory_) {
        factory = factory_;
    }

    function quoteExactInputSingle(QuoteExactInputSingleParams memory params)
        external
        returns (uint256 amountOut, uint160 sqrtPriceX96After, int24 tickAfter)
    {
        address pool = IPancakeV3FactoryLookup(factory).getPool(params.tokenIn, params.tokenOut, params.fee);
        if (pool == address(0)) revert UnknownPool();
        bool zeroForOne = params.tokenIn < params.tokenOut;
        uint160 limit = params.sqrtPriceLimitX96;
        if (limit == 0) limit = zeroForOne ? MIN_SQRT_RATIO_PLUS_ONE : MAX_SQRT_RATIO_MINUS_ONE;
        _pool = pool;
        try IPancakeV3PoolQuote(pool).swap(address(this), zeroForOne, int256(params.amountIn), limit, "") {
            revert UnexpectedCaller(); // a pool that returns without calling back quoted nothing
        } catch (bytes memory reason) {
            if (reason.length != 128) {
                assembly {
                    revert(add(reason, 32), mload(reason))
                }
            }
            uint256 taken;
            (amountOut, sqrtPriceX96After, tickAfter, taken) = abi.decode(reason, (uint256, uint160, int24, uint256));
            if (taken != params.amountIn) revert PartialFill(params.amountIn, taken);
        }
        _pool = address(0);
    }

    /// @notice Reverts with (amountOut, sqrtPriceX96After, tickAfter, amountIn taken): the quote.
    function pancakeV3SwapCallback(int256 amount0Delta, int256 amount1Delta, bytes calldata) external view {
        if (_pool == address(0) || msg.sender != _pool) revert UnexpectedCaller();
        (uint256 taken, uint256 out) = amount0Delta > 0
            ? (uint256(amount0Delta), uint256(-amount1Delta))
            : (uint256(amount1Delta), uint256(-amount0Delta));
        (uint160 sqrtPriceX96, int24 tick,,,,,) = IPancakeV3PoolQuote(msg.sender).slot0();
        bytes memory result = abi.encode(out, sqrtPriceX96, tick, taken);
        assembly {
            revert(add(result, 32), 128)
        }
    }
}
