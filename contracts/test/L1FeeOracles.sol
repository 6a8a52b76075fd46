// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice TEST-ONLY stand-in for Arbitrum's NodeInterface, placed at 0x…C8 on anvil with anvil_setCode (anvil
///         has no such precompile). Same signature as the real `gasEstimateL1Component`, NOT its formula:
///         gasEstimateForL1 = (16 × nonzero bytes + 4 × zero bytes of `data`) × l1BaseFee / l2BaseFee,
///         both fees settable. Never deploy it anywhere else.
contract TestNodeInterface {
    uint256 public l1BaseFee;
    uint256 public l2BaseFee;

    function setFees(uint256 l1BaseFee_, uint256 l2BaseFee_) external {
        require(l2BaseFee_ > 0, "l2 base fee must be positive");
        l1BaseFee = l1BaseFee_;
        l2BaseFee = l2BaseFee_;
    }

    function gasEstimateL1Component(address, bool, bytes calldata data)
        external
        payable
        returns (uint64 gasEstimateForL1, uint256 baseFee, uint256 l1BaseFeeEstimate)
    {
        uint256 units;
        for (uint256 i = 0; i < data.length; i++) {
            units += data[i] == 0 ? 4 : 16;
        }
        gasEstimateForL1 = uint64(units * l1BaseFee / l2BaseFee);
        return (gasEstimateForL1, l2BaseFee, l1BaseFee);
    }
}

/// @notice TEST-ONLY stand-in for the OP Stack GasPriceOracle predeploy, placed at 0x4200…0F on anvil with
///         anvil_setCode. Same signature as the real `getL1Fee(bytes)`, NOT its Ecotone/Fjord formula:
///         getL1Fee(data) = weiPerByte × data.length, settable. Never deploy it anywhere else.
contract TestGasPriceOracle {
    uint256 public weiPerByte;

    function setWeiPerByte(uint256 weiPerByte_) external {
        weiPerByte = weiPerByte_;
    }

    function getL1Fee(bytes memory data) external view returns (uint256) {
        return weiPerByte * data.length;
    }
}
