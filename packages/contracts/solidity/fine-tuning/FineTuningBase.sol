// SPDX-License-Identifier: MIT
pragma solidity 0.8.22;

import "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import "./FineTuningTypes.sol";

/// @dev Storage layout, constants, errors and events of FineTuningServing (no state variables of its own;
/// everything lives in the ERC-7201 namespace).
abstract contract FineTuningBase {
    uint256 public constant MIN_LOCKTIME = 3600;
    uint256 public constant MAX_LOCKTIME = 604800;
    uint256 public constant MIN_PROVIDER_STAKE = 100 ether;

    uint256 internal constant MAX_REFUNDS = 5;
    uint256 internal constant PAGE_LIMIT = 50;
    uint256 internal constant MAX_BATCH_USERS = 50;
    uint256 internal constant MAX_ADDITIONAL_INFO_LENGTH = 4096;
    uint256 internal constant MAX_DELIVERABLES_PER_ACCOUNT = 20;
    uint256 internal constant MAX_DELIVERABLE_ID_LENGTH = 256;

    /// @custom:storage-location erc7201:0g.serving.finetuning.v1.0
    struct Layout {
        uint256 lockTime;
        address ledgerAddress;
        uint256 penaltyPercentage;
        mapping(bytes32 => Account) accounts; // keccak256(abi.encode(user, provider))
        EnumerableSet.Bytes32Set accountKeys;
        mapping(address => EnumerableSet.Bytes32Set) accountsByProvider;
        mapping(address => EnumerableSet.Bytes32Set) accountsByUser;
        mapping(bytes32 => Service) services; // keccak256(abi.encode(provider))
        EnumerableSet.Bytes32Set serviceKeys;
        mapping(address => uint256) stakes;
    }

    // keccak256(abi.encode(uint256(keccak256("0g.serving.finetuning.v1.0")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_SLOT = 0x5dcaaa00d1d3fae8cd5d66aceca789aec54970049ac35cb62a7adefca50a6800;

    error AccountExists(address user, address provider);
    error AccountNotExists(address user, address provider);
    error AdditionalInfoTooLong();
    error BatchSizeTooLarge(uint256 size, uint256 maxSize);
    error CallerNotLedger();
    error CannotAbandonSettledDeliverable(string id);
    error CannotAcknowledgeSettledDeliverable(string id);
    error CannotAddStakeWhenUpdating();
    error CannotEvictUnsettledDeliverable(string id);
    error CannotRevokeWithNonZeroBalance(address user, address provider, uint256 balance);
    error DeliverableAlreadyExists(string id);
    error DeliverableAlreadySettled(string id);
    error DeliverableIdInvalidLength(uint256 length);
    error DeliverableNotExists(string id);
    error DirectDepositsDisabled();
    error ETHTransferFailed();
    error InsufficientStake(uint256 provided, uint256 required);
    error InvalidLedgerAddress();
    error InvalidVerifierInput(string reason);
    error LimitTooLarge(uint256 limit);
    error LockTimeOutOfRange(uint256 lockTime);
    error PenaltyPercentageTooHigh(uint256 percentage);
    error PreviousDeliverableNotAcknowledged(string id);
    error SecretShouldBeEmpty();
    error SecretShouldNotBeEmpty();
    error ServiceNotExist(address provider);
    error TooManyRefunds(address user, address provider);
    error TransferToLedgerFailed();

    event BalanceUpdated(address indexed user, address indexed provider, uint256 amount, uint256 pendingRefund);
    event RefundRequested(address indexed user, address indexed provider, uint256 indexed index, uint256 timestamp);
    event AccountDeleted(address indexed user, address indexed provider, uint256 refundedAmount);
    event ServiceUpdated(
        address indexed provider,
        string url,
        Quota quota,
        uint256 pricePerToken,
        address teeSignerAddress,
        bool occupied
    );
    event ServiceRemoved(address indexed provider);
    event LockTimeUpdated(uint256 oldLockTime, uint256 newLockTime);
    event ProviderTEESignerAcknowledged(address indexed provider, address indexed teeSignerAddress, bool acknowledged);
    event ProviderStaked(address indexed provider, uint256 amount);
    event ProviderStakeReturned(address indexed provider, uint256 amount);
    event DeliverableAdded(
        address indexed user,
        address indexed provider,
        string deliverableId,
        bytes modelRootHash,
        uint256 timestamp
    );
    event DeliverableAcknowledged(address indexed user, address indexed provider, string deliverableId, uint256 timestamp);
    event DeliverableEvicted(
        address indexed provider,
        address indexed user,
        string evictedDeliverableId,
        string newDeliverableId,
        uint256 timestamp
    );
    event DeliverableAbandoned(address indexed user, address indexed provider, string deliverableId, uint256 timestamp);
    event FeesSettled(
        address indexed user,
        address indexed provider,
        string deliverableId,
        uint256 fee,
        bool acknowledged,
        uint256 nonce
    );

    modifier onlyLedger() {
        if (msg.sender != _s().ledgerAddress) revert CallerNotLedger();
        _;
    }

    function _s() internal pure returns (Layout storage $) {
        assembly {
            $.slot := STORAGE_SLOT
        }
    }

    function _accountKey(address user, address provider) internal pure returns (bytes32) {
        return keccak256(abi.encode(user, provider));
    }

    function _serviceKey(address provider) internal pure returns (bytes32) {
        return keccak256(abi.encode(provider));
    }

    function _pageBounds(uint256 offset, uint256 limit, uint256 total) internal pure returns (uint256 n) {
        if (limit == 0) limit = PAGE_LIMIT;
        else if (limit > PAGE_LIMIT) revert LimitTooLarge(limit);
        if (offset >= total) return 0;
        n = total - offset;
        if (limit < n) n = limit;
    }
}
