// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @notice A rebasing ERC-20 (stETH/AMPL-style): balances are shares times an index that anyone can scale with
/// `rebase`, so every balance shrinks or grows without a transfer. For tests only.
contract MockRebasingToken is IERC20, IERC20Errors {
    /// @notice The index at deployment (1.0, 18 decimals).
    uint256 public constant ONE = 1e18;

    /// @notice Balance per share, 18 decimals.
    uint256 public index = ONE;
    uint256 public totalShares;
    mapping(address account => uint256) public sharesOf;
    mapping(address owner => mapping(address spender => uint256)) public allowance;

    /// @notice Emitted when every balance is scaled by numerator / denominator.
    event Rebased(uint256 oldIndex, uint256 newIndex);

    /// @notice A rebase by 0 / x or x / 0.
    error InvalidRebase(uint256 numerator, uint256 denominator);

    /// @notice Mints `amount` (at the current index) to `to`.
    function mint(address to, uint256 amount) external {
        uint256 shares = Math.mulDiv(amount, ONE, index);
        totalShares += shares;
        sharesOf[to] += shares;
        emit Transfer(address(0), to, amount);
    }

    /// @notice Scales every balance by `numerator / denominator` (below 1: a negative rebase).
    function rebase(uint256 numerator, uint256 denominator) external {
        if (numerator == 0 || denominator == 0) revert InvalidRebase(numerator, denominator);
        uint256 oldIndex = index;
        index = Math.mulDiv(oldIndex, numerator, denominator);
        emit Rebased(oldIndex, index);
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        _transfer(msg.sender, to, amount);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed < amount) revert ERC20InsufficientAllowance(msg.sender, allowed, amount);
        if (allowed != type(uint256).max) allowance[from][msg.sender] = allowed - amount;
        _transfer(from, to, amount);
        return true;
    }

    function totalSupply() external view returns (uint256) {
        return Math.mulDiv(totalShares, index, ONE);
    }

    function balanceOf(address account) public view returns (uint256) {
        return Math.mulDiv(sharesOf[account], index, ONE);
    }

    /// @dev Moves the shares worth `amount` (rounded up, capped at what `from` holds).
    function _transfer(address from, address to, uint256 amount) private {
        uint256 balance = balanceOf(from);
        if (balance < amount) revert ERC20InsufficientBalance(from, balance, amount);
        uint256 shares = Math.min(Math.mulDiv(amount, ONE, index, Math.Rounding.Ceil), sharesOf[from]);
        sharesOf[from] -= shares;
        sharesOf[to] += shares;
        emit Transfer(from, to, amount);
    }
}
