// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @notice Never deployed: `eth_call` runs it with a state override, as the code of an address that
///         holds `token` (a pool), to see whether one transfer behaves like a plain ERC-20: the sender
///         loses exactly `amount`, the receiver gains exactly `amount`, and the token calls neither of
///         them (a transfer hook would call a contract receiver or the sender). The receiver is an
///         address given `TransferWitness` code by the same override.
contract TokenProbe {
    bool public called; // set when the token calls the sender (this address) during the transfer

    /// @return sent what the sender's balance fell by
    /// @return received what the receiver's balance grew by
    /// @return senderCalled the token called the sender during the transfer
    /// @return receiverCalled the token called the receiver during the transfer
    function probe(address token, address receiver, uint256 amount)
        external
        returns (uint256 sent, uint256 received, bool senderCalled, bool receiverCalled)
    {
        IERC20 t = IERC20(token);
        uint256 fromBefore = t.balanceOf(address(this));
        uint256 toBefore = t.balanceOf(receiver);
        called = false;
        (bool ok, bytes memory ret) = token.call(abi.encodeCall(IERC20.transfer, (receiver, amount)));
        if (!ok || (ret.length != 0 && !abi.decode(ret, (bool)))) return (0, 0, false, false); // not a plain transfer
        uint256 fromAfter = t.balanceOf(address(this));
        uint256 toAfter = t.balanceOf(receiver);
        sent = fromBefore > fromAfter ? fromBefore - fromAfter : 0;
        received = toAfter > toBefore ? toAfter - toBefore : 0;
        senderCalled = called;
        receiverCalled = TransferWitness(receiver).called();
    }

    fallback() external {
        called = true;
    }
}

/// @notice The receiver in a `TokenProbe` run: records any call made to it.
contract TransferWitness {
    bool public called;

    fallback() external {
        called = true;
    }
}
