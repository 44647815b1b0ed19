export declare const PACKAGE_DIR: string
export declare const SOLIDITY_DIR: string
export declare const ARTIFACTS_DIR: string
export declare const SOLC_VERSION: string
export declare const SETTINGS: {
  viaIR: boolean
  optimizer: { enabled: boolean; runs: number }
  evmVersion: string
}
export declare const CONTRACTS: Record<string, string>
export declare function readSources(): Record<string, string>
export declare function computeSourceHash(sources?: Record<string, string>): string
