// SPDX-License-Identifier: MIT
pragma solidity 0.8.22;

import "@openzeppelin/contracts/access/Ownable.sol";
import "@openzeppelin/contracts/utils/introspection/ERC165.sol";
import "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import "../interfaces/IServing.sol";

/// @dev What InferenceServing and FineTuningServing declare alike: limits, the errors and events with the same
/// signature and parameter names in both live ABIs, the storage keys, the owner's TEE-signer vetting, stake in and
/// out, ERC-165 and the refusal of plain transfers. No state variables beyond Ownable's (which both contracts already
/// had first), so inheriting it moves no slot; each contract keeps its own ERC-7201 layout and the declarations whose
/// ABI differs.
abstract contract ServingBase is Ownable, ERC165, IServing {
    using EnumerableSet for EnumerableSet.Bytes32Set;

    uint256 public constant MIN_LOCKTIME = 3600;
    uint256 public constant MAX_LOCKTIME = 604800;
    uint256 public constant MIN_PROVIDER_STAKE = 100 ether;

    uint256 internal constant MAX_REFUNDS = 5;
    uint256 internal constant PAGE_LIMIT = 50;
    uint256 internal constant MAX_ADDITIONAL_INFO_LENGTH = 4096;

    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant VERSION_HASH = keccak256("1");

    error AccountExists(address user, address provider);
    error AccountNotExists(address user, address provider);
    error AdditionalInfoTooLong();
    error CannotAddStakeWhenUpdating();
    error CannotRevokeWithNonZeroBalance(address user, address provider, uint256 balance);
    error DirectDepositsDisabled();
    error InsufficientStake(uint256 provided, uint256 required);
    error ServiceNotExist(address provider);
    error TooManyRefunds(address user, address provider);

    event BalanceUpdated(address indexed user, address indexed provider, uint256 amount, uint256 pendingRefund);
    event RefundRequested(address indexed user, address indexed provider, uint256 indexed index, uint256 timestamp);
    event AccountDeleted(address indexed user, address indexed provider, uint256 refundedAmount);
    event LockTimeUpdated(uint256 oldLockTime, uint256 newLockTime);
    event ProviderTEESignerAcknowledged(address indexed provider, address indexed teeSignerAddress, bool acknowledged);
    event ProviderStaked(address indexed provider, uint256 amount);
    event ProviderStakeReturned(address indexed provider, uint256 amount);

    receive() external payable {
        revert DirectDepositsDisabled();
    }

    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(IServing).interfaceId || super.supportsInterface(interfaceId);
    }

    function acknowledgeTEESignerByOwner(address provider) external onlyOwner {
        emit ProviderTEESignerAcknowledged(provider, _vetTEESigner(provider, true), true);
    }

    function revokeTEESignerAcknowledgement(address provider) external onlyOwner {
        emit ProviderTEESignerAcknowledged(provider, _vetTEESigner(provider, false), false);
    }

    /// @dev Sets the acknowledgement of `provider`'s service (reverts ServiceNotExist) and returns its TEE signer.
    function _vetTEESigner(address provider, bool acknowledged) internal virtual returns (address);

    /// @dev A provider's first service posts its stake (at least MIN_PROVIDER_STAKE); an update cannot add to it.
    function _takeStake(mapping(address => uint256) storage stakes) internal {
        if (stakes[msg.sender] == 0) {
            if (msg.value < MIN_PROVIDER_STAKE) revert InsufficientStake(msg.value, MIN_PROVIDER_STAKE);
            stakes[msg.sender] = msg.value;
            emit ProviderStaked(msg.sender, msg.value);
        } else if (msg.value != 0) {
            revert CannotAddStakeWhenUpdating();
        }
    }

    /// @dev Takes the caller's service key out (reverts ServiceNotExist) and zeroes its stake, which the caller pays
    /// out after deleting the service and emitting ServiceRemoved (whose ABI differs per contract).
    function _unlistService(
        EnumerableSet.Bytes32Set storage serviceKeys,
        mapping(address => uint256) storage stakes
    ) internal returns (bytes32 key, uint256 stake) {
        key = _serviceKey(msg.sender);
        if (!serviceKeys.remove(key)) revert ServiceNotExist(msg.sender);
        stake = stakes[msg.sender];
        if (stake > 0) {
            stakes[msg.sender] = 0;
            emit ProviderStakeReturned(msg.sender, stake);
        }
    }

    /// @dev EIP-712 digest under the domain (nameHash, version "1", chainid, address(this)), recomputed per call:
    /// under delegatecall address(this) is the proxy.
    function _typedDataDigest(bytes32 nameHash, bytes32 structHash) internal view returns (bytes32) {
        bytes32 domainSeparator = keccak256(
            abi.encode(DOMAIN_TYPEHASH, nameHash, VERSION_HASH, block.chainid, address(this))
        );
        return keccak256(abi.encodePacked("\x19\x01", domainSeparator, structHash));
    }

    function _accountKey(address user, address provider) internal pure returns (bytes32) {
        return keccak256(abi.encode(user, provider));
    }

    function _serviceKey(address provider) internal pure returns (bytes32) {
        return keccak256(abi.encode(provider));
    }
}
