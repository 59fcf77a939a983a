/**
 * The native data engine at run time. Profiling data runs on DuckDB (`@duckdb/node-api`), a native module
 * that cannot live in the committed JS bundle (`.ci/build.mjs` marks it external), and a GitHub Action's
 * checkout (`_actions/<owner>/gitml/<ref>/`) has no node_modules. So before monitoring, the action makes
 * the engine importable:
 *
 * 1. **resolved**: `@duckdb/node-api` already resolves from the bundle (the action runs inside a checkout of
 *    gitml with node_modules, as in gitml's own tests, or the user installed it): nothing to do.
 * 2. **cached**: an earlier step of this job (or, on a self-hosted runner, an earlier job) installed the
 *    pinned version into the cache folder, `<RUNNER_TOOL_CACHE or RUNNER_TEMP>/gitml-native/...`.
 * 3. **installed**: `npm ci --ignore-scripts` into a scratch folder next to the cache folder, from a lock
 *    file holding the exact versions and sha512 integrities of gitml's own package-lock.json (native-lock.ts),
 *    so npm refuses any tarball whose bytes differ and runs no package's install scripts; checked, then
 *    renamed into place (so a crashed or concurrent install never leaves a half-filled cache).
 *
 * In cases 2 and 3 a module resolve hook maps the bare specifier `@duckdb/node-api` to the absolute file
 * URL of the cached package, so the profiling code's `import("@duckdb/node-api")` loads it from there; the
 * package's own dependencies (`@duckdb/node-bindings` and its platform binary) resolve from the cache's
 * node_modules as usual. Every step is logged, because a step that downloads a native binary should say so.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs/promises";
import { createRequire } from "node:module";
import * as nodeModule from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { UserError } from "../util/errors";
import type { Logger } from "../util/logger";
import { DUCKDB_LOCK, type LockedPackage } from "./native-lock";

export const DUCKDB_PACKAGE = "@duckdb/node-api";
/** Must equal the version in package.json (a test holds them together). */
export const DUCKDB_VERSION = "1.5.5-r.5";

/** Written last into a complete cache folder; its absence means "not installed". */
const COMPLETE_MARKER = ".gitml-complete";

export interface NativeEngineOptions {
  logger: Logger;
  /** URL of the module the engine must resolve from (default: this file, i.e. the bundle). */
  from?: string;
  /** Parent folder of the cache (default RUNNER_TOOL_CACHE, then RUNNER_TEMP, then the OS temp folder). */
  cacheRoot?: string;
  env?: NodeJS.ProcessEnv;
  /** Give up on the install after this long (default 5 minutes). */
  installTimeoutMs?: number;
  /** The pinned packages (default gitml's, native-lock.ts); tests install other bytes under their own. */
  lock?: Record<string, LockedPackage>;
}

export interface NativeEngine {
  source: "resolved" | "cached" | "installed";
  /** The entry file `@duckdb/node-api` loads from. */
  entry: string;
}

/** The cache folder for this engine version and platform (N-API binaries do not depend on Node's version). */
export function engineCacheDir(cacheRoot: string): string {
  return path.join(
    cacheRoot,
    "gitml-native",
    `${DUCKDB_PACKAGE.replace("/", "+")}@${DUCKDB_VERSION}`,
    `${process.platform}-${process.arch}`,
  );
}

export function defaultCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.RUNNER_TOOL_CACHE || env.RUNNER_TEMP || os.tmpdir();
}

/**
 * The arguments of the install: exactly the lock file (`npm ci` never resolves a version range), no
 * lifecycle scripts, quiet (no audit, no funding notice).
 */
export function npmInstallArgs(prefix: string): string[] {
  return [
    "ci",
    "--prefix",
    prefix,
    "--ignore-scripts",
    "--no-audit",
    "--no-fund",
    "--omit=dev",
    "--loglevel=error",
    // npm 10-11 hangs when a retried tarball fails its integrity check again; gitml retries the whole
    // install instead (runNpm), and never after an integrity failure.
    "--fetch-retries=0",
  ];
}

