import { describe, expect, it } from "vitest";
import {
  createCheckRun,
  createOctokit,
  GitHubPermissionError,
  isPermissionError,
  upsertAlertIssue,
  upsertStickyComment,
  type CheckAnnotation,
  type GitHubClient,
} from "../../src/github";
import { isUserError } from "../../src/util/errors";
import type { Logger } from "../../src/util/logger";
import { useStandin } from "../standin";

interface RecordingLogger extends Logger {
  warnings: string[];
}

function recordingLogger(): RecordingLogger {
  const warnings: string[] = [];
  return {
    warnings,
    debug() {},
    info() {},
    warning: (m) => warnings.push(m),
    error: (m) => warnings.push(m),
  };
}

const O = { owner: "acme", repo: "models" };

describe("GitHub client against the stand-in", () => {
  const standin = useStandin({ readOnlyTokens: ["ghs_fork"] });

  function client(
    options: {
      token?: string;
      retryAfterBaseValueMs?: number;
      rateLimitRetries?: number;
      logger?: Logger;
    } = {},
  ): GitHubClient {
    return createOctokit({
      token: options.token ?? "ghs_write",
      baseUrl: standin.current.url,
      logger: options.logger ?? recordingLogger(),
      retryAfterBaseValueMs: options.retryAfterBaseValueMs ?? 1,
      rateLimitRetries: options.rateLimitRetries,
      paceWrites: false,
    });
  }

  function seedPullWithComments(count: number, markedAt?: number, marker = "report:churn") {
    const s = standin.current;
    const repo = s.state.seedRepo({ owner: O.owner, name: O.repo });
    const pull = s.state.seedPull(repo);
    const seeded = s.state.seedComments(repo, pull.number, count, (i) =>
      i === markedAt ? `<!-- gitml:${marker} -->\nold report` : `unrelated comment ${i + 1}`,
    );
    // gitml's earlier run wrote the marked comment, as the token's identity (the Actions bot).
    if (markedAt !== undefined) seeded[markedAt]!.user = s.state.actor;
    s.resetCalls();
    return { repo, pull };
  }

  it("creates a sticky comment once, then updates it in place", async () => {
    const { repo, pull } = seedPullWithComments(3);
    const gh = client();
    const first = await upsertStickyComment({
      octokit: gh,
      ...O,
      issueNumber: pull.number,
      marker: "report:churn",
      body: "v1",
    });
    const second = await upsertStickyComment({
      octokit: gh,
      ...O,
      issueNumber: pull.number,
      marker: "report:churn",
      body: "v2",
    });
    expect(first.created).toBe(true);
    expect(second).toEqual({ id: first.id, url: first.url, created: false });
    const marked = standin.current.state
      .commentsOf(repo, pull.number)
      .filter((c) => c.body.includes("gitml:report:churn"));
    expect(marked.map((c) => c.body)).toEqual(["<!-- gitml:report:churn -->\nv2"]);
    expect(first.url).toContain(`/pull/${pull.number}#issuecomment-${first.id}`);
  });

  it("ignores a marked comment someone else wrote first: gitml writes its own, which the other cannot edit", async () => {
    const { repo, pull } = seedPullWithComments(3);
    const s = standin.current;
    const forged = s.state.createComment(
      repo,
      pull.number,
      "<!-- gitml:report:churn -->\n✅ All gates passed",
      "mallory",
    );
    s.resetCalls();
    const logger = recordingLogger();
    const result = await upsertStickyComment({
      octokit: client(),
      ...O,
      issueNumber: pull.number,
      marker: "report:churn",
      body: "❌ 1 gate failed",
      logger,
    });
    expect(result.created).toBe(true);
    expect(result.id).not.toBe(forged.id);
    expect(repo.comments.get(forged.id)!.body).toBe("<!-- gitml:report:churn -->\n✅ All gates passed");
    expect(repo.comments.get(result.id)).toMatchObject({ user: "github-actions[bot]" });
    // GET /user answers 403 for an installation token: the bot is not mallory. One extra call, no more.
    expect(s.calls.byOperation).toEqual({
      "issues/list-comments": 1,
      "users/get-authenticated": 1,
      "issues/create-comment": 1,
    });
    expect(logger.warnings.join("\n")).toMatch(/written by mallory, not by gitml's token/);

    // The next run finds gitml's own comment, not the forged one, with no identity call.
    s.resetCalls();
    const again = await upsertStickyComment({
      octokit: client(),
      ...O,
      issueNumber: pull.number,
      marker: "report:churn",
      body: "❌ 1 gate failed",
    });
    expect(again).toMatchObject({ id: result.id, created: false });
    expect(s.calls.count("users/get-authenticated")).toBe(1);
  });

  it("with a personal token, the token's own user's comment is the sticky one", async () => {
    const { repo, pull } = seedPullWithComments(2);
    const s = standin.current;
    s.state.actor = "octocat";
    s.state.createComment(repo, pull.number, "<!-- gitml:report:churn -->\nmallory's", "mallory");
    const own = s.state.createComment(repo, pull.number, "<!-- gitml:report:churn -->\nold", "octocat");
    const result = await upsertStickyComment({
      octokit: client(),
      ...O,
      issueNumber: pull.number,
      marker: "report:churn",
      body: "new",
    });
    expect(result).toMatchObject({ id: own.id, created: false });
    expect(repo.comments.get(own.id)!.body).toBe("<!-- gitml:report:churn -->\nnew");
  });

  it("finds the marker beyond the first page among 150 comments and updates it with two calls", async () => {
    // Comment 75 is on page 3 of 30 (where CML stops looking after page 1); at 100 per page it is on page 1.
    const { repo, pull } = seedPullWithComments(150, 74);
    const gh = client();
    const result = await upsertStickyComment({
      octokit: gh,
      ...O,
      issueNumber: pull.number,
      marker: "report:churn",
      body: "new report",
    });
    expect(result.created).toBe(false);
    const comments = standin.current.state.commentsOf(repo, pull.number);
    expect(comments).toHaveLength(150);
    expect(comments[74].body).toBe("<!-- gitml:report:churn -->\nnew report");
    expect(standin.current.calls.byOperation).toEqual({
      "issues/list-comments": 1,
      "issues/update-comment": 1,
    });
  });

  it("reads the second page of 100 when the marker is there, and makes no update when nothing changed", async () => {
    const { pull } = seedPullWithComments(150, 139);
    const gh = client();
    await upsertStickyComment({
      octokit: gh,
      ...O,
      issueNumber: pull.number,
      marker: "report:churn",
      body: "same",
    });
    expect(standin.current.calls.byOperation).toEqual({
      "issues/list-comments": 2,
      "issues/update-comment": 1,
    });
    standin.current.resetCalls();
    await upsertStickyComment({
      octokit: gh,
      ...O,
      issueNumber: pull.number,
      marker: "report:churn",
      body: "same",
    });
    expect(standin.current.calls.byOperation).toEqual({ "issues/list-comments": 2 });
  });

  it("does not confuse markers that share a prefix", async () => {
    const { repo, pull } = seedPullWithComments(5, 2, "report:churn-v2");
    const result = await upsertStickyComment({
      octokit: client(),
      ...O,
      issueNumber: pull.number,
      marker: "report:churn",
      body: "x",
    });
    expect(result.created).toBe(true);
    expect(standin.current.state.commentsOf(repo, pull.number)).toHaveLength(6);
  });

  it("a create that fails after taking effect is found again, not duplicated", async () => {
    const { repo, pull } = seedPullWithComments(10);
    standin.current.faults.add({
      operationId: "issues/create-comment",
      status: 502,
      phase: "after",
      times: 1,
    });
    const logger = recordingLogger();
    const result = await upsertStickyComment({
      octokit: client({ logger }),
      ...O,
      issueNumber: pull.number,
      marker: "m",
      body: "b",
      logger,
    });
    expect(result.created).toBe(true);
    expect(
      standin.current.state.commentsOf(repo, pull.number).filter((c) => c.body.includes("gitml:m")),
    ).toHaveLength(1);
    expect(standin.current.calls.count("issues/create-comment")).toBe(1);
    expect(logger.warnings.some((w) => /checking whether it was created/.test(w))).toBe(true);
  });

  it("with 20% injected 5xx faults on every request, ends with exactly one comment (five seeds)", async () => {
    const s = standin.current;
    const repo = s.state.seedRepo({ owner: O.owner, name: O.repo });
    const gh = client();
    // Half the faults strike after the request took effect (the case that duplicates naive POST retries).
    s.faults.add({ status: 502, probability: 0.1, phase: "after" });
    s.faults.add({ status: 500, probability: 1 / 9 });
    for (const seed of [1, 2, 3, 4, 5]) {
      s.faults.reseed(seed);
      const pull = s.state.seedPull(repo);
      s.state.seedComments(repo, pull.number, 130);
      for (let run = 1; run <= 8; run++) {
        await upsertStickyComment({
          octokit: gh,
          ...O,
          issueNumber: pull.number,
          marker: "report:churn",
          body: `run ${run}`,
        });
      }
      const marked = s.state
        .commentsOf(repo, pull.number)
        .filter((c) => c.body.includes("gitml:report:churn"));
      expect(marked.map((c) => c.body)).toEqual(["<!-- gitml:report:churn -->\nrun 8"]);
    }
    const fired = s.faults.active.reduce((n, f) => n + f.fired, 0);
    expect(fired / s.calls.total).toBeGreaterThan(0.1);
    expect(fired / s.calls.total).toBeLessThan(0.3);
  });

  it("honours a secondary rate limit's retry-after before retrying", async () => {
    const { pull } = seedPullWithComments(1);
    const s = standin.current;
    s.faults.add({
      operationId: "issues/list-comments",
      secondaryRateLimit: { retryAfterSeconds: 1 },
      times: 1,
    });
    const logger = recordingLogger();
    const gh = client({ logger, retryAfterBaseValueMs: 1000 });
    const started = performance.now();
    await upsertStickyComment({ octokit: gh, ...O, issueNumber: pull.number, marker: "m", body: "b" });
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(s.calls.count("issues/list-comments")).toBe(2);
    expect(logger.warnings.some((w) => /secondary rate limit.*retrying after 1s/.test(w))).toBe(true);
  });

  it("gives up after the bounded number of rate-limit retries", async () => {
    const { pull } = seedPullWithComments(1);
    const s = standin.current;
    s.faults.add({ operationId: "issues/list-comments", secondaryRateLimit: { retryAfterSeconds: 1 } });
    const error = await upsertStickyComment({
      octokit: client({ rateLimitRetries: 2 }),
      ...O,
      issueNumber: pull.number,
      marker: "m",
      body: "b",
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 403 });
    expect(isPermissionError(error)).toBe(false);
    expect(s.calls.count("issues/list-comments")).toBe(3);
  });

  it("waits out a primary rate limit until its reset", async () => {
    const s = standin.current;
    s.state.seedRepo({ owner: O.owner, name: O.repo });
    s.faults.add({ operationId: "repos/get", primaryRateLimit: { resetAfterSeconds: 0 }, times: 1 });
    const { data } = await client().rest.repos.get(O);
    expect(data.name).toBe("models");
    expect(s.calls.count("repos/get")).toBe(2);
  });

  it("a read-only token (fork pull request) fails with a recognisable permission error", async () => {
    const { repo, pull } = seedPullWithComments(2);
    const error = await upsertStickyComment({
      octokit: client({ token: "ghs_fork" }),
      ...O,
      issueNumber: pull.number,
      marker: "m",
      body: "b",
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitHubPermissionError);
    expect(isPermissionError(error)).toBe(true);
    expect(isUserError(error)).toBe(true);
    expect((error as Error).message).toMatch(
      /Resource not accessible by integration[\s\S]*pull-requests: write/,
    );
    expect(standin.current.state.commentsOf(repo, pull.number)).toHaveLength(2);
    expect(isPermissionError(new Error("boom"))).toBe(false);
  });

  it("opens an alert issue, comments while it stays open, closes it on recovery", async () => {
    const s = standin.current;
    const repo = s.state.seedRepo({ owner: O.owner, name: O.repo });
    // Enough open gitml issues about other models that the search must page.
    for (let i = 0; i < 120; i++)
      s.state.seedIssue(repo, {
        title: `other ${i}`,
        body: `<!-- gitml:alert:other-${i} -->`,
        labels: ["gitml"],
      });
    const gh = client();
    const run = (alerting: boolean) =>
      upsertAlertIssue({
        octokit: gh,
        ...O,
        model: "churn",
        alerting,
        title: "Drift on churn",
        body: "PSI above threshold",
        comment: "Still drifting",
        recoveryComment: "Recovered",
        labels: ["gitml", "drift"],
      });
    const opened = await run(true);
    expect(opened.action).toBe("opened");
    const issue = repo.issues.get(opened.issueNumber as number);
    expect(issue).toMatchObject({ state: "open", labels: ["gitml", "drift"], title: "Drift on churn" });
    expect(await run(true)).toEqual({ ...opened, action: "commented" });
    expect(await run(false)).toEqual({ ...opened, action: "closed" });
    expect(issue?.state).toBe("closed");
    expect(s.state.commentsOf(repo, opened.issueNumber as number).map((c) => c.body)).toEqual([
      "Still drifting",
      "Recovered",
    ]);
    expect(await run(false)).toEqual({ action: "none" });
    const reopened = await run(true);
    expect(reopened.action).toBe("opened");
    expect(reopened.issueNumber).not.toBe(opened.issueNumber);
    // Newest first: a search that finds the churn issue stops on page 1; one that does not reads both pages.
    // Runs: absent (2 pages), found (1), found (1), absent (2), absent (2).
    expect(s.calls.count("issues/list-for-repo")).toBe(8);
  });

  it("a fork token cannot open alert issues and says so", async () => {
    standin.current.state.seedRepo({ owner: O.owner, name: O.repo });
    const error = await upsertAlertIssue({
      octokit: client({ token: "ghs_fork" }),
      ...O,
      model: "churn",
      alerting: true,
      title: "t",
      body: "b",
      comment: "c",
    }).catch((e: unknown) => e);
    expect(isPermissionError(error)).toBe(true);
    expect((error as Error).message).toMatch(/issues: write/);
  });

  it("creates a check run, sending annotations in batches of 50", async () => {
    const s = standin.current;
    const repo = s.state.seedRepo({ owner: O.owner, name: O.repo });
    const annotations: CheckAnnotation[] = Array.from({ length: 120 }, (_, i) => ({
      path: "models/churn/train.py",
      line: i + 1,
      level: "warning",
      message: `issue ${i + 1}`,
    }));
    const result = await createCheckRun({
      octokit: client(),
      ...O,
      name: "gitml gates",
      headSha: "a".repeat(40),
      conclusion: "failure",
      title: "1 gate failed",
      summary: "accuracy 0.81 < 0.85",
      annotations,
    });
    expect(result.requests).toBe(3);
    expect(s.calls.byOperation).toEqual({ "checks/create": 1, "checks/update": 2 });
    const run = repo.checkRuns.get(result.id);
    expect(run).toMatchObject({
      status: "completed",
      conclusion: "failure",
      output: { title: "1 gate failed" },
    });
    expect(run?.annotations).toHaveLength(120);
    const small = await createCheckRun({
      octokit: client(),
      ...O,
      name: "small",
      headSha: "b".repeat(40),
      conclusion: "success",
      title: "ok",
      summary: "all gates passed",
      annotations: annotations.slice(0, 50),
    });
    expect(small.requests).toBe(1);
    expect(repo.checkRuns.get(small.id)).toMatchObject({ status: "completed", conclusion: "success" });
  });
});
