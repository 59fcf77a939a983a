/**
 * Register on merge: the push of a merged pull request to the default branch ships the candidate its
 * evaluation showed the reviewers, byte for byte, as a new registered version promoted to the first stage.
 * Every step is idempotent, so a re-run after a crash anywhere completes the release or cleans it up.
 * actions/register runs it; the reusable workflow that calls that action keeps its public file name,
 * `release.yml`, because callers' `uses:` lines name it.
 */
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { modelConfig, protectedStages, type ModelConfig } from "../config";
import { assertProtectedEnvironment } from "../github/environments";
import { readRegistry } from "../git/registry-sync";
import { upsertStickyComment } from "../github/comments";
import { listCandidateRecords } from "../github/checks";
import { type GitHubClient, rethrowPermission } from "../github/client";
import { assertValidName, formatTag } from "../registry";
import type { ModelCardGate } from "../report/model-card";
import { digestFiles, isDigest } from "../store/digest";
import type { ArtifactInput, ArtifactStore, ReleaseLinks } from "../store/types";
import { UserError } from "../util/errors";
import { openProject, type CommandContext } from "./context";
import { promote, type PromoteOptions, type PromoteResult } from "./promote";
import type { Bump } from "../registry";
import { readModelOutputs } from "./model-outputs";
import { register } from "./register";
import { runTrainCommand } from "./train";

export interface MergedPullRequest {
  number: number;
  headSha: string;
  labels: string[];
  htmlUrl: string;
  /** True when the head branch lives in another repository (a fork): its run's bytes never ship. */
  fromFork: boolean;
}

/**
 * A candidate as the PR evaluation's artifact holds it. Everything in it is untrusted: its bytes are
 * checked against the digest gitml's evaluate step recorded outside the artifact (the check run).
 */
export interface Candidate {
  files: ArtifactInput[];
  /** The workflow run that uploaded it: the record to check it against is that run's. */
  runId: number;
  /** The evaluation run that produced it. */
  runUrl?: string;
  gates?: ModelCardGate[];
}

/** Where reviewed candidates come from (under Actions: the PR run's workflow artifact). */
export interface CandidateSource {
  /** Downloads the candidate into `into`; undefined when it expired or was never uploaded. */
  find(request: { model: string; pull: MergedPullRequest; into: string }): Promise<Candidate | undefined>;
}

/** Points between steps where a test stops the release, as a crash would. */
export type RegisterOnMergeStep = "pull" | "register" | "promote" | "cleanup" | "comment";

export interface RegisterOnMergeOptions {
  model: string;
  /** The pushed commit on the default branch. */
  commit: string;
  octokit: GitHubClient;
  owner: string;
  repo: string;
  store: ArtifactStore;
  candidates: CandidateSource;
  /** Retrain when the candidate expired or is missing (default: the model's config says; else false). */
  retrain?: boolean;
  /**
   * A pull request from a fork: its run's bytes are never shipped; "retrain" (default) trains again on
   * the merged commit, "refuse" stops the release.
   */
  forkPullRequests?: "retrain" | "refuse";
  /**
   * Slugs of the GitHub Apps whose check runs may carry the reviewed-candidate record (default
   * `github-actions`, the app behind GITHUB_TOKEN).
   */
  trustedApps?: readonly string[];
  /** Overrides the bump that labels or the config choose. */
  bump?: Bump;
  /** This run, for lineage and the PR comment. */
  runUrl?: string;
  /** Web URL of the repository (https://github.com/owner/repo), for links. */
  repositoryUrl?: string;
  afterStep?: (step: RegisterOnMergeStep) => void | Promise<void>;
  /** Scratch space for the downloaded candidate (default the OS temp folder). */
  workDir?: string;
}

export interface RegisterOnMergeResult {
  model: string;
  version: string;
  stage: string;
  tag: string;
  commit: string;
  pr?: number;
  releaseUrl?: string;
  artifactUrl?: string;
  digest?: string;
  retrained: boolean;
  /** True when the pull request came from a fork, so the version was retrained (never the fork's bytes). */
  fromFork: boolean;
  /** True when an earlier run had already registered this commit and this one finished its work. */
  resumed: boolean;
  commentUrl?: string;
}

