/**
 * The progress values of a fine-tuning task's state machine (fine-tuning-protocol.md §6), in order. A wire fact shared
 * by the client (`@0g-compute/fine-tuning`) and the emulated provider (`@0g-compute/devnet`); providers may add others.
 */
export const FINE_TUNING_PROGRESS = [
  "Init",
  "SettingUp",
  "SetUp",
  "Training",
  "Trained",
  "Delivering",
  "Delivered",
  "UserAcknowledged",
  "Finished",
  "Failed",
] as const
export type FineTuningProgress = (typeof FINE_TUNING_PROGRESS)[number]
