// Types for bench/lab-dataset.mjs (a plain ES module: it drives Chromium with the browser tests' helpers).
export function benchLabDataset(args: string[]): Promise<unknown>;
