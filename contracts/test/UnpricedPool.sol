// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

interface IVaultRegistry {
    function registerPool(uint8 specialization) external returns (bytes32);
}

/// @notice Test-only: a pool the Balancer Vault registers and vouches for (getVault, getPoolId), but of a
///         kind our math does not cover (no getNormalizedWeights). Discovery must skip it, not fail on it.
contract UnpricedPool {
    address public immutable vault;
    bytes32 public immutable poolId;

    constructor(address vault_) {
        vault = vault_;
        poolId = IVaultRegistry(vault_).registerPool(0); // GENERAL specialization
    }

    function getVault() external view returns (address) {
        return vault;
    }

    function getPoolId() external view returns (bytes32) {
        return poolId;
    }
}
