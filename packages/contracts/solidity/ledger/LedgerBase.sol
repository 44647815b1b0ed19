// SPDX-License-Identifier: MIT
pragma solidity 0.8.22;

import "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import "./LedgerTypes.sol";

/// @dev Storage layout (ERC-7201), constants, errors, events and shared helpers of LedgerManager. No state
/// variables of its own, so slots 0/1 stay Ownable+Initializable / ReentrancyGuard.
abstract contract LedgerBase {
    using EnumerableSet for EnumerableSet.Bytes32Set;

    uint256 public constant MIN_ACCOUNT_BALANCE = 3 ether;
    uint256 public constant MIN_TRANSFER_AMOUNT = 1 ether;
    uint256 public constant MAX_PROVIDERS_PER_BATCH = 20;
    uint256 public constant MAX_PROVIDERS_PER_USER_PER_SERVICE = 50;
    uint256 public constant MAX_SERVICES = 500;
    uint256 public constant MAX_ADDITIONAL_INFO_LENGTH = 4096;

    uint256 internal constant DEFAULT_PAGE = 50;
    // 1 and 2 rather than 0 and 1: re-locking a warm non-zero slot is far cheaper (settlement batches lock per item).
    uint256 internal constant UNLOCKED = 1;
    uint256 internal constant LOCKED = 2;

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

    function _s() internal pure returns (LedgerStorage storage $) {
        assembly {
            $.slot := STORAGE_SLOT
        }
    }

    function _ledgerKey(address user) internal pure returns (bytes32) {
        return keccak256(abi.encode(user));
    }

    function _pairKey(address user, address service) internal pure returns (bytes32) {
        return keccak256(abi.encode(user, service));
    }

    function _ledger(address user) internal view returns (Ledger storage l) {
        LedgerStorage storage $ = _s();
        bytes32 key = _ledgerKey(user);
        if (!$.ledgerKeys.contains(key)) revert LedgerNotExists(user);
        l = $.ledgers[key];
    }

    function _serviceByName(string calldata serviceName) internal view returns (address addr) {
        addr = _s().serviceByName[keccak256(bytes(serviceName))];
        // the live contract reports the zero address, not the name
        if (addr == address(0)) revert ServiceNotFound(address(0));
    }

    function _checkInfo(string calldata info) internal pure {
        if (bytes(info).length > MAX_ADDITIONAL_INFO_LENGTH) {
            revert AdditionalInfoTooLong(bytes(info).length, MAX_ADDITIONAL_INFO_LENGTH);
        }
    }

    function _send(address to, uint256 amount) internal {
        (bool ok, ) = payable(to).call{value: amount}("");
        if (!ok) revert TransferFailed();
    }

    function _pageSize(uint256 offset, uint256 limit, uint256 total) internal pure returns (uint256) {
        if (offset >= total) return 0;
        uint256 left = total - offset;
        return limit < left ? limit : left;
    }
}
