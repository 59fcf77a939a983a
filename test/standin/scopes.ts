/**
 * The scopes of a GITHUB_TOKEN and what each REST operation needs of them. A workflow job's token carries
 * exactly its `permissions:` (the scopes below, each none/read/write; `metadata: read` always); GitHub
 * answers 403 "Resource not accessible by integration" to a call beyond them. The operation → scope map
 * follows GitHub's "Permissions required for GitHub Apps" page, keyed by the category/subcategory the API
 * description gives each operation (`x-github`), so a route the stand-in learns later is mapped or refused
 * loudly, never let through by accident.
 */
import type { OperationSpec } from "./spec";

export const TOKEN_SCOPES = [
  "actions",
  "attestations",
  "checks",
  "contents",
  "deployments",
  "discussions",
  "id-token",
  "issues",
  "models",
  "packages",
  "pages",
  "pull-requests",
  "repository-projects",
  "security-events",
  "statuses",
] as const;

export type TokenScope = (typeof TOKEN_SCOPES)[number];
export type AccessLevel = "none" | "read" | "write";
export type Grant = Record<TokenScope, AccessLevel>;

const RANK: Record<AccessLevel, number> = { none: 0, read: 1, write: 2 };

export function grantAll(level: AccessLevel): Grant {
  return Object.fromEntries(TOKEN_SCOPES.map((scope) => [scope, level])) as Grant;
}

export function covers(granted: AccessLevel, requested: AccessLevel): boolean {
  return RANK[granted] >= RANK[requested];
}

/** The lower of two grants, scope by scope (a fork's token is at most read). */
export function lowerOf(a: Grant, b: Grant): Grant {
  return Object.fromEntries(
    TOKEN_SCOPES.map((scope) => [scope, RANK[a[scope]] <= RANK[b[scope]] ? a[scope] : b[scope]]),
  ) as Grant;
}

/** The scopes an operation needs: any one of the alternatives at the level given is enough. */
export interface ScopeNeed {
  anyOf: TokenScope[];
  level: AccessLevel;
}

const CONTENTS_SUBCATEGORIES = new Set([
  "git/blobs",
  "git/commits",
  "git/refs",
  "git/tags",
  "git/trees",
  "releases/releases",
  "releases/assets",
  "repos/contents",
  "repos/commits",
  "commits/commits",
  "commits/comments",
  "branches/branches",
]);

/**
 * What `operation` needs of a GITHUB_TOKEN: `null` when metadata (always granted) is enough, `undefined`
 * when no token scope opens it (administration and the like). `onPullRequest` says whether the issue the
 * call addresses is a pull request, for which GitHub accepts `pull-requests` instead of `issues`.
 */
export function scopeNeeded(
  operation: Pick<OperationSpec, "operationId" | "method" | "category" | "subcategory">,
  onPullRequest: boolean,
): ScopeNeed | null | undefined {
  const level: AccessLevel = operation.method === "GET" || operation.method === "HEAD" ? "read" : "write";
  const need = (...anyOf: TokenScope[]): ScopeNeed => ({ anyOf, level });
  switch (operation.operationId) {
    case "repos/get":
      return null;
    case "repos/create-dispatch-event":
      return need("contents");
    case "repos/list-pull-requests-associated-with-commit":
      return need("contents", "pull-requests");
  }
  const key = `${operation.category}/${operation.subcategory}`;
  if (CONTENTS_SUBCATEGORIES.has(key)) return need("contents");
  switch (operation.category) {
    case "actions":
      return need("actions");
    case "checks":
      return need("checks");
    case "pulls":
      return need("pull-requests");
    case "issues":
      return onPullRequest ? need("issues", "pull-requests") : need("issues");
    case "pages":
      return need("pages");
    case "code-scanning":
      return need("security-events");
  }
  switch (key) {
    case "commits/statuses":
      return need("statuses");
    case "deployments/deployments":
    case "deployments/statuses":
      return need("deployments");
    case "deployments/environments":
    case "deployments/branch-policies":
    case "deployments/protection-rules":
      // Reading an environment is open to read access (actions or deployments); configuring one is
      // administration, which no GITHUB_TOKEN scope grants.
      return level === "read" ? need("actions", "deployments") : undefined;
    case "repos/repos":
      return level === "read" ? null : undefined;
  }
  return undefined;
}

/** GitHub's answer to a call beyond the token's scopes. */
export const NOT_ACCESSIBLE = "Resource not accessible by integration";

/** Tokens issued with a grant; a token the registry never issued is not scoped (the stand-in's default). */
export class TokenRegistry {
  private readonly grants = new Map<string, Grant>();
  private sequence = 0;

  issue(grant: Grant, label = "job"): string {
    const token = `ghs_${label.replace(/[^A-Za-z0-9]/g, "")}${++this.sequence}x${Math.random().toString(36).slice(2, 10)}`;
    this.grants.set(token, { ...grant });
    return token;
  }

  grantOf(token: string | undefined): Grant | undefined {
    return token === undefined ? undefined : this.grants.get(token);
  }
}
