import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { modelConfig, type ModelConfig } from "../config";
import { publishTags } from "../git/registry-sync";
import {
  ALL_METRICS_FILE,
  TAG_METRICS_MAX_BYTES,
  assertValidName,
  assertValidVersion,
  formatTag,
  headlineMetrics,
  tagImportances,
  tagParams,
  nextVersionFor,
  tagMessage,
  type Bump,
} from "../registry";
import type { TagMetadata, TagParams } from "../registry/types";
import { modelCardOf, type ModelCardDetails } from "../report/model-card";
import type { Lineage } from "../store/manifest";
import type { ArtifactInput, StagedVersion } from "../store/types";
import { evaluateGates } from "../evaluate/gates";
import {
  evaluateImportanceGates,
  parseStoredImportances,
  withImportanceGates,
  type Importances,
} from "../evaluate/importances";
import { readMetrics, readParams } from "../evaluate/metrics";
import type { ModelState, VersionState } from "../registry/types";
import { Failure, UserError } from "../util/errors";
import type { Logger } from "../util/logger";
import { openProject, type CommandContext } from "./context";
import { readModelOutputs, type ModelOutputs } from "./model-outputs";
import { pickBaseline } from "./resolve";

export interface RegisterOptions {
  model: string;
  /** An explicit version (`v1.4.0`); otherwise the next one by `bump`. */
  version?: string;
  bump?: Bump;
  /** The commit to register; default HEAD. */
  ref?: string;
  /** Lineage recorded in the manifest and the tag (set by the merge workflow). */
  pr?: number;
  runUrl?: string;
  /** Files to store instead of the model's declared outputs (the reviewed candidate, downloaded). */
  files?: ArtifactInput[];
  /** With `files`: the candidate's metrics and data fingerprint, as its evaluation recorded them. */
  metrics?: Record<string, number>;
  dataFingerprint?: string;
  /** More lineage for the manifest (the merge workflow records a retrain, params, a data fingerprint). */
  lineage?: Pick<Lineage, "retrained" | "params" | "dataFingerprint">;
  /** What the model card says beyond gitml.yaml's description, owners and intended use (the gates). */
  modelCard?: ModelCardDetails;
  /**
   * Register the working tree's outputs although their metrics fail gitml.yaml's gates (a warning
   * lists the failures). Without it such a registration is refused.
   */
  force?: boolean;
}

export interface RegisterResult {
  model: string;
  version: string;
  tag: string;
  commit: string;
  /** The stored manifest's digest, when artifacts were stored. */
  digest?: string;
  pushed: boolean;
  /** How many times the tags had to be recomputed because another writer won a race. */
  attempts: number;
}

/**
 * Registers a version: stores and verifies its artifacts, then creates and pushes the annotated tag
 * `model@vX.Y.Z`. The artifacts are in the store before the tag exists, so a tag never points at
 * missing files; a failure before the push leaves no tag.
 */
