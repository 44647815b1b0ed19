// SPDX-License-Identifier: MIT
pragma solidity 0.8.22;

// Pulls the OZ 4.8.3 beacon and proxy into the build so their artifacts come from the same compiler run.
import "@openzeppelin/contracts/proxy/beacon/UpgradeableBeacon.sol";
import "@openzeppelin/contracts/proxy/beacon/BeaconProxy.sol";
