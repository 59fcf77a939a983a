import { stat } from "node:fs/promises";
import * as path from "node:path";
import { loadConfig, type LoadedConfig } from "../config";
import { compareWithRemote, describeTags } from "../git/registry-sync";
import { replay } from "../registry";
import { isDigest } from "../store/digest";
import { resolveSuite } from "../suites/load";
import { isUserError, describeUserError } from "../util/errors";
import { gitOf } from "./command-git";
import { openProject, type CommandContext } from "./context";

export type CheckStatus = "ok" | "warning" | "error";

export interface DoctorCheck {
  check: string;
  status: CheckStatus;
  detail: string;
}

/**
 * Looks over everything gitml depends on and says what is wrong in words a user can act on; it never
 * throws for a problem it finds, so one broken thing does not hide the others.
 */
export async function doctor(context: CommandContext): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const add = (check: string, status: CheckStatus, detail: string) => checks.push({ check, status, detail });

  const git = gitOf(context);
  const gitVersion = await git.version();
  if (!gitVersion) {
    add("git", "error", "git was not found on PATH: install git");
    return checks;
  }
  add("git", "ok", gitVersion);

  let root: string;
  try {
    root = await git.topLevel();
  } catch (error) {
    add("repository", "error", isUserError(error) ? describeUserError(error) : String(error));
    return checks;
  }
  add("repository", "ok", root);
  if (await git.isShallow()) {
    add(
      "clone depth",
      "warning",
      "shallow clone: gitml fetches tags itself, but `fetch-depth: 0` makes history and diffs complete",
    );
  }
  try {
    const ident = await git.taggerIdentity();
    add(
      "git identity",
      "ok",
      `${ident.replace(/\s+\d+\s+[+-]\d{4}$/, "")} (the tagger of new registry tags)`,
    );
  } catch (error) {
    add(
      "git identity",
      "error",
      isUserError(error)
        ? 'none, so registry tags cannot be written: run `git config --global user.name "Your Name"` and `git config --global user.email "you@example.com"`'
        : String(error),
    );
  }
  const remote = await git.remoteUrl("origin");
  if (!remote) {
    add("remote", "ok", "no origin: tags stay local");
  } else {
    try {
      const compared = await compareWithRemote(git, "origin");
      add("remote", "ok", `origin = ${remote} (reachable; new tags are pushed there)`);
      if (compared.localOnly.length > 0) {
        add(
          "tags origin lacks",
          "warning",
          `${describeTags(compared.localOnly)}: local registry tags origin does not have (made with --no-push, or left by an interrupted run). The next register, promote, unassign, deregister or deprecate publishes them with its own tags, or sets aside under refs/gitml/dropped/ (saying why) those origin's tags make invalid`,
        );
      }
      if (compared.differing.length > 0) {
        add(
          "tags that differ from origin",
          "warning",
          `${describeTags(compared.differing)}: origin has other tags of these names; the next command that fetches replaces the local ones with origin's (keeping them under refs/gitml/dropped/)`,
        );
      }
      if (compared.remoteOnly.length > 0) {
        add(
          "tags not fetched yet",
          "ok",
          `${compared.remoteOnly.length} registry tag(s) on origin that the next fetch brings`,
        );
      }
    } catch (error) {
      add(
        "remote",
        "error",
        `origin = ${remote}: ${isUserError(error) ? describeUserError(error) : String(error)}`,
      );
    }
  }

  try {
    const loaded = await loadConfig({ cwd: root });
    add(
      "gitml.yaml",
      "ok",
      loaded
        ? `${loaded.file}: ${Object.keys(loaded.config.models).length} model(s)`
        : "none (registry verbs work without it)",
    );
    if (loaded) {
      await checkModelPaths(loaded, add);
      await checkSuites(root, loaded, context, add);
    }
  } catch (error) {
    add("gitml.yaml", "error", isUserError(error) ? describeUserError(error) : String(error));
  }

  const state = replay(await git.readTags());
  const tagCount = [...state.models.values()].reduce((n, m) => n + m.events.length, 0);
  add("registry", "ok", `${state.models.size} model(s), ${tagCount} registry tag(s)`);
  for (const ignored of state.ignored) add(`tag ${ignored.tag}`, "warning", `ignored: ${ignored.reason}`);

  let project;
  try {
    project = await openProject({ ...context, push: false });
  } catch (error) {
    add("artifact store", "error", isUserError(error) ? describeUserError(error) : String(error));
    return checks;
  }
  let verified = 0;
  for (const model of state.models.values()) {
    for (const version of model.versions.filter((v) => v.active)) {
      const digest = version.metadata?.artifactDigest;
      if (!digest || !isDigest(digest)) continue;
      try {
        await project.store.readManifest({ model: model.name, version: version.version, digest });
        verified++;
      } catch (error) {
        add(
          `artifacts of ${model.name}@${version.version}`,
          "error",
          isUserError(error) ? describeUserError(error) : String(error),
        );
      }
    }
  }
  add("artifact store", "ok", `${project.store.kind}: ${verified} version manifest(s) verified`);
  return checks;
}

/** A model whose folder is missing cannot train, evaluate or register: say so before a pull request does. */
async function checkModelPaths(
  loaded: LoadedConfig,
  add: (check: string, status: CheckStatus, detail: string) => void,
): Promise<void> {
  for (const [name, model] of Object.entries(loaded.config.models)) {
    const folder = path.resolve(loaded.root, model.path);
    const stats = await stat(folder).catch(() => undefined);
    if (!stats?.isDirectory()) {
      add(
        `path of ${name}`,
        "error",
        `${loaded.file}: models.${name}.path: '${model.path}' ${stats ? "is not a folder" : "does not exist"} (relative to ${loaded.root})`,
      );
    }
  }
}

/** Resolves every model's suite (fetching shared ones), so a broken `extends` shows before a pull request. */
async function checkSuites(
  root: string,
  loaded: LoadedConfig,
  context: CommandContext,
  add: (check: string, status: CheckStatus, detail: string) => void,
): Promise<void> {
  for (const [name, model] of Object.entries(loaded.config.models)) {
    if (!model.suite) continue;
    try {
      const suite = await resolveSuite({
        root,
        configFile: loaded.file,
        suite: model.suite,
        model: name,
        logger: context.logger,
      });
      const sources = suite.sources
        .map((source) => (source.commit ? `${source.name} (${source.commit.slice(0, 12)})` : source.name))
        .join(", ");
      add(`suite of ${name}`, "ok", sources);
    } catch (error) {
      add(`suite of ${name}`, "error", isUserError(error) ? describeUserError(error) : String(error));
    }
  }
}
