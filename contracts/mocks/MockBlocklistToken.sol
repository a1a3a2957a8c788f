// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice A USDC/USDT-style token with a blocklist: no transfer to, from or by a blocked address. Its deployer
/// keeps the list; minting is open. For tests only.
contract MockBlocklistToken is ERC20 {
    /// @notice The account allowed to change the blocklist (the deployer).
    address public immutable BLOCKLISTER;

    mapping(address account => bool) public blocked;

    /// @notice Emitted when `account` is added to (true) or removed from (false) the blocklist.
    event BlockedSet(address indexed account, bool blocked);

    /// @notice A transfer to, from or by a blocked account.
    error AccountBlocked(address account);
    /// @notice `setBlocked` called by someone other than the blocklister.
    error NotBlocklister(address caller);

    constructor() ERC20("Blocklist Token", "BLOCK") {
        BLOCKLISTER = msg.sender;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Adds `account` to the blocklist or removes it.
    function setBlocked(address account, bool blocked_) external {
        if (msg.sender != BLOCKLISTER) revert NotBlocklister(msg.sender);
        blocked[account] = blocked_;
        emit BlockedSet(account, blocked_);
    }

    /// @dev Checks the sender, then the recipient, then the caller (a spender).
    function _update(address from, address to, uint256 value) internal override {
        if (blocked[from]) revert AccountBlocked(from);
        if (blocked[to]) revert AccountBlocked(to);
        if (blocked[msg.sender]) revert AccountBlocked(msg.sender);
        super._update(from, to, value);
    }
}
