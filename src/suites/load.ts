/**
 * Resolving a model's `suite:` block with everything it `extends`: shared suite files in this repository
 * or in another one at a ref, applied in order (each may extend others), then the model's own keys.
 *
 * Merging works on the keys as written, before defaults, so a default of a later suite never overrides a
 * value an earlier one set. Mappings merge key by key; lists (columns, metrics, value_set, …) are
 * replaced; expectations of a data name are matched by (expect, column): a later one replaces the
 * earlier in place, others are appended. Every key path remembers the suite that set it last, so each
 * check can say where it was declared.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { readYaml, validateYaml, formatPath, type YamlSource } from "../util/yaml";
import { UserError } from "../util/errors";
import { silentLogger, type Logger } from "../util/logger";
import {
  allowLocalSuites,
  defaultSuiteCacheDir,
  discardCachedCommit,
  fetchRef,
  readSuiteFileVerified,
  realpathInside,
  repoUrl,
  SuiteCacheMismatch,
  type FetchedRef,
  type SuiteGitOptions,
} from "./fetch";
import { MergedSuiteSchema, SuiteSchema } from "./schema";
import type { Expectation, SharedSuiteRef, SlicesConfig, SuiteConfig, TrainTestConfig } from "./schema";
import type { SuiteSource } from "./types";

export type { SuiteGitOptions } from "./fetch";

/** How deep `extends` may nest: deeper is almost surely a mistake, and it bounds the work. */
export const MAX_EXTENDS_DEPTH = 10;

export type ResolvedExpectation = Expectation & { suite: string };

export interface ResolvedSuite {
  /** Data name → path relative to the model's path. */
  data: Record<string, string>;
  /** Per data name, in order; each remembers the suite that declared it. */
  expectations: Record<string, ResolvedExpectation[]>;
  slices?: SlicesConfig;
  train_test?: TrainTestConfig;
  /**
   * Key path → the suite that set it last: `slices.min.accuracy`, `slices.max_gap.f1`,
   * `slices.fairness.<measure>`, `slices.columns`, `train_test.leakage`, `data.train`, … A mapping's
   * path names the last suite that set any key inside it. Keys left to their default have no entry:
   * use `suiteOf`, which falls back to the enclosing key.
   */
  origins: Record<string, string>;
  /** Every suite file read, bases before the suites extending them, the model's own block last. */
  sources: SuiteSource[];
}

export interface ResolveSuiteOptions {
  /** The repository root. */
  root: string;
  /** The gitml.yaml the suite block is in (absolute, or relative to `root`). */
  configFile: string;
  /** The model's parsed `suite` block. */
  suite: SuiteConfig;
  /**
   * The model's name in `configFile`. Lets messages point at the `extends` entry's line and lets the
   * block be merged as written; without it the block is found by matching `suite`.
   */
  model?: string;
  /** Where fetched repositories are kept (relative to `root`). Default: `defaultSuiteCacheDir()`, outside the working tree. */
  cacheDir?: string;
  git?: SuiteGitOptions;
  logger?: Logger;
}

/**
 * The suite in force for a check at `keyPath` (e.g. `slices.fairness.demographic_parity_ratio`): the
 * suite that set that key, else the one that set the closest enclosing key, else the model's own config.
 */
export function suiteOf(resolved: Pick<ResolvedSuite, "origins" | "sources">, keyPath: string): string {
  const parts = keyPath.split(".");
  for (let length = parts.length; length > 0; length--) {
    const origin = resolved.origins[parts.slice(0, length).join(".")];
    if (origin !== undefined) return origin;
  }
  return resolved.sources[resolved.sources.length - 1]?.name ?? "gitml.yaml";
}

