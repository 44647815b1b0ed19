// SPDX-License-Identifier: MIT
pragma solidity 0.8.22;

// File-level declarations: the live ABI's internalTypes read `struct Account`, `enum SettlementStatus`, ...

import {Refund} from "../shared/RefundQueue.sol";

struct Account {
    address user;
    address provider;
    uint256 nonce;
    uint256 balance;
    uint256 pendingRefund;
    Refund[] refunds;
    string additionalInfo;
    bool acknowledged;
    uint256 validRefundsLength;
    uint256 generation;
    uint256 revokedBitmap;
}

struct ServiceParams {
    string serviceType;
    string url;
    string model;
    string verifiability;
    uint256 inputPrice;
    uint256 outputPrice;
    string additionalInfo;
    address teeSignerAddress;
}

struct Service {
    address provider;
    string serviceType;
    string url;
    uint256 inputPrice;
    uint256 outputPrice;
    uint256 updatedAt;
    string model;
    string verifiability;
    string additionalInfo;
    address teeSignerAddress;
    bool teeSignerAcknowledged;
}

struct TEESettlementData {
    address user;
    address provider;
    uint256 totalFee;
    bytes32 requestsHash;
    uint256 nonce;
    bytes signature;
}

enum SettlementStatus {
    SUCCESS,
    PARTIAL,
    PROVIDER_MISMATCH,
    NO_TEE_SIGNER,
    INVALID_NONCE,
    INVALID_SIGNATURE
}
