// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// Uniswap V4 hooks for the devnet. The PoolManager reads a hook's permissions from the low 14 bits of
// its address, so these are deployed through CREATE2 at a mined salt. The ABI shapes below equal V4's
// PoolKey / SwapParams (Currency and IHooks are addresses, BalanceDelta and BeforeSwapDelta int256).

struct V4PoolKey {
    address currency0;
    address currency1;
    uint24 fee;
    int24 tickSpacing;
    address hooks;
}

struct V4SwapParams {
    bool zeroForOne;
    int256 amountSpecified;
    uint160 sqrtPriceLimitX96;
}

interface IV4DynamicFee {
    function updateDynamicLPFee(V4PoolKey calldata key, uint24 newDynamicLPFee) external;
}

/// Watches swaps and changes nothing: deployed where the address grants only afterSwap (no return
/// delta), so the PoolManager ignores anything but the selector it returns. The owner may set the LP
/// fee of a dynamic-fee pool that names this hook (it is stored in the pool's slot0).
contract V4ObserverHook {
    address public immutable poolManager;
    address public immutable owner;
    uint256 public swapsSeen;

    constructor(address manager, address owner_) {
        poolManager = manager;
        owner = owner_;
    }

    function afterSwap(address, V4PoolKey calldata, V4SwapParams calldata, int256, bytes calldata)
        external
        returns (bytes4, int128)
    {
        require(msg.sender == poolManager, "not the pool manager");
        swapsSeen += 1;
        return (this.afterSwap.selector, 0);
    }

    function setDynamicFee(V4PoolKey calldata key, uint24 fee) external {
        require(msg.sender == owner, "not the owner");
        IV4DynamicFee(poolManager).updateDynamicLPFee(key, fee);
    }
}

/// Deployed where the address grants beforeSwap with a return delta: a hook that could change any swap
/// (this one returns a zero delta, but nothing outside its code says so), the kind we refuse to price.
contract V4DeltaHook {
    address public immutable poolManager;

    constructor(address manager) {
        poolManager = manager;
    }

    function beforeSwap(address, V4PoolKey calldata, V4SwapParams calldata, bytes calldata)
        external
        view
        returns (bytes4, int256, uint24)
    {
        require(msg.sender == poolManager, "not the pool manager");
        return (this.beforeSwap.selector, 0, 0);
    }
}
