// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IPoolManager} from "../interfaces/IArbProtocols.sol";

/// @notice Test-only: forwards a call and bubbles up its revert, to act as "some other address".
contract Relay {
    function forward(address target, bytes calldata data) external returns (bytes memory ret) {
        bool ok;
        (ok, ret) = target.call(data);
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
    }
}

/// @notice Test-only counterparty that misbehaves toward ArbExecutor while a loan of ours is in flight:
///         it is shaped like a Balancer Vault, an Aave pool, a Uniswap V3 pool (flash and swap) and a
///         Uniswap V4 PoolManager (unlock, swap, sync, settle, take), lends nothing, and answers with a
///         forged callback chosen by `mode`. Never deploy outside a devnet.
contract RogueLender {
    enum Mode {
        ForgedData, // call back with route data that is not ours -> RouteMismatch (swap: ask directly)
        OtherCaller, // call back from another address -> UnexpectedCaller
        WrongInitiator, // Aave callback naming another initiator -> BadInitiator
        NoCallback, // return without calling back -> LoanNotTaken
        Reenter, // V4 swap: call unlockCallback again from inside the swap -> UnexpectedCaller
        Overcharge // V4 swap: say the hop owes one wei more than its input -> Overpayment
    }

    bytes private _unlockData;

    Mode public mode;
    address public token0;
    address public token1;
    Relay public immutable relay;

    constructor() {
        relay = new Relay();
    }

    function configure(Mode mode_, address token0_, address token1_) external {
        mode = mode_;
        token0 = token0_;
        token1 = token1_;
    }

    function flashLoan(address recipient, address[] calldata tokens, uint256[] calldata amounts, bytes calldata data)
        external
    {
        uint256[] memory fees = new uint256[](tokens.length);
        _callBack(
            recipient,
            abi.encodeWithSignature(
                "receiveFlashLoan(address[],uint256[],uint256[],bytes)", tokens, amounts, fees, _data(data)
            )
        );
    }

    function flashLoanSimple(address receiver, address asset, uint256 amount, bytes calldata data, uint16)
        external
    {
        address initiator = mode == Mode.WrongInitiator ? address(this) : msg.sender;
        _callBack(
            receiver,
            abi.encodeWithSignature(
                "executeOperation(address,uint256,uint256,address,bytes)", asset, amount, 0, initiator, _data(data)
            )
        );
    }

    function flash(address recipient, uint256, uint256, bytes calldata data) external {
        _callBack(recipient, abi.encodeWithSignature("uniswapV3FlashCallback(uint256,uint256,bytes)", 0, 0, _data(data)));
    }

    /// @dev As a V3 hop: ask for one wei more than the input (OtherCaller: ask through the relay instead).
    function swap(address, bool, int256 amountSpecified, uint160, bytes calldata)
        external
        returns (int256, int256)
    {
        bytes memory ask =
            abi.encodeWithSignature("uniswapV3SwapCallback(int256,int256,bytes)", amountSpecified + 1, 0, "");
        _callBack(msg.sender, ask);
        return (amountSpecified + 1, 0);
    }

    /// @dev As a V4 PoolManager (lender or hop): call the caller's unlockCallback as `mode` says.
    function unlock(bytes calldata data) external returns (bytes memory) {
        _unlockData = data;
        _callBack(msg.sender, abi.encodeWithSignature("unlockCallback(bytes)", _data(data)));
        return "";
    }

    /// @dev As a V4 pool: the hop owes its input (Overcharge: one wei more) and is owed nothing;
    ///      Reenter: first call unlockCallback again with the data it was unlocked with.
    function swap(IPoolManager.PoolKey calldata, IPoolManager.SwapParams calldata params, bytes calldata)
        external
        returns (int256)
    {
        if (mode == Mode.Reenter) {
            _callBack(msg.sender, abi.encodeWithSignature("unlockCallback(bytes)", _unlockData));
        }
        int256 owed = params.amountSpecified - (mode == Mode.Overcharge ? int256(1) : int256(0));
        return params.zeroForOne ? owed << 128 : int256(uint256(uint128(int128(owed))));
    }

    function sync(address) external {}

    function settle() external payable returns (uint256) {
        return 0;
    }

    function take(address, address, uint256) external {}

    function _data(bytes calldata data) private view returns (bytes memory) {
        return mode == Mode.ForgedData ? bytes.concat(data, hex"00") : data;
    }

    function _callBack(address target, bytes memory data) private {
        if (mode == Mode.NoCallback) return;
        if (mode == Mode.OtherCaller) {
            relay.forward(target, data);
            return;
        }
        (bool ok, bytes memory ret) = target.call(data);
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
    }
}
