/**
 * GitHub's rules for a workflow's GITHUB_TOKEN, as plain functions over the parsed YAML:
 *
 * - a job's token carries its `permissions:`, else the workflow's, else the repository's default
 *   (Settings → Actions → Workflow permissions; "restricted" — contents and packages read — on every
 *   repository created since February 2023 and on organisations that chose it);
 * - in a called (reusable) workflow a job without `permissions:` inherits the called workflow's, else the
 *   caller job's grant;
 * - when a run starts, GitHub checks every job of every called workflow — jobs whose `if:` would skip
 *   them included, nested calls too — against the grant of the caller job, and fails the whole run before
 *   any job starts when one asks for more ("The nested job 'post-report' is requesting 'actions: read',
 *   but is only allowed 'actions: none'.").
 *
 * The harness applies both at run time; the static test applies the load-time rule to every caller and
 * README snippet.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { repoRoot } from "../runner/run-action";
import {
  type AccessLevel,
  covers,
  type Grant,
  grantAll,
  lowerOf,
  TOKEN_SCOPES,
  type TokenScope,
} from "../standin/scopes";

/** The repository's default token permissions (Settings → Actions → General → Workflow permissions). */
export type RepositoryDefault = "restricted" | "permissive";

export function repositoryDefaultGrant(kind: RepositoryDefault): Grant {
  if (kind === "permissive") return { ...grantAll("write"), "id-token": "none" };
  return { ...grantAll("none"), contents: "read", packages: "read" };
}

/** A `permissions:` value as a grant; `undefined` (no key) falls back to `inherited`. */
export function grantOf(value: unknown, inherited: Grant): Grant {
  if (value === undefined) return inherited;
  if (value === "read-all") return { ...grantAll("read"), "id-token": "none" };
  if (value === "write-all") return grantAll("write");
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new Error(`permissions: ${JSON.stringify(value)} is neither a mapping, read-all nor write-all`);
  const grant = grantAll("none");
  for (const [scope, level] of Object.entries(value as Record<string, unknown>)) {
    if (scope === "metadata") continue;
    if (!(TOKEN_SCOPES as readonly string[]).includes(scope))
      throw new Error(`permissions: unknown scope ${scope}`);
    if (level !== "read" && level !== "write" && level !== "none")
      throw new Error(`permissions: ${scope}: ${String(level)} is not read, write or none`);
    grant[scope as TokenScope] = level as AccessLevel;
  }
  return grant;
}

export interface WorkflowDoc {
  name?: string;
  permissions?: unknown;
  jobs?: Record<string, { permissions?: unknown; uses?: string; if?: unknown }>;
}

/** gitml's published reusable workflows, as `uses:` names them (any ref) or as `./.github/workflows/X`. */
const GITML_REUSABLE = /^(?:gitml\/gitml\/|\.\/)\.github\/workflows\/([\w.-]+\.ya?ml)(?:@\S+)?$/;

/** gitml's published workflows, where GitHub loads them from: `.github/workflows/` of gitml. */
export const PUBLISHED_WORKFLOWS = path.join(repoRoot, ".github", "workflows");

export function loadCalledWorkflow(uses: string, published = PUBLISHED_WORKFLOWS): WorkflowDoc {
  const match = GITML_REUSABLE.exec(uses);
  if (!match) throw new Error(`only gitml's reusable workflows are known here, not ${uses}`);
  return parse(readFileSync(path.join(published, match[1]!), "utf8")) as WorkflowDoc;
}

/** A job's grant as a top-level job of the run (not called). */
export function topLevelJobGrant(workflow: WorkflowDoc, jobId: string, defaults: RepositoryDefault): Grant {
  const workflowGrant = grantOf(workflow.permissions, repositoryDefaultGrant(defaults));
  return grantOf(workflow.jobs?.[jobId]?.permissions, workflowGrant);
}

/** A job's grant inside a called workflow whose caller job holds `callerGrant`. */
export function nestedJobGrant(called: WorkflowDoc, jobId: string, callerGrant: Grant): Grant {
  const inherited = grantOf(called.permissions, callerGrant);
  return lowerOf(grantOf(called.jobs?.[jobId]?.permissions, inherited), callerGrant);
}

function describe(scope: TokenScope, level: AccessLevel): string {
  return `'${scope}: ${level}'`;
}

/** The first scope `requested` asks beyond `allowed`, as GitHub words it, or undefined. */
function excess(requested: Grant, allowed: Grant): string | undefined {
  for (const scope of TOKEN_SCOPES)
    if (!covers(allowed[scope], requested[scope]))
      return `requesting ${describe(scope, requested[scope])}, but is only allowed ${describe(scope, allowed[scope])}`;
  return undefined;
}

/**
 * GitHub's load-time check of a run of `caller` (the file's parsed YAML): for every job that calls a
 * reusable workflow, every job inside it (recursively) must stay within the calling job's grant. Returns
 * GitHub's error messages; empty when the run may start.
 */
export function loadTimeProblems(
  caller: WorkflowDoc,
  options: { file: string; defaults: RepositoryDefault; load?: (uses: string) => WorkflowDoc },
): string[] {
  const load = options.load ?? loadCalledWorkflow;
  const problems: string[] = [];
  const visit = (called: WorkflowDoc, uses: string, allowed: Grant, chain: string): void => {
    const where = `error parsing called workflow "${chain}" -> "${uses}"`;
    if (called.permissions !== undefined) {
      const over = excess(grantOf(called.permissions, allowed), allowed);
      if (over) problems.push(`${where}: The workflow is ${over}.`);
    }
    for (const [jobId, job] of Object.entries(called.jobs ?? {})) {
      if (job.permissions !== undefined) {
        const over = excess(grantOf(job.permissions, allowed), allowed);
        if (over) problems.push(`${where}: The nested job '${jobId}' is ${over}.`);
      }
      if (job.uses) visit(load(job.uses), job.uses, nestedJobGrant(called, jobId, allowed), uses);
    }
  };
  for (const [jobId, job] of Object.entries(caller.jobs ?? {})) {
    if (!job.uses) continue;
    visit(load(job.uses), job.uses, topLevelJobGrant(caller, jobId, options.defaults), options.file);
  }
  return problems;
}
