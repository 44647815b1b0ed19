// SPDX-License-Identifier: MIT
pragma solidity 0.8.22;

import "@openzeppelin/contracts/access/Ownable.sol";
import "@openzeppelin/contracts/security/ReentrancyGuard.sol";
import "@openzeppelin/contracts/utils/introspection/ERC165Checker.sol";
import "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import "../utils/Initializable.sol";
import "../interfaces/IServing.sol";
import "./LedgerTypes.sol";

/// @title LedgerManager: users' main accounts plus the registry of serving contracts.
/// @dev Holds the ETH of `availableBalance`; serving contracts hold the ETH of their sub-accounts.
contract LedgerManager is Ownable, Initializable, ReentrancyGuard {
    using EnumerableSet for EnumerableSet.Bytes32Set;
    using EnumerableSet for EnumerableSet.AddressSet;

    uint256 public constant MIN_ACCOUNT_BALANCE = 3 ether;
    uint256 public constant MIN_TRANSFER_AMOUNT = 1 ether;
    uint256 public constant MAX_PROVIDERS_PER_BATCH = 20;
    uint256 public constant MAX_PROVIDERS_PER_USER_PER_SERVICE = 50;
    uint256 public constant MAX_SERVICES = 500;
    uint256 public constant MAX_ADDITIONAL_INFO_LENGTH = 4096;

    uint256 private constant DEFAULT_PAGE = 50;
    // 1 and 2 rather than 0 and 1: re-locking a warm non-zero slot is far cheaper (settlement batches lock per item).
    uint256 private constant UNLOCKED = 1;
    uint256 private constant LOCKED = 2;

    /// @custom:storage-location erc7201:0g.serving.ledger
    struct LedgerStorage {
        mapping(bytes32 => Ledger) ledgers;
        EnumerableSet.Bytes32Set ledgerKeys;
        mapping(bytes32 => uint256) locks;
        // keccak256(abi.encode(user, serviceAddress)) => providers with a sub-account there
        mapping(bytes32 => EnumerableSet.AddressSet) providers;
        mapping(address => ServiceInfo) services;
        EnumerableSet.AddressSet serviceAddresses;
        mapping(bytes32 => address) serviceByName; // keccak256(fullName)
        mapping(bytes32 => address) recommended; // keccak256(serviceType)
    }

    // keccak256(abi.encode(uint256(keccak256("0g.serving.ledger")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_SLOT = 0x0bb5d42557ea6926c17416c5b1c1c29c28d9006d6f713295a2d385f07156ed00;

    error AdditionalInfoTooLong(uint256 length, uint256 max);
    error CallFailed();
    error CallerNotRegisteredService(address caller);
    error DirectDepositsDisabled();
    error InsufficientAvailableBalance(uint256 available, uint256 required);
    error InsufficientBalance(address user);
    error InvalidServiceAddress(address serviceAddress);
    error InvalidServiceType(string serviceType); // declared, never thrown (live ABI parity)
    error LedgerExists(address user);
    error LedgerLocked();
    error LedgerNotExists(address user);
    error MinimumDepositRequired(uint256 provided, uint256 required);
    error MustWithdrawAllFundsFirst(uint256 remainingBalance);
    error NoRecommendedService(string serviceType);
    error ServiceAlreadyRegistered(address serviceAddress);
    error ServiceMustImplementIServing(address serviceAddress);
    error ServiceNameExists(string serviceName);
    error ServiceNotFound(address serviceAddress);
    error ServiceNotRegistered(address serviceAddress); // declared, never thrown (live ABI parity)
    error ServiceRegistryLimitReached(uint256 limit);
    error ServiceTypeRequired();
    error TooManyProviders(uint256 requested, uint256 maximum);
    error TooManyProvidersForService(uint256 current, uint256 maximum);
    error TransferFailed();
    error VersionRequired();
    error ZeroAddressNotAllowed();
    error ZeroAmountNotAllowed();

    event ServiceRegistered(address indexed serviceAddress, string serviceName);
    event RecommendedServiceUpdated(string serviceType, string version, address serviceAddress);
    event LedgerInfoUpdated(address indexed user, string additionalInfo);
    event FundSpent(address indexed user, address indexed service, uint256 amount);

    /// @dev Per-user mutex: every function touching a ledger takes it, so a service callback cannot re-enter.
    modifier ledgerLock(address user) {
        LedgerStorage storage $ = _s();
        bytes32 key = _ledgerKey(user);
        if ($.locks[key] == LOCKED) revert LedgerLocked();
        $.locks[key] = LOCKED;
        _;
        $.locks[key] = UNLOCKED;
    }

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

    // -------------------------------------------------------------- registry

    function registerService(
        string calldata serviceType,
        string calldata version,
        address serviceAddress,
        string calldata description
    ) external onlyOwner {
        LedgerStorage storage $ = _s();
        if (serviceAddress == address(0)) revert InvalidServiceAddress(address(0));
        if (bytes(serviceType).length == 0) revert ServiceTypeRequired();
        if (bytes(version).length == 0) revert VersionRequired();
        if ($.serviceAddresses.contains(serviceAddress)) revert ServiceAlreadyRegistered(serviceAddress);
        string memory fullName = string.concat(serviceType, "-", version);
        bytes32 nameKey = keccak256(bytes(fullName));
        if ($.serviceByName[nameKey] != address(0)) revert ServiceNameExists(fullName);
        if (!ERC165Checker.supportsInterface(serviceAddress, type(IServing).interfaceId)) {
            revert ServiceMustImplementIServing(serviceAddress);
        }
        if ($.serviceAddresses.length() >= MAX_SERVICES) revert ServiceRegistryLimitReached(MAX_SERVICES);
        $.serviceAddresses.add(serviceAddress);
        $.serviceByName[nameKey] = serviceAddress;
        $.services[serviceAddress] = ServiceInfo({
            serviceAddress: serviceAddress,
            serviceContract: IServing(serviceAddress),
            serviceType: serviceType,
            version: version,
            fullName: fullName,
            description: description,
            isRecommended: false,
            registeredAt: block.timestamp
        });
        emit ServiceRegistered(serviceAddress, fullName);
    }

    function setRecommendedService(string calldata serviceType, string calldata version) external onlyOwner {
        LedgerStorage storage $ = _s();
        address addr = $.serviceByName[keccak256(bytes(string.concat(serviceType, "-", version)))];
        if (addr == address(0)) revert ServiceNotFound(address(0));
        bytes32 typeKey = keccak256(bytes(serviceType));
        address previous = $.recommended[typeKey];
        if (previous != address(0)) $.services[previous].isRecommended = false;
        $.recommended[typeKey] = addr;
        $.services[addr].isRecommended = true;
        emit RecommendedServiceUpdated(serviceType, version, addr);
    }

    /// @dev Unknown addresses yield a zeroed struct, not a revert (clients rely on that).
    function getServiceInfo(address serviceAddress) external view returns (ServiceInfo memory) {
        return _s().services[serviceAddress];
    }

    function getServiceAddressByName(string calldata serviceName) external view returns (address) {
        return _s().serviceByName[keccak256(bytes(serviceName))];
    }

    function getAllActiveServices() external view returns (ServiceInfo[] memory) {
        LedgerStorage storage $ = _s();
        uint256 n = $.serviceAddresses.length();
        ServiceInfo[] memory infos = new ServiceInfo[](n);
        for (uint256 i = 0; i < n; ++i) {
            infos[i] = $.services[$.serviceAddresses.at(i)];
        }
        return infos;
    }

    function getRecommendedService(
        string calldata serviceType
    ) external view returns (string memory version, address serviceAddress) {
        LedgerStorage storage $ = _s();
        serviceAddress = $.recommended[keccak256(bytes(serviceType))];
        if (serviceAddress == address(0)) revert NoRecommendedService(serviceType);
        version = $.services[serviceAddress].version;
    }

    function getAllVersions(
        string calldata serviceType
    ) external view returns (string[] memory versions, address[] memory addresses, bool[] memory isRecommendedFlags) {
        LedgerStorage storage $ = _s();
        bytes32 typeKey = keccak256(bytes(serviceType));
        uint256 total = $.serviceAddresses.length();
        uint256 n = 0;
        for (uint256 i = 0; i < total; ++i) {
            if (keccak256(bytes($.services[$.serviceAddresses.at(i)].serviceType)) == typeKey) ++n;
        }
        versions = new string[](n);
        addresses = new address[](n);
        isRecommendedFlags = new bool[](n);
        uint256 j = 0;
        for (uint256 i = 0; i < total; ++i) {
            ServiceInfo storage info = $.services[$.serviceAddresses.at(i)];
            if (keccak256(bytes(info.serviceType)) != typeKey) continue;
            versions[j] = info.version;
            addresses[j] = info.serviceAddress;
            isRecommendedFlags[j] = info.isRecommended;
            ++j;
        }
    }

    function isRecommendedVersion(string calldata serviceType, string calldata version) external view returns (bool) {
        LedgerStorage storage $ = _s();
        address addr = $.serviceByName[keccak256(bytes(string.concat(serviceType, "-", version)))];
        return addr != address(0) && $.recommended[keccak256(bytes(serviceType))] == addr;
    }

    /// @dev Only registered services send ETH here (processRefund); crediting happens in retrieveFund.
    receive() external payable {
        if (!_s().serviceAddresses.contains(msg.sender)) revert DirectDepositsDisabled();
    }

    // -------------------------------------------------------------- internal

    function _s() private pure returns (LedgerStorage storage $) {
        assembly {
            $.slot := STORAGE_SLOT
        }
    }

    function _ledgerKey(address user) private pure returns (bytes32) {
        return keccak256(abi.encode(user));
    }

    function _pairKey(address user, address service) private pure returns (bytes32) {
        return keccak256(abi.encode(user, service));
    }

    function _ledger(address user) private view returns (Ledger storage l) {
        LedgerStorage storage $ = _s();
        bytes32 key = _ledgerKey(user);
        if (!$.ledgerKeys.contains(key)) revert LedgerNotExists(user);
        l = $.ledgers[key];
    }

    function _serviceByName(string calldata serviceName) private view returns (address addr) {
        addr = _s().serviceByName[keccak256(bytes(serviceName))];
        // the live contract reports the zero address, not the name
        if (addr == address(0)) revert ServiceNotFound(address(0));
    }

    function _checkInfo(string calldata info) private pure {
        if (bytes(info).length > MAX_ADDITIONAL_INFO_LENGTH) {
            revert AdditionalInfoTooLong(bytes(info).length, MAX_ADDITIONAL_INFO_LENGTH);
        }
    }

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

    function _send(address to, uint256 amount) private {
        (bool ok, ) = payable(to).call{value: amount}("");
        if (!ok) revert TransferFailed();
    }

    function _pageSize(uint256 offset, uint256 limit, uint256 total) private pure returns (uint256) {
        if (offset >= total) return 0;
        uint256 left = total - offset;
        return limit < left ? limit : left;
    }
}
