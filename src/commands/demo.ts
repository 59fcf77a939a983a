import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { GitCli } from "../git/git";
import { UserError } from "../util/errors";
import type { Logger } from "../util/logger";
import type { CommandContext } from "./context";
import { evaluate, type EvaluateResult } from "./evaluate";
import { findTemplatesDir, init } from "./init";
import { monitor } from "./monitor";
import { promote } from "./promote";
import { register } from "./register";
import { buildSite } from "./site";
import { runShellCommand } from "./train";

export interface DemoOptions {
  /** Folder to run in (created); default a new temporary folder. */
  dir?: string;
  /** Prints the story, one line per step. */
  say: (line: string) => void;
  /** Shows a report's text. */
  show: (report: EvaluateResult) => void;
}

export interface DemoResult {
  dir: string;
  reports: {
    firstEvaluation: string;
    pullRequest: string;
    pullRequestHtml: string;
    drift: string;
    alert?: string;
    /** The model catalog's index.html. */
    site: string;
  };
  versions: string[];
}

const MODEL = "iris";

/**
 * The whole lifecycle on a laptop, from the Node template, with a local git repository and the local
 * store: train v1 → evaluate (no baseline) → register → promote to production; a branch changes a
 * hyperparameter → evaluate against production → "merge" → register v2 → promote; drifted production
 * data → monitor → drift report and local alert → the model catalog (static site).
 */
export async function demo(context: CommandContext, options: DemoOptions): Promise<DemoResult> {
  const { say } = options;
  const dir = options.dir
    ? path.resolve(options.dir)
    : await fs.mkdtemp(path.join(os.tmpdir(), "gitml-demo-"));
  await fs.mkdir(dir, { recursive: true });
  if ((await fs.readdir(dir)).length > 0)
    throw new UserError(`the demo runs in an empty folder, and ${dir} is not empty`);
  const git = new GitCli(dir);
  const quiet: Logger = { ...context.logger, info: () => {} };
  const ctx: CommandContext = { cwd: dir, logger: quiet, push: false };

  say(`gitml demo in ${dir} (local git, local store, no network)\n`);
  await git.init("main");
  await git.setConfig("user.name", "gitml demo");
  await git.setConfig("user.email", "demo@gitml.invalid");
  await git.setConfig("commit.gpgsign", "false");
  await git.setConfig("tag.gpgsign", "false");
  await init(ctx, { template: "node" });
  // The template's ML libraries ship with gitml, so the demo needs no install (and no network).
  await fs.symlink(
    path.join(path.dirname(findTemplatesDir()), "node_modules"),
    path.join(dir, "node_modules"),
    "dir",
  );
  await fs.appendFile(path.join(dir, ".gitignore"), "\nnode_modules\n");
  const paramsFile = path.join(dir, "models", MODEL, "params.yaml");
  const templateParams = await fs.readFile(paramsFile, "utf8");
  const setParams = (trees: number, features: number) =>
    fs.writeFile(
      paramsFile,
      templateParams
        .replace(/^nEstimators: \d+/m, `nEstimators: ${trees}`)
        .replace(/^maxFeatures: [\d.]+/m, `maxFeatures: ${features}`),
    );
  await setParams(10, 0.5); // a quick first model, for the pull request to improve on
  await git.commit("Add the iris model (gitml template)", "all");
  say("1. scaffolded the Node template (random forest on iris, 10 trees to start) and committed it");

  const train = () =>
    runShellCommand({
      command: "node train.mjs",
      cwd: path.join(dir, "models", MODEL),
      what: "training",
      logger: quiet,
      quiet: true,
    });
  /** What a merge does: register the reviewed outputs, then promote through both stages. */
  const ship = async () => {
    const registered = await register(ctx, { model: MODEL });
    await promote(ctx, { model: MODEL, stage: "staging" });
    await promote(ctx, { model: MODEL, stage: "production" });
    return registered;
  };

  await train();
  const first = await evaluate(ctx, { model: MODEL, candidateLabel: "main" });
  say(`2. trained v1 and evaluated it: ${first.verdict}, no baseline yet (first model)`);
  const v1 = await ship();
  say(`3. registered ${MODEL}@${v1.version} (tag + stored artifacts) and promoted it: staging → production`);

  await git.checkoutBranch("tune-forest", { create: true });
  await setParams(50, 0.8);
  await git.commit("A bigger forest", "tracked");
  await train();
  const pr = await evaluate(ctx, { model: MODEL, candidateLabel: "branch tune-forest" });
  say(
    `4. on branch tune-forest: nEstimators 10 → 50, maxFeatures 0.5 → 0.8; retrained and evaluated against production ${pr.baseline}: ${pr.verdict}\n`,
  );
  options.show(pr);
  say("");

  await git.checkoutBranch("main");
  await git.mergeNoFastForward("tune-forest", "Merge branch 'tune-forest'");
  const v2 = await ship();
  say(
    `5. "merged" the branch: registered ${MODEL}@${v2.version} from the reviewed outputs and promoted it to production`,
  );

  await runShellCommand({
    command: "node simulate_live.mjs --drift shift --rows 500 -o data/live/current.csv",
    cwd: path.join(dir, "models", MODEL),
    what: "simulating production data",
    logger: quiet,
    quiet: true,
  });
  const [watch] = await monitor(ctx, { model: MODEL });
  const drifted = watch!.drift.columns.filter((c) => c.drift).map((c) => c.name);
  const importance = watch!.drift.importance;
  const weighed = importance
    ? `, holding ${Math.round(importance.drifted_share * 100)} % of the model's importance`
    : "";
  say(
    `6. production data drifted (simulated): monitor compared it with ${MODEL}@${watch!.version}'s reference profile: ` +
      `${watch!.drift.dataset_drift ? "dataset drift" : "no dataset drift"} (${drifted.length}/${watch!.drift.number_of_columns} columns: ${drifted.join(", ") || "none"}${weighed}); alert ${watch!.alert.action}`,
  );

  const site = await buildSite(ctx);
  say(
    `7. built the model catalog (a static site: every model, its versions and stages, metric trends, drift status): ${site.pages} pages`,
  );

  const reports = {
    firstEvaluation: first.report,
    pullRequest: pr.report,
    pullRequestHtml: pr.html,
    drift: watch!.report,
    alert: watch!.alert.file,
    site: site.index,
  };
  say("\nwhere everything is:");
  say(`  registry (git tags):   git -C ${dir} tag -n1`);
  say(`  PR report (markdown):  ${reports.pullRequest}`);
  say(`  PR report (HTML):      ${reports.pullRequestHtml}`);
  say(`  drift report:          ${reports.drift}`);
  if (reports.alert) say(`  local alert:           ${reports.alert}`);
  say(`  model catalog (site):  ${reports.site}`);
  say(`  artifact store:        ${path.join(dir, ".gitml", "store")}`);
  say(`  try: node ${process.argv[1] ?? "dist/cli.js"} -C ${dir} history`);
  return { dir, reports, versions: [v1.version, v2.version] };
}
