// SPDX-License-Identifier: MIT
pragma solidity 0.8.22;

import "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import {AccountIndex, Funds, ServingAccounts} from "../shared/ServingAccounts.sol";
import "./FineTuningTypes.sol";

/// @dev Storage layout and the constants, errors and events only FineTuningServing has (no state variables of its own;
/// everything lives in the ERC-7201 namespace).
abstract contract FineTuningBase is ServingAccounts {
    uint256 internal constant MAX_BATCH_USERS = 50;
    uint256 internal constant MAX_DELIVERABLES_PER_ACCOUNT = 20;
    uint256 internal constant MAX_DELIVERABLE_ID_LENGTH = 256;

    /// @custom:storage-location erc7201:0g.serving.finetuning.v1.0
    struct Layout {
        uint256 lockTime;
        address ledgerAddress;
        uint256 penaltyPercentage;
        mapping(bytes32 => Account) accounts; // keccak256(abi.encode(user, provider))
        AccountIndex index; // of `accounts`
        mapping(bytes32 => Service) services; // keccak256(abi.encode(provider))
        EnumerableSet.Bytes32Set serviceKeys;
        mapping(address => uint256) stakes;
    }

    // keccak256(abi.encode(uint256(keccak256("0g.serving.finetuning.v1.0")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_SLOT = 0x5dcaaa00d1d3fae8cd5d66aceca789aec54970049ac35cb62a7adefca50a6800;

    error BatchSizeTooLarge(uint256 size, uint256 maxSize);
    error CallerNotLedger();
    error CannotAbandonSettledDeliverable(string id);
    error CannotAcknowledgeSettledDeliverable(string id);
    error CannotEvictUnsettledDeliverable(string id);
    error DeliverableAlreadyExists(string id);
    error DeliverableAlreadySettled(string id);
    error DeliverableIdInvalidLength(uint256 length);
    error DeliverableNotExists(string id);
    error ETHTransferFailed();
    error InvalidLedgerAddress();
    error InvalidVerifierInput(string reason);
    error LimitTooLarge(uint256 limit);
    error LockTimeOutOfRange(uint256 lockTime);
    error PenaltyPercentageTooHigh(uint256 percentage);
    error PreviousDeliverableNotAcknowledged(string id);
    error SecretShouldBeEmpty();
    error SecretShouldNotBeEmpty();
    error TransferToLedgerFailed();

    event ServiceUpdated(
        address indexed provider,
        string url,
        Quota quota,
        uint256 pricePerToken,
        address teeSignerAddress,
        bool occupied
    );
    event ServiceRemoved(address indexed provider);
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

    function _accountIndex() internal view override returns (AccountIndex storage) {
        return _s().index;
    }

    function _pageBounds(uint256 offset, uint256 limit, uint256 total) internal pure returns (uint256 n) {
        if (limit == 0) limit = PAGE_LIMIT;
        else if (limit > PAGE_LIMIT) revert LimitTooLarge(limit);
        if (offset >= total) return 0;
        n = total - offset;
        if (limit < n) n = limit;
    }
}