/** Attempts of the whole install when the network fails (an integrity failure is never retried). */
const INSTALL_ATTEMPTS = 3;

const ENGINE_PROJECT = "gitml-native-engine";

/**
 * package.json and package-lock.json of the scratch project the engine is installed into. Tarball URLs
 * name the public registry; npm rewrites that host to a configured mirror (its `replace-registry-host`
 * default), and checks every tarball against the integrity either way.
 */
export function engineProjectFiles(lock: Record<string, LockedPackage> = DUCKDB_LOCK): {
  packageJson: object;
  packageLock: object;
} {
  const root = lock[DUCKDB_PACKAGE];
  if (!root) throw new Error(`the engine lock has no ${DUCKDB_PACKAGE}`);
  const dependencies = { [DUCKDB_PACKAGE]: root.version };
  const packages: Record<string, object> = {
    "": { name: ENGINE_PROJECT, dependencies },
  };
  for (const [name, locked] of Object.entries(lock)) {
    const basename = name.split("/").at(-1)!;
    packages[`node_modules/${name}`] = {
      ...locked,
      resolved: `https://registry.npmjs.org/${name}/-/${basename}-${locked.version}.tgz`,
    };
  }
  return {
    packageJson: { name: ENGINE_PROJECT, private: true, dependencies },
    packageLock: { name: ENGINE_PROJECT, lockfileVersion: 3, requires: true, packages },
  };
}

/**
 * `CommandContext.prepareDataEngine` for an action: installs the engine on the first call only, so a
 * command that reads no data files never pays for it.
 */
export function dataEnginePreparer(logger: Logger): () => Promise<void> {
  let prepared: Promise<unknown> | undefined;
  return async () => {
    prepared ??= ensureDuckDb({ logger });
    await prepared;
  };
}

