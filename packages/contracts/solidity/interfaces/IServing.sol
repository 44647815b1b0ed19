// SPDX-License-Identifier: MIT
pragma solidity 0.8.22;

/// @dev What LedgerManager requires of a registered serving contract. ERC-165 id 0x160841b1.
interface IServing {
    function accountExists(address user, address provider) external view returns (bool);

    function getPendingRefund(address user, address provider) external view returns (uint256);

    function addAccount(address user, address provider, string calldata additionalInfo) external payable;

    function depositFund(address user, address provider, uint256 cancelRetrievingAmount) external payable;

    function requestRefundAll(address user, address provider) external;

    function processRefund(
        address user,
        address provider
    ) external returns (uint256 totalAmount, uint256 balance, uint256 pendingRefund);

    function deleteAccount(address user, address provider) external;
}

/// @dev The single LedgerManager entry point serving contracts call back into.
interface ILedgerSpend {
    function spendFund(address user, uint256 amount) external;
}
