// Bundles the CLI and every action into dist/ (committed: GitHub runs JavaScript actions from the repo
// as-is), then writes dist/gitml.schema.json from the zod schema. Deterministic, so CI can check that the
// committed bundles are fresh by rebuilding and diffing.
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { updateConfigReference } from "./config-reference.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const entryPoints = { cli: "src/cli/bin.ts" };
for (const name of readdirSync(join(root, "actions"))) {
  if (!existsSync(join(root, "actions", name, "action.yml"))) continue;
  entryPoints[`actions/${name}`] = `src/action/${name}.ts`;
}

// Built next to dist/ and swapped in at the end, so tests running meanwhile never see a half-built dist/.
const staging = `dist.building-${process.pid}`;
rmSync(join(root, staging), { recursive: true, force: true });

// @actions/core imports its OIDC client, and with it undici (0.4 MB minified), when it loads, though only
// getIDToken uses it. Declaring that one module free of side effects lets tree-shaking drop it from every
// action that never asks for an OIDC token, which is a third of the code an action had to load at start-up.
const oidcIsSideEffectFree = {
  name: "actions-core-oidc-side-effect-free",
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /oidc-utils\.js$/ }, async (args) => {
      if (args.pluginData === "resolving" || !args.importer.includes("@actions/core")) return undefined;
      const resolved = await pluginBuild.resolve(args.path, {
        resolveDir: args.resolveDir,
        kind: args.kind,
        importer: args.importer,
        pluginData: "resolving",
      });
      return { ...resolved, sideEffects: false };
    });
  },
};

await build({
  plugins: [oidcIsSideEffectFree],
  absWorkingDir: root,
  entryPoints,
  outdir: staging,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  chunkNames: "chunks/[name]-[hash]",
  // Native engines cannot live in a JS bundle; they are installed next to it when needed.
  external: ["@duckdb/node-api", "@duckdb/node-bindings*"],
  // Some dependencies are CommonJS and call require() for Node's built-ins.
  banner: {
    js: 'import { createRequire as __gitmlRequire } from "node:module"; const require = __gitmlRequire(import.meta.url);',
  },
  legalComments: "none",
  minify: true,
  keepNames: true,
  logLevel: "warning",
});

const schema = execFileSync(process.execPath, [join(root, staging, "cli.js"), "schema"], {
  encoding: "utf8",
});
writeFileSync(join(root, staging, "gitml.schema.json"), schema);
const previous = `dist.previous-${process.pid}`;
if (existsSync(join(root, "dist"))) renameSync(join(root, "dist"), join(root, previous));
renameSync(join(root, staging), join(root, "dist"));
rmSync(join(root, previous), { recursive: true, force: true });
updateConfigReference(join(root, "docs", "config.md"), join(root, "dist", "gitml.schema.json"));
