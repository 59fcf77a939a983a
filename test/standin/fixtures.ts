/**
 * Records → documented response shapes. Every field the schema requires is filled with a value derived
 * from state (URLs point back at the stand-in), so the response validator accepts them as GitHub's.
 */
import type {
  ArtifactRecord,
  AssetRecord,
  CheckRunRecord,
  EnvironmentRecord,
  JobRecord,
  CommentRecord,
  IssueRecord,
  LabelRecord,
  PagesRecord,
  PullFileRecord,
  PullRecord,
  ReleaseRecord,
  RepoRecord,
  StandinState,
  StatusRecord,
  TagObjectRecord,
  WorkflowRunRecord,
} from "./state";
import { fakeSha } from "./state";

type Obj = Record<string, unknown>;

function nodeId(kind: string, id: number | string): string {
  return Buffer.from(`${kind}:${id}`).toString("base64");
}

export function userJson(state: StandinState, login: string): Obj {
  const user = state.user(login);
  const url = `${state.urls.api}/users/${encodeURIComponent(login)}`;
  return {
    login: user.login,
    id: user.id,
    node_id: nodeId("User", user.id),
    avatar_url: `${state.urls.web}/avatars/${user.id}`,
    gravatar_id: "",
    url,
    html_url: `${state.urls.web}/${encodeURIComponent(login)}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type: user.type,
    site_admin: false,
  };
}

export function repoApiUrl(state: StandinState, repo: RepoRecord): string {
  return `${state.urls.api}/repos/${repo.owner}/${repo.name}`;
}

function minimalRepoJson(state: StandinState, repo: RepoRecord): Obj {
  const url = repoApiUrl(state, repo);
  return {
    id: repo.id,
    node_id: nodeId("Repository", repo.id),
    name: repo.name,
    full_name: `${repo.owner}/${repo.name}`,
    owner: userJson(state, repo.owner),
    private: repo.private,
    html_url: `${state.urls.web}/${repo.owner}/${repo.name}`,
    description: null,
    fork: false,
    url,
    archive_url: `${url}/{archive_format}{/ref}`,
    assignees_url: `${url}/assignees{/user}`,
    blobs_url: `${url}/git/blobs{/sha}`,
    branches_url: `${url}/branches{/branch}`,
    collaborators_url: `${url}/collaborators{/collaborator}`,
    comments_url: `${url}/comments{/number}`,
    commits_url: `${url}/commits{/sha}`,
    compare_url: `${url}/compare/{base}...{head}`,
    contents_url: `${url}/contents/{+path}`,
    contributors_url: `${url}/contributors`,
    deployments_url: `${url}/deployments`,
    downloads_url: `${url}/downloads`,
    events_url: `${url}/events`,
    forks_url: `${url}/forks`,
    git_commits_url: `${url}/git/commits{/sha}`,
    git_refs_url: `${url}/git/refs{/sha}`,
    git_tags_url: `${url}/git/tags{/sha}`,
    hooks_url: `${url}/hooks`,
    issue_comment_url: `${url}/issues/comments{/number}`,
    issue_events_url: `${url}/issues/events{/number}`,
    issues_url: `${url}/issues{/number}`,
    keys_url: `${url}/keys{/key_id}`,
    labels_url: `${url}/labels{/name}`,
    languages_url: `${url}/languages`,
    merges_url: `${url}/merges`,
    milestones_url: `${url}/milestones{/number}`,
    notifications_url: `${url}/notifications{?since,all,participating}`,
    pulls_url: `${url}/pulls{/number}`,
    releases_url: `${url}/releases{/id}`,
    stargazers_url: `${url}/stargazers`,
    statuses_url: `${url}/statuses/{sha}`,
    subscribers_url: `${url}/subscribers`,
    subscription_url: `${url}/subscription`,
    tags_url: `${url}/tags`,
    teams_url: `${url}/teams`,
    trees_url: `${url}/git/trees{/sha}`,
  };
}

/** The `repository` schema (used inside pull requests) and, with `full`, `full-repository` (GET repo). */
export function repoJson(state: StandinState, repo: RepoRecord, options: { full?: boolean } = {}): Obj {
  const openIssues = [...repo.issues.values()].filter((i) => i.state === "open").length;
  const json: Obj = {
    ...minimalRepoJson(state, repo),
    clone_url: `${state.urls.web}/${repo.owner}/${repo.name}.git`,
    git_url: `git://${new URL(state.urls.web).host}/${repo.owner}/${repo.name}.git`,
    ssh_url: `git@${new URL(state.urls.web).hostname}:${repo.owner}/${repo.name}.git`,
    svn_url: `${state.urls.web}/${repo.owner}/${repo.name}`,
    mirror_url: null,
    homepage: null,
    language: null,
    default_branch: repo.defaultBranch,
    forks: 0,
    forks_count: 0,
    stargazers_count: 0,
    watchers: 0,
    watchers_count: 0,
    size: 0,
    open_issues: openIssues,
    open_issues_count: openIssues,
    has_issues: true,
    has_projects: false,
    has_wiki: false,
    has_pages: false,
    has_downloads: true,
    has_discussions: false,
    archived: false,
    disabled: false,
    visibility: repo.private ? "private" : "public",
    license: null,
    pushed_at: repo.createdAt,
    created_at: repo.createdAt,
    updated_at: repo.createdAt,
  };
  if (options.full) {
    json.network_count = 0;
    json.subscribers_count = 0;
    json.permissions = { admin: false, maintain: false, push: true, triage: true, pull: true };
  }
  return json;
}

