// SPDX-License-Identifier: MIT
pragma solidity 0.8.22;

/// @dev Once-only initializer for beacon proxies. Not OZ's: the live contracts expose a public
/// `initialized` flag and revert `AlreadyInitialized()`. Declared right after Ownable so both bools
/// share slot 0 with `_owner` (offsets 20 and 21).
abstract contract Initializable {
    bool public initialized;
    bool private _initializerLocked;

    error AlreadyInitialized();

    event Initialized(uint8 version);

    modifier onlyInitializeOnce() {
        if (initialized || _initializerLocked) revert AlreadyInitialized();
        initialized = true;
        _;
        emit Initialized(1);
    }

    /// @dev Called from logic-contract constructors so the implementation itself can never be initialized.
    function _lockInitializer() internal {
        _initializerLocked = true;
        emit Initialized(type(uint8).max);
    }
}