const SEMVER_LABEL = /^semver:(major|minor|patch)$/i;
const BUMP_RANK: Record<Bump, number> = { patch: 0, minor: 1, major: 2 };

export async function registerOnMerge(
  context: CommandContext,
  options: RegisterOnMergeOptions,
): Promise<RegisterOnMergeResult> {
  assertValidName(options.model);
  const commandContext: CommandContext = { ...context, store: options.store, push: true };
  const project = await openProject(commandContext);
  if (!project.config)
    throw new UserError(
      `registering on merge needs a gitml.yaml in ${project.root} that declares ${options.model}`,
    );
  const model = modelConfig(project.config, options.model);
  const stage = model.stages[0]!;
  const commit = await project.repo.git.resolveCommit(options.commit);
  const pull = await findMergedPull(options, commit);
  await options.afterStep?.("pull");

  const before = await readRegistry(project.repo);
  const onCommit = before.models.get(options.model)?.versions.find((v) => v.commit === commit && v.active);
  let version: string;
  let digest: string | undefined;
  let retrained = false;
  const fromFork = pull?.fromFork === true;
  let resumed = false;
  if (onCommit) {
    // An earlier run registered this commit (and maybe crashed before publishing): finish its work.
    resumed = true;
    version = onCommit.version;
    digest = onCommit.metadata?.artifactDigest;
    retrained = false;
    if (digest && isDigest(digest)) {
      const { manifest } = await project.store.readManifest({ model: options.model, version, digest });
      retrained = manifest.lineage.retrained === true;
      await project.store.publish({ model: options.model, version, manifest, digest });
    }
    context.logger.info(
      `${options.model} ${version} is already registered on ${commit.slice(0, 12)}: resuming its release`,
    );
  } else {
    const scratch = await fs.mkdtemp(path.join(options.workDir ?? os.tmpdir(), "gitml-candidate-"));
    try {
      const shipped = await reviewedFiles({ context, options, project, model, pull, into: scratch });
      retrained = shipped.retrained;
      const cardDetails = {
        description: model.description,
        owners: model.owners,
        intendedUse: model.intended_use,
        gates: shipped.gates,
        repositoryUrl: options.repositoryUrl,
      };
      const registered = await register(commandContext, {
        model: options.model,
        ref: commit,
        bump: options.bump ?? bumpFromLabels(pull?.labels ?? []) ?? model.bump,
        pr: pull?.number,
        runUrl: options.runUrl,
        files: shipped.files,
        lineage: retrained ? { retrained: true } : undefined,
        modelCard: cardDetails,
      });
      version = registered.version;
      digest = registered.digest;
    } finally {
      await fs.rm(scratch, { recursive: true, force: true });
    }
  }
  await options.afterStep?.("register");

  const state = await readRegistry(project.repo);
  const registeredModel = state.models.get(options.model);
  const everHeld = registeredModel?.events.some(
    (e) => e.type === "assignment" && e.version === version && e.stage === stage,
  );
  // A re-run never drags the first stage back to this version once it has held it and moved on.
  if (!everHeld) await promote(commandContext, { model: options.model, stage, version });
  await options.afterStep?.("promote");

  if (project.store.removeOrphanDrafts && registeredModel) {
    const registeredVersions = new Map(
      registeredModel.versions.filter((v) => v.active).map((v) => [v.version, v.commit]),
    );
    const removed = await project.store.removeOrphanDrafts({
      model: options.model,
      registered: registeredVersions,
    });
    if (removed.length > 0) context.logger.info(`removed orphan draft release(s): ${removed.join(", ")}`);
  }
  await options.afterStep?.("cleanup");

  const tag = formatTag({ action: "register", name: options.model, version });
  const links: Partial<ReleaseLinks> = (await project.store.links?.({ model: options.model, version })) ?? {};
  let commentUrl: string | undefined;
  if (pull) {
    const body = releaseComment({
      model: options.model,
      version,
      stage,
      tag,
      links,
      runUrl: options.runUrl,
      retrained,
      fromFork,
    });
    const comment = await upsertStickyComment({
      octokit: options.octokit,
      owner: options.owner,
      repo: options.repo,
      issueNumber: pull.number,
      marker: `release:${tag}`,
      body,
      logger: context.logger,
    });
    commentUrl = comment.url;
  }
  await options.afterStep?.("comment");
  return {
    model: options.model,
    version,
    stage,
    tag,
    commit,
    pr: pull?.number,
    releaseUrl: links.releaseUrl,
    artifactUrl: links.artifactUrl,
    digest,
    retrained,
    fromFork,
    resumed,
    commentUrl,
  };
}

