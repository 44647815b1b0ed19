// SPDX-License-Identifier: MIT
pragma solidity 0.8.22;

import "./FineTuningAccounts.sol";

/// @dev Deliverable lifecycle: add (provider, serial rule, ring of 20), acknowledge (user), abandon (provider).
abstract contract FineTuningDeliverables is FineTuningAccounts {
    function addDeliverable(address user, string calldata id, bytes calldata modelRootHash) external {
        _checkIdLength(id);
        Account storage a = _account(user, msg.sender);
        bytes32 key = keccak256(bytes(id));
        if (bytes(a.deliverables[key].id).length != 0) revert DeliverableAlreadyExists(id);
        uint256 head = a.deliverablesHead;
        uint256 count = a.deliverablesCount;
        if (count > 0) {
            // serial rule: the newest deliverable must be acknowledged (or abandoned) first
            string storage latestId = a.deliverableIds[(head + count - 1) % MAX_DELIVERABLES_PER_ACCOUNT];
            if (!a.deliverables[keccak256(bytes(latestId))].acknowledged) {
                revert PreviousDeliverableNotAcknowledged(latestId);
            }
        }
        if (count == MAX_DELIVERABLES_PER_ACCOUNT) {
            string memory oldestId = a.deliverableIds[head];
            bytes32 oldestKey = keccak256(bytes(oldestId));
            if (!a.deliverables[oldestKey].settled) revert CannotEvictUnsettledDeliverable(oldestId);
            delete a.deliverables[oldestKey];
            a.deliverableIds[head] = id;
            a.deliverablesHead = (head + 1) % MAX_DELIVERABLES_PER_ACCOUNT;
            emit DeliverableEvicted(msg.sender, user, oldestId, id, block.timestamp);
        } else {
            a.deliverableIds[(head + count) % MAX_DELIVERABLES_PER_ACCOUNT] = id;
            a.deliverablesCount = count + 1;
        }
        Deliverable storage d = a.deliverables[key];
        d.id = id;
        d.modelRootHash = modelRootHash;
        d.timestamp = uint248(block.timestamp);
        emit DeliverableAdded(user, msg.sender, id, modelRootHash, block.timestamp);
    }

    function acknowledgeDeliverable(address provider, string calldata id) external {
        Deliverable storage d = _deliverable(_account(msg.sender, provider), id);
        if (d.settled) revert CannotAcknowledgeSettledDeliverable(id);
        d.acknowledged = true;
        emit DeliverableAcknowledged(msg.sender, provider, id, block.timestamp);
    }

    /// @dev Closes a failed task without payment; marking it acknowledged unblocks the serial rule.
    function abandonDeliverable(address user, string calldata id) external {
        Deliverable storage d = _deliverable(_account(user, msg.sender), id);
        if (d.settled) revert CannotAbandonSettledDeliverable(id);
        d.acknowledged = true;
        d.settled = true;
        emit DeliverableAbandoned(user, msg.sender, id, block.timestamp);
    }

    function getDeliverable(address user, address provider, string calldata id) external view returns (Deliverable memory) {
        return _deliverable(_account(user, provider), id);
    }

    function getDeliverables(address user, address provider) external view returns (Deliverable[] memory) {
        return _deliverableList(_s().accounts[_accountKey(user, provider)]);
    }
}
