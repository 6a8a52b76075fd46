// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Devnet pool deployer for the real PancakeSwap V3 factory and pool bytecode
/// @notice PancakeSwap V3 splits pool creation out of the factory: the factory calls `deploy`, which sets
///         `parameters` for the pool's constructor to read back and CREATE2s the pool with salt
///         keccak256(abi.encode(token0, token1, fee)). Pool addresses therefore derive from this contract,
///         not from the factory. The pool's creation code is the runtime code of `poolCode` (a plain data
///         contract holding the npm artifact's bytecode), copied in at each deployment.
contract PancakeV3PoolDeployer {
    struct Parameters {
        address factory;
        address token0;
        address token1;
        uint24 fee;
        int24 tickSpacing;
    }

    /// @notice Read by the pool's constructor; cleared once the pool exists.
    Parameters public parameters;

    address public immutable poolCode;
    address public factoryAddress;
    address private immutable _owner;

    event SetFactoryAddress(address indexed factory);

    error OnlyOwner();
    error OnlyFactory();
    error AlreadyInitialized();
    error DeployFailed();

    constructor(address poolCode_) {
        poolCode = poolCode_;
        _owner = msg.sender;
    }

    /// @notice Name the factory allowed to deploy pools; once.
    function setFactoryAddress(address factory) external {
        if (msg.sender != _owner) revert OnlyOwner();
        if (factoryAddress != address(0)) revert AlreadyInitialized();
        factoryAddress = factory;
        emit SetFactoryAddress(factory);
    }

    /// @notice Deploy a pool for `factory`; only the factory named by `setFactoryAddress` may call.
    function deploy(address factory, address token0, address token1, uint24 fee, int24 tickSpacing)
        external
        returns (address pool)
    {
        if (msg.sender != factoryAddress) revert OnlyFactory();
        parameters = Parameters(factory, token0, token1, fee, tickSpacing);
        address source = poolCode;
        bytes32 salt = keccak256(abi.encode(token0, token1, fee));
        assembly {
            let size := extcodesize(source)
            let ptr := mload(0x40)
            extcodecopy(source, ptr, 0, size)
            pool := create2(0, ptr, size, salt)
        }
        if (pool == address(0)) revert DeployFailed();
        delete parameters;
    }
}