export function labelJson(state: StandinState, repo: RepoRecord, label: LabelRecord): Obj {
  return {
    id: label.id,
    node_id: nodeId("Label", label.id),
    url: `${repoApiUrl(state, repo)}/labels/${encodeURIComponent(label.name)}`,
    name: label.name,
    description: label.description,
    color: label.color,
    default: false,
  };
}

export function issueLabelsJson(state: StandinState, repo: RepoRecord, names: string[]): Obj[] {
  return names.map((name) => labelJson(state, repo, state.ensureLabel(repo, name)));
}

export function issueJson(state: StandinState, repo: RepoRecord, issue: IssueRecord): Obj {
  const url = `${repoApiUrl(state, repo)}/issues/${issue.number}`;
  const json: Obj = {
    id: issue.id,
    node_id: nodeId("Issue", issue.id),
    url,
    repository_url: repoApiUrl(state, repo),
    labels_url: `${url}/labels{/name}`,
    comments_url: `${url}/comments`,
    events_url: `${url}/events`,
    html_url: `${state.urls.web}/${repo.owner}/${repo.name}/${issue.isPull ? "pull" : "issues"}/${issue.number}`,
    number: issue.number,
    state: issue.state,
    state_reason: issue.stateReason,
    title: issue.title,
    body: issue.body,
    user: userJson(state, issue.user),
    labels: issueLabelsJson(state, repo, issue.labels),
    assignee: null,
    assignees: [],
    milestone: null,
    locked: false,
    comments: state.commentsOf(repo, issue.number).length,
    created_at: issue.createdAt,
    updated_at: issue.updatedAt,
    closed_at: issue.closedAt,
    author_association: issue.user === repo.owner ? "OWNER" : "NONE",
  };
  if (issue.isPull) {
    json.pull_request = {
      url: `${repoApiUrl(state, repo)}/pulls/${issue.number}`,
      html_url: `${state.urls.web}/${repo.owner}/${repo.name}/pull/${issue.number}`,
      diff_url: `${state.urls.web}/${repo.owner}/${repo.name}/pull/${issue.number}.diff`,
      patch_url: `${state.urls.web}/${repo.owner}/${repo.name}/pull/${issue.number}.patch`,
      merged_at: null,
    };
  }
  return json;
}

export function commentJson(state: StandinState, repo: RepoRecord, comment: CommentRecord): Obj {
  const issue = repo.issues.get(comment.issueNumber);
  const kind = issue?.isPull ? "pull" : "issues";
  return {
    id: comment.id,
    node_id: nodeId("IssueComment", comment.id),
    url: `${repoApiUrl(state, repo)}/issues/comments/${comment.id}`,
    html_url: `${state.urls.web}/${repo.owner}/${repo.name}/${kind}/${comment.issueNumber}#issuecomment-${comment.id}`,
    issue_url: `${repoApiUrl(state, repo)}/issues/${comment.issueNumber}`,
    body: comment.body,
    user: userJson(state, comment.user),
    created_at: comment.createdAt,
    updated_at: comment.updatedAt,
    author_association: comment.user === repo.owner ? "OWNER" : "NONE",
  };
}

