// SPDX-License-Identifier: MIT
pragma solidity 0.8.22;

// File-level declarations: the live ABI's internalTypes read `struct Quota`, `struct Deliverable`, ...

struct Refund {
    uint256 index;
    uint256 amount;
    uint256 createdAt;
    bool _deprecated_processed;
}

struct Quota {
    uint256 cpuCount;
    uint256 nodeMemory;
    uint256 gpuCount;
    uint256 nodeStorage;
    string gpuType;
}

struct Service {
    address provider;
    string url;
    Quota quota;
    uint256 pricePerToken;
    bool occupied;
    string[] models;
    address teeSignerAddress;
    bool teeSignerAcknowledged;
}

struct Deliverable {
    string id;
    bytes modelRootHash;
    bytes encryptedSecret;
    bool acknowledged;
    uint248 timestamp;
    bool settled;
}

struct AccountSummary {
    address user;
    address provider;
    uint256 nonce;
    uint256 balance;
    uint256 pendingRefund;
    string additionalInfo;
    uint256 validRefundsLength;
    uint256 deliverablesCount;
    bool acknowledged;
}

struct AccountDetails {
    address user;
    address provider;
    uint256 nonce;
    uint256 balance;
    uint256 pendingRefund;
    Refund[] refunds;
    string additionalInfo;
    Deliverable[] deliverables;
    uint256 validRefundsLength;
    uint256 deliverablesHead;
    uint256 deliverablesCount;
    bool acknowledged;
}

struct VerifierInput {
    string id;
    bytes encryptedSecret;
    bytes modelRootHash;
    uint256 nonce;
    bytes signature;
    uint256 taskFee;
    address user;
}

/// @dev Storage shape of a sub-account (not in the ABI): deliverables live in a mapping keyed by
/// keccak256(id) plus a fixed ring of ids, oldest at `deliverablesHead`.
struct Account {
    address user;
    address provider;
    uint256 nonce;
    uint256 balance;
    uint256 pendingRefund;
    Refund[] refunds;
    string additionalInfo;
    uint256 validRefundsLength;
    bool acknowledged;
    uint256 deliverablesHead;
    uint256 deliverablesCount;
    string[20] deliverableIds;
    mapping(bytes32 => Deliverable) deliverables;
}
