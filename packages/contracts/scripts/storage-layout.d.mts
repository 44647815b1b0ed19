export declare const SNAPSHOT: string
export declare function storageLines(sources?: Record<string, string>): string[]
