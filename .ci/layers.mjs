/**
 * The layers of src/, lowest first: the one place the order is written down. A folder may import only
 * from folders in LOWER layers (and from itself); folders that share a layer do not import each other.
 * eslint.config.js enforces it with the rule below (`gitml/layers`), on every import, re-export,
 * `import()` and `import("…").Type`, type-only ones included.
 *
 *   util                      errors, logging, files, number formatting, YAML error reporting, did-you-mean
 *   registry, evaluate        GTO's tag grammar and state replay; metrics, predictions and gates — pure
 *   monitor                   data profiles, drift tests, readers of production data
 *   store                     ArtifactStore, manifests and digests, the local content-addressed store
 *   git                       every git process: the git CLI, race-safe tag publishing (tags record
 *                             manifest digests), and the hardened remote fetch of shared suites
 *   suites                    expectations, slices, fairness, train/test checks (shared suites via git)
 *   config                    gitml.yaml: the schema (which composes the suites' schema) and loading
 *   report                    the PR report, drift report and model card renderers
 *   site                      the static model catalog: catalog data in, HTML pages out (pure)
 *   github                    Octokit and everything on GitHub: comments, issues, checks, the Releases store
 *   commands                  one use case per file
 *   cli, action               the edges: argv or Actions inputs → a command → output
 */
import path from "node:path";
import { fileURLToPath } from "node:url";

const SRC = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "src");

export const LAYERS = [
  ["util"],
  ["registry", "evaluate"],
  ["monitor"],
  ["store"],
  ["git"],
  ["suites"],
  ["config"],
  ["report"],
  ["site"],
  ["github"],
  ["commands"],
  ["cli", "action"],
];

const layerOf = new Map(LAYERS.flatMap((folders, level) => folders.map((folder) => [folder, level])));

/** The top-level folder of src/ that `file` lies in, or undefined outside src/ (or directly in it). */
function srcFolderOf(file) {
  const relative = path.relative(SRC, file);
  if (relative.startsWith("..") || path.isAbsolute(relative)) return undefined;
  const segments = relative.split(path.sep);
  return segments.length > 1 ? segments[0] : undefined;
}

/** Why `from` may not import `to`, or undefined when it may. */
export function layerViolation(from, to) {
  if (from === to) return undefined;
  const own = layerOf.get(from);
  const target = layerOf.get(to);
  if (own === undefined) return `src/${from}/ has no layer: add it to LAYERS in .ci/layers.mjs`;
  if (target === undefined) return `src/${to}/ has no layer: add it to LAYERS in .ci/layers.mjs`;
  if (target < own) return undefined;
  const order = LAYERS.map((folders) => folders.join(", ")).join(" → ");
  return target === own
    ? `src/${from}/ and src/${to}/ share a layer and may not import each other (layers: ${order})`
    : `src/${from}/ may not import src/${to}/, which sits above it (layers: ${order})`;
}

/** ESLint rule: imports run down the layers only. */
export const layersRule = {
  meta: {
    type: "problem",
    docs: { description: "Imports between folders of src/ follow the layer order in .ci/layers.mjs" },
    schema: [],
  },
  create(context) {
    const file = context.filename;
    const from = srcFolderOf(file);
    if (from === undefined) return {};
    const check = (node, source) => {
      if (!source || typeof source.value !== "string" || !source.value.startsWith(".")) return;
      const to = srcFolderOf(path.resolve(path.dirname(file), source.value));
      if (to === undefined) return;
      const message = layerViolation(from, to);
      if (message) context.report({ node: source, message: `${source.value}: ${message}` });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => check(node, node.source.type === "Literal" ? node.source : undefined),
      TSImportType: (node) => {
        // typescript-eslint 8 names the module `source`; older versions wrap it in `argument`.
        const literal =
          node.source ?? (node.argument?.type === "TSLiteralType" ? node.argument.literal : undefined);
        check(node, literal?.type === "Literal" ? literal : undefined);
      },
    };
  },
};
