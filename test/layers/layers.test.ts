import * as path from "node:path";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";
// @ts-expect-error -- a plain ES module of the lint set-up, without type declarations
import { LAYERS, layerViolation } from "../../.ci/layers.mjs";

const root = path.resolve(__dirname, "../..");
const eslint = new ESLint({ cwd: root });

/** The layer rule's messages for `code` as if it were the file `file` (relative to the repository). */
async function layerErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return result!.messages.filter((m) => m.ruleId === "gitml/layers").map((m) => m.message);
}

describe("imports run down the layers of src/ (eslint rule gitml/layers)", () => {
  it("refuses an import back up the layers, the ones #15 removed among them", async () => {
    expect(
      await layerErrors(
        "src/suites/slices.ts",
        `import { formatNumber } from "../report/format";\nformatNumber(1);\n`,
      ),
    ).toEqual([expect.stringContaining("src/suites/ may not import src/report/, which sits above it")]);
    expect(
      await layerErrors(
        "src/suites/expectations/index.ts",
        `export { didYouMean } from "../../config/suggest";\n`,
      ),
    ).toEqual([expect.stringContaining("src/suites/ may not import src/config/")]);
    expect(
      await layerErrors(
        "src/store/local.ts",
        `import type { ModelCardInput } from "../report/model-card";\nexport type X = ModelCardInput;\n`,
      ),
    ).toEqual([expect.stringContaining("src/store/ may not import src/report/")]);
    // A lazy import and an inline type import are imports too.
    expect(
      await layerErrors(
        "src/store/local.ts",
        `export const load = () => import("../github/release-store");\n`,
      ),
    ).toEqual([expect.stringContaining("src/store/ may not import src/github/")]);
    expect(
      await layerErrors(
        "src/util/fs.ts",
        `export type Opts = import("../commands/context").CommandContext;\n`,
      ),
    ).toEqual([expect.stringContaining("src/util/ may not import src/commands/")]);
  });

  it("refuses imports between folders that share a layer", async () => {
    expect(
      await layerErrors("src/registry/tags.ts", `export { isDigest } from "../evaluate/metrics";\n`),
    ).toEqual([expect.stringContaining("src/registry/ and src/evaluate/ share a layer")]);
    expect(await layerErrors("src/cli/index.ts", `export * from "../action/runtime";\n`)).toEqual([
      expect.stringContaining("share a layer"),
    ]);
  });

  it("allows imports down the layers, within a folder, and of packages", async () => {
    const code = [
      `import { formatNumber } from "../util/format";`,
      `import { formatTag } from "../registry";`,
      `import { parse } from "./schema";`,
      `import { z } from "zod";`,
      `import * as fs from "node:fs";`,
      `export { formatNumber, formatTag, parse, z, fs };`,
    ].join("\n");
    expect(await layerErrors("src/suites/load.ts", `${code}\n`)).toEqual([]);
    expect(
      await layerErrors("src/action/register.ts", `export { releaseOnMerge } from "../commands/release";\n`),
    ).toEqual([]);
  });

  it("names every folder of src/ in exactly one layer", async () => {
    const { readdir } = await import("node:fs/promises");
    const folders = (await readdir(path.join(root, "src"), { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    const layered = (LAYERS as string[][]).flat();
    expect([...layered].sort()).toEqual(folders);
    expect(new Set(layered).size).toBe(layered.length);
    expect(layerViolation("newfolder", "util")).toMatch(/has no layer/);
  });

  it("holds for the whole of src/ today", async () => {
    const results = await eslint.lintFiles(["src/**/*.ts"]);
    const violations = results.flatMap((r) =>
      r.messages
        .filter((m) => m.ruleId === "gitml/layers")
        .map((m) => `${path.relative(root, r.filePath)}:${m.line}: ${m.message}`),
    );
    expect(violations).toEqual([]);
    expect(results.length).toBeGreaterThan(100);
  });
});
