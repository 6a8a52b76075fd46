// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {ArbExecutor} from "../ArbExecutor.sol";

/// @notice Test-only ArbExecutor whose swap callback pays the pool in flight as often as it asks (the
///         marker is never consumed), the flaw a repeated-callback drain exploits. It shows that the
///         balance invariant at the end of `execute` catches a drain on its own. Never deploy.
contract LeakyExecutor is ArbExecutor {
    using SafeERC20 for IERC20;

    address private transient _leakPool;
    address private transient _leakToken;
    uint256 private transient _leakMax;

    constructor(address owner_, address executor_) ArbExecutor(owner_, executor_) {}

    /// @dev The first ask consumes the real marker; every later ask from the same pool is paid too.
    function _payPool(uint256 owed) internal override {
        if (msg.sender == _leakPool) {
            if (owed > _leakMax) revert Overpayment(owed, _leakMax);
            IERC20(_leakToken).safeTransfer(msg.sender, owed);
            return;
        }
        _leakPool = msg.sender;
        _leakToken = _swapTokenIn;
        _leakMax = _swapMaxIn;
        super._payPool(owed);
    }
}
