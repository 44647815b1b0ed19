// SPDX-License-Identifier: MIT
pragma solidity 0.8.22;

import "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import "./FineTuningBase.sol";

/// @dev Sub-account bookkeeping (same money rules as inference) plus the deliverable ring buffer.
abstract contract FineTuningAccounts is FineTuningBase {
    using EnumerableSet for EnumerableSet.Bytes32Set;

    function _account(address user, address provider) internal view returns (Account storage) {
        return _s().accounts[_listedKey(user, provider)];
    }

    /// @dev The money window of `a` (see Funds in shared/ServingAccounts.sol); the refunds' last field is named
    /// `_deprecated_processed` here, in the same slot.
    function _funds(Account storage a) internal pure returns (Funds storage f) {
        assembly {
            f.slot := add(a.slot, 3)
        }
    }

    function _addAccount(address user, address provider, string calldata additionalInfo) internal {
        if (bytes(additionalInfo).length > MAX_ADDITIONAL_INFO_LENGTH) revert AdditionalInfoTooLong();
        bytes32 key = _listAccount(user, provider);
        // nonce survives a soft delete so old signatures stay dead
        Account storage a = _s().accounts[key];
        a.user = user;
        a.provider = provider;
        a.additionalInfo = additionalInfo;
        a.acknowledged = true;
        _openFunds(_funds(a), user, provider);
    }

    /// @dev Soft delete keeps only the nonce; deliverables go too so their ids can be reused.
    function _deleteAccount(address user, address provider) internal returns (uint256 balance) {
        (bool listed, bytes32 key) = _unlistAccount(user, provider);
        if (!listed) return 0;
        Account storage a = _s().accounts[key];
        balance = _clearFunds(_funds(a));
        a.acknowledged = false;
        a.validRefundsLength = 0;
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