function branchJson(
  state: StandinState,
  repo: RepoRecord,
  ref: string,
  sha: string,
  fromRepo?: RepoRecord,
): Obj {
  const source = fromRepo ?? repo;
  return {
    label: `${source.owner}:${ref}`,
    ref,
    sha,
    user: userJson(state, source.owner),
    repo: repoJson(state, source),
  };
}

export function pullJson(
  state: StandinState,
  repo: RepoRecord,
  pull: PullRecord,
  options: { full?: boolean } = {},
): Obj {
  const issue = repo.issues.get(pull.number);
  if (!issue) throw new Error(`stand-in: pull #${pull.number} has no issue record`);
  const api = `${repoApiUrl(state, repo)}`;
  const web = `${state.urls.web}/${repo.owner}/${repo.name}/pull/${pull.number}`;
  const link = (href: string) => ({ href });
  const [headOwner, headName] = (pull.headRepo ?? `${repo.owner}/${repo.name}`).split("/");
  const headRepo = state.findRepo(headOwner, headName) ?? repo;
  const json: Obj = {
    url: `${api}/pulls/${pull.number}`,
    id: pull.id,
    node_id: nodeId("PullRequest", pull.id),
    html_url: web,
    diff_url: `${web}.diff`,
    patch_url: `${web}.patch`,
    issue_url: `${api}/issues/${pull.number}`,
    commits_url: `${api}/pulls/${pull.number}/commits`,
    review_comments_url: `${api}/pulls/${pull.number}/comments`,
    review_comment_url: `${api}/pulls/comments{/number}`,
    comments_url: `${api}/issues/${pull.number}/comments`,
    statuses_url: `${api}/statuses/${pull.headSha}`,
    number: pull.number,
    state: issue.state,
    locked: false,
    title: issue.title,
    user: userJson(state, issue.user),
    body: issue.body,
    labels: issueLabelsJson(state, repo, issue.labels),
    milestone: null,
    active_lock_reason: null,
    created_at: issue.createdAt,
    updated_at: issue.updatedAt,
    closed_at: issue.closedAt,
    merged_at: pull.mergedAt ?? null,
    merge_commit_sha: pull.mergeCommitSha ?? null,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    head: branchJson(state, repo, pull.headRef, pull.headSha, headRepo),
    base: branchJson(state, repo, pull.baseRef, pull.baseSha),
    _links: {
      self: link(`${api}/pulls/${pull.number}`),
      html: link(web),
      issue: link(`${api}/issues/${pull.number}`),
      comments: link(`${api}/issues/${pull.number}/comments`),
      review_comments: link(`${api}/pulls/${pull.number}/comments`),
      review_comment: link(`${api}/pulls/comments{/number}`),
      commits: link(`${api}/pulls/${pull.number}/commits`),
      statuses: link(`${api}/statuses/${pull.headSha}`),
    },
    author_association: issue.user === repo.owner ? "OWNER" : "CONTRIBUTOR",
    auto_merge: null,
    draft: false,
  };
  if (options.full) {
    Object.assign(json, {
      merged: pull.merged,
      mergeable: true,
      rebaseable: true,
      mergeable_state: "clean",
      merged_by: null,
      comments: state.commentsOf(repo, pull.number).length,
      review_comments: 0,
      maintainer_can_modify: false,
      commits: 1,
      additions: pull.files.reduce((n, f) => n + f.additions, 0),
      deletions: pull.files.reduce((n, f) => n + f.deletions, 0),
      changed_files: pull.files.length,
    });
  }
  return json;
}

export function diffEntryJson(
  state: StandinState,
  repo: RepoRecord,
  pull: PullRecord,
  file: PullFileRecord,
): Obj {
  const sha = fakeSha(`${pull.headSha}:${file.filename}`);
  const path = file.filename.split("/").map(encodeURIComponent).join("/");
  return {
    sha,
    filename: file.filename,
    status: file.status,
    additions: file.additions,
    deletions: file.deletions,
    changes: file.additions + file.deletions,
    blob_url: `${state.urls.web}/${repo.owner}/${repo.name}/blob/${pull.headSha}/${path}`,
    raw_url: `${state.urls.web}/${repo.owner}/${repo.name}/raw/${pull.headSha}/${path}`,
    contents_url: `${repoApiUrl(state, repo)}/contents/${path}?ref=${pull.headSha}`,
  };
}