export async function resolveSuite(options: ResolveSuiteOptions): Promise<ResolvedSuite> {
  const root = path.resolve(options.root);
  const configFile = path.resolve(root, options.configFile);
  const configName = toPosix(path.relative(root, configFile));
  const own = await ownBlock(configFile, configName, options);

  const context: ResolveContext = {
    root,
    cacheDir:
      options.cacheDir !== undefined
        ? path.resolve(root, options.cacheDir)
        : defaultSuiteCacheDir(options.git?.env ?? process.env),
    git: {
      ...options.git,
      allowLocal: options.git?.allowLocal ?? allowLocalSuites(options.git?.env ?? process.env),
    },
    logger: options.logger ?? silentLogger,
    fetched: new Map(),
  };
  const layers: Layer[] = [];
  await collectLayers(context, own, [], layers);

  const merged: Record<string, unknown> = {};
  const origins: Record<string, string> = {};
  const expectationSuites: Record<string, string[]> = {};
  for (const layer of layers) applyLayer(merged, origins, expectationSuites, layer);

  const parsed = MergedSuiteSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
    throw new UserError(
      `the suite of ${options.model ? `model \`${options.model}\`` : "the model"}, merged with the suites it extends, is invalid: ${problems.join("; ")}`,
      { where: configName },
    );
  }
  const suite = parsed.data;
  const expectations: Record<string, ResolvedExpectation[]> = {};
  for (const [dataName, list] of Object.entries(suite.expectations ?? {})) {
    const suites = expectationSuites[dataName] ?? [];
    expectations[dataName] = list.map((expectation, index) => ({
      ...expectation,
      suite: suites[index] ?? own.name,
    }));
  }

  const sources: SuiteSource[] = [];
  for (const layer of layers) {
    if (sources.some((source) => source.name === layer.name)) continue;
    sources.push(
      layer.commit === undefined ? { name: layer.name } : { name: layer.name, commit: layer.commit },
    );
  }
  return {
    data: { ...(suite.data ?? {}) },
    expectations,
    ...(suite.slices === undefined ? {} : { slices: suite.slices }),
    ...(suite.train_test === undefined ? {} : { train_test: suite.train_test }),
    origins,
    sources,
  };
}

// ---- layers -------------------------------------------------------------------------------------

interface ResolveContext {
  root: string;
  cacheDir: string;
  git: SuiteGitOptions;
  logger: Logger;
  /** One fetch per repository and ref per resolution (a branch is looked up once). */
  fetched: Map<string, Promise<FetchedRef>>;
}

/** Where a suite's local `extends` paths are read from. */
type Home =
  | { kind: "local"; dir: string }
  | { kind: "remote"; dir: string; repo: string; ref: string; commit: string; url: string };

/** One suite as written (keys before defaults), with what is needed to follow its `extends`. */
interface Layer {
  name: string;
  /** Identity for cycle detection: the same file at the same place is the same suite. */
  identity: string;
  raw: Record<string, unknown>;
  home: Home;
  commit?: string;
  /** `file:line:col` of the `extends` entry at an index. */
  entryWhere(index: number): string;
}

async function ownBlock(
  configFile: string,
  configName: string,
  options: ResolveSuiteOptions,
): Promise<Layer> {
  const root = path.resolve(options.root);
  let source: YamlSource | undefined;
  try {
    source = readYaml(await readFile(configFile, "utf8"), configName);
  } catch {
    // The config was parsed before the suite was handed over; without it, positions are just the file.
    source = undefined;
  }
  const models = asRecord(asRecord(source?.data)?.models) ?? {};
  // The block as written is used only when it is the suite handed over (it parses to the same value).
  const matches = (name: string) => {
    const block = asRecord(models[name])?.suite;
    const parsed = block === undefined ? undefined : SuiteSchema.safeParse(block);
    return parsed?.success === true && isDeepStrictEqual(parsed.data, options.suite);
  };
  const modelName =
    options.model !== undefined
      ? matches(options.model)
        ? options.model
        : undefined
      : Object.keys(models).find(matches);
  const written = modelName === undefined ? undefined : asRecord(asRecord(models?.[modelName])?.suite);
  const segments = ["models", modelName ?? "", "suite"];
  return {
    name: configName,
    identity: `local:${configFile}`,
    raw: normalizeExpectations(written ?? (options.suite as Record<string, unknown>)),
    home: { kind: "local", dir: root },
    entryWhere: (index) =>
      source !== undefined && written !== undefined
        ? source.where([...segments, "extends", index])
        : configName,
  };
}

/** Depth-first: a suite's bases (in `extends` order) before the suite itself. */
async function collectLayers(
  context: ResolveContext,
  layer: Layer,
  chain: Layer[],
  out: Layer[],
): Promise<void> {
  const lineage = [...chain, layer];
  const entries = (layer.raw.extends ?? []) as SharedSuiteRef[];
  for (const [index, entry] of entries.entries()) {
    const where = layer.entryWhere(index);
    if (lineage.length > MAX_EXTENDS_DEPTH) {
      throw new UserError(
        `\`extends\` nests deeper than ${MAX_EXTENDS_DEPTH} suites (${lineage.map((l) => l.name).join(" → ")} → …); flatten the chain`,
        { where },
      );
    }
    const child = await loadEntry(context, layer.home, entry, where);
    const loopStart = lineage.findIndex((ancestor) => ancestor.identity === child.identity);
    if (loopStart !== -1) {
      const loop = [...lineage.slice(loopStart), child].map((l) => l.name).join(" → ");
      throw new UserError(`suites extend each other in a cycle: ${loop}`, { where });
    }
    await collectLayers(context, child, lineage, out);
  }
  out.push(layer);
}

