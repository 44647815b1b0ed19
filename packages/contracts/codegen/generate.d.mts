/** Types of codegen/generate.mjs, so tests can regenerate in memory. */
export declare const CONTRACTS: readonly ["LedgerManager", "InferenceServing", "FineTuningServing"]
export declare const ARTIFACTS_DIR: string
export declare const GENERATED_DIR: string
export declare const readAbi: (file: string) => ReadonlyArray<Record<string, unknown>>
export declare const generateModule: (name: string, abi: ReadonlyArray<Record<string, unknown>>) => string
export declare const generateIndex: (names?: readonly string[]) => string
export declare const generateAll: (fromDir?: string) => Map<string, string>