/** Makes `@duckdb/node-api` importable, installing the pinned version into the cache when needed. */
export async function ensureDuckDb(options: NativeEngineOptions): Promise<NativeEngine> {
  const { logger } = options;
  const env = options.env ?? process.env;
  const resolved = resolveFrom(options.from ?? import.meta.url);
  if (resolved && (await loads(resolved))) {
    logger.info(`DuckDB engine: using ${DUCKDB_PACKAGE} found at ${path.dirname(path.dirname(resolved))}`);
    return { source: "resolved", entry: resolved };
  }

  const dir = engineCacheDir(options.cacheRoot ?? defaultCacheRoot(env));
  let entry = await cachedEntry(dir);
  let source: NativeEngine["source"] = "cached";
  if (entry) {
    logger.info(`DuckDB engine: using the cached ${DUCKDB_PACKAGE}@${DUCKDB_VERSION} in ${dir}`);
  } else {
    logger.info(
      `DuckDB engine: ${DUCKDB_PACKAGE} is native and not part of the bundle; installing ${DUCKDB_PACKAGE}@${DUCKDB_VERSION} with npm into ${dir} (exact versions and sha512 integrity from gitml's lock, no install scripts)`,
    );
    const started = Date.now();
    // npm is silent while it downloads (and while it waits on an unreachable registry): show life.
    const ticker = setInterval(
      () => logger.info(`DuckDB engine: still installing (${Math.round((Date.now() - started) / 1000)} s)`),
      15_000,
    );
    ticker.unref();
    try {
      entry = await install(dir, env, options.installTimeoutMs ?? 5 * 60_000, logger, options.lock);
    } finally {
      clearInterval(ticker);
    }
    logger.info(`DuckDB engine: installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    source = "installed";
  }
  await redirectSpecifier(DUCKDB_PACKAGE, pathToFileURL(entry).href);
  try {
    // A non-literal specifier, so bundlers leave it alone and the resolve hook answers it.
    const specifier: string = DUCKDB_PACKAGE;
    await import(specifier);
  } catch (error) {
    throw new UserError(
      `the DuckDB engine in ${dir} does not load on this runner (${process.platform}-${process.arch}): ${(error as Error).message}. Delete that folder to reinstall it`,
      { cause: error },
    );
  }
  return { source, entry };
}

function resolveFrom(from: string): string | undefined {
  try {
    return createRequire(from).resolve(DUCKDB_PACKAGE);
  } catch {
    return undefined;
  }
}

/** Resolving is not enough: the platform binary may be missing from an install made elsewhere. */
async function loads(entry: string): Promise<boolean> {
  try {
    await import(pathToFileURL(entry).href);
    return true;
  } catch {
    return false;
  }
}

async function cachedEntry(dir: string): Promise<string | undefined> {
  try {
    await fs.access(path.join(dir, COMPLETE_MARKER));
  } catch {
    return undefined;
  }
  return resolveFrom(path.join(dir, "package.json"));
}

async function install(
  dir: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  logger: Logger,
  lock: Record<string, LockedPackage> | undefined,
): Promise<string> {
  await fs.mkdir(path.dirname(dir), { recursive: true });
  const scratch = await fs.mkdtemp(`${dir}.partial-`);
  try {
    const project = engineProjectFiles(lock);
    await fs.writeFile(
      path.join(scratch, "package.json"),
      `${JSON.stringify(project.packageJson, null, 2)}\n`,
    );
    await fs.writeFile(
      path.join(scratch, "package-lock.json"),
      `${JSON.stringify(project.packageLock, null, 2)}\n`,
    );
    await runNpm(npmInstallArgs(scratch), { cwd: scratch, env, timeoutMs, logger });
    if (!resolveFrom(path.join(scratch, "package.json"))) {
      throw new UserError(`npm finished, but ${DUCKDB_PACKAGE} is not in ${scratch}/node_modules`);
    }
    await fs.writeFile(path.join(scratch, COMPLETE_MARKER), `${DUCKDB_PACKAGE}@${DUCKDB_VERSION}\n`);
    try {
      await fs.rename(scratch, dir);
    } catch (error) {
      // Another job on this runner finished first: its complete copy is as good as ours.
      if (!(await cachedEntry(dir))) throw error;
    }
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
  const entry = await cachedEntry(dir);
  if (!entry) throw new Error(`the DuckDB engine was installed but ${dir} is not complete`);
  return entry;
}

/** npm on PATH, else the npm shipped next to this Node (the runner's own Node distribution). */
async function runNpm(
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number; logger: Logger },
): Promise<void> {
  const windows = process.platform === "win32";
  const candidates = windows
    ? ["npm.cmd", path.join(path.dirname(process.execPath), "npm.cmd")]
    : ["npm", path.join(path.dirname(process.execPath), "npm")];
  const env = { ...options.env, npm_config_update_notifier: "false" };
  for (const command of candidates) {
    let outcome = await spawnCollect(command, args, { ...options, env, shell: windows });
    if (outcome.missing) continue;
    for (let attempt = 2; attempt <= INSTALL_ATTEMPTS; attempt++) {
      if (outcome.code === 0 || outcome.timedOut || /\bEINTEGRITY\b/.test(outcome.output)) break;
      options.logger.info(
        `DuckDB engine: npm failed (exit ${outcome.code}); attempt ${attempt} of ${INSTALL_ATTEMPTS}`,
      );
      outcome = await spawnCollect(command, args, { ...options, env, shell: windows });
    }
    if (outcome.code === 0) {
      if (outcome.output.trim()) options.logger.debug(outcome.output.trim());
      return;
    }
    const output = outcome.output.trim().split("\n").slice(-20).join("\n");
    if (/\bEINTEGRITY\b/.test(outcome.output))
      throw new UserError(
        `refused the DuckDB engine: a tarball the registry served does not match the sha512 integrity gitml pins for ${DUCKDB_PACKAGE}@${DUCKDB_VERSION}, so nothing was installed. npm said:\n${output}\nCheck the registry or mirror the runner uses (NPM_CONFIG_REGISTRY); or pass profiles (profile.json) as reference and current`,
      );
    throw new UserError(
      `installing ${DUCKDB_PACKAGE}@${DUCKDB_VERSION} failed (${command} ${outcome.timedOut ? "timed out" : `exited ${outcome.code}`}); the monitor needs it to read data. npm said:\n${output}\nGive the runner access to the npm registry (or an npm mirror via NPM_CONFIG_REGISTRY), or pass profiles (profile.json) as reference and current`,
    );
  }
  throw new UserError(
    `npm is not available to install the DuckDB engine (${DUCKDB_PACKAGE}@${DUCKDB_VERSION}): add actions/setup-node before this step, or pass profiles (profile.json) as reference and current`,
  );
}

function spawnCollect(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number; shell: boolean },
): Promise<{ code: number; output: string; missing: boolean; timedOut: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      shell: options.shell,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => chunks.push(chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, options.timeoutMs);
    child.on("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ code: -1, output: error.message, missing: error.code === "ENOENT", timedOut });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, output: Buffer.concat(chunks).toString("utf8"), missing: false, timedOut });
    });
  });
}

/**
 * An ES module that, loaded with `node --import`, answers `import("@duckdb/node-api")` with `url` in that
 * process: how the CLI that actions/setup puts on PATH finds the engine this action installed.
 */
export function engineHooksModule(url: string): string {
  const target = JSON.stringify({ specifier: DUCKDB_PACKAGE, url });
  return [
    'import * as nodeModule from "node:module";',
    `const target = ${target};`,
    'if (typeof nodeModule.registerHooks === "function") {',
    "  nodeModule.registerHooks({",
    "    resolve: (specifier, context, next) =>",
    "      specifier === target.specifier ? { url: target.url, shortCircuit: true } : next(specifier, context),",
    "  });",
    "} else {",
    "  const hooks = [",
    '    "let target;",',
    '    "export function initialize(data) { target = data; }",',
    '    "export async function resolve(specifier, context, next) {",',
    '    "  if (specifier === target.specifier) return { url: target.url, shortCircuit: true };",',
    '    "  return next(specifier, context);",',
    '    "}",',
    '  ].join("\\n");',
    "  nodeModule.register(`data:text/javascript,${encodeURIComponent(hooks)}`, { data: target });",
    "}",
    "",
  ].join("\n");
}

type ResolveResult = { url: string; shortCircuit?: boolean };
type NextResolve = (specifier: string, context?: unknown) => ResolveResult;
type RegisterHooks = (hooks: {
  resolve: (specifier: string, context: unknown, next: NextResolve) => ResolveResult;
}) => unknown;

/**
 * Answers `import(specifier)` with `url` from now on. Node ≥ 22.15 has in-thread hooks
 * (`module.registerHooks`); Node 20 has `module.register`, whose hooks module is given as a data: URL.
 */
async function redirectSpecifier(specifier: string, url: string): Promise<void> {
  const registerHooks = (nodeModule as unknown as { registerHooks?: RegisterHooks }).registerHooks;
  if (typeof registerHooks === "function") {
    registerHooks({
      resolve: (requested, context, next) =>
        requested === specifier ? { url, shortCircuit: true } : next(requested, context),
    });
    return;
  }
  const hooks = [
    "let target;",
    "export function initialize(data) { target = data; }",
    "export async function resolve(specifier, context, next) {",
    "  if (specifier === target.specifier) return { url: target.url, shortCircuit: true };",
    "  return next(specifier, context);",
    "}",
  ].join("\n");
  nodeModule.register(`data:text/javascript,${encodeURIComponent(hooks)}`, {
    data: { specifier, url },
  });
}
