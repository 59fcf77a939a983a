/**
 * In-memory state of the stand-in: users, repositories and everything hanging off them. Records hold only
 * what the behaviour needs; fixtures.ts turns them into the documented response shapes.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface StandinUrls {
  /** API base, e.g. http://127.0.0.1:1234 (what api.github.com is on github.com). */
  api: string;
  /** Uploads base (uploads.github.com). */
  uploads: string;
  /** Web base (github.com): html_url values and downloads. */
  web: string;
}

export interface UserRecord {
  id: number;
  login: string;
  type: "User" | "Bot" | "Organization";
}

export interface LabelRecord {
  id: number;
  name: string;
  color: string;
  description: string | null;
}

export interface IssueRecord {
  id: number;
  number: number;
  title: string;
  body: string | null;
  user: string;
  state: "open" | "closed";
  stateReason: "completed" | "reopened" | "not_planned" | null;
  labels: string[];
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  /** Set when the issue is the conversation of a pull request. */
  isPull: boolean;
}

export interface PullFileRecord {
  filename: string;
  status: "added" | "removed" | "modified" | "renamed" | "copied" | "changed" | "unchanged";
  additions: number;
  deletions: number;
}

export interface PullRecord {
  number: number;
  id: number;
  headRef: string;
  headSha: string;
  baseRef: string;
  baseSha: string;
  /** Set for a pull request from a fork: "owner/name" of the head repository. */
  headRepo?: string;
  merged: boolean;
  files: PullFileRecord[];
  mergedAt?: string;
  /** What GitHub reports as `merge_commit_sha`: the merge, squash or last rebased commit. */
  mergeCommitSha?: string;
  /** Every commit the merge put on the base branch (one, or each rebased commit). */
  mergedCommits?: string[];
}

export interface JobRecord {
  id: number;
  name: string;
  runAttempt: number;
  status: "queued" | "in_progress" | "completed";
  conclusion: "success" | "failure" | "cancelled" | "skipped" | "timed_out" | null;
  startedAt: string;
  completedAt: string | null;
}

export interface CommentRecord {
  id: number;
  issueNumber: number;
  body: string;
  user: string;
  createdAt: string;
  updatedAt: string;
}

/** Bytes the stand-in keeps on disk: a multi-GiB asset never sits in memory. */
export interface StoredFile {
  path: string;
  size: number;
  /** sha256 of the bytes, hex (GitHub reports it as `digest: "sha256:<hex>"`). */
  sha256: string;
}

export interface AssetRecord extends StoredFile {
  id: number;
  releaseId: number;
  name: string;
  label: string | null;
  contentType: string;
  state: "uploaded" | "open";
  uploader: string;
  createdAt: string;
  updatedAt: string;
  /**
   * The asset's bytes, read from its file; assigning rewrites the file, size and digest (tests that
   * tamper with what GitHub stores). Reads the whole file: for small assets only.
   */
  data: Buffer;
}