export function releaseJson(state: StandinState, repo: RepoRecord, release: ReleaseRecord): Obj {
  const api = `${repoApiUrl(state, repo)}/releases/${release.id}`;
  const assets = [...repo.assets.values()].filter((a) => a.releaseId === release.id);
  const web = `${state.urls.web}/${repo.owner}/${repo.name}/releases`;
  return {
    url: api,
    html_url: release.draft
      ? `${web}/tag/untagged-${release.id}`
      : `${web}/tag/${encodeURIComponent(release.tagName)}`,
    assets_url: `${api}/assets`,
    upload_url: `${state.urls.uploads}/repos/${repo.owner}/${repo.name}/releases/${release.id}/assets{?name,label}`,
    tarball_url: `${repoApiUrl(state, repo)}/tarball/${encodeURIComponent(release.tagName)}`,
    zipball_url: `${repoApiUrl(state, repo)}/zipball/${encodeURIComponent(release.tagName)}`,
    id: release.id,
    node_id: nodeId("Release", release.id),
    tag_name: release.tagName,
    target_commitish: release.targetCommitish,
    name: release.name,
    body: release.body,
    draft: release.draft,
    prerelease: release.prerelease,
    immutable: false,
    created_at: release.createdAt,
    published_at: release.publishedAt,
    author: userJson(state, release.author),
    assets: assets.map((a) => assetJson(state, repo, a)),
  };
}

export function assetDownloadUrl(state: StandinState, repo: RepoRecord, asset: AssetRecord): string {
  return `${state.urls.web}/_storage/${repo.owner}/${repo.name}/assets/${asset.id}`;
}

export function assetJson(state: StandinState, repo: RepoRecord, asset: AssetRecord): Obj {
  const release = repo.releases.get(asset.releaseId);
  const tag = release ? encodeURIComponent(release.tagName) : "untagged";
  return {
    url: `${repoApiUrl(state, repo)}/releases/assets/${asset.id}`,
    browser_download_url: `${state.urls.web}/${repo.owner}/${repo.name}/releases/download/${tag}/${encodeURIComponent(asset.name)}`,
    id: asset.id,
    node_id: nodeId("ReleaseAsset", asset.id),
    name: asset.name,
    label: asset.label,
    state: asset.state,
    content_type: asset.contentType,
    size: asset.size,
    digest: asset.state === "uploaded" ? `sha256:${asset.sha256}` : null,
    download_count: 0,
    created_at: asset.createdAt,
    updated_at: asset.updatedAt,
    uploader: userJson(state, asset.uploader),
  };
}

export function gitRefJson(state: StandinState, repo: RepoRecord, ref: string, sha: string): Obj {
  const type = repo.tagObjects.has(sha) ? "tag" : "commit";
  return {
    ref,
    node_id: nodeId("Ref", `${repo.id}:${ref}`),
    url: `${repoApiUrl(state, repo)}/git/${ref.split("/").map(encodeURIComponent).join("/")}`,
    object: {
      type,
      sha,
      url: `${repoApiUrl(state, repo)}/git/${type === "tag" ? "tags" : "commits"}/${sha}`,
    },
  };
}

export function gitTagJson(state: StandinState, repo: RepoRecord, tag: TagObjectRecord): Obj {
  return {
    node_id: nodeId("Tag", tag.sha),
    sha: tag.sha,
    url: `${repoApiUrl(state, repo)}/git/tags/${tag.sha}`,
    tag: tag.tag,
    message: tag.message,
    tagger: tag.tagger,
    object: {
      sha: tag.objectSha,
      type: tag.objectType,
      url: `${repoApiUrl(state, repo)}/git/${tag.objectType === "tag" ? "tags" : "commits"}/${tag.objectSha}`,
    },
    verification: { verified: false, reason: "unsigned", payload: null, signature: null, verified_at: null },
  };
}

function appJson(state: StandinState, app?: CheckRunRecord["app"]): Obj {
  const id = app?.id ?? 15368;
  return {
    id,
    slug: app?.slug ?? "github-actions",
    node_id: nodeId("App", id),
    client_id: "Iv1.stand-in",
    owner: userJson(state, app ? app.slug : "github"),
    name: app?.name ?? "GitHub Actions",
    description: "Automate your workflow from idea to production",
    external_url: "https://help.github.com/en/actions",
    html_url: `${state.urls.web}/apps/github-actions`,
    created_at: "2018-07-30T09:30:17Z",
    updated_at: "2019-12-10T19:04:12Z",
    permissions: { checks: "write", issues: "write", metadata: "read", pull_requests: "write" },
    events: ["check_run", "pull_request"],
  };
}

