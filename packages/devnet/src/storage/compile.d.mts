export declare function storageSourceHash(version: string): string
export declare const SOLC_VERSION: string
