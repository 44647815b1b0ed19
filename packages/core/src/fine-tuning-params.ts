/**
 * The training parameters a fine-tuning task carries (fine-tuning-protocol.md §3.3): exactly these keys, which the
 * provider's strict schema accepts. A wire fact shared by the client (`@0g-compute/fine-tuning`, which validates and
 * sends them) and the emulated provider (`@0g-compute/devnet`, which parses and trains with them).
 */
export interface TrainingParams {
  readonly neftune_noise_alpha: number
  readonly num_train_epochs: number
  readonly per_device_train_batch_size: number
  readonly learning_rate: number
  readonly max_steps: number
}
