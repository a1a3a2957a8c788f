// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice A token whose `transferFrom` can leave the recipient with less than it held before: once `setDrain` is
/// called, it delivers the amount, then burns that amount plus `drain` from the recipient (as a token with a
/// recipient-side fee above the amount, or a negative rebase on transfer, would); `setDrain(0)` makes it deliver
/// nothing net. For tests only.
contract MockBalanceDrainToken is ERC20 {
    uint256 public drain;
    bool public draining;

    constructor() ERC20("Drain Token", "DRAIN") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setDrain(uint256 amount) external {
        drain = amount;
        draining = true;
    }

    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        bool ok = super.transferFrom(from, to, value);
        if (draining) _burn(to, value + drain);
        return ok;
    }
}