/** The highest `semver:*` label, if any. */
export function bumpFromLabels(labels: readonly string[]): Bump | undefined {
  let best: Bump | undefined;
  for (const label of labels) {
    const match = SEMVER_LABEL.exec(label.trim());
    if (!match) continue;
    const bump = match[1]!.toLowerCase() as Bump;
    if (best === undefined || BUMP_RANK[bump] > BUMP_RANK[best]) best = bump;
  }
  return best;
}

/** The pull request whose merge produced the commit (GET /repos/{o}/{r}/commits/{sha}/pulls). */
export async function findMergedPull(
  options: { octokit: GitHubClient; owner: string; repo: string },
  commit: string,
): Promise<MergedPullRequest | undefined> {
  let pulls;
  try {
    ({ data: pulls } = await options.octokit.rest.repos.listPullRequestsAssociatedWithCommit({
      owner: options.owner,
      repo: options.repo,
      commit_sha: commit,
      per_page: 100,
    }));
  } catch (error) {
    rethrowPermission(
      error,
      `list the pull requests of commit ${commit.slice(0, 12)}`,
      "pull-requests: read",
    );
  }
  // GitHub associates a commit on the default branch with the pull request whose merge put it there: the
  // merge commit, the squash commit, or any of the rebased commits (the last one is merge_commit_sha). An
  // open pull request whose branch merely contains the commit is not what was merged: never pick one.
  const merged =
    pulls.find((p) => p.merged_at !== null && p.merge_commit_sha === commit) ??
    pulls.find((p) => p.merged_at !== null);
  if (!merged) return undefined;
  const headRepository = merged.head.repo?.full_name;
  return {
    number: merged.number,
    headSha: merged.head.sha,
    labels: merged.labels.map((l) => l.name),
    htmlUrl: merged.html_url,
    // A deleted fork has no head repository any more: still a fork.
    fromFork: headRepository?.toLowerCase() !== `${options.owner}/${options.repo}`.toLowerCase(),
  };
}

async function reviewedFiles(args: {
  context: CommandContext;
  options: RegisterOnMergeOptions;
  project: Awaited<ReturnType<typeof openProject>>;
  model: ModelConfig;
  pull: MergedPullRequest | undefined;
  into: string;
}): Promise<{ files: ArtifactInput[]; retrained: boolean; fork?: boolean; gates?: ModelCardGate[] }> {
  const { context, options, pull } = args;
  if (pull?.fromFork) {
    // A fork's run executed code nobody with write access vouched for, with no token to record a digest.
    if ((options.forkPullRequests ?? "retrain") === "refuse") {
      throw new UserError(
        `PR #${pull.number} came from a fork, whose built bytes never ship, and retraining fork pull requests at merge is turned off (the register action's \`fork-pull-requests: refuse\`): register ${options.model} from the merged commit by hand, or allow \`fork-pull-requests: retrain\`.`,
      );
    }
    context.logger.warning(
      `PR #${pull.number} came from a fork: its candidate is never shipped; retraining ${options.model} from the merged commit (recorded in the manifest and release notes)`,
    );
    return { ...(await retrainAtMerge(args)), fork: true };
  }
  const candidate = pull
    ? await options.candidates.find({ model: options.model, pull, into: args.into })
    : undefined;
  if (candidate) {
    await checkAgainstRecord({ logger: context.logger, options, pull: pull!, candidate });
    return { files: candidate.files, retrained: false, gates: candidate.gates };
  }
  const why = pull
    ? `the reviewed candidate of PR #${pull.number} expired or is missing`
    : `no merged pull request is associated with ${options.commit.slice(0, 12)}`;
  const retrain = options.retrain ?? false;
  if (!retrain) {
    throw new UserError(
      `${why}, so there is nothing reviewed to release for ${options.model}. Re-run the pull request's evaluation, or allow retraining at merge (the register action's \`retrain: true\`).`,
    );
  }
  context.logger.warning(
    `${why}: retraining ${options.model} from the merged commit (recorded in the manifest and release notes)`,
  );
  return retrainAtMerge(args);
}

