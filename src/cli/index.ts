import { Command, CommanderError, Option } from "commander";
import { errorReport, ExitCode, exitCodeOf } from "../util/errors";
import { stderrLogger } from "../util/logger";
import type { CommandContext } from "../commands/context";
import { GitCli } from "../git/git";
import { PrefetchedTagsGit } from "../git/prefetched-tags";
import { missingFolderError } from "../git/spawn-error";
import type { TagListingPrefetch } from "../git/tag-listing";

// Commands are imported when they run, not at start-up: `gitml show` must not pay for zod or the store.
const program = new Command("gitml")
  .description(
    "Git-native MLOps: a git-tag model registry (GTO grammar), PR metric reports, promotion, drift monitoring",
  )
  .version(process.env.GITML_VERSION ?? "0.1.0")
  .option("-C, --cwd <dir>", "run as if gitml was started in <dir>")
  .option("--verbose", "log debug details to stderr")
  // Program options only before the verb, so `register --version v1.0.0` is the verb's --version.
  .enablePositionalOptions()
  .showHelpAfterError("(run with --help for usage)")
  .configureOutput({ outputError: (text, write) => write(text) })
  .addHelpText(
    "after",
    "\nExit codes: 0 ok, 1 failure (a failed gate or training), 2 user error, 3 GitHub or the environment failed\n(network, HTTP 5xx after retries, 401/403/429, git missing, disk full), 70 internal error (a bug: please report it).",
  )
  .exitOverride();

/** What the CLI entry (bin.ts) started before this module loaded; set by `main` for this run. */
let entry: CliEntry = {};

function contextOf(command: Command, extra: Partial<CommandContext> = {}): CommandContext {
  const globals = command.optsWithGlobals<{ cwd?: string; verbose?: boolean }>();
  const cwd = globals.cwd ?? process.cwd();
  // Checked before any git runs: git started in a missing folder fails as if git itself were missing.
  const folderError = missingFolderError(cwd);
  if (folderError) throw folderError;
  const { tagListing } = entry;
  // The listing serves the folder it was started in; a command run elsewhere reads its own.
  const git = tagListing?.cwd === cwd ? new PrefetchedTagsGit(new GitCli(cwd), tagListing) : undefined;
  return { cwd, logger: stderrLogger({ verbose: globals.verbose }), ...(git ? { git } : {}), ...extra };
}

const jsonOption = new Option("--json", "print machine-readable JSON on stdout");
/** Only the read verbs GTO also has print GTO's JSON shapes. */
const gtoJsonOption = new Option("--json", "print machine-readable JSON on stdout, in GTO's shape");
const noPushOption = new Option("--no-push", "keep new tags local instead of pushing them to origin");
const fetchOption = new Option(
  "--fetch",
  "fetch tags from origin first (by default the local tags are read)",
);
/** `--out` was the spelling of two verbs before every verb said `-o, --output`; still accepted, unlisted. */
const outAlias = () => new Option("--out <dir>").hideHelp();

const bumpOption = new Option("--bump <part>", "which part of the version to increase").choices([
  "major",
  "minor",
  "patch",
]);

program
  .command("register")
  .description("register a version: store its artifacts, then tag <model>@vX.Y.Z (and push it)")
  .argument("<model>", "model name (GTO-valid; `dir:name` for a model in a folder)")
  .option("--version <version>", "the version to register, e.g. v1.4.0 (default: the next by --bump)")
  .addOption(bumpOption)
  .option("--ref <ref>", "the commit to register", "HEAD")
  .option("--force", "register although the outputs' metrics fail gitml.yaml's gates (with a warning)")
  .addOption(noPushOption)
  .addOption(jsonOption)
  .action(async (model: string, opts, command: Command) => {
    const [{ register }, { printRegistered }] = await Promise.all([
      import("../commands/register"),
      import("./print"),
    ]);
    const result = await register(contextOf(command, { push: opts.push }), {
      model,
      version: opts.version,
      bump: opts.bump,
      ref: opts.ref,
      force: opts.force,
    });
    printRegistered(result, opts.json);
  });

for (const name of ["promote", "assign"]) {
  program
    .command(name)
    .description(
      name === "promote"
        ? "assign a stage to a version (tag <model>#<stage>#N); an older version is a rollback"
        : "alias of promote (GTO's verb)",
    )
    .argument("<model>", "model name")
    .requiredOption("--stage <stage>", "the stage to assign, e.g. production")
    .option(
      "--version <version>",
      "the version to promote (default: the one in the previous stage, else the latest)",
    )
    .addOption(noPushOption)
    .addOption(jsonOption)
    .action(async (model: string, opts, command: Command) => {
      const [{ promote }, { printPromoted }] = await Promise.all([
        import("../commands/promote"),
        import("./print"),
      ]);
      const result = await promote(contextOf(command, { push: opts.push }), {
        model,
        stage: opts.stage,
        version: opts.version,
      });
      printPromoted(result, opts.json);
    });
}