export function sha256Hex(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** An asset record whose bytes live in `fields.path`. */
export function assetRecord(fields: Omit<AssetRecord, "data">): AssetRecord {
  return {
    ...fields,
    get data(): Buffer {
      return readFileSync(this.path);
    },
    set data(bytes: Buffer) {
      writeFileSync(this.path, bytes);
      this.size = bytes.length;
      this.sha256 = sha256Hex(bytes);
    },
  };
}

export interface ReleaseRecord {
  id: number;
  tagName: string;
  targetCommitish: string;
  name: string | null;
  body: string | null;
  draft: boolean;
  prerelease: boolean;
  author: string;
  createdAt: string;
  publishedAt: string | null;
}

export interface TagObjectRecord {
  sha: string;
  tag: string;
  message: string;
  objectSha: string;
  objectType: string;
  tagger: { name: string; email: string; date: string };
}

export interface CheckRunRecord {
  id: number;
  name: string;
  headSha: string;
  status: "queued" | "in_progress" | "completed" | "waiting" | "requested" | "pending";
  conclusion:
    "success" | "failure" | "neutral" | "cancelled" | "skipped" | "timed_out" | "action_required" | null;
  detailsUrl: string | null;
  externalId: string | null;
  startedAt: string | null;
  completedAt: string | null;
  output: { title: string | null; summary: string | null; text: string | null };
  annotations: unknown[];
  /** The GitHub App that created the run; absent: GitHub Actions (GITHUB_TOKEN). */
  app?: { id: number; slug: string; name: string };
}

export interface StatusRecord {
  id: number;
  sha: string;
  state: "error" | "failure" | "pending" | "success";
  context: string;
  description: string | null;
  targetUrl: string | null;
  creator: string;
  createdAt: string;
}

export interface WorkflowRunRecord {
  id: number;
  workflowId: number;
  workflowFile: string;
  runNumber: number;
  headBranch: string;
  headSha: string;
  event: string;
  status: "queued" | "in_progress" | "completed";
  conclusion: string | null;
  createdAt: string;
  /** 1, then one more per re-run. */
  runAttempt: number;
  /** The run's jobs, every attempt's. */
  jobs: JobRecord[];
}

export interface ArtifactRecord {
  id: number;
  runId: number;
  name: string;
  sizeInBytes: number;
  createdAt: string;
}

/** A deployment environment and its protection: what decides whether a job bound to it waits for anyone. */
export interface EnvironmentRecord {
  id: number;
  name: string;
  createdAt: string;
  /** Logins of required reviewers (empty: no required-reviewers rule). */
  reviewers: string[];
  /** Minutes; 0 or undefined: no wait-timer rule. */
  waitTimer?: number;
  /** Slugs of the apps of custom deployment protection rules, and whether each is enabled. */
  customRules: Array<{ app: string; enabled: boolean }>;
  /** Only protected branches may deploy (a branch policy, which asks nobody). */
  protectedBranchesOnly: boolean;
}

/**
 * A repository's GitHub Pages site (Settings → Pages). `workflow`: published by the Pages actions
 * (Source: GitHub Actions); `legacy`: built from a branch, where a deployment from a workflow is refused.
 */
export interface PagesRecord {
  buildType: "workflow" | "legacy";
  htmlUrl: string;
  deployments: PagesDeploymentRecord[];
}

/** One `POST /repos/{owner}/{repo}/pages/deployments`: the artifact it publishes and how it proved itself. */
export interface PagesDeploymentRecord {
  id: string;
  artifactId: number;
  environment: string;
  buildVersion: string;
  oidcToken: string;
}

export interface DispatchRecord {
  kind: "workflow" | "repository";
  workflow?: string;
  ref?: string;
  eventType?: string;
  inputs?: Record<string, unknown>;
  clientPayload?: Record<string, unknown>;
}

export interface RepoRecord {
  id: number;
  owner: string;
  name: string;
  defaultBranch: string;
  private: boolean;
  createdAt: string;
  nextNumber: number;
  issues: Map<number, IssueRecord>;
  pulls: Map<number, PullRecord>;
  comments: Map<number, CommentRecord>;
  labels: Map<string, LabelRecord>;
  releases: Map<number, ReleaseRecord>;
  assets: Map<number, AssetRecord>;
  /** Full ref name ("refs/tags/v1") to the sha it points at. */
  refs: Map<string, string>;
  tagObjects: Map<string, TagObjectRecord>;
  checkRuns: Map<number, CheckRunRecord>;
  statuses: StatusRecord[];
  workflowRuns: WorkflowRunRecord[];
  artifacts: ArtifactRecord[];
  dispatches: DispatchRecord[];
  /** By lower-cased name (GitHub's environment names are case-insensitive). */
  environments: Map<string, EnvironmentRecord>;
  /** The Pages site; undefined until Pages is enabled (the API answers 404). */
  pages?: PagesRecord;
}

export function fakeSha(seed: string): string {
  return createHash("sha1").update(seed).digest("hex");
}

export class StandinState {
  readonly users = new Map<string, UserRecord>();
  readonly repos = new Map<string, RepoRecord>();
  /** The login that authenticated requests act as (GITHUB_TOKEN acts as the Actions bot). */
  actor = "github-actions[bot]";
  private idCounter = 1000;
  private fileCounter = 0;
  private assetFolder: string | undefined;
  private clock = Date.parse("2024-01-01T00:00:00Z");

  constructor(readonly urls: StandinUrls) {}

  nextId(): number {
    return ++this.idCounter;
  }

  /** A fresh path in the stand-in's own temp folder (made on first use, removed by `removeFiles()`). */
  newFilePath(): string {
    this.assetFolder ??= mkdtempSync(join(tmpdir(), "gitml-standin-assets-"));
    return join(this.assetFolder, `body-${++this.fileCounter}`);
  }

  removeFile(path: string): void {
    rmSync(path, { force: true });
  }

  /** Removes every file the stand-in stored (its server calls this on close). */
  removeFiles(): void {
    if (this.assetFolder) rmSync(this.assetFolder, { recursive: true, force: true });
    this.assetFolder = undefined;
  }

  /** A deterministic clock: every timestamp is one second after the previous one. */
  now(): string {
    this.clock += 1000;
    return new Date(this.clock).toISOString().replace(/\.\d{3}Z$/, "Z");
  }

  user(login: string): UserRecord {
    let user = this.users.get(login);
    if (!user) {
      const type = login.endsWith("[bot]") ? "Bot" : "User";
      user = { id: this.nextId(), login, type };
      this.users.set(login, user);
    }
    return user;
  }

  findRepo(owner: string, name: string): RepoRecord | undefined {
    return this.repos.get(`${owner}/${name}`.toLowerCase());
  }

  seedRepo(options: { owner: string; name: string; defaultBranch?: string; private?: boolean }): RepoRecord {
    this.user(options.owner);
    const repo: RepoRecord = {
      id: this.nextId(),
      owner: options.owner,
      name: options.name,
      defaultBranch: options.defaultBranch ?? "main",
      private: options.private ?? false,
      createdAt: this.now(),
      nextNumber: 1,
      issues: new Map(),
      pulls: new Map(),
      comments: new Map(),
      labels: new Map(),
      releases: new Map(),
      assets: new Map(),
      refs: new Map([
        [`refs/heads/${options.defaultBranch ?? "main"}`, fakeSha(`${options.owner}/${options.name}`)],
      ]),
      tagObjects: new Map(),
      checkRuns: new Map(),
      statuses: [],
      workflowRuns: [],
      artifacts: [],
      dispatches: [],
      environments: new Map(),
    };
    this.repos.set(`${options.owner}/${options.name}`.toLowerCase(), repo);
    return repo;
  }

  seedIssue(
    repo: RepoRecord,
    options: { title: string; body?: string; labels?: string[]; user?: string; state?: "open" | "closed" },
  ): IssueRecord {
    return this.createIssue(repo, { ...options, isPull: false });
  }

  createIssue(
    repo: RepoRecord,
    options: {
      title: string;
      body?: string | null;
      labels?: string[];
      user?: string;
      state?: "open" | "closed";
      isPull: boolean;
    },
  ): IssueRecord {
    const createdAt = this.now();
    for (const label of options.labels ?? []) this.ensureLabel(repo, label);
    const issue: IssueRecord = {
      id: this.nextId(),
      number: repo.nextNumber++,
      title: options.title,
      body: options.body ?? null,
      user: this.user(options.user ?? this.actor).login,
      state: options.state ?? "open",
      stateReason: options.state === "closed" ? "completed" : null,
      labels: [...new Set(options.labels ?? [])],
      createdAt,
      updatedAt: createdAt,
      closedAt: options.state === "closed" ? createdAt : null,
      isPull: options.isPull,
    };
    repo.issues.set(issue.number, issue);
    return issue;
  }

  seedPull(
    repo: RepoRecord,
    options: {
      title?: string;
      body?: string;
      user?: string;
      headRef?: string;
      headSha?: string;
      baseRef?: string;
      baseSha?: string;
      headRepo?: string;
      files?: PullFileRecord[];
    } = {},
  ): PullRecord {
    const issue = this.createIssue(repo, {
      title: options.title ?? "Change the model",
      body: options.body ?? null,
      user: options.user ?? "octocat",
      isPull: true,
    });
    const headRef = options.headRef ?? `feature-${issue.number}`;
    const pull: PullRecord = {
      number: issue.number,
      id: this.nextId(),
      headRef,
      headSha: options.headSha ?? fakeSha(`${repo.name}:${headRef}`),
      baseRef: options.baseRef ?? repo.defaultBranch,
      baseSha: options.baseSha ?? repo.refs.get(`refs/heads/${repo.defaultBranch}`) ?? fakeSha(repo.name),
      headRepo: options.headRepo,
      merged: false,
      files: options.files ?? [],
    };
    repo.pulls.set(pull.number, pull);
    return pull;
  }

  createComment(repo: RepoRecord, issueNumber: number, body: string, user?: string): CommentRecord {
    const createdAt = this.now();
    const comment: CommentRecord = {
      id: this.nextId(),
      issueNumber,
      body,
      user: this.user(user ?? this.actor).login,
      createdAt,
      updatedAt: createdAt,
    };
    repo.comments.set(comment.id, comment);
    return comment;
  }

  /** Seeds `count` comments; `bodyFor(i)` (0-based) chooses each body. */
  seedComments(
    repo: RepoRecord,
    issueNumber: number,
    count: number,
    bodyFor: (index: number) => string = (i) => `comment ${i + 1}`,
  ): CommentRecord[] {
    return Array.from({ length: count }, (_, i) =>
      this.createComment(repo, issueNumber, bodyFor(i), "octocat"),
    );
  }

  commentsOf(repo: RepoRecord, issueNumber: number): CommentRecord[] {
    return [...repo.comments.values()]
      .filter((c) => c.issueNumber === issueNumber)
      .sort((a, b) => a.id - b.id);
  }

  ensureLabel(repo: RepoRecord, name: string): LabelRecord {
    let label = repo.labels.get(name.toLowerCase());
    if (!label) {
      label = { id: this.nextId(), name, color: fakeSha(name).slice(0, 6), description: null };
      repo.labels.set(name.toLowerCase(), label);
    }
    return label;
  }

  seedRef(repo: RepoRecord, ref: string, sha: string): void {
    repo.refs.set(ref.startsWith("refs/") ? ref : `refs/${ref}`, sha);
  }

  seedWorkflowRun(
    repo: RepoRecord,
    options: {
      workflowFile: string;
      headSha: string;
      headBranch?: string;
      event?: string;
      status?: WorkflowRunRecord["status"];
      conclusion?: string | null;
    },
  ): WorkflowRunRecord {
    const sameWorkflow = repo.workflowRuns.filter((r) => r.workflowFile === options.workflowFile);
    const run: WorkflowRunRecord = {
      id: this.nextId(),
      workflowId: sameWorkflow[0]?.workflowId ?? this.nextId(),
      workflowFile: options.workflowFile,
      runNumber: sameWorkflow.length + 1,
      headBranch: options.headBranch ?? repo.defaultBranch,
      headSha: options.headSha,
      event: options.event ?? "push",
      status: options.status ?? "completed",
      conclusion: options.conclusion === undefined ? "success" : options.conclusion,
      createdAt: this.now(),
      runAttempt: 1,
      jobs: [],
    };
    repo.workflowRuns.push(run);
    return run;
  }

  /** A job of the run's current attempt (a matrix leg is its own job, e.g. "gitml / evaluate churn"). */
  seedJob(
    run: WorkflowRunRecord,
    options: { name: string; status?: JobRecord["status"]; conclusion?: JobRecord["conclusion"] },
  ): JobRecord {
    const status = options.status ?? "completed";
    const startedAt = this.now();
    const job: JobRecord = {
      id: this.nextId(),
      name: options.name,
      runAttempt: run.runAttempt,
      status,
      conclusion: status === "completed" ? (options.conclusion ?? "success") : null,
      startedAt,
      completedAt: status === "completed" ? this.now() : null,
    };
    run.jobs.push(job);
    return job;
  }

  /**
   * Merges a pull request as GitHub does: `commits` are what landed on the base branch (the merge commit,
   * the squash commit, or each rebased commit, last one last); the last is its `merge_commit_sha`, and
   * each is associated with the pull request (GET /commits/{sha}/pulls).
   */
  mergePull(repo: RepoRecord, number: number, commits: string[]): PullRecord {
    const pull = repo.pulls.get(number);
    const issue = repo.issues.get(number);
    if (!pull || !issue || commits.length === 0) throw new Error(`stand-in: cannot merge #${number}`);
    const now = this.now();
    pull.merged = true;
    pull.mergedAt = now;
    pull.mergeCommitSha = commits.at(-1);
    pull.mergedCommits = [...commits];
    issue.state = "closed";
    issue.closedAt = now;
    issue.updatedAt = now;
    return pull;
  }

  /** An environment as Settings → Environments makes it; with no options, one with no protection rule. */
  seedEnvironment(
    repo: RepoRecord,
    name: string,
    options: Partial<Omit<EnvironmentRecord, "id" | "name" | "createdAt">> = {},
  ): EnvironmentRecord {
    for (const login of options.reviewers ?? []) this.user(login);
    const environment: EnvironmentRecord = {
      id: this.nextId(),
      name,
      createdAt: this.now(),
      reviewers: options.reviewers ?? [],
      waitTimer: options.waitTimer,
      customRules: options.customRules ?? [],
      protectedBranchesOnly: options.protectedBranchesOnly ?? false,
    };
    repo.environments.set(name.toLowerCase(), environment);
    return environment;
  }

  /** Enables Pages (Settings → Pages → Source), by default from GitHub Actions. */
  seedPages(repo: RepoRecord, options: { buildType?: PagesRecord["buildType"] } = {}): PagesRecord {
    repo.pages = {
      buildType: options.buildType ?? "workflow",
      htmlUrl: `https://${repo.owner.toLowerCase()}.github.io/${repo.name}/`,
      deployments: [],
    };
    return repo.pages;
  }

  seedArtifact(
    repo: RepoRecord,
    options: { runId: number; name: string; sizeInBytes?: number },
  ): ArtifactRecord {
    const artifact: ArtifactRecord = {
      id: this.nextId(),
      runId: options.runId,
      name: options.name,
      sizeInBytes: options.sizeInBytes ?? 1024,
      createdAt: this.now(),
    };
    repo.artifacts.push(artifact);
    return artifact;
  }
}
