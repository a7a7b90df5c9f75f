export declare const STRIPPED_SOURCE_DIR: string
export declare function strippedSource(url: string, source: string, dir?: string): string
export declare function registerStrippedSourceCache(): boolean
