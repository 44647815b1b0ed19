// SPDX-License-Identifier: MIT
pragma solidity 0.8.22;

import "@openzeppelin/contracts/access/Ownable.sol";
import "@openzeppelin/contracts/security/ReentrancyGuard.sol";
import "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import "../utils/Initializable.sol";
import "./FineTuningDeliverables.sol";

/// @title FineTuningServing: sub-accounts funded from LedgerManager; providers deliver models and are paid per
/// task on a TEE-signed EIP-712 VerifierMessage (full fee if the user acknowledged, penalty share otherwise).
/// @dev No constructor, as in the live contract: the logic contract stays initializable (harmless).
contract FineTuningServing is Ownable, Initializable, ReentrancyGuard, FineTuningDeliverables {
    using EnumerableSet for EnumerableSet.Bytes32Set;

    bytes32 private constant NAME_HASH = keccak256("0G Fine-Tuning Serving");
    bytes32 private constant VERIFIER_TYPEHASH =
        keccak256(
            "VerifierMessage(string id,bytes encryptedSecret,bytes modelRootHash,uint256 nonce,uint256 taskFee,address user)"
        );

    function initialize(
        uint256 _locktime,
        address _ledgerAddress,
        address owner,
        uint256 _penaltyPercentage
    ) external onlyInitializeOnce {
        if (_ledgerAddress == address(0) || _ledgerAddress.code.length == 0) revert InvalidLedgerAddress();
        if (_penaltyPercentage > 100) revert PenaltyPercentageTooHigh(_penaltyPercentage);
        _checkLockTime(_locktime);
        Layout storage $ = _s();
        $.lockTime = _locktime;
        $.ledgerAddress = _ledgerAddress;
        $.penaltyPercentage = _penaltyPercentage;
        _transferOwnership(owner);
    }

    function lockTime() external view returns (uint256) {
        return _s().lockTime;
    }

    function ledgerAddress() external view returns (address) {
        return _s().ledgerAddress;
    }

    function penaltyPercentage() external view returns (uint256) {
        return _s().penaltyPercentage;
    }

    function updateLockTime(uint256 _locktime) external onlyOwner {
        _checkLockTime(_locktime);
        Layout storage $ = _s();
        uint256 old = $.lockTime;
        if (old == _locktime) return;
        $.lockTime = _locktime;
        emit LockTimeUpdated(old, _locktime);
    }

    function updatePenaltyPercentage(uint256 _penaltyPercentage) external onlyOwner {
        if (_penaltyPercentage > 100) revert PenaltyPercentageTooHigh(_penaltyPercentage);
        _s().penaltyPercentage = _penaltyPercentage;
    }

    // ------------------------------------------------------- ledger (IServing)

    function getPendingRefund(address user, address provider) external view returns (uint256) {
        return _account(user, provider).pendingRefund;
    }

    function addAccount(address user, address provider, string calldata additionalInfo) external payable onlyLedger {
        _addAccount(user, provider, additionalInfo);
    }

    function depositFund(address user, address provider, uint256 cancelRetrievingAmount) external payable onlyLedger {
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
        if (totalAmount > 0) {
            (bool ok, ) = payable(msg.sender).call{value: totalAmount}("");
            if (!ok) revert TransferToLedgerFailed();
        }
    }

    function deleteAccount(address user, address provider) external onlyLedger {
        emit AccountDeleted(user, provider, _deleteAccount(user, provider));
    }

    // ------------------------------------------------------------ account views

    function getAccount(address user, address provider) external view returns (AccountDetails memory) {
        Account storage a = _account(user, provider);
        return
            AccountDetails({
                user: a.user,
                provider: a.provider,
                nonce: a.nonce,
                balance: a.balance,
                pendingRefund: a.pendingRefund,
                refunds: a.refunds,
                additionalInfo: a.additionalInfo,
                deliverables: _deliverableList(a),
                validRefundsLength: a.validRefundsLength,
                deliverablesHead: a.deliverablesHead,
                deliverablesCount: a.deliverablesCount,
                acknowledged: a.acknowledged
            });
    }

    function getAllAccounts(
        uint256 offset,
        uint256 limit
    ) external view returns (AccountSummary[] memory accounts, uint256 total) {
        return _summaryPage(_s().index.keys, offset, limit);
    }

    function getAccountsByProvider(
        address provider,
        uint256 offset,
        uint256 limit
    ) external view returns (AccountSummary[] memory accounts, uint256 total) {
        return _summaryPage(_s().index.byProvider[provider], offset, limit);
    }

    function getAccountsByUser(
        address user,
        uint256 offset,
        uint256 limit
    ) external view returns (AccountSummary[] memory accounts, uint256 total) {
        return _summaryPage(_s().index.byUser[user], offset, limit);
    }

    /// @dev The caller is the provider; users without a sub-account yield a zeroed entry.
    function getBatchAccountsByUsers(
        address[] calldata users
    ) external view returns (AccountSummary[] memory accounts) {
        if (users.length > MAX_BATCH_USERS) revert BatchSizeTooLarge(users.length, MAX_BATCH_USERS);
        Layout storage $ = _s();
        accounts = new AccountSummary[](users.length);
        for (uint256 i = 0; i < users.length; ++i) {
            bytes32 key = _accountKey(users[i], msg.sender);
            if ($.index.keys.contains(key)) accounts[i] = _summary($.accounts[key]);
        }
    }

    function acknowledgeTEESigner(address provider, bool acknowledged) external {
        Account storage a = _account(msg.sender, provider);
        if (!acknowledged && a.balance != 0) revert CannotRevokeWithNonZeroBalance(msg.sender, provider, a.balance);
        a.acknowledged = acknowledged;
    }

    // ------------------------------------------------------------------ services

    function addOrUpdateService(
        string calldata url,
        Quota calldata quota,
        uint256 pricePerToken,
        bool occupied,
        string[] calldata models,
        address teeSignerAddress
    ) external payable {
        Layout storage $ = _s();
        _takeStake($.stakes);
        bytes32 key = _serviceKey(msg.sender);
        Service storage s = $.services[key];
        if ($.serviceKeys.add(key)) {
            s.provider = msg.sender;
        } else if (s.teeSignerAddress != teeSignerAddress) {
            // only a signer change voids the owner's vetting here
            s.teeSignerAcknowledged = false;
        }
        s.url = url;
        s.quota = quota;
        s.pricePerToken = pricePerToken;
        s.occupied = occupied;
        s.models = models;
        s.teeSignerAddress = teeSignerAddress;
        emit ServiceUpdated(msg.sender, url, quota, pricePerToken, teeSignerAddress, occupied);
    }

    function removeService() external nonReentrant {
        Layout storage $ = _s();
        (bytes32 key, uint256 stake) = _unlistService($.serviceKeys, $.stakes);
        delete $.services[key];
        emit ServiceRemoved(msg.sender);
        if (stake > 0) _pay(msg.sender, stake);
    }

    function getService(address provider) external view returns (Service memory service) {
        return _service(provider);
    }

    function getAllServices() external view returns (Service[] memory services) {
        Layout storage $ = _s();
        uint256 n = $.serviceKeys.length();
        services = new Service[](n);
        for (uint256 i = 0; i < n; ++i) {
            services[i] = $.services[$.serviceKeys.at(i)];
        }
    }

    function _vetTEESigner(address provider, bool acknowledged) internal override returns (address) {
        Service storage s = _service(provider);
        s.teeSignerAcknowledged = acknowledged;
        return s.teeSignerAddress;
    }

    // ---------------------------------------------------------------- settlement

    function settleFees(VerifierInput calldata verifierInput) external nonReentrant {
        VerifierInput calldata v = verifierInput;
        Account storage a = _account(v.user, msg.sender);
        Service storage s = _service(msg.sender);
        address signer = s.teeSignerAddress;
        if (!a.acknowledged || !s.teeSignerAcknowledged || signer == address(0)) {
            revert InvalidVerifierInput("TEE signer not acknowledged");
        }
        if (v.nonce <= a.nonce) revert InvalidVerifierInput("nonce should larger than the current nonce");
        // the full fee must be covered even when only the penalty is charged (live behaviour)
        if (a.balance < v.taskFee) revert InvalidVerifierInput("insufficient balance");
        Deliverable storage d = _deliverable(a, v.id);
        if (d.settled) revert DeliverableAlreadySettled(v.id);
        if (keccak256(v.modelRootHash) != keccak256(d.modelRootHash)) {
            revert InvalidVerifierInput("model root hash mismatch");
        }
        _checkIdLength(v.id);
        (address recovered, ECDSA.RecoverError err) = ECDSA.tryRecover(_verifierDigest(v), v.signature);
        if (err != ECDSA.RecoverError.NoError || recovered != signer) {
            revert InvalidVerifierInput("TEE settlement validation failed");
        }

        bool acknowledged = d.acknowledged;
        uint256 fee;
        if (acknowledged) {
            if (v.encryptedSecret.length == 0) revert SecretShouldNotBeEmpty();
            d.encryptedSecret = v.encryptedSecret;
            fee = v.taskFee;
        } else {
            // no acknowledgement: the key is never released and only the penalty share is paid
            if (v.encryptedSecret.length != 0) revert SecretShouldBeEmpty();
            fee = (v.taskFee * _s().penaltyPercentage) / 100;
        }
        a.nonce = v.nonce;
        d.settled = true;
        emit FeesSettled(v.user, msg.sender, v.id, fee, acknowledged, v.nonce);
        if (fee > 0) {
            _chargeFunds(_funds(a), a.validRefundsLength, _s().ledgerAddress, v.user, msg.sender, fee);
            _pay(msg.sender, fee);
        }
    }

    // ------------------------------------------------------------------ internal

    function _service(address provider) private view returns (Service storage) {
        Layout storage $ = _s();
        bytes32 key = _serviceKey(provider);
        if (!$.serviceKeys.contains(key)) revert ServiceNotExist(provider);
        return $.services[key];
    }

    /// @dev Provider is not in the message: it is bound by the domain (this proxy), the account and the signer.
    function _verifierDigest(VerifierInput calldata v) private view returns (bytes32) {
        bytes32 structHash = keccak256(
            abi.encode(
                VERIFIER_TYPEHASH,
                keccak256(bytes(v.id)),
                keccak256(v.encryptedSecret),
                keccak256(v.modelRootHash),
                v.nonce,
                v.taskFee,
                v.user
            )
        );
        return _typedDataDigest(NAME_HASH, structHash);
    }

    function _checkLockTime(uint256 lt) private pure {
        if (lt < MIN_LOCKTIME || lt > MAX_LOCKTIME) revert LockTimeOutOfRange(lt);
    }

    function _pay(address to, uint256 amount) private {
        (bool ok, ) = payable(to).call{value: amount}("");
        if (!ok) revert ETHTransferFailed();
    }
}