export async function register(context: CommandContext, options: RegisterOptions): Promise<RegisterResult> {
  assertValidName(options.model);
  if (options.version !== undefined) assertValidVersion(options.version);
  if (options.version !== undefined && options.bump !== undefined) {
    throw new UserError("give either --version or --bump, not both");
  }
  const project = await openProject(context);
  const configured = project.config ? modelConfig(project.config, options.model) : undefined;
  const commit = await project.repo.git.resolveCommit(options.ref ?? "HEAD");
  const outputs: ModelOutputs | undefined =
    configured && !options.files
      ? await readModelOutputs({
          root: project.root,
          name: options.model,
          model: configured,
          configFile: project.config!.file,
          logger: context.logger,
          prepareDataEngine: context.prepareDataEngine,
        })
      : undefined;
  // Files handed in (the reviewed candidate at merge) carry their metrics file: the tag gets them too, so
  // later reports compare against this version without reading the store.
  const metrics =
    options.metrics ?? outputs?.metrics ?? (await metricsOfFiles(options.files ?? [], context.logger));
  // The tag carries the headline metrics; when some are left out, the store keeps them all.
  const headline = metrics
    ? headlineMetrics(metrics, { first: configured?.gates.map((g) => g.metric) })
    : undefined;
  let allMetricsDir: string | undefined;
  const files = [...(options.files ?? outputs?.files ?? [])];
  if (metrics && headline && headline.omitted > 0 && files.length > 0) {
    allMetricsDir = await fs.mkdtemp(path.join(os.tmpdir(), "gitml-metrics-"));
    const source = path.join(allMetricsDir, ALL_METRICS_FILE);
    await fs.writeFile(source, `${JSON.stringify(metrics, null, 1)}\n`);
    files.unshift({ source, path: ALL_METRICS_FILE, role: "metrics" });
    context.logger.info(
      `${options.model}: the tag carries ${Object.keys(headline.metrics).length} of ${Object.keys(metrics).length} metrics (at most ${TAG_METRICS_MAX_BYTES} bytes, gated ones first); all of them are stored as ${ALL_METRICS_FILE}`,
    );
  }
  const dataFingerprint = options.dataFingerprint ?? outputs?.dataFingerprint;
  const params = await paramsForTag(files, context.logger);
  const importances = outputs?.importances ?? (await importancesOfFiles(files));
  // Without a configured model, do what GTO's `register` does: bump the patch.
  const bump = options.bump ?? configured?.bump ?? (configured ? "minor" : "patch");

  const cardDetails: ModelCardDetails = {
    description: configured?.description,
    owners: configured?.owners,
    intendedUse: configured?.intended_use,
    metrics,
    importances,
    ...options.modelCard,
  };
  let cardFolder: string | undefined;

  const staged: StagedVersion[] = [];
  let plannedVersion = "";
  let result: RegisterResult | undefined;
  // Once its tag is pushed a version's artifacts are never discarded, even if publishing fails: a re-run publishes them.
  let tagged: string | undefined;
  // A registration of this commit made earlier with --no-push, which this run publishes.
  let localOnly: VersionState | undefined;
  try {
    const published = await publishTags(project.repo, {
      plan: async (state, _attempt, { localOnly: unpublished }) => {
        localOnly = undefined;
        const model = state.models.get(options.model);
        // GTO (gto/registry.py `register`) allows one version per commit, deregistered or not: a second
        // version on the commit makes every GTO read fail ("Multiple versions are not allowed on the same
        // Git commit"). GTO would re-register the same version there; gitml never reuses a version.
        const onCommit = model?.versions.find((v) => v.commit === commit && v.active);
        if (
          onCommit &&
          unpublished.has(onCommit.tag) &&
          (options.version === undefined || options.version === onCommit.version)
        ) {
          localOnly = onCommit;
          return [];
        }
        if (onCommit) {
          throw new UserError(
            `${options.model} already has version ${onCommit.version} on commit ${commit.slice(0, 12)}: one commit holds one version (register another commit)`,
          );
        }
        const retired = model?.versions.find((v) => v.commit === commit);
        if (retired) {
          throw new UserError(
            `commit ${commit.slice(0, 12)} already carries ${options.model}@${retired.version} (deregistered): for this commit GTO can only register ${retired.version}, and gitml never reuses a version; register another commit`,
          );
        }
        let version = options.version;
        if (version !== undefined) {
          if (model?.versions.some((v) => v.version === version)) {
            throw new UserError(
              `${options.model}@${version} is already registered (versions are never reused)`,
            );
          }
        } else {
          version = nextVersionFor(state, options.model, bump);
        }
        plannedVersion = version;
        if (configured && outputs && metrics) {
          checkGates(options, configured, { metrics, importances }, model, context.logger);
        }
        const metadata: TagMetadata = {
          metrics: headline?.metrics,
          metricsOmitted: headline?.omitted || undefined,
          params,
          importances: importances && tagImportances(importances.features),
          dataFingerprint,
          pr: options.pr,
          runUrl: options.runUrl,
        };
        if (files.length > 0) {
          const lineage: Lineage = {
            ...options.lineage,
            commit,
            pr: options.pr,
            runUrl: options.runUrl,
            dataFingerprint,
            parentVersion: model?.latest?.version,
          };
          cardFolder ??= await fs.mkdtemp(path.join(os.tmpdir(), "gitml-card-"));
          const withCard = await withModelCard(
            { model: options.model, version, lineage, files },
            cardDetails,
            cardFolder,
            context.logger,
          );
          const stagedVersion = await project.store.stage({
            model: options.model,
            version,
            files: withCard,
            lineage,
          });
          staged.push(stagedVersion);
          metadata.artifactDigest = stagedVersion.digest;
        }
        const action = { action: "register" as const, name: options.model, version };
        return [{ tag: formatTag(action), commit, message: tagMessage(action, version, metadata) }];
      },
    });
    if (localOnly) {
      context.logger.info(
        `${options.model}@${localOnly.version} was already registered on this commit with --no-push: published it (with the artifacts stored then) instead of registering another version`,
      );
      result = {
        model: options.model,
        version: localOnly.version,
        tag: localOnly.tag,
        commit,
        digest: localOnly.metadata?.artifactDigest,
        pushed: true,
        attempts: published.attempts,
      };
      return result;
    }
    const version = plannedVersion;
    tagged = version;
    // The plan may have run more than once for the same version: the last staging is what the tag records.
    const winner = staged.findLast((s) => s.version === version);
    if (winner) await project.store.publish(winner);
    result = {
      model: options.model,
      version,
      tag: published.tags[0]!.tag,
      commit,
      digest: winner?.digest,
      pushed: project.repo.remote !== undefined,
      attempts: published.attempts,
    };
    return result;
  } finally {
    await outputs?.cleanup();
    if (cardFolder) await fs.rm(cardFolder, { recursive: true, force: true });
    if (allMetricsDir) await fs.rm(allMetricsDir, { recursive: true, force: true });
    for (const loser of staged) {
      if (loser.version !== result?.version && loser.version !== tagged)
        await project.store.discard(loser).catch(() => undefined);
    }
  }
}