export function checkRunJson(state: StandinState, repo: RepoRecord, run: CheckRunRecord): Obj {
  const url = `${repoApiUrl(state, repo)}/check-runs/${run.id}`;
  return {
    id: run.id,
    head_sha: run.headSha,
    node_id: nodeId("CheckRun", run.id),
    external_id: run.externalId,
    url,
    html_url: `${state.urls.web}/${repo.owner}/${repo.name}/runs/${run.id}`,
    details_url: run.detailsUrl,
    status: run.status,
    conclusion: run.conclusion,
    started_at: run.startedAt,
    completed_at: run.completedAt,
    output: {
      title: run.output.title,
      summary: run.output.summary,
      text: run.output.text,
      annotations_count: run.annotations.length,
      annotations_url: `${url}/annotations`,
    },
    name: run.name,
    check_suite: { id: run.id + 1 },
    app: appJson(state, run.app),
    pull_requests: [],
  };
}

export function statusJson(state: StandinState, repo: RepoRecord, status: StatusRecord): Obj {
  return {
    url: `${repoApiUrl(state, repo)}/statuses/${status.sha}`,
    avatar_url: null,
    id: status.id,
    node_id: nodeId("StatusContext", status.id),
    state: status.state,
    description: status.description,
    target_url: status.targetUrl,
    context: status.context,
    created_at: status.createdAt,
    updated_at: status.createdAt,
    creator: userJson(state, status.creator),
  };
}

export function workflowRunJson(state: StandinState, repo: RepoRecord, run: WorkflowRunRecord): Obj {
  const api = `${repoApiUrl(state, repo)}/actions/runs/${run.id}`;
  return {
    id: run.id,
    name: run.workflowFile.replace(/\.ya?ml$/, ""),
    node_id: nodeId("WorkflowRun", run.id),
    head_branch: run.headBranch,
    head_sha: run.headSha,
    path: `.github/workflows/${run.workflowFile}`,
    display_title: `Run ${run.runNumber} of ${run.workflowFile}`,
    run_number: run.runNumber,
    run_attempt: run.runAttempt,
    event: run.event,
    status: run.status,
    conclusion: run.conclusion,
    workflow_id: run.workflowId,
    url: api,
    html_url: `${state.urls.web}/${repo.owner}/${repo.name}/actions/runs/${run.id}`,
    pull_requests: [],
    created_at: run.createdAt,
    updated_at: run.createdAt,
    run_started_at: run.createdAt,
    actor: userJson(state, repo.owner),
    triggering_actor: userJson(state, repo.owner),
    jobs_url: `${api}/jobs`,
    logs_url: `${api}/logs`,
    check_suite_url: `${repoApiUrl(state, repo)}/check-suites/${run.id + 1}`,
    artifacts_url: `${api}/artifacts`,
    cancel_url: `${api}/cancel`,
    rerun_url: `${api}/rerun`,
    workflow_url: `${repoApiUrl(state, repo)}/actions/workflows/${run.workflowId}`,
    head_commit: {
      id: run.headSha,
      tree_id: fakeSha(`tree:${run.headSha}`),
      message: `Commit ${run.headSha.slice(0, 7)}`,
      timestamp: run.createdAt,
      author: { name: repo.owner, email: `${repo.owner}@users.noreply.github.com` },
      committer: { name: repo.owner, email: `${repo.owner}@users.noreply.github.com` },
    },
    repository: minimalRepoJson(state, repo),
    head_repository: minimalRepoJson(state, repo),
  };
}

export function artifactJson(state: StandinState, repo: RepoRecord, artifact: ArtifactRecord): Obj {
  const url = `${repoApiUrl(state, repo)}/actions/artifacts/${artifact.id}`;
  const run = repo.workflowRuns.find((r) => r.id === artifact.runId);
  const expires = new Date(Date.parse(artifact.createdAt) + 90 * 86_400_000)
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z");
  return {
    id: artifact.id,
    node_id: nodeId("Artifact", artifact.id),
    name: artifact.name,
    size_in_bytes: artifact.sizeInBytes,
    url,
    archive_download_url: `${url}/zip`,
    expired: false,
    created_at: artifact.createdAt,
    expires_at: expires,
    updated_at: artifact.createdAt,
    digest: null,
    workflow_run: run
      ? {
          id: run.id,
          repository_id: repo.id,
          head_repository_id: repo.id,
          head_branch: run.headBranch,
          head_sha: run.headSha,
        }
      : null,
  };
}

