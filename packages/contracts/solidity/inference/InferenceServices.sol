// SPDX-License-Identifier: MIT
pragma solidity 0.8.22;

import "@openzeppelin/contracts/access/Ownable.sol";
import "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import "./InferenceAccounts.sol";

/// @dev Provider services with stake, owner-level TEE signer vetting, and the EIP-712 settlement check.
abstract contract InferenceServices is Ownable, InferenceAccounts {
    using EnumerableSet for EnumerableSet.Bytes32Set;

    bytes32 private constant NAME_HASH = keccak256("0G Inference Serving");
    bytes32 private constant SETTLEMENT_TYPEHASH =
        keccak256("TEESettlement(bytes32 requestsHash,uint256 nonce,address provider,address user,uint256 totalFee)");

    function addOrUpdateService(ServiceParams calldata params) external payable {
        Layout storage $ = _s();
        _takeStake($.stakes);
        if (bytes(params.additionalInfo).length > MAX_ADDITIONAL_INFO_LENGTH) revert AdditionalInfoTooLong();

        bytes32 key = _serviceKey(msg.sender);
        Service storage s = $.services[key];
        if ($.serviceKeys.add(key)) {
            s.provider = msg.sender;
        } else if (_criticalFieldsChange(s, params)) {
            // what the owner vetted changed: vetting must be redone (url and prices do not count)
            s.teeSignerAcknowledged = false;
        }
        s.serviceType = params.serviceType;
        s.url = params.url;
        s.model = params.model;
        s.verifiability = params.verifiability;
        s.inputPrice = params.inputPrice;
        s.outputPrice = params.outputPrice;
        s.additionalInfo = params.additionalInfo;
        s.teeSignerAddress = params.teeSignerAddress;
        s.updatedAt = block.timestamp;
        emit ServiceUpdated(
            msg.sender,
            params.serviceType,
            params.url,
            params.inputPrice,
            params.outputPrice,
            block.timestamp,
            params.model,
            params.verifiability
        );
    }

    function getService(address provider) external view returns (Service memory service) {
        return _service(provider);
    }

    function getAllServices(
        uint256 offset,
        uint256 limit
    ) external view returns (Service[] memory services, uint256 total) {
        Layout storage $ = _s();
        total = $.serviceKeys.length();
        uint256 n = _pageBounds(offset, limit, total);
        services = new Service[](n);
        for (uint256 i = 0; i < n; ++i) {
            services[i] = $.services[$.serviceKeys.at(offset + i)];
        }
    }

    function serviceExists(address provider) external view returns (bool) {
        return _s().serviceKeys.contains(_serviceKey(provider));
    }

    function _vetTEESigner(address provider, bool acknowledged) internal override returns (address) {
        Service storage s = _service(provider);
        s.teeSignerAcknowledged = acknowledged;
        return s.teeSignerAddress;
    }

    function _service(address provider) internal view returns (Service storage) {
        Layout storage $ = _s();
        bytes32 key = _serviceKey(provider);
        if (!$.serviceKeys.contains(key)) revert ServiceNotExist(provider);
        return $.services[key];
    }

    function _criticalFieldsChange(Service storage s, ServiceParams calldata p) private view returns (bool) {
        return
            s.teeSignerAddress != p.teeSignerAddress ||
            keccak256(bytes(s.serviceType)) != keccak256(bytes(p.serviceType)) ||
            keccak256(bytes(s.model)) != keccak256(bytes(p.model)) ||
            keccak256(bytes(s.verifiability)) != keccak256(bytes(p.verifiability)) ||
            keccak256(bytes(s.additionalInfo)) != keccak256(bytes(p.additionalInfo));
    }

    /// @dev First failing check decides the status; see contracts.md §8.1 for the (odd) live status mapping.
    function _checkSettlement(TEESettlementData calldata d) internal view returns (SettlementStatus) {
        if (d.provider != msg.sender) return SettlementStatus.PROVIDER_MISMATCH;
        Layout storage $ = _s();
        bytes32 accountKey = _accountKey(d.user, msg.sender);
        if (!$.index.keys.contains(accountKey)) return SettlementStatus.INVALID_SIGNATURE;
        bytes32 serviceKey = _serviceKey(msg.sender);
        if (!$.serviceKeys.contains(serviceKey)) return SettlementStatus.PROVIDER_MISMATCH;
        Account storage a = $.accounts[accountKey];
        Service storage s = $.services[serviceKey];
        address signer = s.teeSignerAddress;
        if (!a.acknowledged || !s.teeSignerAcknowledged || signer == address(0)) {
            return SettlementStatus.NO_TEE_SIGNER;
        }
        if (d.nonce <= a.nonce) return SettlementStatus.INVALID_NONCE;
        (address recovered, ECDSA.RecoverError err) = ECDSA.tryRecover(_settlementDigest(d), d.signature);
        if (err != ECDSA.RecoverError.NoError || recovered != signer) return SettlementStatus.INVALID_SIGNATURE;
        return SettlementStatus.SUCCESS;
    }

    function _settlementDigest(TEESettlementData calldata d) internal view returns (bytes32) {
        bytes32 structHash = keccak256(
            abi.encode(SETTLEMENT_TYPEHASH, d.requestsHash, d.nonce, d.provider, d.user, d.totalFee)
        );
        return _typedDataDigest(NAME_HASH, structHash);
    }
}
