// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice Test-only: a Balancer IRateProvider whose rate a test sets, like a wrapped token's exchange
///         rate. Composable stable pools cache it and refresh the cache on the first swap after it expires.
contract TestRateProvider {
    uint256 private _rate = 1e18;

    function setRate(uint256 newRate) external {
        _rate = newRate;
    }

    function getRate() external view returns (uint256) {
        return _rate;
    }
}
