import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { findTemplatesDir, init, TEMPLATES } from "../../src/commands/init";
import { loadConfig } from "../../src/config";
import { silentLogger } from "../../src/util/logger";
import { createRepo, git, repoRoot, tempDir, type TestRepo } from "../helpers/repo";
import { rejectedUserError } from "../helpers/errors";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function repo(): Promise<TestRepo> {
  const created = await createRepo({ withOrigin: false });
  cleanups.push(created.cleanup);
  return created;
}

async function scratch(): Promise<string> {
  const dir = await tempDir("gitml-init-");
  cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Every file under `dir`, relative, `/`-separated, sorted; `.git` left out. */
function listFiles(dir: string, prefix = ""): string[] {
  return readdirSync(path.join(dir, prefix), { withFileTypes: true })
    .flatMap((entry) => {
      const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.name === ".git") return [];
      return entry.isDirectory() ? listFiles(dir, relative) : [relative];
    })
    .sort();
}

function write(file: string, content = "x\n"): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}

const context = (cwd: string) => ({ cwd, logger: silentLogger });

describe("gitml init", () => {
  it("scaffolds the node template into the repository root, byte for byte, with a loadable gitml.yaml", async () => {
    const { work } = await repo();
    const nested = path.join(work, "some", "folder");
    mkdirSync(nested, { recursive: true });

    const result = await init(context(nested), { template: "node" });

    expect(result.root).toBe(work);
    for (const file of [
      "gitml.yaml",
      "package.json",
      "package-lock.json",
      ".gitignore",
      "models/iris/train.mjs",
      "models/iris/simulate_live.mjs",
      "models/iris/params.yaml",
    ]) {
      expect(result.files).toContain(file);
    }
    expect(result.files.some((file) => /(^|\/)(node_modules|out)\//.test(file))).toBe(false);
    // createRepo's first commit made a README.md: the repository's own is kept, not replaced.
    expect(result.kept).toEqual(["README.md"]);
    expect(result.files).not.toContain("README.md");
    expect(readFileSync(path.join(work, "README.md"), "utf8")).toBe("# test repo\n");
    expect(result.nextSteps).toContain(`Your README.md was kept`);
    expect(listFiles(work)).toEqual([...result.files, "README.md"].sort());

    const source = path.join(findTemplatesDir(), TEMPLATES.node.folder);
    for (const file of result.files) {
      expect(readFileSync(path.join(work, file)).equals(readFileSync(path.join(source, file))), file).toBe(
        true,
      );
    }
    const loaded = await loadConfig({ cwd: work });
    expect(Object.keys(loaded?.config.models ?? {})).toEqual(["iris"]);
    expect(loaded?.config.models.iris.path).toBe(TEMPLATES.node.modelPath);

    expect(result.nextSteps).toContain("npm install");
    expect(result.nextSteps).toContain("gitml evaluate iris");
    expect(result.nextSteps).toContain("gitml register iris");
    expect(result.nextSteps).toContain(".github/workflows/");
  });

  it("scaffolds the sklearn template", async () => {
    const { work } = await repo();
    await fs.rm(path.join(work, "README.md"));
    const result = await init(context(work), { template: "sklearn" });
    expect(result.files).toEqual(
      expect.arrayContaining([
        "README.md",
        ".gitignore",
        "requirements.txt",
        "models/cancer/train.py",
        "gitml.yaml",
      ]),
    );
    expect(result.kept).toEqual([]);
    expect(result.nextSteps).not.toContain("was kept");
    expect(result.files.some((file) => file.includes("__pycache__"))).toBe(false);
    expect((await loadConfig({ cwd: work }))?.config.models.cancer.train).toBe("python3 train.py");
    expect(result.nextSteps).toContain("python3-sklearn");
    expect(result.nextSteps).toContain("gitml register cancer");
  });

  it.each(["node", "sklearn"] as const)(
    "%s: `git add -A` after a local run stages neither simulated live data, outputs nor the store",
    async (template) => {
      const { work } = await repo();
      await init(context(work), { template });
      const model = TEMPLATES[template].modelPath;
      const generated = [
        `${model}/data/live/current.csv`, // simulate_live's default output
        `${model}/out/model.json`,
        ".gitml/store/manifests/sha256/x.json",
      ];
      for (const file of generated) write(path.join(work, file));
      git(work, ["add", "-A"]);
      const staged = git(work, ["diff", "--cached", "--name-only"]).split("\n");
      expect(staged).toContain("gitml.yaml");
      for (const file of generated) expect(staged).not.toContain(file);
    },
  );

  it("refuses when files exist, lists every conflict and writes nothing", async () => {
    const { work } = await repo();
    write(path.join(work, "gitml.yaml"), "models: {}\n");
    write(path.join(work, "models", "iris", "params.yaml"), "mine: 1\n");
    const before = listFiles(work);

    const error = await rejectedUserError(init(context(work), { template: "node" }));
    const listed = error.message.split("\n").slice(1);
    expect(listed).toEqual(["  gitml.yaml", "  models/iris/params.yaml"]);
    expect(error.where).toBe(work);
    expect(listFiles(work)).toEqual(before);
    expect(readFileSync(path.join(work, "gitml.yaml"), "utf8")).toBe("models: {}\n");
  });

  it("counts a file standing where a folder must go as a conflict", async () => {
    const { work } = await repo();
    await fs.rm(path.join(work, "README.md"));
    write(path.join(work, "models"), "a file, not a folder\n");

    const error = await rejectedUserError(init(context(work), { template: "node" }));
    expect(error.message).toContain("models/iris/train.mjs");
    expect(error.message).toContain("models/iris/params.yaml");
    expect(error.message).not.toContain("gitml.yaml\n");
    expect(listFiles(work)).toEqual(["models"]);
  });

  it("refuses outside a git repository and writes nothing", async () => {
    const dir = await scratch();
    const error = await rejectedUserError(init(context(dir), { template: "node" }));
    expect(error.message).toMatch(/not inside a git repository/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("refuses an unknown template by name", async () => {
    const { work } = await repo();
    const error = await rejectedUserError(init(context(work), { template: "tensorflow" as "node" }));
    expect(error.message).toContain("unknown template 'tensorflow'");
    expect(error.message).toContain("node, sklearn");
  });

  it("skips installed and generated content and restores a .gitignore npm packing renamed", async () => {
    const templates = await scratch();
    const template = path.join(templates, TEMPLATES.node.folder);
    for (const file of [
      "gitml.yaml",
      "gitignore",
      "models/iris/train.mjs",
      "models/iris/out/model.json",
      "models/iris/data/live/current.csv",
      "models/iris/data/sample.csv",
      "node_modules/yaml/index.js",
      "models/iris/__pycache__/x.pyc",
    ]) {
      write(path.join(template, file));
    }
    const { work } = await repo();

    const result = await init(context(work), { template: "node", templatesDir: templates });
    expect(result.files).toEqual([
      ".gitignore",
      "gitml.yaml",
      "models/iris/data/sample.csv",
      "models/iris/train.mjs",
    ]);
    expect(statSync(path.join(work, ".gitignore")).isFile()).toBe(true);
  });
});

describe("findTemplatesDir", () => {
  it("finds the templates shipped with this checkout from the source file", () => {
    expect(findTemplatesDir()).toBe(path.join(repoRoot, "templates"));
    expect(statSync(path.join(findTemplatesDir(), TEMPLATES.sklearn.folder)).isDirectory()).toBe(true);
  });

  it("walks up from a bundle chunk to the package named gitml, past other package.json files", async () => {
    const root = await scratch();
    write(path.join(root, "package.json"), JSON.stringify({ name: "gitml" }));
    write(path.join(root, "dist", "package.json"), JSON.stringify({ type: "module" }));
    write(path.join(root, "dist", "chunks", "package.json"), "not json");
    const chunk = path.join(root, "dist", "chunks", "init-ABC123.js");
    write(chunk);

    expect(findTemplatesDir(chunk)).toBe(path.join(root, "templates"));
    expect(findTemplatesDir(path.join(root, "dist", "cli.js"))).toBe(path.join(root, "templates"));
  });

  it("says so when no gitml package is above the file", async () => {
    const root = await scratch();
    expect(() => findTemplatesDir(path.join(root, "x.js"))).toThrow(/cannot find the gitml package/);
  });
});
