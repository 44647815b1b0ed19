// SPDX-License-Identifier: MIT
pragma solidity 0.8.22;

import "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import "../interfaces/IServing.sol";
import "./RefundQueue.sol";
import "./ServingBase.sol";

/// @dev Slots 3..5 of both serving contracts' Account structs: a sub-account's money. The slots around them differ
/// (acknowledged and validRefundsLength sit in swapped order), so each contract passes this window (`_funds`) and its
/// live refund count; test/storage-layout.txt pins balance, pendingRefund and refunds at 3, 4, 5 in both structs.
struct Funds {
    uint256 balance;
    uint256 pendingRefund;
    Refund[] refunds;
}

/// @dev The (user, provider) keys of every listed sub-account, and the same keys per provider and per user. Each
/// Layout holds one where it held the three sets side by side; every member takes whole slots, so nesting them moved
/// no slot (test/storage-layout.txt).
struct AccountIndex {
    EnumerableSet.Bytes32Set keys;
    mapping(address => EnumerableSet.Bytes32Set) byProvider;
    mapping(address => EnumerableSet.Bytes32Set) byUser;
}

/// @dev The sub-account rules both serving contracts apply alike: the (user, provider) key sets and the money
/// (deposit, LIFO cancel, two-phase refund, charge). No state of its own: each contract hands over its AccountIndex
/// and its accounts' Funds, which sit at different slots of its ERC-7201 layout. Emits and reverts with ServingBase's
/// declarations, so both ABIs stay as they are.
abstract contract ServingAccounts is ServingBase {
    using EnumerableSet for EnumerableSet.Bytes32Set;

    /// @dev This contract's AccountIndex, in its own layout.
    function _accountIndex() internal view virtual returns (AccountIndex storage);

    function accountExists(address user, address provider) external view returns (bool) {
        return _accountIndex().keys.contains(_accountKey(user, provider));
    }

    /// @dev The key of a listed account; reverts AccountNotExists.
    function _listedKey(address user, address provider) internal view returns (bytes32 key) {
        key = _accountKey(user, provider);
        if (!_accountIndex().keys.contains(key)) revert AccountNotExists(user, provider);
    }

    /// @dev Lists a new (user, provider) account in the three key sets; reverts AccountExists.
    function _listAccount(address user, address provider) internal returns (bytes32 key) {
        AccountIndex storage index = _accountIndex();
        key = _accountKey(user, provider);
        if (!index.keys.add(key)) revert AccountExists(user, provider);
        index.byProvider[provider].add(key);
        index.byUser[user].add(key);
    }

    /// @dev Takes (user, provider) out of the three key sets; `listed` is false when it was not there.
    function _unlistAccount(address user, address provider) internal returns (bool listed, bytes32 key) {
        AccountIndex storage index = _accountIndex();
        key = _accountKey(user, provider);
        if (!index.keys.remove(key)) return (false, key);
        index.byProvider[provider].remove(key);
        index.byUser[user].remove(key);
        listed = true;
    }

    /// @dev A new account's opening balance is the value sent with addAccount.
    function _openFunds(Funds storage f, address user, address provider) internal {
        f.balance = msg.value;
        emit BalanceUpdated(user, provider, msg.value, 0);
    }

    /// @dev Cancels `cancelAmount` of the live refunds, then adds the value sent.
    function _depositFunds(
        Funds storage f,
        uint256 live,
        uint256 cancelAmount,
        address user,
        address provider
    ) internal {
        _cancelRefunds(f, live, cancelAmount);
        uint256 balance = f.balance + msg.value;
        f.balance = balance;
        emit BalanceUpdated(user, provider, balance, f.pendingRefund);
    }

    /// @dev Cancels `amount` (<= pendingRefund) of the live refunds, newest first.
    function _cancelRefunds(Funds storage f, uint256 live, uint256 amount) internal {
        f.pendingRefund -= amount;
        RefundQueue.cancel(f.refunds, live, amount);
    }

    /// @dev Locks all of the free balance as one refund (at most MAX_REFUNDS live); returns the new live count.
    function _lockFreeFunds(Funds storage f, uint256 live, address user, address provider) internal returns (uint256) {
        uint256 amount = f.balance - f.pendingRefund;
        if (amount > 0) {
            if (live >= MAX_REFUNDS) revert TooManyRefunds(user, provider);
            live = RefundQueue.lock(f.refunds, live, amount);
            f.pendingRefund += amount;
        }
        // the live contracts report the newest refund even when nothing new was locked
        if (live > 0) emit RefundRequested(user, provider, live - 1, block.timestamp);
        return live;
    }

    /// @dev Takes the refunds unlocked under `lockTime` out of the balance (the caller pays `total` to the ledger)
    /// and returns the new live count with what processRefund reports.
    function _releaseFunds(
        Funds storage f,
        uint256 live,
        uint256 lockTime,
        address user,
        address provider
    ) internal returns (uint256 kept, uint256 total, uint256 balance, uint256 pending) {
        (kept, total, pending) = RefundQueue.release(f.refunds, live, lockTime);
        balance = f.balance - total;
        f.balance = balance;
        f.pendingRefund = pending;
        if (total > 0) emit BalanceUpdated(user, provider, balance, pending);
    }

    /// @dev Empties a soft-deleted account's money and returns the balance it held.
    function _clearFunds(Funds storage f) internal returns (uint256 balance) {
        balance = f.balance;
        f.balance = 0;
        f.pendingRefund = 0;
        delete f.refunds;
    }

    /// @dev Charges `amount` (<= balance): spendable funds first, then pending refunds newest first; the ledger
    /// books the spend.
    function _chargeFunds(
        Funds storage f,
        uint256 live,
        address ledger,
        address user,
        address provider,
        uint256 amount
    ) internal {
        uint256 free = f.balance - f.pendingRefund;
        if (amount > free) _cancelRefunds(f, live, amount - free);
        uint256 balance = f.balance - amount;
        f.balance = balance;
        ILedgerSpend(ledger).spendFund(user, amount);
        emit BalanceUpdated(user, provider, balance, f.pendingRefund);
    }
}
