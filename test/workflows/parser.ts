/**
 * GitHub's workflow parser (npm @actions/workflow-parser). Its ESM build imports its JSON schema without an
 * import attribute, which Node 20 refuses, so it is bundled once per process with esbuild (JSON inlined).
 */
import { build } from "esbuild";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { repoRoot } from "../runner/run-action";

export type WorkflowParserModule = typeof import("@actions/workflow-parser");

let loading: Promise<WorkflowParserModule> | undefined;

export function loadWorkflowParser(): Promise<WorkflowParserModule> {
  loading ??= (async () => {
    const entry = path.join(repoRoot, "node_modules", "@actions", "workflow-parser", "dist", "index.js");
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "gitml-workflow-parser-"));
    const outfile = path.join(dir, "workflow-parser.mjs");
    await build({
      entryPoints: [entry],
      bundle: true,
      format: "esm",
      platform: "node",
      outfile,
      logLevel: "silent",
    });
    try {
      return (await import(pathToFileURL(outfile).href)) as WorkflowParserModule;
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  })();
  return loading;
}
