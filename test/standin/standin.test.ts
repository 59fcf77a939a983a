import { Octokit } from "@octokit/rest";
import { describe, expect, it } from "vitest";
import { fakeSha, useStandin } from "./index";
import { grantAll } from "./scopes";

const TOKEN = "ghs_standin";

function octokitFor(url: string, token = TOKEN): Octokit {
  return new Octokit({ auth: token, baseUrl: url, log: { debug() {}, info() {}, warn() {}, error() {} } });
}

async function expectStatus(promise: Promise<unknown>, status: number): Promise<void> {
  await expect(promise).rejects.toMatchObject({ status });
}

describe("GitHub stand-in", () => {
  const standin = useStandin({ readOnlyTokens: ["ghs_readonly"] });

  it("serves a repository and pull requests in the documented shape", async () => {
    const s = standin.current;
    const repo = s.state.seedRepo({ owner: "acme", name: "models" });
    const pull = s.state.seedPull(repo, {
      title: "Retrain churn",
      files: [{ filename: "models/churn/params.yaml", status: "modified", additions: 2, deletions: 1 }],
    });
    const gh = octokitFor(s.url);
    const { data: repoData } = await gh.rest.repos.get({ owner: "acme", repo: "models" });
    expect(repoData.full_name).toBe("acme/models");
    const { data: pr } = await gh.rest.pulls.get({ owner: "acme", repo: "models", pull_number: pull.number });
    expect(pr.head.sha).toBe(pull.headSha);
    expect(pr.changed_files).toBe(1);
    const { data: list } = await gh.rest.pulls.list({ owner: "acme", repo: "models" });
    expect(list.map((p) => p.number)).toEqual([pull.number]);
    const { data: files } = await gh.rest.pulls.listFiles({
      owner: "acme",
      repo: "models",
      pull_number: pull.number,
    });
    expect(files[0].filename).toBe("models/churn/params.yaml");
    const { data: forCommit } = await gh.rest.repos.listPullRequestsAssociatedWithCommit({
      owner: "acme",
      repo: "models",
      commit_sha: pull.headSha,
    });
    expect(forCommit.map((p) => p.number)).toEqual([pull.number]);
    await expectStatus(gh.rest.repos.get({ owner: "acme", repo: "nope" }), 404);
    expect(s.calls.count("repos/get")).toBe(2);
    expect(s.calls.total).toBe(6);
  });

  it("paginates comments with a Link header octokit can follow", async () => {
    const s = standin.current;
    const repo = s.state.seedRepo({ owner: "acme", name: "models" });
    const pull = s.state.seedPull(repo);
    s.state.seedComments(repo, pull.number, 75);
    const gh = octokitFor(s.url);
    const first = await gh.rest.issues.listComments({
      owner: "acme",
      repo: "models",
      issue_number: pull.number,
      per_page: 30,
    });
    expect(first.data).toHaveLength(30);
    const link = first.headers.link ?? "";
    expect(link).toContain(
      `/repos/acme/models/issues/${pull.number}/comments?per_page=30&page=2>; rel="next"`,
    );
    expect(link).toContain('page=3>; rel="last"');
    const middle = await gh.rest.issues.listComments({
      owner: "acme",
      repo: "models",
      issue_number: pull.number,
      per_page: 30,
      page: 2,
    });
    expect(middle.headers.link).toContain('page=1>; rel="prev"');
    expect(middle.headers.link).toContain('page=1>; rel="first"');
    const last = await gh.rest.issues.listComments({
      owner: "acme",
      repo: "models",
      issue_number: pull.number,
      per_page: 30,
      page: 3,
    });
    expect(last.data).toHaveLength(15);
    expect(last.headers.link).not.toContain('rel="next"');
    s.resetCalls();
    const all = await gh.paginate(gh.rest.issues.listComments, {
      owner: "acme",
      repo: "models",
      issue_number: pull.number,
      per_page: 30,
    });
    expect(all.map((c) => c.body)).toEqual(Array.from({ length: 75 }, (_, i) => `comment ${i + 1}`));
    expect(s.calls.count("issues/list-comments")).toBe(3);
  });

  it("creates, filters, closes and reopens issues; adds labels; edits and deletes comments", async () => {
    const s = standin.current;
    s.state.seedRepo({ owner: "acme", name: "models" });
    const gh = octokitFor(s.url);
    const o = { owner: "acme", repo: "models" };
    const { data: a } = await gh.rest.issues.create({
      ...o,
      title: "drift: churn",
      body: "<!-- m -->",
      labels: ["gitml"],
    });
    await gh.rest.issues.create({ ...o, title: "unrelated" });
    const labelled = await gh.rest.issues.listForRepo({ ...o, labels: "gitml", state: "open" });
    expect(labelled.data.map((i) => i.number)).toEqual([a.number]);
    await gh.rest.issues.addLabels({ ...o, issue_number: a.number, labels: ["drift"] });
    const { data: closed } = await gh.rest.issues.update({ ...o, issue_number: a.number, state: "closed" });
    expect(closed.state).toBe("closed");
    expect(closed.labels.map((l) => (typeof l === "string" ? l : l.name))).toEqual(["gitml", "drift"]);
    expect((await gh.rest.issues.listForRepo({ ...o, labels: "gitml" })).data).toHaveLength(0);
    const { data: reopened } = await gh.rest.issues.update({ ...o, issue_number: a.number, state: "open" });
    expect(reopened.state_reason).toBe("reopened");
    const { data: c } = await gh.rest.issues.createComment({ ...o, issue_number: a.number, body: "first" });
    const { data: edited } = await gh.rest.issues.updateComment({ ...o, comment_id: c.id, body: "edited" });
    expect(edited.body).toBe("edited");
    expect((await gh.rest.issues.getComment({ ...o, comment_id: c.id })).data.body).toBe("edited");
    await gh.rest.issues.deleteComment({ ...o, comment_id: c.id });
    await expectStatus(gh.rest.issues.getComment({ ...o, comment_id: c.id }), 404);
    expect((await gh.rest.issues.get({ ...o, issue_number: a.number })).data.comments).toBe(0);
  });

  it("runs the release lifecycle: draft, assets on the uploads origin, publish, download, delete", async () => {
    const s = standin.current;
    s.state.seedRepo({ owner: "acme", name: "models" });
    const gh = octokitFor(s.url);
    const o = { owner: "acme", repo: "models" };
    const { data: draft } = await gh.rest.repos.createRelease({
      ...o,
      tag_name: "churn@v1.0.0",
      draft: true,
      name: "churn v1",
    });
    expect(draft.upload_url.startsWith(`${s.uploadUrl}/repos/acme/models/releases/${draft.id}/assets`)).toBe(
      true,
    );
    await expectStatus(gh.rest.repos.getReleaseByTag({ ...o, tag: "churn@v1.0.0" }), 404);
    const bytes = Buffer.from("model-bytes-\u0000\u0001");
    const { data: asset } = await gh.rest.repos.uploadReleaseAsset({
      ...o,
      release_id: draft.id,
      name: "model.bin",
      url: draft.upload_url,
      data: bytes as unknown as string,
      headers: { "content-type": "application/octet-stream", "content-length": bytes.length },
    });
    expect(asset.size).toBe(bytes.length);
    const { data: published } = await gh.rest.repos.updateRelease({
      ...o,
      release_id: draft.id,
      draft: false,
    });
    expect(published.published_at).not.toBeNull();
    expect(s.state.findRepo("acme", "models")?.refs.has("refs/tags/churn@v1.0.0")).toBe(true);
    const byTag = await gh.rest.repos.getReleaseByTag({ ...o, tag: "churn@v1.0.0" });
    expect(byTag.data.assets.map((a) => a.name)).toEqual(["model.bin"]);
    expect((await gh.rest.repos.getLatestRelease(o)).data.id).toBe(draft.id);
    const assets = await gh.rest.repos.listReleaseAssets({ ...o, release_id: draft.id });
    expect(assets.data).toHaveLength(1);
    const download = await gh.rest.repos.getReleaseAsset({
      ...o,
      asset_id: asset.id,
      headers: { accept: "application/octet-stream" },
    });
    expect(Buffer.from(download.data as unknown as ArrayBuffer).equals(bytes)).toBe(true);
    const viaBrowser = await fetch(asset.browser_download_url);
    expect(Buffer.from(await viaBrowser.arrayBuffer()).equals(bytes)).toBe(true);
    for (let i = 0; i < 3; i++) await gh.rest.repos.createRelease({ ...o, tag_name: `v0.${i}` });
    const page = await gh.rest.repos.listReleases({ ...o, per_page: 2 });
    expect(page.data).toHaveLength(2);
    expect(page.headers.link).toContain('rel="next"');
    await expectStatus(gh.rest.repos.createRelease({ ...o, tag_name: "v0.1" }), 422);
    await gh.rest.repos.deleteReleaseAsset({ ...o, asset_id: asset.id });
    await gh.rest.repos.deleteRelease({ ...o, release_id: draft.id });
    await expectStatus(gh.rest.repos.getRelease({ ...o, release_id: draft.id }), 404);
  });

  it("a 502 fault on upload leaves an empty asset behind, and re-uploading the name is refused", async () => {
    const s = standin.current;
    s.state.seedRepo({ owner: "acme", name: "models" });
    const gh = octokitFor(s.url);
    const o = { owner: "acme", repo: "models" };
    const { data: release } = await gh.rest.repos.createRelease({ ...o, tag_name: "v1" });
    s.faults.add({ operationId: "repos/upload-release-asset", status: 502, times: 1, leaveEmptyAsset: true });
    const upload = () =>
      gh.rest.repos.uploadReleaseAsset({
        ...o,
        release_id: release.id,
        name: "m.bin",
        url: release.upload_url,
        data: "abc",
        headers: { "content-type": "application/octet-stream", "content-length": 3 },
      });
    await expectStatus(upload(), 502);
    const { data: assets } = await gh.rest.repos.listReleaseAssets({ ...o, release_id: release.id });
    expect(assets).toMatchObject([{ name: "m.bin", size: 0, state: "open" }]);
    await expectStatus(upload(), 422);
  });

  it("creates tag objects and refs, finds them by prefix, deletes them", async () => {
    const s = standin.current;
    const repo = s.state.seedRepo({ owner: "acme", name: "models" });
    const gh = octokitFor(s.url);
    const o = { owner: "acme", repo: "models" };
    const commit = fakeSha("commit");
    const { data: tag } = await gh.rest.git.createTag({
      ...o,
      tag: "churn@v1.0.0",
      message: "Register churn v1.0.0",
      object: commit,
      type: "commit",
    });
    await gh.rest.git.createRef({ ...o, ref: "refs/tags/churn@v1.0.0", sha: tag.sha });
    await gh.rest.git.createRef({ ...o, ref: "refs/tags/churn#prod#1", sha: commit });
    await expectStatus(gh.rest.git.createRef({ ...o, ref: "refs/tags/churn#prod#1", sha: commit }), 422);
    const { data: ref } = await gh.rest.git.getRef({ ...o, ref: "tags/churn@v1.0.0" });
    expect(ref.object).toMatchObject({ type: "tag", sha: tag.sha });
    expect((await gh.rest.git.getTag({ ...o, tag_sha: tag.sha })).data.object.sha).toBe(commit);
    const { data: matching } = await gh.rest.git.listMatchingRefs({ ...o, ref: "tags/churn" });
    expect(matching.map((r) => r.ref)).toEqual(["refs/tags/churn#prod#1", "refs/tags/churn@v1.0.0"]);
    expect(matching[0].url).toBe(`${s.url}/repos/acme/models/git/refs/tags/churn%23prod%231`);
    for (let i = 0; i < 40; i++) s.state.seedRef(repo, `refs/tags/other@v${i}`, commit);
    expect((await gh.rest.git.listMatchingRefs({ ...o, ref: "tags/other@" })).data).toHaveLength(40);
    await gh.rest.git.deleteRef({ ...o, ref: "tags/churn#prod#1" });
    expect(repo.refs.has("refs/tags/churn#prod#1")).toBe(false);
    await expectStatus(gh.rest.git.getRef({ ...o, ref: "tags/churn#prod#1" }), 404);
  });

  it("records check runs, statuses, workflow runs, artifacts and dispatches", async () => {
    const s = standin.current;
    const repo = s.state.seedRepo({ owner: "acme", name: "models" });
    const sha = fakeSha("head");
    const run = s.state.seedWorkflowRun(repo, { workflowFile: "train.yml", headSha: sha });
    s.state.seedWorkflowRun(repo, { workflowFile: "train.yml", headSha: fakeSha("other") });
    s.state.seedArtifact(repo, { runId: run.id, name: "metrics" });
    const gh = octokitFor(s.url);
    const o = { owner: "acme", repo: "models" };
    const { data: check } = await gh.rest.checks.create({
      ...o,
      name: "gitml",
      head_sha: sha,
      status: "in_progress",
    });
    const { data: done } = await gh.rest.checks.update({
      ...o,
      check_run_id: check.id,
      conclusion: "failure",
      output: {
        title: "gates",
        summary: "1 failed",
        annotations: [
          { path: "a.py", start_line: 1, end_line: 1, annotation_level: "failure", message: "x" },
        ],
      },
    });
    expect(done).toMatchObject({
      status: "completed",
      conclusion: "failure",
      output: { annotations_count: 1 },
    });
    const { data: status } = await gh.rest.repos.createCommitStatus({
      ...o,
      sha,
      state: "success",
      context: "gitml/report",
    });
    expect(status.context).toBe("gitml/report");
    const { data: runs } = await gh.rest.actions.listWorkflowRuns({
      ...o,
      workflow_id: "train.yml",
      head_sha: sha,
    });
    expect(runs.workflow_runs.map((r) => r.id)).toEqual([run.id]);
    const { data: artifacts } = await gh.rest.actions.listWorkflowRunArtifacts({ ...o, run_id: run.id });
    expect(artifacts.artifacts.map((a) => a.name)).toEqual(["metrics"]);
    await gh.rest.actions.createWorkflowDispatch({
      ...o,
      workflow_id: "promote.yml",
      ref: "main",
      inputs: { model: "churn" },
    });
    await gh.rest.repos.createDispatchEvent({
      ...o,
      event_type: "gitml-promote",
      client_payload: { model: "churn" },
    });
    expect(repo.dispatches.map((d) => d.kind)).toEqual(["workflow", "repository"]);
  });

  it("serves Pages as the Pages actions use it: the site, a deployment of an artifact, its status", async () => {
    const s = standin.current;
    const repo = s.state.seedRepo({ owner: "acme", name: "models" });
    const run = s.state.seedWorkflowRun(repo, { workflowFile: "gitml-site.yml", headSha: fakeSha("main") });
    const artifact = s.state.seedArtifact(repo, { runId: run.id, name: "github-pages" });
    const o = { owner: "acme", repo: "models" };
    const deploy = {
      ...o,
      artifact_id: artifact.id,
      pages_build_version: fakeSha("main"),
      oidc_token: "oidc",
    };
    const gh = octokitFor(s.url);
    // Pages not enabled yet: 404 for the site and for a deployment.
    await expectStatus(gh.rest.repos.getPages(o), 404);
    await expectStatus(gh.rest.repos.createPagesDeployment(deploy), 404);

    s.state.seedPages(repo, { buildType: "legacy" });
    await expectStatus(gh.rest.repos.createPagesDeployment(deploy), 400);
    s.state.seedPages(repo);
    expect((await gh.rest.repos.getPages(o)).data).toMatchObject({
      build_type: "workflow",
      html_url: "https://acme.github.io/models/",
    });
    await expectStatus(gh.rest.repos.createPagesDeployment({ ...deploy, artifact_id: 999_999 }), 400);
    const { data: created } = await gh.rest.repos.createPagesDeployment(deploy);
    expect(created).toMatchObject({ id: fakeSha("main"), page_url: "https://acme.github.io/models/" });
    const { data: status } = await gh.rest.repos.getPagesDeployment({
      ...o,
      pages_deployment_id: String(created.id),
    });
    expect(status.status).toBe("succeed");
    expect(repo.pages!.deployments).toMatchObject([{ artifactId: artifact.id, oidcToken: "oidc" }]);

    // A job token without `pages` may do neither; `pages: read` reads the site but cannot deploy.
    const none = octokitFor(s.url, s.tokens.issue({ ...grantAll("none"), contents: "read" }));
    await expectStatus(none.rest.repos.getPages(o), 403);
    const read = octokitFor(s.url, s.tokens.issue({ ...grantAll("none"), pages: "read" }));
    await read.rest.repos.getPages(o);
    await expectStatus(read.rest.repos.createPagesDeployment(deploy), 403);
  });

  it("answers read-only tokens' writes with GitHub's 403", async () => {
    const s = standin.current;
    const repo = s.state.seedRepo({ owner: "acme", name: "models" });
    const pull = s.state.seedPull(repo);
    const gh = octokitFor(s.url, "ghs_readonly");
    await gh.rest.issues.listComments({ owner: "acme", repo: "models", issue_number: pull.number });
    await expect(
      gh.rest.issues.createComment({ owner: "acme", repo: "models", issue_number: pull.number, body: "x" }),
    ).rejects.toMatchObject({
      status: 403,
      message: expect.stringContaining("Resource not accessible by integration"),
    });
    expect(s.state.commentsOf(repo, pull.number)).toHaveLength(0);
  });

  it("injects faults: status, times, probability (seeded) and secondary rate limits", async () => {
    const s = standin.current;
    s.state.seedRepo({ owner: "acme", name: "models" });
    const gh = octokitFor(s.url);
    s.faults.add({ operationId: "repos/get", status: 503, times: 2 });
    await expectStatus(gh.rest.repos.get({ owner: "acme", repo: "models" }), 503);
    await expectStatus(gh.rest.repos.get({ owner: "acme", repo: "models" }), 503);
    await gh.rest.repos.get({ owner: "acme", repo: "models" });
    s.faults.clear();
    s.faults.add({ method: "GET", path: /\/pulls$/, status: 500, probability: 0.5 });
    const outcomes: number[] = [];
    for (let i = 0; i < 40; i++) {
      outcomes.push(
        await gh.rest.pulls.list({ owner: "acme", repo: "models" }).then(
          () => 200,
          (e: { status: number }) => e.status,
        ),
      );
    }
    const failures = outcomes.filter((x) => x === 500).length;
    expect(failures).toBeGreaterThan(8);
    expect(failures).toBeLessThan(32);
    s.faults.clear();
    s.faults.add({ secondaryRateLimit: { retryAfterSeconds: 1 }, times: 1 });
    const error = await gh.rest.repos.get({ owner: "acme", repo: "models" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 403, response: { headers: { "retry-after": "1" } } });
    expect((error as Error).message).toMatch(/secondary rate limit/);
  });

  it("probabilistic faults are reproducible from the seed", async () => {
    const { startStandin } = await import("./server");
    const sequence = async () => {
      const s = await startStandin({ faultSeed: 42 });
      try {
        s.state.seedRepo({ owner: "acme", name: "models" });
        s.faults.add({ status: 500, probability: 0.3 });
        const gh = octokitFor(s.url);
        const seen: number[] = [];
        for (let i = 0; i < 20; i++)
          seen.push(
            await gh.rest.repos.get({ owner: "acme", repo: "models" }).then(
              () => 200,
              () => 500,
            ),
          );
        s.assertNoViolations();
        return seen;
      } finally {
        await s.close();
      }
    };
    expect(await sequence()).toEqual(await sequence());
  });

  it("records an unknown route as a violation and answers 404", async () => {
    const s = standin.current;
    const res = await fetch(`${s.url}/repos/acme/models/no-such-thing`, {
      headers: { authorization: `token ${TOKEN}` },
    });
    expect(res.status).toBe(404);
    expect(s.violations).toMatchObject([{ kind: "route", path: "/repos/acme/models/no-such-thing" }]);
    expect(() => s.assertNoViolations()).toThrow(/no such operation/);
    s.violations.length = 0;
  });

  it("records a request that breaks the description (undocumented query, bad body)", async () => {
    const s = standin.current;
    const repo = s.state.seedRepo({ owner: "acme", name: "models" });
    const pull = s.state.seedPull(repo);
    const res = await fetch(`${s.url}/repos/acme/models/issues/${pull.number}/comments?bogus=1`, {
      method: "POST",
      headers: { authorization: `token ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ text: "wrong field" }),
    });
    expect(res.status).toBe(422);
    expect(() => s.assertNoViolations()).toThrow(
      /query\.bogus: is not a documented parameter[\s\S]*body: must have required property 'body'/,
    );
    expect(s.state.commentsOf(repo, pull.number)).toHaveLength(0);
    s.violations.length = 0;
  });

  it("catches a response shape the description does not have", async () => {
    const s = standin.current;
    const repo = s.state.seedRepo({ owner: "acme", name: "models" });
    const pull = s.state.seedPull(repo);
    // A hand-rolled issue missing required fields and with a wrongly typed number.
    s.overrideHandler("issues/get", () => ({ status: 200, body: { id: 1, number: "one", title: "x" } }));
    await octokitFor(s.url).rest.issues.get({ owner: "acme", repo: "models", issue_number: pull.number });
    expect(() => s.assertNoViolations()).toThrow(/issues\/get → 200[\s\S]*body\/number: must be integer/);
    expect(s.violations[0].errors.some((e) => /required property 'node_id'/.test(e.message))).toBe(true);
    s.violations.length = 0;
  });

  it("catches a status the operation does not document", async () => {
    const s = standin.current;
    s.state.seedRepo({ owner: "acme", name: "models" });
    s.overrideHandler("repos/get", () => ({ status: 201, body: {} }));
    await octokitFor(s.url).rest.repos.get({ owner: "acme", repo: "models" });
    expect(() => s.assertNoViolations()).toThrow(/status 201: is not documented/);
    s.violations.length = 0;
  });
});
