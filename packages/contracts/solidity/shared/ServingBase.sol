// SPDX-License-Identifier: MIT
pragma solidity 0.8.22;

/// @dev What InferenceServing and FineTuningServing declare alike: limits, the errors and events with the same
/// signature and parameter names in both live ABIs, and the storage keys. No state variables, so inheriting it moves
/// no slot; each contract keeps its own ERC-7201 layout and the declarations whose ABI differs.
abstract contract ServingBase {
    uint256 public constant MIN_LOCKTIME = 3600;
    uint256 public constant MAX_LOCKTIME = 604800;
    uint256 public constant MIN_PROVIDER_STAKE = 100 ether;

    uint256 internal constant MAX_REFUNDS = 5;
    uint256 internal constant PAGE_LIMIT = 50;
    uint256 internal constant MAX_ADDITIONAL_INFO_LENGTH = 4096;

    error AccountExists(address user, address provider);
    error AccountNotExists(address user, address provider);
    error AdditionalInfoTooLong();
    error CannotAddStakeWhenUpdating();
    error CannotRevokeWithNonZeroBalance(address user, address provider, uint256 balance);
    error DirectDepositsDisabled();
    error InsufficientStake(uint256 provided, uint256 required);
    error ServiceNotExist(address provider);
    error TooManyRefunds(address user, address provider);

    event BalanceUpdated(address indexed user, address indexed provider, uint256 amount, uint256 pendingRefund);
    event RefundRequested(address indexed user, address indexed provider, uint256 indexed index, uint256 timestamp);
    event AccountDeleted(address indexed user, address indexed provider, uint256 refundedAmount);
    event LockTimeUpdated(uint256 oldLockTime, uint256 newLockTime);
    event ProviderTEESignerAcknowledged(address indexed provider, address indexed teeSignerAddress, bool acknowledged);
    event ProviderStaked(address indexed provider, uint256 amount);
    event ProviderStakeReturned(address indexed provider, uint256 amount);

    function _accountKey(address user, address provider) internal pure returns (bytes32) {
        return keccak256(abi.encode(user, provider));
    }

    function _serviceKey(address provider) internal pure returns (bytes32) {
        return keccak256(abi.encode(provider));
    }
}