async function loadEntry(
  context: ResolveContext,
  home: Home,
  entry: SharedSuiteRef,
  where: string,
): Promise<Layer> {
  const fail = (reason: string): never => {
    throw new UserError(`cannot use suite ${describeEntry(entry)}: ${reason}`, { where });
  };

  if (typeof entry === "string") {
    const file = insideFolder(home.dir, entry) ?? fail("the path must stay inside the repository");
    const relative = toPosix(path.relative(home.dir, file));
    if (home.kind === "local") {
      return readSuiteFile({
        read: () => readLocalSuiteFile(home.dir, file),
        name: relative,
        identity: `local:${file}`,
        home,
        fail,
      });
    }
    const fetched: FetchedRef = { dir: home.dir, commit: home.commit, kind: "commit", fromCache: true };
    return readSuiteFile({
      read: () => readSuiteFileVerified(fetched, relative, `${home.repo}@${home.ref}:${relative}`),
      name: `${home.repo}@${home.ref}:${relative}`,
      identity: `remote:${home.url}@${home.commit}:${relative}`,
      home,
      commit: home.commit,
      fail,
    });
  }

  let url = "";
  try {
    url = repoUrl(entry.repo, context.root, context.git.allowLocal);
  } catch (error) {
    if (error instanceof UserError) fail(error.message);
    throw error;
  }
  const key = `${url}\n${entry.ref}`;
  const fetchOnce = async (): Promise<FetchedRef> => {
    let pending = context.fetched.get(key);
    if (pending === undefined) {
      pending = fetchRef({
        repo: entry.repo,
        ref: entry.ref,
        root: context.root,
        cacheDir: context.cacheDir,
        git: context.git,
        logger: context.logger,
      });
      context.fetched.set(key, pending);
    }
    try {
      return await pending;
    } catch (error) {
      if (error instanceof UserError) fail(error.message);
      throw error;
    }
  };
  let fetched = await fetchOnce();
  const file =
    insideFolder(fetched.dir, entry.path) ?? fail(`\`path\` must stay inside the repository ${entry.repo}`);
  const relative = toPosix(path.relative(fetched.dir, file));
  const name = `${entry.repo}@${entry.ref}:${relative}`;
  let text: string;
  try {
    text = await readSuiteFileVerified(fetched, relative, name);
  } catch (error) {
    if (!(error instanceof SuiteCacheMismatch)) throw wrapRead(error, fail);
    // The cached copy does not match its commit: fetch the commit again, once.
    context.logger.warning(`${error.message}; fetching ${entry.repo}@${entry.ref} again`);
    await discardCachedCommit(fetched);
    context.fetched.delete(key);
    fetched = await fetchOnce();
    try {
      text = await readSuiteFileVerified(fetched, relative, name);
    } catch (again) {
      throw wrapRead(again, fail);
    }
  }
  return readSuiteFile({
    read: () => Promise.resolve(text),
    name,
    identity: `remote:${url}@${fetched.commit}:${relative}`,
    home: { kind: "remote", dir: fetched.dir, repo: entry.repo, ref: entry.ref, commit: fetched.commit, url },
    commit: fetched.commit,
    fail,
  });
}

/** A remote suite file that cannot be read, as the `extends` entry's error. */
function wrapRead(error: unknown, fail: (reason: string) => never): never {
  if (error instanceof UserError) fail(error.message);
  throw error;
}

/** A suite file of this repository, refused when a symlink leads out of it. */
async function readLocalSuiteFile(root: string, file: string): Promise<string> {
  const real = await realpathInside(root, file);
  if (real === undefined) {
    const error: NodeJS.ErrnoException = new Error("a symbolic link out of the repository");
    error.code = "ELINKOUT";
    throw error;
  }
  return readFile(real, "utf8");
}

