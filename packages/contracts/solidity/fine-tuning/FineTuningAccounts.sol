// SPDX-License-Identifier: MIT
pragma solidity 0.8.22;

import "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import "../interfaces/IServing.sol";
import {Refund as QueuedRefund, RefundQueue} from "../shared/RefundQueue.sol";
import "./FineTuningBase.sol";

/// @dev Sub-account bookkeeping (same money rules as inference) plus the deliverable ring buffer.
abstract contract FineTuningAccounts is FineTuningBase {
    using EnumerableSet for EnumerableSet.Bytes32Set;

    function _account(address user, address provider) internal view returns (Account storage) {
        Layout storage $ = _s();
        bytes32 key = _accountKey(user, provider);
        if (!$.accountKeys.contains(key)) revert AccountNotExists(user, provider);
        return $.accounts[key];
    }

    function _addAccount(address user, address provider, string calldata additionalInfo) internal {
        if (bytes(additionalInfo).length > MAX_ADDITIONAL_INFO_LENGTH) revert AdditionalInfoTooLong();
        Layout storage $ = _s();
        bytes32 key = _accountKey(user, provider);
        if (!$.accountKeys.add(key)) revert AccountExists(user, provider);
        $.accountsByProvider[provider].add(key);
        $.accountsByUser[user].add(key);
        // nonce survives a soft delete so old signatures stay dead
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
        RefundQueue.cancel(_queue(a), a.validRefundsLength, amount);
    }

    function _requestRefundAll(address user, address provider) internal {
        Account storage a = _account(user, provider);
        uint256 amount = a.balance - a.pendingRefund;
        uint256 n = a.validRefundsLength;
        if (amount > 0) {
            if (n >= MAX_REFUNDS) revert TooManyRefunds(user, provider);
            a.validRefundsLength = n = RefundQueue.lock(_queue(a), n, amount);
            a.pendingRefund += amount;
        }
        if (n > 0) emit RefundRequested(user, provider, n - 1, block.timestamp);
    }

    function _processRefund(Account storage a) internal returns (uint256 total) {
        uint256 pending;
        (a.validRefundsLength, total, pending) = RefundQueue.release(_queue(a), a.validRefundsLength, _s().lockTime);
        a.balance -= total;
        a.pendingRefund = pending;
    }

    /// @dev The refunds as the shared queue's type: same four slots per entry, only the ABI name of the last
    /// field differs (`_deprecated_processed` here, kept for the live ABI).
    function _queue(Account storage a) private view returns (QueuedRefund[] storage q) {
        Refund[] storage refunds = a.refunds;
        assembly {
            q.slot := refunds.slot
        }
    }

    /// @dev Soft delete keeps only the nonce; deliverables go too so their ids can be reused.
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
        delete a.refunds;
        delete a.additionalInfo;
        uint256 head = a.deliverablesHead;
        uint256 count = a.deliverablesCount;
        for (uint256 i = 0; i < count; ++i) {
            string storage id = a.deliverableIds[(head + i) % MAX_DELIVERABLES_PER_ACCOUNT];
            delete a.deliverables[keccak256(bytes(id))];
            delete a.deliverableIds[(head + i) % MAX_DELIVERABLES_PER_ACCOUNT];
        }
        a.deliverablesHead = 0;
        a.deliverablesCount = 0;
    }

    function _settle(Account storage a, uint256 amount) internal {
        uint256 free = a.balance - a.pendingRefund;
        if (amount > free) _cancelRefunds(a, amount - free);
        a.balance -= amount;
        ILedgerSpend(_s().ledgerAddress).spendFund(a.user, amount);
        emit BalanceUpdated(a.user, a.provider, a.balance, a.pendingRefund);
    }

    function _checkIdLength(string calldata id) internal pure {
        uint256 len = bytes(id).length;
        if (len == 0 || len > MAX_DELIVERABLE_ID_LENGTH) revert DeliverableIdInvalidLength(len);
    }

    function _deliverable(Account storage a, string calldata id) internal view returns (Deliverable storage d) {
        d = a.deliverables[keccak256(bytes(id))];
        if (bytes(d.id).length == 0) revert DeliverableNotExists(id);
    }

    /// @dev Oldest to newest.
    function _deliverableList(Account storage a) internal view returns (Deliverable[] memory list) {
        uint256 head = a.deliverablesHead;
        uint256 count = a.deliverablesCount;
        list = new Deliverable[](count);
        for (uint256 i = 0; i < count; ++i) {
            list[i] = a.deliverables[keccak256(bytes(a.deliverableIds[(head + i) % MAX_DELIVERABLES_PER_ACCOUNT]))];
        }
    }

    function _summary(Account storage a) internal view returns (AccountSummary memory) {
        return
            AccountSummary({
                user: a.user,
                provider: a.provider,
                nonce: a.nonce,
                balance: a.balance,
                pendingRefund: a.pendingRefund,
                additionalInfo: a.additionalInfo,
                validRefundsLength: a.validRefundsLength,
                deliverablesCount: a.deliverablesCount,
                acknowledged: a.acknowledged
            });
    }

    function _summaryPage(
        EnumerableSet.Bytes32Set storage keys,
        uint256 offset,
        uint256 limit
    ) internal view returns (AccountSummary[] memory accounts, uint256 total) {
        total = keys.length();
        uint256 n = _pageBounds(offset, limit, total);
        accounts = new AccountSummary[](n);
        Layout storage $ = _s();
        for (uint256 i = 0; i < n; ++i) {
            accounts[i] = _summary($.accounts[keys.at(offset + i)]);
        }
    }
}