program
  .command("unassign")
  .description("take a stage away from a version (tag <model>#<stage>!#N)")
  .argument("<model>", "model name")
  .requiredOption("--stage <stage>", "the stage to take away")
  .requiredOption("--version <version>", "the version that holds it")
  .addOption(noPushOption)
  .addOption(jsonOption)
  .action(async (model: string, opts, command: Command) => {
    const [{ unassign }, { printEvent }] = await Promise.all([
      import("../commands/unassign"),
      import("./print"),
    ]);
    const result = await unassign(contextOf(command, { push: opts.push }), {
      model,
      stage: opts.stage,
      version: opts.version,
    });
    printEvent(result, `unassigned ${opts.stage} from ${model}@${opts.version}`, opts.json);
  });

program
  .command("deregister")
  .description("withdraw a version (tag <model>@vX.Y.Z!); its number is never reused")
  .argument("<model>", "model name")
  .requiredOption("--version <version>", "the version to withdraw")
  .addOption(noPushOption)
  .addOption(jsonOption)
  .action(async (model: string, opts, command: Command) => {
    const [{ deregister }, { printEvent }] = await Promise.all([
      import("../commands/deregister"),
      import("./print"),
    ]);
    const result = await deregister(contextOf(command, { push: opts.push }), {
      model,
      version: opts.version,
    });
    printEvent(result, `deregistered ${model}@${opts.version}`, opts.json);
  });

program
  .command("deprecate")
  .description("retire a model (tag <model>@deprecated#N); registering or promoting it again revives it")
  .argument("<model>", "model name")
  .addOption(noPushOption)
  .addOption(jsonOption)
  .action(async (model: string, opts, command: Command) => {
    const [{ deprecate }, { printEvent }] = await Promise.all([
      import("../commands/deprecate"),
      import("./print"),
    ]);
    const result = await deprecate(contextOf(command, { push: opts.push }), { model });
    printEvent(result, `deprecated ${model}`, opts.json);
  });

program
  .command("show")
  .description(
    "show the registry, a model's versions, or one version (<model>@vX.Y.Z, <model>@latest, <model>#<stage>)",
  )
  .argument("[spec]", "what to show; all models when absent")
  .addOption(fetchOption)
  .addOption(gtoJsonOption)
  .action(async (spec: string | undefined, opts, command: Command) => {
    const [{ show }, { printShow }] = await Promise.all([import("../commands/show"), import("./print")]);
    const result = await show(contextOf(command), { spec, fetch: opts.fetch, describeCommits: opts.json });
    printShow(result, opts.json);
  });

program
  .command("history")
  .description("every registry event (registrations, assignments, ...), newest first")
  .argument("[model]", "only this model")
  .addOption(fetchOption)
  .addOption(gtoJsonOption)
  .action(async (model: string | undefined, opts, command: Command) => {
    const [{ history }, { printHistory }] = await Promise.all([
      import("../commands/history"),
      import("./print"),
    ]);
    const result = await history(contextOf(command), { model, fetch: opts.fetch });
    printHistory(result, opts.json);
  });

program
  .command("check-ref")
  .description("say what a registry tag means (for workflows triggered by tag pushes)")
  .argument("<tag>", "a tag name or refs/tags/<name> (e.g. $GITHUB_REF)")
  .addOption(gtoJsonOption)
  .action(async (ref: string, opts, command: Command) => {
    const [{ checkRef }, { printCheckRef }] = await Promise.all([
      import("../commands/check-ref"),
      import("./print"),
    ]);
    const context = contextOf(command);
    const result = await checkRef(context, { ref });
    if (result.why) context.logger.info(`${result.why}: nothing to report`);
    printCheckRef(result, opts.json);
  });

program
  .command("get")
  .description("download a version's artifacts, each verified against its manifest")
  .argument("<spec>", "<model>@vX.Y.Z, <model>@latest or <model>#<stage>")
  .option("-o, --output <dir>", "folder to write into, empty or new (default ./<model>-<version>)")
  .option("--force", "write into a folder that already holds files, overwriting those with the same names")
  .addOption(jsonOption)
  .action(async (spec: string, opts, command: Command) => {
    const [{ get }, { printGot }] = await Promise.all([import("../commands/get"), import("./print")]);
    const result = await get(contextOf(command), { spec, into: opts.output, force: opts.force });
    printGot(result, opts.json);
  });