async function readSuiteFile(options: {
  read: () => Promise<string>;
  name: string;
  identity: string;
  home: Home;
  commit?: string;
  fail: (reason: string) => never;
}): Promise<Layer> {
  let text: string;
  try {
    text = await options.read();
  } catch (error) {
    if (error instanceof UserError) return options.fail(error.message);
    const code = (error as NodeJS.ErrnoException).code;
    return options.fail(
      code === "ENOENT"
        ? `${options.name} does not exist`
        : code === "EISDIR"
          ? `${options.name} is a folder, not a suite file`
          : code === "ELINKOUT"
            ? `${options.name} is a symbolic link out of the repository`
            : `cannot read ${options.name} (${code ?? String(error)})`,
    );
  }
  const source = readYaml(text, options.name);
  validateYaml(source, SuiteSchema, {
    emptyMessage: "the suite file is empty: expected a mapping of `expectations`, `slices`, `train_test`, …",
  });
  return {
    name: options.name,
    identity: options.identity,
    raw: normalizeExpectations(source.data as Record<string, unknown>),
    home: options.home,
    commit: options.commit,
    entryWhere: (index) => source.where(["extends", index]),
  };
}

function describeEntry(entry: SharedSuiteRef): string {
  return typeof entry === "string" ? `\`${entry}\`` : `\`${entry.path}\` of ${entry.repo}@${entry.ref}`;
}

/** The absolute path of `relative` inside `folder`, or undefined when it would leave it. */
function insideFolder(folder: string, relative: string): string | undefined {
  if (path.isAbsolute(relative)) return undefined;
  const file = path.resolve(folder, relative);
  const back = path.relative(folder, file);
  return back === "" || back.startsWith("..") || path.isAbsolute(back) ? undefined : file;
}

const toPosix = (file: string): string => file.split(path.sep).join("/");

// ---- merging ------------------------------------------------------------------------------------

function applyLayer(
  merged: Record<string, unknown>,
  origins: Record<string, string>,
  expectationSuites: Record<string, string[]>,
  layer: Layer,
): void {
  for (const [key, value] of Object.entries(layer.raw)) {
    if (key === "extends") continue;
    if (key === "expectations") {
      const target = (merged.expectations ??= {}) as Record<string, Record<string, unknown>[]>;
      for (const [dataName, list] of Object.entries(asRecord(value) ?? {})) {
        const current = (target[dataName] ??= []);
        const suites = (expectationSuites[dataName] ??= []);
        for (const expectation of list as Record<string, unknown>[]) {
          const at = current.findIndex((existing) => sameExpectation(existing, expectation));
          if (at === -1) {
            current.push(structuredClone(expectation));
            suites.push(layer.name);
          } else {
            current[at] = structuredClone(expectation);
            suites[at] = layer.name;
          }
        }
        origins[`expectations.${dataName}`] = layer.name;
      }
      continue;
    }
    mergeValue(merged, key, value, [key], layer.name, origins);
  }
}

/** Objects merge key by key; anything else (lists included) replaces what was there. */
function mergeValue(
  target: Record<string, unknown>,
  key: string,
  value: unknown,
  keyPath: string[],
  suite: string,
  origins: Record<string, string>,
): void {
  const incoming = asRecord(value);
  const existing = asRecord(target[key]);
  origins[keyPath.join(".")] = suite;
  if (incoming !== undefined && existing !== undefined) {
    for (const [childKey, childValue] of Object.entries(incoming))
      mergeValue(existing, childKey, childValue, [...keyPath, childKey], suite, origins);
    return;
  }
  const prefix = `${keyPath.join(".")}.`;
  for (const existingPath of Object.keys(origins))
    if (existingPath.startsWith(prefix)) delete origins[existingPath];
  target[key] = structuredClone(value);
  if (incoming !== undefined) recordOrigins(incoming, keyPath, suite, origins);
}

function recordOrigins(
  value: Record<string, unknown>,
  keyPath: string[],
  suite: string,
  origins: Record<string, string>,
) {
  for (const [key, child] of Object.entries(value)) {
    origins[[...keyPath, key].join(".")] = suite;
    const record = asRecord(child);
    if (record !== undefined) recordOrigins(record, [...keyPath, key], suite, origins);
  }
}

/** (expect, column) identifies an expectation; the `expect_` prefix is optional in what users write. */
function sameExpectation(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return a.expect === b.expect && a.column === b.column;
}

function normalizeExpectations(raw: Record<string, unknown>): Record<string, unknown> {
  const expectations = asRecord(raw.expectations);
  if (expectations === undefined) return raw;
  const normalized: Record<string, unknown> = {};
  for (const [dataName, list] of Object.entries(expectations)) {
    normalized[dataName] = Array.isArray(list)
      ? list.map((item) => {
          const record = asRecord(item);
          return record !== undefined && typeof record.expect === "string"
            ? { ...record, expect: record.expect.replace(/^expect_/, "") }
            : item;
        })
      : list;
  }
  return { ...raw, expectations: normalized };
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
