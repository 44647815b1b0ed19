// SPDX-License-Identifier: MIT
pragma solidity 0.8.22;

import "@openzeppelin/contracts/access/Ownable.sol";
import "@openzeppelin/contracts/security/ReentrancyGuard.sol";
import "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import "../utils/Initializable.sol";
import "../interfaces/IServing.sol";
import "./LedgerRegistry.sol";

/// @title LedgerManager: users' main accounts plus the registry of serving contracts.
/// @dev Holds the ETH of `availableBalance`; serving contracts hold the ETH of their sub-accounts.
contract LedgerManager is Ownable, Initializable, ReentrancyGuard, LedgerRegistry {
    using EnumerableSet for EnumerableSet.Bytes32Set;
    using EnumerableSet for EnumerableSet.AddressSet;

    constructor() {
        _lockInitializer();
    }

    function initialize(address owner) external onlyInitializeOnce {
        _transferOwnership(owner);
    }

    // ---------------------------------------------------------------- ledger

    function addLedger(
        string calldata additionalInfo
    ) external payable ledgerLock(msg.sender) returns (uint256, uint256) {
        if (msg.value < MIN_ACCOUNT_BALANCE) revert MinimumDepositRequired(msg.value, MIN_ACCOUNT_BALANCE);
        _checkInfo(additionalInfo);
        bytes32 key = _ledgerKey(msg.sender);
        if (_s().ledgerKeys.contains(key)) revert LedgerExists(msg.sender);
        _createLedger(key, msg.sender, additionalInfo);
        return (msg.value, 0);
    }

    function depositFund() external payable {
        _deposit(msg.sender);
    }

    function depositFundFor(address recipient) external payable {
        if (recipient == address(0)) revert ZeroAddressNotAllowed();
        _deposit(recipient);
    }

    function refund(uint256 amount) external ledgerLock(msg.sender) {
        Ledger storage l = _ledger(msg.sender);
        uint256 available = l.availableBalance;
        if (available < amount) revert InsufficientBalance(msg.sender);
        uint256 remaining = available - amount;
        // keep at least the minimum, or withdraw everything
        if (remaining != 0 && remaining < MIN_ACCOUNT_BALANCE) {
            revert MinimumDepositRequired(remaining, MIN_ACCOUNT_BALANCE);
        }
        l.availableBalance = remaining;
        l.totalBalance -= amount;
        if (l.totalBalance == 0) {
            _deleteAllServiceAccounts(msg.sender);
            _deleteLedger(msg.sender);
        }
        _send(msg.sender, amount);
    }

    function transferFund(
        address provider,
        string calldata serviceName,
        uint256 amount
    ) external ledgerLock(msg.sender) {
        Ledger storage l = _ledger(msg.sender);
        address service = _serviceByName(serviceName);
        IServing s = IServing(service);
        uint256 transferAmount = amount;
        bytes memory data;
        if (s.accountExists(msg.sender, provider)) {
            // money being retrieved is put back first (LIFO in the service), only the rest moves
            uint256 pending = s.getPendingRefund(msg.sender, provider);
            uint256 cancel = amount < pending ? amount : pending;
            transferAmount = amount - cancel;
            data = abi.encodeCall(IServing.depositFund, (msg.sender, provider, cancel));
        } else {
            if (amount < MIN_TRANSFER_AMOUNT) revert MinimumDepositRequired(amount, MIN_TRANSFER_AMOUNT);
            EnumerableSet.AddressSet storage set = _s().providers[_pairKey(msg.sender, service)];
            if (!set.contains(provider)) {
                uint256 n = set.length();
                if (n >= MAX_PROVIDERS_PER_USER_PER_SERVICE) {
                    revert TooManyProvidersForService(n, MAX_PROVIDERS_PER_USER_PER_SERVICE);
                }
                set.add(provider);
            }
            data = abi.encodeCall(IServing.addAccount, (msg.sender, provider, l.additionalInfo));
        }
        if (l.availableBalance < transferAmount) {
            revert InsufficientAvailableBalance(l.availableBalance, transferAmount);
        }
        l.availableBalance -= transferAmount;
        // the live contract swallows the service's revert data; clients pre-validate
        (bool ok, ) = service.call{value: transferAmount}(data);
        if (!ok) revert CallFailed();
    }

    function retrieveFund(address[] calldata providers, string calldata serviceName) external {
        if (providers.length > MAX_PROVIDERS_PER_BATCH) {
            revert TooManyProviders(providers.length, MAX_PROVIDERS_PER_BATCH);
        }
        _retrieve(providers, _serviceByName(serviceName));
    }

    function deleteLedger() external nonReentrant ledgerLock(msg.sender) {
        Ledger storage l = _ledger(msg.sender);
        if (l.totalBalance != 0) revert MustWithdrawAllFundsFirst(l.totalBalance);
        _deleteAllServiceAccounts(msg.sender);
        _deleteLedger(msg.sender);
    }

    function updateAdditionalInfo(string calldata additionalInfo) external ledgerLock(msg.sender) {
        _checkInfo(additionalInfo);
        _ledger(msg.sender).additionalInfo = additionalInfo;
        emit LedgerInfoUpdated(msg.sender, additionalInfo);
    }

    /// @notice Called by a serving contract when it pays a provider out of a sub-account.
    function spendFund(address user, uint256 amount) external {
        if (!_s().serviceAddresses.contains(msg.sender)) revert CallerNotRegisteredService(msg.sender);
        _spend(user, amount);
    }

    function getLedger(address user) external view returns (Ledger memory) {
        return _ledger(user);
    }

    function getAllLedgers(
        uint256 offset,
        uint256 limit
    ) external view returns (Ledger[] memory ledgers, uint256 total) {
        LedgerStorage storage $ = _s();
        total = $.ledgerKeys.length();
        uint256 n = _pageSize(offset, limit == 0 ? DEFAULT_PAGE : limit, total);
        ledgers = new Ledger[](n);
        for (uint256 i = 0; i < n; ++i) {
            ledgers[i] = $.ledgers[$.ledgerKeys.at(offset + i)];
        }
    }

    function getLedgerProviders(address user, string calldata serviceName) external view returns (address[] memory) {
        return _s().providers[_pairKey(user, _serviceByName(serviceName))].values();
    }

    // -------------------------------------------------------------- internal







    function _createLedger(bytes32 key, address user, string memory info) private {
        LedgerStorage storage $ = _s();
        $.ledgerKeys.add(key);
        Ledger storage l = $.ledgers[key];
        l.user = user;
        l.availableBalance = msg.value;
        l.totalBalance = msg.value;
        l.additionalInfo = info;
    }

    function _deposit(address recipient) private ledgerLock(recipient) {
        if (msg.value == 0) revert ZeroAmountNotAllowed();
        LedgerStorage storage $ = _s();
        bytes32 key = _ledgerKey(recipient);
        if (!$.ledgerKeys.contains(key)) {
            if (msg.value < MIN_ACCOUNT_BALANCE) revert MinimumDepositRequired(msg.value, MIN_ACCOUNT_BALANCE);
            _createLedger(key, recipient, "");
        } else {
            Ledger storage l = $.ledgers[key];
            l.availableBalance += msg.value;
            l.totalBalance += msg.value;
        }
    }

    function _retrieve(address[] calldata providers, address service) private ledgerLock(msg.sender) {
        Ledger storage l = _ledger(msg.sender);
        IServing s = IServing(service);
        // credit what actually arrived rather than trusting the returned amounts
        uint256 before = address(this).balance;
        for (uint256 i = 0; i < providers.length; ++i) {
            address provider = providers[i];
            if (!s.accountExists(msg.sender, provider)) continue;
            s.processRefund(msg.sender, provider);
            s.requestRefundAll(msg.sender, provider);
        }
        l.availableBalance += address(this).balance - before;
    }

    function _spend(address user, uint256 amount) private ledgerLock(user) {
        Ledger storage l = _ledger(user);
        uint256 inServices = l.totalBalance - l.availableBalance;
        if (inServices < amount) revert InsufficientAvailableBalance(inServices, amount);
        l.totalBalance -= amount;
        emit FundSpent(user, msg.sender, amount);
    }

    function _deleteLedger(address user) private {
        LedgerStorage storage $ = _s();
        bytes32 key = _ledgerKey(user);
        delete $.ledgers[key];
        $.ledgerKeys.remove(key);
    }

    /// @dev Soft-deletes every sub-account of `user` in every registered service. A failing service must not
    /// block the user's exit, hence try/catch.
    function _deleteAllServiceAccounts(address user) private {
        LedgerStorage storage $ = _s();
        uint256 n = $.serviceAddresses.length();
        for (uint256 i = 0; i < n; ++i) {
            address service = $.serviceAddresses.at(i);
            EnumerableSet.AddressSet storage set = $.providers[_pairKey(user, service)];
            for (uint256 j = set.length(); j > 0; --j) {
                address provider = set.at(j - 1);
                try IServing(service).deleteAccount(user, provider) {} catch {}
                set.remove(provider);
            }
        }
    }
}