program
  .command("evaluate")
  .description(
    "compare the candidate (the model's outputs in the working tree) with the version in production, run its test suite (gitml.yaml `suite`), write the report",
  )
  .argument("<model>", "model name from gitml.yaml")
  .option("--train", "run the model's train command first")
  .option("-o, --output <dir>", "folder for report.md and report.html (default .gitml/reports/<model>)")
  .addOption(outAlias())
  .option("--marker <marker>", "sticky-comment marker (default: the model name)")
  .addOption(jsonOption)
  .action(async (model: string, opts, command: Command) => {
    const [{ evaluate }, { printEvaluation }] = await Promise.all([
      import("../commands/evaluate"),
      import("./print-evaluation"),
    ]);
    const result = await evaluate(contextOf(command), {
      model,
      train: opts.train,
      outDir: opts.output ?? opts.out,
      marker: opts.marker,
    });
    printEvaluation(result, opts.json);
    if (result.verdict === "fail" && !result.warnOnly) process.exitCode = ExitCode.failure;
  });

const profileCommand = program
  .command("profile")
  .description(
    "profile data (CSV, TSV, JSON Lines, Parquet) into mergeable column statistics for drift tests",
  )
  .argument("[data...]", "data files or globs")
  .option(
    "--model <name>",
    "profile the model's monitor.current from gitml.yaml (after its current_command) instead of data",
  )
  .option("-o, --output <file>", "where to write the profile (default: print it)")
  .option(
    "--partition <i/N>",
    "profile only the i-th of N parts (for a matrix of jobs; merge the parts after)",
  )
  .option(
    "--chunks <k>",
    "also profile k row ranges and keep their chunk-to-rest statistics, for monitor.thresholds: data (reads the data k times)",
  )
  .action(async (data: string[], opts, command: Command) => {
    const [{ profile }, { printProfile }, { withProgressBar }] = await Promise.all([
      import("../commands/profile"),
      import("./print-monitor"),
      import("./progress"),
    ]);
    // No bar when the profile itself goes to a pipe: whoever reads it is a script.
    const result = await withProgressBar({ quiet: !opts.output && !process.stdout.isTTY }, (onProgress) =>
      profile(contextOf(command), {
        data,
        model: opts.model,
        partition: opts.partition,
        chunks: opts.chunks,
        output: opts.output,
        onProgress,
      }),
    );
    printProfile(result);
  });
profileCommand
  .command("merge")
  .description("merge partition profiles into the profile of the whole data")
  .argument("<profiles...>", "profile.json files")
  .requiredOption("-o, --output <file>", "where to write the merged profile")
  .action(async (inputs: string[], opts, command: Command) => {
    const [{ mergeProfileFiles }, { printProfile }] = await Promise.all([
      import("../commands/profile"),
      import("./print-monitor"),
    ]);
    printProfile(await mergeProfileFiles(contextOf(command), { inputs, output: opts.output }));
  });

program
  .command("monitor")
  .description(
    "compare the production version's reference profile with recent data: drift per column, and the local alert",
  )
  .argument(
    "[model]",
    "a model with a monitor block (default: every such model; none with --reference and --current: just compare the two, anywhere)",
  )
  .option(
    "--reference <data|profile>",
    "reference data or profile.json (default: the profile stored with the version in --stage)",
  )
  .option(
    "--current <data|profile>",
    "current data (file or glob) or profile.json (default: the model's monitor.current)",
  )
  .option("--stage <stage>", "the stage whose version is monitored", "production")
  .option("-o, --output <dir>", "folder for drift.md and drift.json (default .gitml/reports/<model>)")
  .addOption(outAlias())
  .option("--no-alert", "do not touch the local alert file (.gitml/alerts/<model>.md)")
  .option(
    "--no-history",
    "do not record the run in the monitoring history (.gitml/monitoring/<model>/, read by gitml site)",
  )
  .option(
    "--fail-on-drift",
    "exit 1 when a model shows dataset drift, schema drift or performance decay (for CI; default: exit 0, drift is a finding)",
  )
  .addOption(jsonOption)
  .action(async (model: string | undefined, opts, command: Command) => {
    const [{ combinedFailure, monitorEach }, { printMonitor }, { withProgressBar }] = await Promise.all([
      import("../commands/monitor"),
      import("./print-monitor"),
      import("./progress"),
    ]);
    const { results, failures, historyFailure } = await withProgressBar(
      { quiet: opts.json && !process.stdout.isTTY },
      (onProgress) =>
        monitorEach(contextOf(command), {
          model,
          reference: opts.reference,
          current: opts.current,
          stage: opts.stage,
          outDir: opts.output ?? opts.out,
          localAlert: opts.alert,
          ...(opts.history === false ? { history: false as const } : {}),
          onProgress,
        }),
    );
    // Every model is monitored even when one fails: the others are printed, then the failure thrown.
    if (results.length > 0) printMonitor(results, opts.json);
    if (failures.length > 0) throw combinedFailure(failures);
    if (historyFailure !== undefined) throw historyFailure;
    if (opts.failOnDrift && results.some((r) => r.alerting)) process.exitCode = ExitCode.failure;
  });