async function retrainAtMerge(args: {
  context: CommandContext;
  options: RegisterOnMergeOptions;
  project: Awaited<ReturnType<typeof openProject>>;
  model: ModelConfig;
  into: string;
}): Promise<{ files: ArtifactInput[]; retrained: true }> {
  const { context, options, project, model } = args;
  await runTrainCommand({ root: project.root, name: options.model, model, logger: context.logger });
  // The same files a reviewed candidate carries: the declared outputs, the reference profile and the
  // checked importances, written into the scratch folder the caller removes.
  const outputs = await readModelOutputs({
    root: project.root,
    name: options.model,
    model,
    configFile: project.config!.file,
    logger: context.logger,
    profileDir: path.join(args.into, "generated"),
    prepareDataEngine: context.prepareDataEngine,
  });
  return { files: outputs.files, retrained: true };
}

/**
 * The downloaded bytes must be the ones gitml's evaluate step digested and recorded, in its check run on
 * the PR's head, for the run the artifact came from. The artifact itself proves nothing: the code the PR
 * ran could reach the artifact service, never the check run.
 */
async function checkAgainstRecord(args: {
  logger: CommandContext["logger"];
  options: RegisterOnMergeOptions;
  pull: MergedPullRequest;
  candidate: Candidate;
}): Promise<void> {
  const { options, pull, candidate } = args;
  const actual = await digestFiles(candidate.files);
  const trustedApps = options.trustedApps ?? ["github-actions"];
  const records = (
    await listCandidateRecords({
      octokit: options.octokit,
      owner: options.owner,
      repo: options.repo,
      headSha: pull.headSha,
      model: options.model,
    })
  ).filter((r) => r.runId === candidate.runId && r.app !== undefined && trustedApps.includes(r.app));
  const where = `PR #${pull.number} (run ${candidate.runId}, head ${pull.headSha.slice(0, 12)})`;
  if (records.length === 0) {
    throw new UserError(
      `the evaluation of ${options.model} for ${where} left no record of the digest the reviewers saw (the check run "gitml / ${options.model}" written by gitml's evaluate step with \`checks: write\`, by app ${trustedApps.join(" or ")}): refusing to release bytes nobody can vouch for. Re-run the pull request's evaluation with \`checks: write\` and \`upload-candidate: true\`, then re-run this job.`,
    );
  }
  if (!records.some((r) => r.digest === actual)) {
    throw new UserError(
      `the candidate of ${options.model} downloaded for ${where} does not match the digest its evaluation recorded (recorded ${[...new Set(records.map((r) => r.digest))].join(", ")}, downloaded ${actual}): refusing to release bytes the reviewers did not see`,
    );
  }
  args.logger.info(
    `shipping the reviewed candidate of PR #${pull.number}: ${actual} matches the record of run ${candidate.runId}`,
  );
}

