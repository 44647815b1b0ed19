// SPDX-License-Identifier: MIT
pragma solidity 0.8.22;

import "@openzeppelin/contracts/access/Ownable.sol";
import "@openzeppelin/contracts/utils/introspection/ERC165Checker.sol";
import "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import "../interfaces/IServing.sol";
import "./LedgerBase.sol";

/// @dev The registry of serving contracts ("<type>-<version>" names, one recommended version per type).
abstract contract LedgerRegistry is Ownable, LedgerBase {
    using EnumerableSet for EnumerableSet.AddressSet;

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
}
