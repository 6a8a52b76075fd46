// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @notice Test-only fake Uniswap V3 pool that a stolen executor key names as a hop. It asks the
///         executor's swap callback for the hop's input the way `mode` says, then pays `payout` of the
///         hop's output token from its own balance so the route can go on. Never deploy outside a devnet.
contract SwapCallbackThief {
    enum Mode {
        Once, // ask once for the input: an honest (if overpriced) pool
        Loop, // ask for the input again and again while the executor still holds that much
        OtherToken, // ask once for the input, then again for the output token
        Nested, // ask once; when the payment's transfer hook calls us, ask again from inside it
        Accomplice // ask once, then have another contract ask while we are still in the swap
    }

    uint256 internal constant MAX_ROUNDS = 50;

    Mode public mode;
    /// @dev the swap callback asked for: Uniswap V3's by default, or a fork's (`useCallback`)
    bytes4 public callbackSelector = bytes4(keccak256("uniswapV3SwapCallback(int256,int256,bytes)"));
    address public token0;
    address public token1;
    uint256 public payout;
    uint256 public asks; // callback payments received
    uint256 public refused; // nested asks the executor refused
    address private _executor; // set while a swap is in flight
    int256 private _amount;
    Asker public immutable asker;

    constructor() {
        asker = new Asker();
    }

    function configure(Mode mode_, address tokenA, address tokenB, uint256 payout_) external {
        mode = mode_;
        (token0, token1) = tokenA < tokenB ? (tokenA, tokenB) : (tokenB, tokenA);
        payout = payout_;
    }

    function useCallback(bytes4 selector) external {
        callbackSelector = selector;
    }

    function swap(address recipient, bool zeroForOne, int256 amountSpecified, uint160, bytes calldata)
        external
        returns (int256, int256)
    {
        _executor = msg.sender;
        _amount = amountSpecified;
        address tokenIn = zeroForOne ? token0 : token1;
        address tokenOut = zeroForOne ? token1 : token0;
        _ask(zeroForOne);
        if (mode == Mode.Loop) {
            uint256 need = uint256(amountSpecified);
            for (uint256 r = 1; r < MAX_ROUNDS && IERC20(tokenIn).balanceOf(msg.sender) >= need; ++r) {
                _ask(zeroForOne);
            }
        } else if (mode == Mode.OtherToken) {
            _ask(!zeroForOne);
        } else if (mode == Mode.Accomplice) {
            asker.ask(msg.sender, callbackSelector, zeroForOne, amountSpecified);
        }
        IERC20(tokenOut).transfer(recipient, payout);
        _executor = address(0);
        int256 out = -int256(payout);
        return zeroForOne ? (amountSpecified, out) : (out, amountSpecified);
    }

    /// @dev HookToken calls this on every transfer to us; in Nested mode it asks again from inside the
    ///      executor's payment. The token ignores the hook's outcome, so a refused ask is only counted.
    function onTokenTransfer(address from, address, uint256) external {
        if (mode != Mode.Nested || from != _executor || _executor == address(0)) return;
        (bool ok,) = _executor.call(_askData(msg.sender == token0));
        if (ok) ++asks;
        else ++refused;
    }

    function _ask(bool payToken0) private {
        _call(_executor, _askData(payToken0));
        ++asks;
    }

    function _askData(bool payToken0) private view returns (bytes memory) {
        (int256 a0, int256 a1) = payToken0 ? (_amount, int256(-1)) : (int256(-1), _amount);
        return abi.encodeWithSelector(callbackSelector, a0, a1, "");
    }

    function _call(address target, bytes memory data) private {
        (bool ok, bytes memory ret) = target.call(data);
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
    }
}

/// @notice Test-only helper: asks a swap callback from an address that is not the pool in flight.
contract Asker {
    function ask(address executor, bytes4 callback, bool payToken0, int256 amount) external {
        (int256 a0, int256 a1) = payToken0 ? (amount, int256(-1)) : (int256(-1), amount);
        (bool ok, bytes memory ret) = executor.call(abi.encodeWithSelector(callback, a0, a1, ""));
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
    }
}