export function releaseComment(options: {
  model: string;
  version: string;
  stage: string;
  tag: string;
  links: Partial<ReleaseLinks>;
  runUrl?: string;
  retrained: boolean;
  fromFork?: boolean;
}): string {
  const release = options.links.releaseUrl ? ` · [release](${options.links.releaseUrl})` : "";
  const lines = [`🚀 released ${options.model} ${options.version} → ${options.stage}${release}`, ""];
  lines.push(`- tag: \`${options.tag}\``);
  if (options.links.artifactUrl) lines.push(`- artifact: ${options.links.artifactUrl}`);
  if (options.runUrl) lines.push(`- run: ${options.runUrl}`);
  lines.push(`- fetch it: \`gitml get ${options.model}@${options.version} -o model\``);
  if (options.retrained) {
    lines.push(
      "",
      options.fromFork
        ? "⚠️ This pull request came from a fork, whose built bytes never ship: this version was retrained from the merged commit."
        : "⚠️ The reviewed candidate had expired: this version was retrained from the merged commit.",
    );
  }
  return lines.join("\n");
}

/** How the promote action makes approvals fail closed (the CLI, with no GitHub Environments, passes none). */
export interface ApprovalGuard {
  octokit: GitHubClient;
  owner: string;
  repo: string;
  /** The GitHub Environment the job is bound to; undefined when it is bound to none. */
  environment?: string;
  /** Skip the check (documented as dangerous): the promotion may then go through with nobody asked. */
  allowUnprotected: boolean;
  repositoryUrl?: string;
}

export interface PromoteReleaseResult extends PromoteResult {
  /** The registration tag of the promoted version. */
  versionTag: string;
  releaseUrl?: string;
  artifactUrl?: string;
}

/**
 * Promotes a version (default: the one in the stage before; an older one is a rollback) and finds its
 * release's links for the deploy job: git does the promotion, GitHub is asked once for the links.
 */
export async function promoteRelease(
  context: CommandContext,
  options: PromoteOptions & { approval?: ApprovalGuard },
): Promise<PromoteReleaseResult> {
  if (options.approval) await assertApproved(context, options, options.approval);
  const result = await promote({ ...context, push: true }, options);
  const versionTag = formatTag({ action: "register", name: options.model, version: result.version });
  let links: Partial<ReleaseLinks> = {};
  if (context.store?.links) {
    try {
      links = await context.store.links({ model: options.model, version: result.version });
    } catch (error) {
      context.logger.warning(`no release links for ${versionTag}: ${(error as Error).message}`);
    }
  }
  return { ...result, versionTag, releaseUrl: links.releaseUrl, artifactUrl: links.artifactUrl };
}

/** A protected stage is entered only from a job bound to an environment that really asks someone. */
async function assertApproved(
  context: CommandContext,
  options: PromoteOptions,
  approval: ApprovalGuard,
): Promise<void> {
  const project = await openProject(context);
  const model = project.config ? modelConfig(project.config, options.model) : undefined;
  const guarded = protectedStages(model);
  if (!guarded.includes(options.stage)) return;
  const purpose = `promoting ${options.model} to ${options.stage}`;
  if (approval.allowUnprotected) {
    context.logger.warning(
      `${purpose}, a protected stage, without checking for an approval: \`allow-unprotected-environment\` is true`,
    );
    return;
  }
  const why = `${options.stage} is a protected stage of ${options.model} (\`protected_stages\` in gitml.yaml; default the last stage)`;
  if (!approval.environment) {
    throw new UserError(
      `${purpose}: ${why}, so the promotion must run in a job bound to a GitHub Environment with a protection rule (\`environment: <name>\` on the job) and name it in the promote action's \`environment\` input. To promote with nobody asked (dangerous), set \`allow-unprotected-environment: true\`.`,
    );
  }
  const protection = await assertProtectedEnvironment({
    octokit: approval.octokit,
    owner: approval.owner,
    repo: approval.repo,
    environment: approval.environment,
    purpose: `${purpose} (${why})`,
    repositoryUrl: approval.repositoryUrl,
  });
  context.logger.info(
    `${options.stage} is protected by the environment ${protection.environment}: ${protection.rules.join(", ")}`,
  );
}
