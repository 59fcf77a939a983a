/**
 * Check runs with a conclusion, a summary and file:line annotations. GitHub takes at most 50 annotations
 * per request, so the first 50 go with the create and the rest follow in updates of 50.
 */
import { type GitHubClient, rethrowPermission } from "./client";
import { isDigest, type Digest } from "../store/digest";

export const ANNOTATIONS_PER_REQUEST = 50;

export type CheckConclusion =
  "success" | "failure" | "neutral" | "cancelled" | "skipped" | "timed_out" | "action_required";

export interface CheckAnnotation {
  path: string;
  line: number;
  endLine?: number;
  level: "notice" | "warning" | "failure";
  message: string;
  title?: string;
}

export interface CreateCheckRunOptions {
  octokit: GitHubClient;
  owner: string;
  repo: string;
  name: string;
  headSha: string;
  conclusion: CheckConclusion;
  title: string;
  summary: string;
  text?: string;
  annotations?: CheckAnnotation[];
  detailsUrl?: string;
  /** The check run's `external_id`: gitml keeps the reviewed candidate's record there. */
  externalId?: string;
}

export interface CheckRunResult {
  id: number;
  url: string;
  /** Requests made: one create plus one update per further batch of 50 annotations. */
  requests: number;
}

function toGitHub(a: CheckAnnotation) {
  return {
    path: a.path,
    start_line: a.line,
    end_line: a.endLine ?? a.line,
    annotation_level: a.level,
    message: a.message,
    ...(a.title ? { title: a.title } : {}),
  };
}

export async function createCheckRun(options: CreateCheckRunOptions): Promise<CheckRunResult> {
  const { octokit, owner, repo } = options;
  const batches: CheckAnnotation[][] = [];
  const annotations = options.annotations ?? [];
  for (let i = 0; i < annotations.length; i += ANNOTATIONS_PER_REQUEST) {
    batches.push(annotations.slice(i, i + ANNOTATIONS_PER_REQUEST));
  }
  const output = (batch: CheckAnnotation[] | undefined) => ({
    title: options.title,
    summary: options.summary,
    ...(options.text ? { text: options.text } : {}),
    ...(batch ? { annotations: batch.map(toGitHub) } : {}),
  });
  try {
    // With more than one batch the run stays in progress until the last batch carries the conclusion.
    const single = batches.length <= 1;
    const { data } = await octokit.rest.checks.create({
      owner,
      repo,
      name: options.name,
      head_sha: options.headSha,
      ...(options.detailsUrl ? { details_url: options.detailsUrl } : {}),
      ...(options.externalId ? { external_id: options.externalId } : {}),
      ...(single
        ? { status: "completed" as const, conclusion: options.conclusion }
        : { status: "in_progress" as const }),
      output: output(batches[0]),
    });
    for (let i = 1; i < batches.length; i++) {
      const last = i === batches.length - 1;
      await octokit.rest.checks.update({
        owner,
        repo,
        check_run_id: data.id,
        ...(last ? { status: "completed" as const, conclusion: options.conclusion } : {}),
        output: output(batches[i]),
      });
    }
    return { id: data.id, url: data.html_url ?? data.url, requests: Math.max(batches.length, 1) };
  } catch (error) {
    rethrowPermission(error, `create the "${options.name}" check run in ${owner}/${repo}`, "checks: write");
  }
}

/** The check run that carries a model's verdict and its reviewed-candidate record. */
export function checkRunName(model: string): string {
  return `gitml / ${model}`;
}

/**
 * The reviewed candidate's record, as the evaluate action writes it into its check run's `external_id`:
 * the run that uploaded the candidate and the digest the report showed. A check run can only be written
 * with a token holding `checks: write`, and only updated by the app that created it, so the artifact's
 * upload token (all PR code could ever reach) cannot forge or change it.
 */
export function candidateRecordId(runId: number, digest: Digest): string {
  return `gitml-candidate:${runId}:${digest}`;
}

export interface CandidateRecord {
  /** The workflow run whose evaluation uploaded the candidate. */
  runId: number;
  digest: Digest;
  checkRunId: number;
  /** Slug of the GitHub App that wrote the check run (`github-actions` for GITHUB_TOKEN). */
  app: string | undefined;
}

function parseCandidateRecord(
  externalId: string | null | undefined,
): { runId: number; digest: Digest } | undefined {
  const match = externalId ? /^gitml-candidate:(\d+):(sha256:[0-9a-f]{64})$/.exec(externalId) : null;
  if (!match || !isDigest(match[2]!)) return undefined;
  return { runId: Number(match[1]), digest: match[2] };
}

/**
 * Every reviewed-candidate record of a model on a commit: its `gitml / <model>` check runs (re-runs and
 * other workflows included), read with one paginated call.
 */
export async function listCandidateRecords(options: {
  octokit: GitHubClient;
  owner: string;
  repo: string;
  headSha: string;
  model: string;
}): Promise<CandidateRecord[]> {
  const { octokit, owner, repo } = options;
  let runs;
  try {
    runs = await octokit.paginate(octokit.rest.checks.listForRef, {
      owner,
      repo,
      ref: options.headSha,
      check_name: checkRunName(options.model),
      filter: "all",
      per_page: 100,
    });
  } catch (error) {
    rethrowPermission(
      error,
      `read the check runs of ${options.headSha.slice(0, 12)} in ${owner}/${repo}`,
      "checks: read",
    );
  }
  const records: CandidateRecord[] = [];
  for (const run of runs) {
    const record = parseCandidateRecord(run.external_id);
    if (record && run.head_sha === options.headSha)
      records.push({ ...record, checkRunId: run.id, app: run.app?.slug });
  }
  return records;
}
