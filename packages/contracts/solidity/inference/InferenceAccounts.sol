// SPDX-License-Identifier: MIT
pragma solidity 0.8.22;

import "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import "./InferenceBase.sol";

/// @dev Sub-account bookkeeping: creation and soft delete over the shared rules of ServingAccounts, paged views.
abstract contract InferenceAccounts is InferenceBase {
    using EnumerableSet for EnumerableSet.Bytes32Set;

    function _account(address user, address provider) internal view returns (Account storage) {
        return _s().accounts[_listedKey(user, provider)];
    }

    /// @dev The money window of `a` (see Funds in shared/ServingAccounts.sol).
    function _funds(Account storage a) internal pure returns (Funds storage f) {
        assembly {
            f.slot := add(a.slot, 3)
        }
    }

    function _checkAddresses(address user, address provider) internal pure {
        if (user == address(0)) revert InvalidAddress(user);
        if (provider == address(0)) revert InvalidAddress(provider);
        if (user == provider) revert ProviderCannotBeUser();
    }

    function _addAccount(address user, address provider, string calldata additionalInfo) internal {
        bytes32 key = _listAccount(user, provider);
        // nonce and generation survive a soft delete so old signatures and tokens stay dead
        Account storage a = _s().accounts[key];
        a.user = user;
        a.provider = provider;
        a.additionalInfo = additionalInfo;
        a.acknowledged = true;
        _openFunds(_funds(a), user, provider);
    }

    /// @dev Soft delete: everything but nonce and generation. A missing account deletes nothing.
    function _deleteAccount(address user, address provider) internal returns (uint256 balance) {
        (bool listed, bytes32 key) = _unlistAccount(user, provider);
        if (!listed) return 0;
        Account storage a = _s().accounts[key];
        balance = _clearFunds(_funds(a));
        a.acknowledged = false;
        a.validRefundsLength = 0;
        a.revokedBitmap = 0;
        delete a.additionalInfo;
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