/**
 * Gates guard registration from a working tree as they guard a pull request: the metric gates are
 * evaluated against the version in `compare_to` (else the latest), and a failure is refused unless
 * `--force`, which registers it with a warning. (The merge workflow registers what review accepted and
 * is not checked again here.)
 */
function checkGates(
  options: RegisterOptions,
  configured: ModelConfig,
  candidate: { metrics: Record<string, number>; importances?: Importances },
  model: ModelState | undefined,
  logger: Logger,
): void {
  const importanceGates = configured.importance_gates ?? [];
  if (configured.gates.length === 0 && importanceGates.length === 0) return;
  const baseline = model ? pickBaseline(model, configured.compare_to) : undefined;
  const result = withImportanceGates(
    evaluateGates({
      rules: configured.gates,
      candidate: candidate.metrics,
      baseline: baseline?.version.metadata?.metrics,
    }),
    evaluateImportanceGates(importanceGates, candidate.importances),
  );
  if (result.overall === "pass") return;
  const failed = result.gates
    .filter((g) => !g.passed && g.severity === "error")
    .map((g) => `  ${g.metric} ${g.rule}: ${g.detail}`)
    .join("\n");
  const against = baseline
    ? ` (compared with ${options.model}@${baseline.version.version}, ${baseline.stage})`
    : "";
  if (!options.force) {
    throw new Failure(
      `${options.model}: ${result.failed} gate(s) failed${against}, so it is not registered:\n${failed}\nregister it anyway with --force`,
    );
  }
  logger.warning(
    `${options.model}: registering with --force although ${result.failed} gate(s) failed${against}:\n${failed}`,
  );
}

/** The metrics file among `files`, read; undefined when there is none. */
async function metricsOfFiles(
  files: readonly ArtifactInput[],
  logger: Logger,
): Promise<Record<string, number> | undefined> {
  const metricsFile = files.find((f) => f.role === "metrics");
  return metricsFile ? readMetrics(metricsFile.source, { logger }) : undefined;
}

/**
 * The normalised importances among `files` (the reviewed candidate's `importances.json`), checked: the
 * candidate artifact is not trusted to hold what gitml wrote.
 */
async function importancesOfFiles(files: readonly ArtifactInput[]): Promise<Importances | undefined> {
  const file = files.find((f) => f.role === "importances");
  if (!file) return undefined;
  try {
    return parseStoredImportances(await fs.readFile(file.source, "utf8"));
  } catch (error) {
    throw new UserError(`the candidate's ${file.path} is not usable: ${(error as Error).message}`, {
      where: file.path,
    });
  }
}

/**
 * The params the tag carries (when they fit), so a PR report diffs them against this version without
 * reading the store. A params file gitml cannot read is still stored as it is; the tag then has none.
 */
async function paramsForTag(files: readonly ArtifactInput[], logger: Logger): Promise<TagParams | undefined> {
  const paramsFile = files.find((f) => f.role === "params");
  if (!paramsFile) return undefined;
  try {
    return tagParams(await readParams(paramsFile.source));
  } catch (error) {
    logger.warning(`the params are stored but not put in the tag: ${(error as Error).message}`);
    return undefined;
  }
}

/**
 * The version's files with its model card: the one given, else one rendered here, so every store (the
 * local one too) keeps the card beside the model and a GitHub Release shows it as its body.
 */
async function withModelCard(
  version: { model: string; version: string; lineage: Lineage; files: ArtifactInput[] },
  details: ModelCardDetails,
  folder: string,
  logger: Logger,
): Promise<ArtifactInput[]> {
  if (version.files.some((f) => f.role === "model-card")) return version.files;
  const taken = new Set(version.files.map((f) => f.path));
  const cardPath = ["model-card.md", "gitml/model-card.md"].find((p) => !taken.has(p));
  if (cardPath === undefined) return version.files;
  // The plan may run again after a lost race, for another version: one file per version.
  const source = path.join(folder, `${version.version}.md`);
  await fs.writeFile(source, await modelCardOf(version, details, logger));
  return [...version.files, { source, path: cardPath, role: "model-card" }];
}
