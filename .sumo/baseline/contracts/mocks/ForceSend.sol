// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice Force-sends its ETH to `target` with selfdestruct, bypassing any receive logic. For tests only.
contract ForceSend {
    constructor(address payable target) payable {
        selfdestruct(target);
    }
}