export function environmentJson(state: StandinState, repo: RepoRecord, environment: EnvironmentRecord): Obj {
  const rules: Obj[] = [];
  let ruleId = environment.id * 10;
  if (environment.waitTimer) {
    rules.push({
      id: ++ruleId,
      node_id: nodeId("Gate", ruleId),
      type: "wait_timer",
      wait_timer: environment.waitTimer,
    });
  }
  if (environment.reviewers.length > 0) {
    rules.push({
      id: ++ruleId,
      node_id: nodeId("Gate", ruleId),
      prevent_self_review: false,
      type: "required_reviewers",
      reviewers: environment.reviewers.map((login) => ({ type: "User", reviewer: userJson(state, login) })),
    });
  }
  if (environment.protectedBranchesOnly) {
    rules.push({ id: ++ruleId, node_id: nodeId("Gate", ruleId), type: "branch_policy" });
  }
  const encoded = encodeURIComponent(environment.name);
  return {
    id: environment.id,
    node_id: nodeId("Environment", environment.id),
    name: environment.name,
    url: `${repoApiUrl(state, repo)}/environments/${encoded}`,
    html_url: `${state.urls.web}/${repo.owner}/${repo.name}/deployments/activity_log?environments_filter=${encoded}`,
    created_at: environment.createdAt,
    updated_at: environment.createdAt,
    protection_rules: rules,
    deployment_branch_policy: environment.protectedBranchesOnly
      ? { protected_branches: true, custom_branch_policies: false }
      : null,
  };
}

export function deploymentProtectionRulesJson(state: StandinState, environment: EnvironmentRecord): Obj {
  const rules = environment.customRules.map((rule, index) => {
    const id = environment.id * 10 + 5 + index;
    return {
      id,
      node_id: nodeId("DeploymentProtectionRule", id),
      enabled: rule.enabled,
      app: {
        id: 500 + index,
        node_id: nodeId("App", 500 + index),
        slug: rule.app,
        integration_url: `${state.urls.api}/apps/${rule.app}`,
      },
    };
  });
  return { total_count: rules.filter((r) => r.enabled).length, custom_deployment_protection_rules: rules };
}

export function jobJson(state: StandinState, repo: RepoRecord, run: WorkflowRunRecord, job: JobRecord): Obj {
  const api = repoApiUrl(state, repo);
  return {
    id: job.id,
    run_id: run.id,
    run_url: `${api}/actions/runs/${run.id}`,
    run_attempt: job.runAttempt,
    node_id: nodeId("CheckRun", job.id),
    head_sha: run.headSha,
    url: `${api}/actions/jobs/${job.id}`,
    html_url: `${state.urls.web}/${repo.owner}/${repo.name}/actions/runs/${run.id}/job/${job.id}`,
    status: job.status,
    conclusion: job.conclusion,
    created_at: job.startedAt,
    started_at: job.startedAt,
    completed_at: job.completedAt,
    name: job.name,
    steps: [],
    check_run_url: `${api}/check-runs/${job.id}`,
    labels: ["ubuntu-latest"],
    runner_id: 1,
    runner_name: "GitHub Actions 1",
    runner_group_id: 1,
    runner_group_name: "GitHub Actions",
    workflow_name: run.workflowFile.replace(/\.ya?ml$/, ""),
    head_branch: run.headBranch,
  };
}

/** `GET /repos/{owner}/{repo}/pages`. */
export function pagesJson(state: StandinState, repo: RepoRecord, pages: PagesRecord): Obj {
  return {
    url: `${repoApiUrl(state, repo)}/pages`,
    status: pages.deployments.length > 0 ? "built" : null,
    cname: null,
    protected_domain_state: null,
    pending_domain_unverified_at: null,
    custom_404: false,
    html_url: pages.htmlUrl,
    build_type: pages.buildType,
    source: { branch: repo.defaultBranch, path: "/" },
    public: !repo.private,
    https_enforced: true,
  };
}
