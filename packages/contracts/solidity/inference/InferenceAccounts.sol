// SPDX-License-Identifier: MIT
pragma solidity 0.8.22;

import "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import "../interfaces/IServing.sol";
import "../shared/RefundQueue.sol";
import "./InferenceBase.sol";

/// @dev Sub-account bookkeeping: creation, LIFO refund cancellation, two-phase refunds, soft delete, settle step.
abstract contract InferenceAccounts is InferenceBase {
    using EnumerableSet for EnumerableSet.Bytes32Set;

    function _account(address user, address provider) internal view returns (Account storage) {
        Layout storage $ = _s();
        bytes32 key = _accountKey(user, provider);
        if (!$.accountKeys.contains(key)) revert AccountNotExists(user, provider);
        return $.accounts[key];
    }

    function _checkAddresses(address user, address provider) internal pure {
        if (user == address(0)) revert InvalidAddress(user);
        if (provider == address(0)) revert InvalidAddress(provider);
        if (user == provider) revert ProviderCannotBeUser();
    }

    function _addAccount(address user, address provider, string calldata additionalInfo) internal {
        Layout storage $ = _s();
        bytes32 key = _accountKey(user, provider);
        if (!$.accountKeys.add(key)) revert AccountExists(user, provider);
        $.accountsByProvider[provider].add(key);
        $.accountsByUser[user].add(key);
        // nonce and generation survive a soft delete so old signatures and tokens stay dead
        Account storage a = $.accounts[key];
        a.user = user;
        a.provider = provider;
        a.balance = msg.value;
        a.additionalInfo = additionalInfo;
        a.acknowledged = true;
        emit BalanceUpdated(user, provider, msg.value, 0);
    }

    /// @dev Cancels `amount` (<= pendingRefund) of the live refunds, newest first.
    function _cancelRefunds(Account storage a, uint256 amount) internal {
        a.pendingRefund -= amount;
        RefundQueue.cancel(a.refunds, a.validRefundsLength, amount);
    }

    function _requestRefundAll(address user, address provider) internal {
        Account storage a = _account(user, provider);
        uint256 amount = a.balance - a.pendingRefund;
        uint256 n = a.validRefundsLength;
        if (amount > 0) {
            if (n >= MAX_REFUNDS) revert TooManyRefunds(user, provider);
            a.validRefundsLength = n = RefundQueue.lock(a.refunds, n, amount);
            a.pendingRefund += amount;
        }
        // the live contract reports the newest refund even when nothing new was locked
        if (n > 0) emit RefundRequested(user, provider, n - 1, block.timestamp);
    }

    function _processRefund(Account storage a) internal returns (uint256 total) {
        uint256 pending;
        (a.validRefundsLength, total, pending) = RefundQueue.release(a.refunds, a.validRefundsLength, _s().lockTime);
        a.balance -= total;
        a.pendingRefund = pending;
    }

    /// @dev Soft delete: everything but nonce and generation. A missing account deletes nothing.
    function _deleteAccount(address user, address provider) internal returns (uint256 balance) {
        Layout storage $ = _s();
        bytes32 key = _accountKey(user, provider);
        if (!$.accountKeys.remove(key)) return 0;
        $.accountsByProvider[provider].remove(key);
        $.accountsByUser[user].remove(key);
        Account storage a = $.accounts[key];
        balance = a.balance;
        a.balance = 0;
        a.pendingRefund = 0;
        a.acknowledged = false;
        a.validRefundsLength = 0;
        a.revokedBitmap = 0;
        delete a.refunds;
        delete a.additionalInfo;
    }

    /// @dev Charges `amount` (<= balance): spendable funds first, then pending refunds LIFO.
    function _settle(Account storage a, uint256 amount) internal {
        uint256 free = a.balance - a.pendingRefund;
        if (amount > free) _cancelRefunds(a, amount - free);
        a.balance -= amount;
        ILedgerSpend(_s().ledgerAddress).spendFund(a.user, amount);
        emit BalanceUpdated(a.user, a.provider, a.balance, a.pendingRefund);
    }

    function _accountPage(
        EnumerableSet.Bytes32Set storage keys,
        uint256 offset,
        uint256 limit
    ) internal view returns (Account[] memory accounts, uint256 total) {
        total = keys.length();
        uint256 n = _pageBounds(offset, limit, total);
        accounts = new Account[](n);
        Layout storage $ = _s();
        for (uint256 i = 0; i < n; ++i) {
            accounts[i] = $.accounts[keys.at(offset + i)];
        }
    }
}
