// SPDX-License-Identifier: MIT
pragma solidity 0.8.22;

import "@openzeppelin/contracts/access/Ownable.sol";
import "@openzeppelin/contracts/security/ReentrancyGuard.sol";
import "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import "../utils/Initializable.sol";
import "./InferenceServices.sol";

/// @title InferenceServing: per-(user, provider) sub-accounts funded from LedgerManager, settled by TEE-signed
/// EIP-712 batches.
contract InferenceServing is Ownable, Initializable, ReentrancyGuard, InferenceServices {
    using EnumerableSet for EnumerableSet.Bytes32Set;

    constructor() {
        _lockInitializer();
    }

    function initialize(uint256 _locktime, address _ledgerAddress, address owner) external onlyInitializeOnce {
        _checkLockTime(_locktime);
        Layout storage $ = _s();
        $.lockTime = _locktime;
        // not validated, as in the live contract
        $.ledgerAddress = _ledgerAddress;
        emit ContractInitialized(owner, _locktime, _ledgerAddress);
        _transferOwnership(owner);
    }

    function lockTime() external view returns (uint256) {
        return _s().lockTime;
    }

    function ledgerAddress() external view returns (address) {
        return _s().ledgerAddress;
    }

    function updateLockTime(uint256 _locktime) external onlyOwner {
        _checkLockTime(_locktime);
        Layout storage $ = _s();
        uint256 old = $.lockTime;
        $.lockTime = _locktime;
        emit LockTimeUpdated(old, _locktime);
    }

    // ------------------------------------------------------- ledger (IServing)

    function getPendingRefund(address user, address provider) external view returns (uint256) {
        return _account(user, provider).pendingRefund;
    }

    function addAccount(address user, address provider, string calldata additionalInfo) external payable onlyLedger {
        _checkAddresses(user, provider);
        _addAccount(user, provider, additionalInfo);
    }

    function depositFund(address user, address provider, uint256 cancelRetrievingAmount) external payable onlyLedger {
        _checkAddresses(user, provider);
        Account storage a = _account(user, provider);
        _depositFunds(_funds(a), a.validRefundsLength, cancelRetrievingAmount, user, provider);
        a.acknowledged = true;
    }

    function requestRefundAll(address user, address provider) external onlyLedger {
        Account storage a = _account(user, provider);
        a.validRefundsLength = _lockFreeFunds(_funds(a), a.validRefundsLength, user, provider);
    }

    function processRefund(
        address user,
        address provider
    ) external onlyLedger returns (uint256 totalAmount, uint256 balance, uint256 pendingRefund) {
        Account storage a = _account(user, provider);
        (a.validRefundsLength, totalAmount, balance, pendingRefund) = _releaseFunds(
            _funds(a),
            a.validRefundsLength,
            _s().lockTime,
            user,
            provider
        );
        if (totalAmount > 0) _sendValue(msg.sender, totalAmount);
    }

    function deleteAccount(address user, address provider) external onlyLedger {
        emit AccountDeleted(user, provider, _deleteAccount(user, provider));
    }

    function removeService() external nonReentrant {
        Layout storage $ = _s();
        (bytes32 key, uint256 stake) = _unlistService($.serviceKeys, $.stakes);
        delete $.services[key];
        emit ServiceRemoved(msg.sender);
        if (stake > 0) _sendValue(msg.sender, stake);
    }

    // ------------------------------------------------------------ account views

    function getAccount(address user, address provider) external view returns (Account memory) {
        return _account(user, provider);
    }

    function getAllAccounts(
        uint256 offset,
        uint256 limit
    ) external view returns (Account[] memory accounts, uint256 total) {
        return _accountPage(_s().index.keys, offset, limit);
    }

    function getAccountsByProvider(
        address provider,
        uint256 offset,
        uint256 limit
    ) external view returns (Account[] memory accounts, uint256 total) {
        return _accountPage(_s().index.byProvider[provider], offset, limit);
    }

    function getAccountsByUser(
        address user,
        uint256 offset,
        uint256 limit
    ) external view returns (Account[] memory accounts, uint256 total) {
        return _accountPage(_s().index.byUser[user], offset, limit);
    }

    /// @dev The caller is the provider; users without a sub-account yield a zeroed entry.
    function getBatchAccountsByUsers(address[] calldata users) external view returns (Account[] memory accounts) {
        if (users.length > MAX_BATCH_USERS) revert BatchSizeTooLarge(users.length, MAX_BATCH_USERS);
        Layout storage $ = _s();
        accounts = new Account[](users.length);
        for (uint256 i = 0; i < users.length; ++i) {
            bytes32 key = _accountKey(users[i], msg.sender);
            if ($.index.keys.contains(key)) accounts[i] = $.accounts[key];
        }
    }

    // ------------------------------------------------------- user-side controls

    function acknowledgeTEESigner(address provider, bool acknowledged) external {
        Account storage a = _account(msg.sender, provider);
        if (!acknowledged && a.balance != 0) revert CannotRevokeWithNonZeroBalance(msg.sender, provider, a.balance);
        a.acknowledged = acknowledged;
    }

    function revokeToken(address provider, uint8 tokenId) external {
        _account(msg.sender, provider).revokedBitmap |= uint256(1) << tokenId;
        emit TokenRevoked(msg.sender, provider, tokenId);
    }

    function revokeTokens(address provider, uint8[] calldata tokenIds) external {
        Account storage a = _account(msg.sender, provider);
        uint256 bitmap = a.revokedBitmap;
        for (uint256 i = 0; i < tokenIds.length; ++i) {
            bitmap |= uint256(1) << tokenIds[i];
        }
        a.revokedBitmap = bitmap;
        emit TokensRevoked(msg.sender, provider, tokenIds);
    }

    function revokeAllTokens(address provider) external {
        Account storage a = _account(msg.sender, provider);
        uint256 generation = a.generation + 1;
        a.generation = generation;
        a.revokedBitmap = 0;
        emit AllTokensRevoked(msg.sender, provider, generation);
    }

    /// @dev Bitmap only; generation checks are the provider's job.
    function isTokenRevoked(address user, address provider, uint8 tokenId) external view returns (bool) {
        return (_s().accounts[_accountKey(user, provider)].revokedBitmap >> tokenId) & 1 == 1;
    }

    // ---------------------------------------------------------------- settlement

    function settleFeesWithTEE(
        TEESettlementData[] calldata settlements
    ) external nonReentrant returns (uint8[] memory statuses) {
        uint256 n = settlements.length;
        if (n == 0) revert NoSettlementsProvided();
        if (n > MAX_SETTLEMENTS) revert TooManySettlements(n, MAX_SETTLEMENTS);
        statuses = new uint8[](n);
        uint256 payout = 0;
        for (uint256 i = 0; i < n; ++i) {
            TEESettlementData calldata d = settlements[i];
            SettlementStatus status = _checkSettlement(d);
            uint256 unsettled = d.totalFee;
            if (status == SettlementStatus.SUCCESS) {
                Account storage a = _s().accounts[_accountKey(d.user, msg.sender)];
                // consumed even when only part of the fee can be covered
                a.nonce = d.nonce;
                uint256 toSettle = d.totalFee < a.balance ? d.totalFee : a.balance;
                unsettled = d.totalFee - toSettle;
                if (toSettle > 0) {
                    _chargeFunds(_funds(a), a.validRefundsLength, _s().ledgerAddress, d.user, msg.sender, toSettle);
                }
                payout += toSettle;
                if (unsettled > 0) status = SettlementStatus.PARTIAL;
            }
            statuses[i] = uint8(status);
            emit TEESettlementResult(d.user, status, unsettled);
        }
        if (payout > 0) _sendValue(msg.sender, payout);
    }

    /// @dev Per-item outcome without state changes; duplicate users within a batch are not simulated.
    /// partialAmounts are the fee parts that would stay unsettled.
    function previewSettlementResults(
        TEESettlementData[] calldata settlements
    )
        external
        view
        returns (
            address[] memory failedUsers,
            SettlementStatus[] memory failureReasons,
            address[] memory partialUsers,
            uint256[] memory partialAmounts
        )
    {
        uint256 n = settlements.length;
        failedUsers = new address[](n);
        failureReasons = new SettlementStatus[](n);
        partialUsers = new address[](n);
        partialAmounts = new uint256[](n);
        uint256 failed = 0;
        uint256 partials = 0;
        for (uint256 i = 0; i < n; ++i) {
            TEESettlementData calldata d = settlements[i];
            SettlementStatus status = _checkSettlement(d);
            if (status != SettlementStatus.SUCCESS) {
                failedUsers[failed] = d.user;
                failureReasons[failed++] = status;
                continue;
            }
            uint256 balance = _s().accounts[_accountKey(d.user, msg.sender)].balance;
            if (d.totalFee > balance) {
                partialUsers[partials] = d.user;
                partialAmounts[partials++] = d.totalFee - balance;
            }
        }
        // trim the over-allocated arrays in place
        assembly {
            mstore(failedUsers, failed)
            mstore(failureReasons, failed)
            mstore(partialUsers, partials)
            mstore(partialAmounts, partials)
        }
    }

    function _checkLockTime(uint256 lt) private pure {
        if (lt < MIN_LOCKTIME || lt > MAX_LOCKTIME) revert LockTimeOutOfRange(lt, MIN_LOCKTIME, MAX_LOCKTIME);
    }
}
