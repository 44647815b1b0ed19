// SPDX-License-Identifier: MIT
pragma solidity 0.8.22;

interface IDevnetMarket {
    function pricePerSector() external view returns (uint256);
}

/// @title DevnetFlow — the storage Flow contract of the devnet.
/// @notice Implements the client-visible part of 0G's Flow: `market()`, `submit` with the current ABI
///         (`Submission{data, submitter}`, 0xbc8c11f8) and the pre-2026 ABI (`SubmissionData`, 0xef3e12dc),
///         `batchSubmit`, submission validity, the fee check and entry placement, and the `Submit` event.
///         There is no flow tree, epochs or mining.
contract DevnetFlow {
    struct SubmissionNode {
        bytes32 root;
        uint256 height;
    }

    struct SubmissionData {
        uint256 length;
        bytes tags;
        SubmissionNode[] nodes;
    }

    struct Submission {
        SubmissionData data;
        address submitter;
    }

    event Submit(
        address indexed sender,
        bytes32 indexed identity,
        uint256 submissionIndex,
        uint256 startPos,
        uint256 length,
        SubmissionData submission
    );

    error NotEnoughFee(uint256 price, uint256 amount, uint256 paid);

    uint256 private constant SEGMENT_CHUNKS = 1024;

    address public immutable market;
    /// @notice Number of submissions so far: the next txSeq.
    uint256 public submissionIndex;
    /// @notice Flow length in entries (entry 0 is a dummy).
    uint256 public currentLength = 1;
    /// @notice The identity digest of each submission, by txSeq.
    mapping(uint256 => bytes32) public digestByTxSeq;

    constructor(address market_) {
        market = market_;
    }

    /// @notice Current ABI.
    function submit(Submission calldata submission)
        external
        payable
        returns (uint256, bytes32, uint256, uint256)
    {
        return _submit(submission.data, submission.submitter, msg.value);
    }

    /// @notice Pre-2026 ABI (used by @0glabs/0g-ts-sdk 0.3.3): the sender is the submitter.
    function submit(SubmissionData calldata data) external payable returns (uint256, bytes32, uint256, uint256) {
        return _submit(data, msg.sender, msg.value);
    }

    function batchSubmit(Submission[] calldata submissions)
        external
        payable
        returns (
            uint256[] memory indexes,
            bytes32[] memory digests,
            uint256[] memory startIndexes,
            uint256[] memory lengths
        )
    {
        uint256 n = submissions.length;
        indexes = new uint256[](n);
        digests = new bytes32[](n);
        startIndexes = new uint256[](n);
        lengths = new uint256[](n);
        uint256 left = msg.value;
        for (uint256 i = 0; i < n; i++) {
            uint256 fee = _capacity(submissions[i].data) * IDevnetMarket(market).pricePerSector();
            uint256 paid = fee < left ? fee : left;
            (indexes[i], digests[i], startIndexes[i], lengths[i]) =
                _submit(submissions[i].data, submissions[i].submitter, paid);
            left -= paid;
        }
    }

    function _capacity(SubmissionData calldata data) private pure returns (uint256 capacity) {
        for (uint256 i = 0; i < data.nodes.length; i++) {
            capacity += uint256(1) << data.nodes[i].height;
        }
    }

    function _valid(SubmissionData calldata data, address submitter) private pure returns (bool) {
        uint256 n = data.nodes.length;
        if (submitter == address(0) || n == 0) return false;
        for (uint256 i = 1; i < n; i++) {
            if (data.nodes[i].height >= data.nodes[i - 1].height) return false;
        }
        uint256 first = data.nodes[0].height;
        if (first >= 64 || first - data.nodes[n - 1].height >= 4) return false;
        uint256 capacity = _capacity(data);
        if (data.length > capacity * 256) return false;
        uint256 lastCapacity;
        if (capacity < 16) lastCapacity = capacity - 1;
        else if (n == 1) lastCapacity = capacity - capacity / 16;
        else lastCapacity = capacity - (uint256(1) << (first - 3));
        return data.length > lastCapacity * 256;
    }

    function _alignUp(uint256 x, uint256 size) private pure returns (uint256) {
        return ((x + size - 1) / size) * size;
    }

    /// @dev Places the nodes after the current flow end and returns the first node's entry index.
    function _place(SubmissionData calldata data, uint256 capacity) private returns (uint256 start) {
        start = _alignUp(currentLength, uint256(1) << data.nodes[0].height);
        if (start % SEGMENT_CHUNKS != 0 && start / SEGMENT_CHUNKS != (start + capacity - 1) / SEGMENT_CHUNKS) {
            start = _alignUp(start, SEGMENT_CHUNKS);
        }
        uint256 cursor = start;
        for (uint256 i = 0; i < data.nodes.length; i++) {
            uint256 size = uint256(1) << data.nodes[i].height;
            cursor = _alignUp(cursor, size) + size;
        }
        currentLength = cursor;
    }

    /// @dev keccak256 of the concatenated node roots (the `Submit` identity).
    function _digest(SubmissionData calldata data) private pure returns (bytes32) {
        bytes memory roots = new bytes(32 * data.nodes.length);
        for (uint256 i = 0; i < data.nodes.length; i++) {
            bytes32 r = data.nodes[i].root;
            assembly {
                mstore(add(add(roots, 32), mul(i, 32)), r)
            }
        }
        return keccak256(roots);
    }

    function _submit(SubmissionData calldata data, address submitter, uint256 paid)
        private
        returns (uint256 index, bytes32 digest, uint256 startPos, uint256 capacity)
    {
        require(_valid(data, submitter), "Invalid submission");
        capacity = _capacity(data);
        uint256 price = IDevnetMarket(market).pricePerSector();
        if (paid < capacity * price) revert NotEnoughFee(price, capacity * price, paid);
        startPos = _place(data, capacity);
        digest = _digest(data);
        index = submissionIndex++;
        digestByTxSeq[index] = digest;
        emit Submit(submitter, digest, index, startPos, capacity, data);
    }
}
