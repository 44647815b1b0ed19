// SPDX-License-Identifier: MIT
pragma solidity 0.8.22;

import "../interfaces/IServing.sol";

// File-level structs so the ABI internalType reads `struct Ledger` / `struct ServiceInfo` like the live ABI.

struct Ledger {
    address user;
    uint256 availableBalance;
    uint256 totalBalance;
    string additionalInfo;
}

struct ServiceInfo {
    address serviceAddress;
    IServing serviceContract;
    string serviceType;
    string version;
    string fullName;
    string description;
    bool isRecommended;
    uint256 registeredAt;
}
