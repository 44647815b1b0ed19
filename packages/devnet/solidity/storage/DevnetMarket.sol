// SPDX-License-Identifier: MIT
pragma solidity 0.8.22;

/// @title DevnetMarket — the storage market of the devnet: a fixed price per 256-byte sector.
/// @notice ABI-compatible with the `pricePerSector()` view of 0G's FixedPrice market.
contract DevnetMarket {
    uint256 public pricePerSector;
    address public immutable owner;

    error NotOwner();

    constructor(uint256 price) {
        pricePerSector = price;
        owner = msg.sender;
    }

    function setPricePerSector(uint256 price) external {
        if (msg.sender != owner) revert NotOwner();
        pricePerSector = price;
    }
}
