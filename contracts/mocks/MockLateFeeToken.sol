// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice A token that starts charging a fee on transfers when told to (an upgradeable or admin-configured token
/// can do this after an agreement was funded). The fee is burnt; it is taken from the amount sent (the recipient
/// gets less) or, with `feeOnTop`, charged to the sender on top of it. Mints and burns are free. For tests only.
contract MockLateFeeToken is ERC20 {
    uint256 public feeBps;
    bool public feeOnTop;

    constructor() ERC20("Late Fee Token", "LATE") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setFee(uint256 bps, bool onTop) external {
        feeBps = bps;
        feeOnTop = onTop;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (feeBps == 0 || from == address(0) || to == address(0)) {
            super._update(from, to, value);
            return;
        }
        uint256 fee = (value * feeBps) / 10_000;
        if (feeOnTop) {
            super._update(from, to, value);
            super._update(from, address(0), fee);
        } else {
            super._update(from, address(0), fee);
            super._update(from, to, value - fee);
        }
    }
}
