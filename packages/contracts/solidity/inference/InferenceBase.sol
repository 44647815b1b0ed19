// SPDX-License-Identifier: MIT
pragma solidity 0.8.22;

import "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import "../shared/ServingAccounts.sol";
import "./InferenceTypes.sol";

/// @dev Storage layout and the constants, errors and events only InferenceServing has. No state variables of its own:
/// everything lives in the ERC-7201 namespace so slots 0/1 stay Ownable+Initializable / ReentrancyGuard.
abstract contract InferenceBase is ServingAccounts {
    uint256 internal constant MAX_BATCH_USERS = 500;
    uint256 internal constant MAX_SETTLEMENTS = 50;

    /// @custom:storage-location erc7201:0g.serving.inference.v1.0
    struct Layout {
        uint256 lockTime;
        address ledgerAddress;
        mapping(bytes32 => Account) accounts; // keccak256(abi.encode(user, provider))
        AccountIndex index; // of `accounts`
        mapping(bytes32 => Service) services; // keccak256(abi.encode(provider))
        EnumerableSet.Bytes32Set serviceKeys;
        mapping(address => uint256) stakes;
    }

    // keccak256(abi.encode(uint256(keccak256("0g.serving.inference.v1.0")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_SLOT = 0xdfd123095cdedb1cecbc229b30f7cf8745fb3d3951645ac4a8fa4c0895f89500;

    error BatchSizeTooLarge(uint256 size, uint256 max);
    error CallerNotLedger(address caller);
    error InvalidAddress(address addr);
    error InvalidTEESignature(string reason); // declared, never thrown (live ABI parity)
    error LimitTooLarge(uint256 limit, uint256 max);
    error LockTimeOutOfRange(uint256 lockTime, uint256 min, uint256 max);
    error NoSettlementsProvided();
    error ProviderCannotBeUser();
    error TooManySettlements(uint256 count, uint256 max);
    error TransferFailed();

    event ServiceUpdated(
        address indexed service,
        string serviceType,
        string url,
        uint256 inputPrice,
        uint256 outputPrice,
        uint256 updatedAt,
        string model,
        string verifiability
    );
    event ServiceRemoved(address indexed service);
    event TEESettlementResult(address indexed user, SettlementStatus status, uint256 unsettledAmount);
    event ContractInitialized(address indexed owner, uint256 lockTime, address ledgerAddress);
    event TokenRevoked(address indexed user, address indexed provider, uint8 tokenId);
    event TokensRevoked(address indexed user, address indexed provider, uint8[] tokenIds);
    event AllTokensRevoked(address indexed user, address indexed provider, uint256 newGeneration);
    event BatchBalanceUpdated(address[] users, uint256[] balances, uint256[] pendingRefunds); // never emitted

    modifier onlyLedger() {
        if (msg.sender != _s().ledgerAddress) revert CallerNotLedger(msg.sender);
        _;
    }

    function _s() internal pure returns (Layout storage $) {
        assembly {
            $.slot := STORAGE_SLOT
        }
    }

    function _accountIndex() internal view override returns (AccountIndex storage) {
        return _s().index;
    }

    /// @dev limit 0 means the default page; larger than the default is an error.
    function _pageBounds(uint256 offset, uint256 limit, uint256 total) internal pure returns (uint256 n) {
        if (limit == 0) limit = PAGE_LIMIT;
        else if (limit > PAGE_LIMIT) revert LimitTooLarge(limit, PAGE_LIMIT);
        if (offset >= total) return 0;
        n = total - offset;
        if (limit < n) n = limit;
    }

    function _sendValue(address to, uint256 amount) internal {
        (bool ok, ) = payable(to).call{value: amount}("");
        if (!ok) revert TransferFailed();
    }
}
