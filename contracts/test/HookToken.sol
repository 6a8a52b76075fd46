// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TestToken} from "../TestToken.sol";

/// @notice Test-only token with a transfer hook (ERC-777 style): after every transfer it calls
///         `onTokenTransfer(from, to, value)` on a receiving contract and ignores the outcome, so plain
///         pools keep working while a contract that wants to can run code inside anyone's transfer.
contract HookToken is TestToken {
    constructor(string memory name_, string memory symbol_, uint8 decimals_) TestToken(name_, symbol_, decimals_) {}

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (from != address(0) && to.code.length != 0) {
            (bool ok,) = to.call(abi.encodeWithSignature("onTokenTransfer(address,address,uint256)", from, to, value));
            ok; // the hook's outcome does not matter to the transfer
        }
    }
}
