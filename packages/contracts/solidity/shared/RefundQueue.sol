// SPDX-License-Identifier: MIT
pragma solidity 0.8.22;

/// @dev One pending refund of a serving sub-account. InferenceServing's ABI shows this struct as it is;
/// FineTuningServing's names the last field `_deprecated_processed` and views its same-layout array through this type.
struct Refund {
    uint256 index;
    uint256 amount;
    uint256 createdAt;
    bool processed; // never used; kept for ABI parity
}

/// @dev The two-phase refund queue both serving contracts keep per sub-account: `refunds[0..live)` are pending in
/// request order, slots past `live` are stale and get reused. Callers keep `validRefundsLength`, `pendingRefund` (the
/// sum of the live amounts) and `balance` in their own account structs, whose storage layout this does not touch.
library RefundQueue {
    /// @dev Appends `amount`, locked from now; returns the new live length. The caller enforces its cap.
    function lock(Refund[] storage refunds, uint256 live, uint256 amount) internal returns (uint256) {
        Refund memory r = Refund(live, amount, block.timestamp, false);
        if (live < refunds.length) refunds[live] = r;
        else refunds.push(r);
        return live + 1;
    }

    /// @dev Shrinks live refunds newest-first by `amount` (<= their sum). Emptied entries stay in the live range
    /// with amount 0; `release` drops them.
    function cancel(Refund[] storage refunds, uint256 live, uint256 amount) internal {
        for (uint256 i = live; i > 0 && amount > 0; --i) {
            Refund storage r = refunds[i - 1];
            uint256 amt = r.amount;
            uint256 take = amt < amount ? amt : amount;
            r.amount = amt - take;
            amount -= take;
        }
    }

    /// @dev Takes out the refunds unlocked under `lockTime` (the current one, not the one at request time) and
    /// compacts the still-locked ones to the front.
    function release(
        Refund[] storage refunds,
        uint256 live,
        uint256 lockTime
    ) internal returns (uint256 kept, uint256 released, uint256 pending) {
        for (uint256 i = 0; i < live; ++i) {
            Refund storage r = refunds[i];
            uint256 amt = r.amount;
            if (amt == 0) continue;
            uint256 createdAt = r.createdAt;
            if (block.timestamp >= createdAt + lockTime) {
                released += amt;
                continue;
            }
            if (kept != i) refunds[kept] = Refund(kept, amt, createdAt, false);
            pending += amt;
            ++kept;
        }
    }
}