program
  .command("init")
  .description(
    "scaffold a golden-path template (gitml.yaml, model code) into this repository, overwriting nothing",
  )
  .addOption(new Option("--template <name>", "which template").choices(["node", "sklearn"]).default("node"))
  .action(async (opts, command: Command) => {
    const [{ init }, { out }] = await Promise.all([import("../commands/init"), import("./print")]);
    const result = await init(contextOf(command), { template: opts.template });
    out(
      `wrote ${result.files.length} file(s):\n${result.files.map((f) => `  ${f}`).join("\n")}\n\n${result.nextSteps}`,
    );
  });

program
  .command("models")
  .description("list the models in gitml.yaml: those a change touches, those named, or the monitored ones")
  .option("--since <ref>", "only models whose folder (or gitml.yaml) changed since this commit")
  .option("--until <ref>", "the other end of the change", "HEAD")
  .option("--only <names>", "only these models (space- or comma-separated); unknown names are an error")
  .option("--monitored", "only models with a monitor block")
  .addOption(jsonOption)
  .action(async (opts, command: Command) => {
    const [{ models }, { json, out }] = await Promise.all([import("../commands/models"), import("./print")]);
    const listed = await models(contextOf(command), {
      since: opts.since,
      until: opts.until,
      only: opts.only,
      monitored: opts.monitored,
    });
    if (opts.json) return json(listed.map((m) => m.name));
    out(listed.map((m) => `${m.name}\t${m.path}${m.monitored ? "\tmonitored" : ""}`).join("\n") || "(none)");
  });

program
  .command("demo")
  .description(
    "the whole lifecycle on this machine, in a temporary folder: train, evaluate, register, promote, PR report, monitor",
  )
  .option("--dir <dir>", "run in this (empty or new) folder instead of a temporary one")
  .action(async (opts, command: Command) => {
    const [{ demo }, { out }, { renderText }] = await Promise.all([
      import("../commands/demo"),
      import("./print"),
      import("../report"),
    ]);
    await demo(contextOf(command), {
      dir: opts.dir,
      say: out,
      show: (report) => out(renderText(report.evaluation)),
    });
  });

program
  .command("site")
  .description(
    "build the static model catalog: every model, its versions and stages, metric trends, drift status (this repository, or an organisation's with --repo/--catalog)",
  )
  .option("-o, --output <dir>", "folder to write the site into, replaced as a whole (default .gitml/site)")
  .option(
    "--repo <owner/name|url>",
    "a repository of an organisation's catalog (repeat it); its tags are fetched, not its contents",
    (value: string, previous: string[] = []) => [...previous, value],
  )
  .option("--catalog <file>", "a catalog file (YAML: `title`, `repos`) naming the repositories")
  .option("--title <title>", "the site's title")
  .addOption(fetchOption)
  .addOption(jsonOption)
  .action(async (opts, command: Command) => {
    const [{ buildSite }, { printSite }] = await Promise.all([import("../commands/site"), import("./print")]);
    const result = await buildSite(contextOf(command), {
      output: opts.output,
      repos: opts.repo,
      catalogFile: opts.catalog,
      title: opts.title,
      fetch: opts.fetch,
    });
    printSite(result, opts.json);
  });

program
  .command("doctor")
  .description(
    "check git and its identity, the repository, origin, gitml.yaml (model paths, suites), the registry tags and the artifact store",
  )
  .addOption(jsonOption)
  .action(async (opts, command: Command) => {
    const [{ doctor }, { printDoctor }] = await Promise.all([
      import("../commands/doctor"),
      import("./print"),
    ]);
    const checks = await doctor(contextOf(command));
    printDoctor(checks, opts.json);
    if (checks.some((c) => c.status === "error")) process.exitCode = ExitCode.failure;
  });

program
  .command("schema")
  .description("print the JSON Schema of gitml.yaml (for editors)")
  .action(async () => {
    const { configJsonSchema } = await import("../config/json-schema");
    process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
  });

export interface CliEntry {
  /** The registry's tag listing, started before the CLI loaded (read-only verbs only). */
  tagListing?: TagListingPrefetch;
}

/**
 * Runs the CLI and returns its exit code: 0 ok, 1 failure (failed gates, failed training), 2 user error,
 * 3 GitHub or the environment failed, 70 internal error (a bug); see exitCodeOf.
 */
export async function main(argv: string[], started: CliEntry = {}): Promise<number> {
  entry = started;
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version "fail" with exit code 0; a usage mistake is a user error.
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.userError;
    }
    process.stderr.write(`${errorReport(error)}\n`);
    return exitCodeOf(error);
  }
}
