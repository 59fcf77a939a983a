/** Creates a git repository at `dir` holding 10,000 registry tags (100 models); returns the tag count. */
export function generateRegistryRepo(dir: string): number;
export function runRegistryBench(options?: {
  runs?: number;
}): Promise<Record<string, number | string | string[] | number[]>>;
