// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {ISLAEscrow} from "../interfaces/ISLAEscrow.sol";
import {PackedConfig} from "./PackedConfig.sol";

/// @title SignerMask
/// @notice Checks an M-of-N attestation: bit i of `mask` says that `oracles[i]` signed, and `signatures` holds
/// their signatures in ascending i. Because each bit names one oracle, one signature can count only once.
library SignerMask {
    /// @notice Number of set bits.
    function popcount(uint256 mask) internal pure returns (uint256 count) {
        while (mask != 0) {
            mask &= mask - 1; // clear the lowest set bit
            ++count;
        }
    }

    /// @notice Reverts unless `mask` names only existing oracles, at least `threshold` of them, with exactly one
    /// valid signature of `digest` each.
    /// @dev Unpacks the oracles from `blob` (see PackedConfig); each signature is checked by {isValidSignature}.
    function verify(
        bytes32 digest,
        bytes memory blob,
        uint256 oracleCount,
        uint8 threshold,
        uint256 mask,
        bytes[] calldata signatures
    ) internal view {
        if (mask >> oracleCount != 0) revert ISLAEscrow.SignerMaskOutOfRange(mask, oracleCount);
        uint256 signers = popcount(mask);
        if (signatures.length != signers) revert ISLAEscrow.SignatureCountMismatch(signatures.length, signers);
        if (signers < threshold) revert ISLAEscrow.ThresholdNotMet(signers, threshold);

        uint256 next;
        for (uint256 i; mask != 0; ++i) {
            if (mask & 1 != 0) {
                address oracle = PackedConfig.oracleAt(blob, i);
                if (!isValidSignature(oracle, digest, signatures[next])) revert ISLAEscrow.InvalidSignature(i, oracle);
                ++next;
            }
            mask >>= 1;
        }
    }

    /// @notice Whether `signature` is `signer`'s signature of `digest`: ECDSA recovery first (OpenZeppelin: low-s
    /// only, no zero address) and, only when that does not yield `signer`, ERC-1271 (a contract wallet).
    function isValidSignature(address signer, bytes32 digest, bytes calldata signature) internal view returns (bool) {
        (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecoverCalldata(digest, signature);
        if (err == ECDSA.RecoverError.NoError && recovered == signer) return true;
        return SignatureChecker.isValidERC1271SignatureNowCalldata(signer, digest, signature);
    }
}
