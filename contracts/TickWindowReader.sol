// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice Never deployed: `eth_call` runs its creation code (no `to`), and the constructor returns what it
///         read, so the tick windows of many Uniswap V3-style pools come back from one call per chunk of
///         pools instead of one Multicall3 call per bitmap word and per tick.
///
///         For each pool i, in order, the answer holds (32-byte words, no ABI header):
///         n, then n pairs (word position, bitmap word) of the non-zero words in [lows[i], highs[i]],
///         then (liquidityGross, liquidityNet) of every tick those words set, words ascending, bits ascending.
///         Any failed or short pool call reverts the whole read.
contract TickWindowReader {
    constructor(address[] memory pools, int256[] memory spacings, int256[] memory lows, int256[] memory highs) {
        uint256 start;
        assembly {
            start := mload(0x40)
        }
        uint256 ptr = start;
        for (uint256 i = 0; i < pools.length; ++i) {
            address pool = pools[i];
            int256 spacing = spacings[i];
            uint256 countAt = ptr;
            ptr += 32;
            uint256 n = 0;
            for (int256 w = lows[i]; w <= highs[i]; ++w) {
                (uint256 word,) = _read(pool, 0x5339c296, w, 0x20); // tickBitmap(int16)
                if (word != 0) {
                    assembly {
                        mstore(ptr, w)
                        mstore(add(ptr, 32), word)
                    }
                    ptr += 64;
                    ++n;
                }
            }
            assembly {
                mstore(countAt, n)
            }
            for (uint256 k = 0; k < n; ++k) {
                int256 w;
                uint256 word;
                assembly {
                    w := mload(add(countAt, add(32, mul(k, 64))))
                    word := mload(add(countAt, add(64, mul(k, 64))))
                }
                while (word != 0) {
                    uint256 low = word & (~word + 1);
                    uint256 bit = _log2(low);
                    word ^= low;
                    int256 tick = (w * 256 + int256(bit)) * spacing;
                    (uint256 gross, uint256 net) = _read(pool, 0xf30dba93, tick, 0x40); // ticks(int24)
                    assembly {
                        mstore(ptr, gross)
                        mstore(add(ptr, 32), net)
                    }
                    ptr += 64;
                }
            }
        }
        assembly {
            return(start, sub(ptr, start))
        }
    }

    /// @dev `selector(arg)` of `pool`, its first one or two answer words (`size` bytes), through scratch
    ///      space only (memory past the free pointer holds the answer being built).
    function _read(address pool, uint256 selector, int256 arg, uint256 size)
        private
        view
        returns (uint256 first, uint256 second)
    {
        assembly {
            mstore(0x00, shl(224, selector))
            mstore(0x04, arg)
            if iszero(staticcall(gas(), pool, 0x00, 0x24, 0x00, size)) { revert(0, 0) }
            if lt(returndatasize(), size) { revert(0, 0) }
            first := mload(0x00)
            second := mload(0x20)
        }
    }

    function _log2(uint256 x) private pure returns (uint256 r) {
        while (x > 1) {
            x >>= 1;
            ++r;
        }
    }
}
