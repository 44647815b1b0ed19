/** 1 0G = 10^18 neuron. Every amount inside the SDK is a bigint number of neuron. */
export const NEURON_PER_ZG = 10n ** 18n
export const ZG_DECIMALS = 18

/** Formats neuron as an exact decimal 0G string: no trailing zeros, no exponent, "-" for negatives. */
export const formatZG = (neuron: bigint): string => {
  const negative = neuron < 0n
  const abs = negative ? -neuron : neuron
  const whole = abs / NEURON_PER_ZG
  const fraction = (abs % NEURON_PER_ZG).toString().padStart(ZG_DECIMALS, "0").replace(/0+$/, "")
  return `${negative ? "-" : ""}${whole}${fraction ? `.${fraction}` : ""}`
}
