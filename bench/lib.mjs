import { build } from "esbuild";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const cli = join(root, "dist", "cli.js");

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Imports a TypeScript module of the project from a bench script (which is plain JS), bundled on the fly
 * into bench/out/ — inside the repository, so its dependencies resolve from node_modules.
 */
export async function importSource(relativePath) {
  const outfile = join(root, "bench", "out", relativePath.replace(/[/\\]/g, "_").replace(/\.ts$/, ".mjs"));
  await build({
    entryPoints: [join(root, relativePath)],
    bundle: true,
    platform: "node",
    format: "esm",
    outfile,
    logLevel: "error",
    external: ["@duckdb/node-api"],
    banner: {
      js: 'import { createRequire as __r } from "node:module"; const require = __r(import.meta.url);',
    },
  });
  return import(pathToFileURL(outfile).href);
}
