/**
 * A test bed for actions/monitor: a real git repository with a bare origin, models registered and promoted
 * to production with their reference profiles in the GitHub Releases store (the REST stand-in), live data
 * written per run, and the bundle run as the runner runs it on a `schedule` event.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { customersCsv } from "../helpers/data";

export { customersCsv };
import { promote } from "../../src/commands/promote";
import { register } from "../../src/commands/register";
import { createOctokit } from "../../src/github";
import { GitHubReleasesStore } from "../../src/github/release-store";
import { silentLogger } from "../../src/util/logger";
import { parse } from "yaml";
import { createRepo, git, type TestRepo } from "../helpers/repo";
import { repoRoot, runActionBundle, type ActionRun, type RunActionOptions } from "../runner/run-action";
import type { Standin } from "../standin";
import type { IssueRecord, RepoRecord } from "../standin/state";

export const OWNER = "acme";
export const REPO = "ml";
export const REPOSITORY = `${OWNER}/${REPO}`;
export const TOKEN = "ghs_monitor";

interface ActionMetadata {
  inputs: Record<string, { default?: string; required?: boolean }>;
  outputs: Record<string, { description: string }>;
}

export async function actionMetadata(): Promise<ActionMetadata> {
  return parse(
    await fs.readFile(path.join(repoRoot, "actions", "monitor", "action.yml"), "utf8"),
  ) as ActionMetadata;
}

/** What the runner passes for inputs a workflow leaves out: action.yml's defaults (expressions aside). */
async function inputDefaults(): Promise<Record<string, string>> {
  const { inputs } = await actionMetadata();
  return Object.fromEntries(
    Object.entries(inputs)
      .filter(([, input]) => input.default !== undefined && !String(input.default).includes("${{"))
      .map(([name, input]) => [name, String(input.default)]),
  );
}

export interface BedModel {
  name: string;
  /** false: no `monitor` block (and no reference data). */
  monitored?: boolean;
  owners?: string[];
}

function configFor(models: BedModel[]): string {
  const blocks = models.map((m) => {
    const lines = [
      `  ${m.name}:`,
      `    path: models/${m.name}`,
      "    outputs:",
      "      model: out/model.bin",
    ];
    if (m.monitored !== false) lines.push("      reference: data/train.csv");
    lines.push("    stages: [staging, production]");
    if (m.owners) lines.push(`    owners: [${m.owners.map((o) => JSON.stringify(o)).join(", ")}]`);
    if (m.monitored !== false)
      lines.push("    monitor:", "      current: data/live/*.csv", "      drift_share: 0.5");
    return lines.join("\n");
  });
  return `models:\n${blocks.join("\n")}\n`;
}

export interface Bed {
  repo: TestRepo;
  ghRepo: RepoRecord;
  /** The scheduled job's clone (GITHUB_WORKSPACE). */
  checkout: string;
  /** Writes the model's live data: drifted or like the reference. */
  writeLive(model: string, kind: "drifted" | "like-reference", seed?: number): Promise<void>;
  run(inputs?: Record<string, string>, extra?: Partial<RunActionOptions>): Promise<ActionRun>;
  /** The stand-in's issues (not pull requests), oldest first. */
  issues(): IssueRecord[];
  comments(issue: IssueRecord): string[];
  cleanup(): Promise<void>;
}

export async function createBed(github: Standin, models: BedModel[]): Promise<Bed> {
  const repo = await createRepo();
  const ghRepo = github.state.seedRepo({ owner: OWNER, name: REPO });
  const scratch = path.join(repo.root, "scratch");
  await fs.mkdir(scratch);

  await fs.writeFile(path.join(repo.work, "gitml.yaml"), configFor(models));
  await fs.writeFile(path.join(repo.work, ".gitignore"), ".gitml/\nmodels/*/data/live/\n");
  for (const [index, model] of models.entries()) {
    const dir = path.join(repo.work, "models", model.name);
    await fs.mkdir(path.join(dir, "out"), { recursive: true });
    await fs.writeFile(path.join(dir, "out", "model.bin"), `weights of ${model.name}`);
    if (model.monitored !== false) {
      await fs.mkdir(path.join(dir, "data", "live"), { recursive: true });
      await fs.writeFile(path.join(dir, "data", "train.csv"), customersCsv(3000, 100 + index));
    }
  }
  git(repo.work, ["add", "-A"]);
  git(repo.work, ["commit", "--quiet", "-m", "models"]);
  git(repo.work, ["push", "--quiet", "origin", "main"]);

  // Registration as the register action does it: artifacts (with profile.json) in Releases, tags on origin.
  const store = new GitHubReleasesStore({
    octokit: createOctokit({
      token: TOKEN,
      baseUrl: github.url,
      logger: silentLogger,
      retryAfterBaseValueMs: 1,
      paceWrites: false,
    }),
    token: TOKEN,
    owner: OWNER,
    repo: REPO,
    logger: silentLogger,
    retryDelayMs: 1,
    workDir: scratch,
  });
  const context = { cwd: repo.work, logger: silentLogger, store };
  for (const model of models) {
    const registered = await register(context, { model: model.name });
    for (const stage of ["staging", "production"])
      await promote(context, { model: model.name, stage, version: registered.version });
  }
  // The scheduled job's checkout, as actions/checkout with fetch-depth: 0 makes it.
  const checkout = repo.clone("checkout");
  for (const model of models) {
    if (model.monitored !== false)
      await fs.mkdir(path.join(checkout, "models", model.name, "data", "live"), { recursive: true });
  }
  github.resetCalls();
  const defaults = await inputDefaults();

  const bed: Bed = {
    repo,
    ghRepo,
    async writeLive(model, kind, seed = 7) {
      const csv = kind === "drifted" ? customersCsv(2000, seed, 1) : customersCsv(2000, seed);
      await fs.writeFile(path.join(checkout, "models", model, "data", "live", "today.csv"), csv);
    },
    checkout,
    run(inputs = {}, extra = {}) {
      return runActionBundle("monitor", {
        cwd: checkout,
        inputs: { ...defaults, ...inputs },
        token: TOKEN,
        eventName: "schedule",
        payload: { schedule: "0 6 * * *" },
        repository: REPOSITORY,
        apiUrl: github.url,
        sha: git(checkout, ["rev-parse", "HEAD"]),
        ref: "refs/heads/main",
        workflow: "gitml monitor",
        job: "monitor",
        ...extra,
        env: { GITML_RETRY_BASE_MS: "1", GITML_PACE_WRITES: "false", ...extra.env },
      });
    },
    issues() {
      return [...ghRepo.issues.values()].filter((i) => !i.isPull).sort((a, b) => a.number - b.number);
    },
    comments(issue) {
      return github.state.commentsOf(ghRepo, issue.number).map((c) => c.body);
    },
    cleanup: () => repo.cleanup(),
  };
  return bed;
}

/** Explains a failed run in the assertion message. */
export function describeRun(run: ActionRun): string {
  return `exit ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
}
