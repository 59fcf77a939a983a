import { execFileSync } from "node:child_process";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  registerOnMerge,
  promoteRelease,
  bumpFromLabels,
  type RegisterOnMergeStep,
} from "../../src/commands/register-on-merge";
import { register } from "../../src/commands/register";
import { readRegistry, openRegistry } from "../../src/git/registry-sync";
import { sha256File } from "../../src/store/digest";
import type { GitHubReleasesStoreOptions, StoreStep } from "../../src/github/release-store";
import { isUserError } from "../../src/util/errors";
import { silentLogger } from "../../src/util/logger";
import { commitIn, createRepo, git, gitEnv, tempDir, type TestRepo } from "../helpers/repo";
import { useStandin } from "../standin";
import { CONFIG, FolderCandidates, OWNER, REPO, TRAIN, octokitFor, storeFor } from "./helpers";

class Crash extends Error {}

describe("register on merge against the stand-in and a bare origin", () => {
  const standin = useStandin();
  let repo: TestRepo;
  let scratch: string;
  let candidates: FolderCandidates;

  beforeEach(async () => {
    for (const [key, value] of Object.entries(gitEnv())) if (key.startsWith("GIT_")) vi.stubEnv(key, value!);
    repo = await createRepo();
    scratch = await tempDir("gitml-release-");
    candidates = new FolderCandidates(path.join(scratch, "candidates"), standin.current);
    commitIn(repo.work, "models/churn/train.mjs", TRAIN);
    commitIn(repo.work, ".gitignore", "out/\n");
    commitIn(repo.work, "models/churn/seed.txt", "seed-0\n");
    commitIn(repo.work, "gitml.yaml", CONFIG);
    git(repo.work, ["push", "--quiet", "origin", "main"]);
    standin.current.state.seedRepo({ owner: OWNER, name: REPO });
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    await repo.cleanup();
    await fs.rm(scratch, { recursive: true, force: true });
  });

  /**
   * A reviewed PR lands on main as GitHub merges it (`style`): its candidate was trained on the branch's
   * head and kept by the evaluation, with its digest recorded on the head; then main gets a merge commit,
   * a squash commit or the rebased commit, which is what the release runs on.
   */
  async function mergePull(
    seed: string,
    labels: string[] = [],
    checkout = repo.work,
    style: "merge" | "squash" | "rebase" = "squash",
  ): Promise<{ commit: string; pr: number; head: string }> {
    git(checkout, ["pull", "--quiet", "--rebase", "origin", "main"]);
    const branch = `feature-${seed}`;
    git(checkout, ["checkout", "--quiet", "-b", branch]);
    const head = commitIn(checkout, "models/churn/seed.txt", `${seed}\n`, `train with ${seed}`);
    execFileSync(process.execPath, ["train.mjs"], { cwd: path.join(checkout, "models/churn") });
    const state = standin.current.state;
    const ghRepo = state.findRepo(OWNER, REPO)!;
    const pull = state.seedPull(ghRepo, { headSha: head, headRef: branch, title: `use ${seed}` });
    ghRepo.issues.get(pull.number)!.labels = labels.map((l) => {
      const label = state.ensureLabel(ghRepo, l);
      // The stand-in seeds labels without a description, which this operation's schema requires.
      label.description ??= `bump: ${l}`;
      return label.name;
    });
    await candidates.evaluate(pull.number, checkout, head);
    git(checkout, ["checkout", "--quiet", "main"]);
    if (style === "merge") {
      git(checkout, ["merge", "--quiet", "--no-ff", "-m", `Merge pull request #${pull.number}`, branch]);
    } else if (style === "squash") {
      git(checkout, ["merge", "--quiet", "--squash", branch]);
      git(checkout, ["commit", "--quiet", "-m", `use ${seed} (#${pull.number})`]);
    } else {
      // GitHub rewrites the committer of each rebased commit, so its sha differs from the branch's.
      git(checkout, ["cherry-pick", branch], {
        GIT_COMMITTER_NAME: "GitHub",
        GIT_COMMITTER_EMAIL: "noreply@github.com",
        GIT_COMMITTER_DATE: "2030-01-01T00:00:00Z",
      });
    }
    const commit = git(checkout, ["rev-parse", "HEAD"]);
    expect(commit).not.toBe(head);
    git(checkout, ["push", "--quiet", "origin", "main"]);
    state.mergePull(ghRepo, pull.number, [commit]);
    return { commit, pr: pull.number, head };
  }

  function release(
    commit: string,
    extra: {
      cwd?: string;
      retrain?: boolean;
      store?: Partial<GitHubReleasesStoreOptions>;
      afterStep?: (s: RegisterOnMergeStep) => void;
    } = {},
  ) {
    return registerOnMerge(
      { cwd: extra.cwd ?? repo.work, logger: silentLogger },
      {
        model: "churn",
        commit,
        octokit: octokitFor(standin.current),
        owner: OWNER,
        repo: REPO,
        store: storeFor(standin.current, scratch, extra.store),
        candidates,
        retrain: extra.retrain,
        runUrl: "https://github.com/acme/models/actions/runs/42",
        repositoryUrl: "https://github.com/acme/models",
        afterStep: extra.afterStep,
      },
    );
  }

  function ghRepo() {
    return standin.current.state.findRepo(OWNER, REPO)!;
  }

  /** What must hold after any successful run: one version per commit, verified and published, nothing orphaned. */
  async function expectConsistent(commit: string, pr: number, label = ""): Promise<string> {
    const registry = await openRegistry({
      cwd: repo.clone(`check-${Date.now()}-${Math.random()}`),
      logger: silentLogger,
    });
    const state = await readRegistry(registry);
    const versions = state.models.get("churn")!.versions.filter((v) => v.commit === commit);
    expect(versions).toHaveLength(1);
    const version = versions[0]!;
    const releases = [...ghRepo().releases.values()];
    expect(releases.filter((r) => r.draft)).toEqual([]);
    const tagNames = releases.map((r) => r.tagName);
    expect(new Set(tagNames).size).toBe(tagNames.length);
    const published = releases.find((r) => r.tagName === `churn@${version.version}`)!;
    expect(published.body, label).toContain(version.metadata!.artifactDigest);
    const assets = [...ghRepo().assets.values()].filter((a) => a.releaseId === published.id);
    expect(assets.map((a) => a.name).sort()).toEqual([
      "manifest.json",
      "metrics.json",
      "model-card.md",
      "model.tar.gz",
    ]);
    expect(assets.every((a) => a.state === "uploaded")).toBe(true);
    expect(
      state.models
        .get("churn")!
        .events.some(
          (e) => e.type === "assignment" && e.version === version.version && e.stage === "staging",
        ),
    ).toBe(true);
    const comments = standin.current.state
      .commentsOf(ghRepo(), pr)
      .filter((c) => c.body.includes("released churn"));
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain(`→ staging`);
    expect(comments[0]!.body).toContain(version.version);
    return version.version;
  }

  it("ships the reviewed candidate: tag, published release, stage, comment and outputs", async () => {
    const { commit, pr } = await mergePull("alpha");
    const result = await release(commit);
    expect(result).toMatchObject({
      model: "churn",
      version: "v0.0.1",
      stage: "staging",
      tag: "churn@v0.0.1",
      pr,
      retrained: false,
      resumed: false,
    });
    expect(result.releaseUrl).toMatch(/releases\/tag\/churn(%40|@)v0\.0\.1$/);
    expect(result.artifactUrl).toMatch(/model\.tar\.gz$/);
    expect(git(repo.origin, ["tag", "--list"]).split("\n").sort()).toEqual([
      "churn#staging#1",
      "churn@v0.0.1",
    ]);
    await expectConsistent(commit, pr);
    const card = [...ghRepo().assets.values()].find((a) => a.name === "model-card.md")!.data.toString();
    expect(card).toContain("Predicts which customers churn.");
    expect(card).toContain("@acme/ml");
    expect(card).toContain("not for credit decisions");
    expect(card).toContain("| accuracy | min 0.8 | ✅ passed |");

    // What a deploy job gets is byte-identical to what the PR evaluation kept.
    const into = path.join(scratch, "deploy");
    await storeFor(standin.current, scratch).fetch({
      model: "churn",
      version: "v0.0.1",
      digest: result.digest as `sha256:${string}`,
      into,
    });
    const kept = candidates.kept.get(pr)!.dir;
    for (const file of ["model/weights.bin", "model/config.json"]) {
      expect((await sha256File(path.join(into, file))).digest).toBe(
        (await sha256File(path.join(kept, file))).digest,
      );
    }

    const second = await mergePull("beta", ["semver:major"]);
    expect((await release(second.commit)).version).toBe("v1.0.0");
    const third = await mergePull("gamma", ["semver:patch", "documentation"]);
    expect((await release(third.commit)).version).toBe("v1.0.1");
    expect(bumpFromLabels(["bug", "semver:minor", "semver:patch"])).toBe("minor");
  });

  it("squash, merge-commit and rebase merges each ship their pull request's reviewed candidate", async () => {
    const versions: string[] = [];
    for (const style of ["squash", "merge", "rebase"] as const) {
      const { commit, pr } = await mergePull(`style-${style}`, [], repo.work, style);
      const result = await release(commit);
      expect(result, style).toMatchObject({ pr, retrained: false });
      versions.push(await expectConsistent(commit, pr, style));
    }
    expect(versions).toEqual(["v0.0.1", "v0.1.0", "v0.2.0"]);
  });

  it("a commit only an open pull request's branch holds is not that pull request's merge", async () => {
    git(repo.work, ["checkout", "--quiet", "-b", "wip"]);
    const commit = commitIn(repo.work, "models/churn/seed.txt", "wip\n", "work in progress");
    execFileSync(process.execPath, ["train.mjs"], { cwd: path.join(repo.work, "models/churn") });
    const open = standin.current.state.seedPull(ghRepo(), { headSha: commit, headRef: "wip" });
    await candidates.evaluate(open.number, repo.work, commit);
    // Pushed to main directly (fast-forward): GitHub lists the open PR for it, which was never merged.
    git(repo.work, ["push", "--quiet", "origin", "wip:main"]);
    const refused = await release(commit).catch((e: unknown) => e);
    expect(isUserError(refused)).toBe(true);
    expect((refused as Error).message).toMatch(/no merged pull request is associated/);
    expect(candidates.requests).toBe(0);
    expect(git(repo.origin, ["tag", "--list"])).toBe("");
  });

  it("a crash between any two steps, then a re-run, ends consistent", async () => {
    const storeSteps: StoreStep[] = ["draft", "upload", "verify", "before-publish"];
    const releaseSteps: RegisterOnMergeStep[] = ["pull", "register", "promote", "cleanup", "comment"];
    const seen = new Set<string>();
    for (const [index, step] of [...storeSteps, ...releaseSteps].entries()) {
      const { commit, pr } = await mergePull(`crash-${index}`);
      const crashAt = (current: string) => {
        if (current === step) throw new Crash(`crash after ${step}`);
      };
      const crashed = await release(commit, {
        store: { afterStep: (s) => crashAt(s) },
        afterStep: (s) => crashAt(s),
      }).catch((e: unknown) => e);
      expect(crashed, `crash at ${step}`).toBeInstanceOf(Crash);
      const rerun = await release(commit);
      expect(rerun.resumed, `resumed after ${step}`).toBe(
        ["before-publish", ...releaseSteps.slice(1)].includes(step),
      );
      const version = await expectConsistent(commit, pr, `after a crash at ${step}`);
      expect(seen.has(version)).toBe(false);
      seen.add(version);
    }
  });

  it("two PRs merged at once get two versions", async () => {
    const other = repo.clone("other");
    const first = await mergePull("one");
    const second = await mergePull("two", [], other);
    git(repo.work, ["pull", "--quiet", "--rebase", "origin", "main"]);
    const [a, b] = await Promise.all([release(first.commit), release(second.commit, { cwd: other })]);
    expect(new Set([a.version, b.version]).size).toBe(2);
    await expectConsistent(first.commit, first.pr);
    await expectConsistent(second.commit, second.pr);
  });

  it("an expired candidate is refused unless retraining is allowed, which the release then says", async () => {
    const { commit, pr } = await mergePull("gamma");
    candidates.expire(pr);
    const refused = await release(commit).catch((e: unknown) => e);
    expect(isUserError(refused)).toBe(true);
    expect((refused as Error).message).toMatch(/candidate of PR #\d+ expired or is missing.*retrain: true/);
    expect(git(repo.origin, ["tag", "--list"])).toBe("");

    const result = await release(commit, { retrain: true });
    expect(result.retrained).toBe(true);
    const { manifest } = await storeFor(standin.current, scratch).readManifest({
      model: "churn",
      version: result.version,
    });
    expect(manifest.lineage.retrained).toBe(true);
    expect(ghRepo().releases.values().next().value!.body).toContain("retrained");
    await expectConsistent(commit, pr);
    const comment = standin.current.state.commentsOf(ghRepo(), pr).at(-1)!.body;
    expect(comment).toContain("retrained");
  });

  it("a candidate whose bytes differ from the reviewed digest is refused before anything is tagged", async () => {
    const { commit, pr } = await mergePull("delta");
    await fs.appendFile(path.join(candidates.kept.get(pr)!.dir, "model", "weights.bin"), "tampered");
    const refused = await release(commit).catch((e: unknown) => e);
    expect(isUserError(refused)).toBe(true);
    expect((refused as Error).message).toMatch(/does not match the digest its evaluation recorded/);
    expect(git(repo.origin, ["tag", "--list"])).toBe("");
    expect(ghRepo().releases.size).toBe(0);
  });

  it("a candidate is shipped only against the record gitml's evaluate step wrote outside the artifact", async () => {
    const { commit, pr, head } = await mergePull("epsilon");
    const kept = candidates.kept.get(pr)!;
    const record = [...ghRepo().checkRuns.values()].find((r) => r.headSha === head)!;
    const refusedWith = async (pattern: RegExp) => {
      const refused = await release(commit).catch((e: unknown) => e);
      expect(isUserError(refused), String(refused)).toBe(true);
      expect((refused as Error).message).toMatch(pattern);
      // Nothing written: no tag, no release (draft or not), no comment.
      expect(git(repo.origin, ["tag", "--list"])).toBe("");
      expect(ghRepo().releases.size).toBe(0);
      expect(standin.current.state.commentsOf(ghRepo(), pr)).toEqual([]);
    };

    // PR code replaced the artifact's bytes: the artifact is self-consistent, the record is not.
    await fs.writeFile(path.join(kept.dir, "model", "weights.bin"), "forged by the pull request");
    await refusedWith(/does not match the digest its evaluation recorded.*refusing/);

    // No record at all (the evaluation could not write its check run).
    ghRepo().checkRuns.delete(record.id);
    await refusedWith(/left no record of the digest the reviewers saw/);

    // A record with the right digest, but written by another app, or for another run, vouches for nothing.
    const forged = { ...record, id: standin.current.state.nextId() };
    ghRepo().checkRuns.set(forged.id, { ...forged, app: { id: 99, slug: "someone-else", name: "Other" } });
    await refusedWith(/left no record/);
    ghRepo().checkRuns.clear();
    ghRepo().checkRuns.set(forged.id, { ...forged, externalId: `gitml-candidate:1:${kept.digest}` });
    await refusedWith(/left no record/);

    // The genuine record restored: it ships.
    ghRepo().checkRuns.set(record.id, record);
    await fs.rm(kept.dir, { recursive: true });
    git(repo.work, ["checkout", "--quiet", `feature-epsilon`]);
    await candidates.evaluate(pr, repo.work, head);
    git(repo.work, ["checkout", "--quiet", "main"]);
    expect((await release(commit)).retrained).toBe(false);
    await expectConsistent(commit, pr);
  });

  it("a fork's pull request never ships the fork's bytes: retrained at merge by default, or refused", async () => {
    standin.current.state.seedRepo({ owner: "mallory", name: REPO });
    const { commit, pr } = await mergePull("fork");
    ghRepo().pulls.get(pr)!.headRepo = `mallory/${REPO}`;
    const refused = await registerOnMerge(
      { cwd: repo.work, logger: silentLogger },
      {
        model: "churn",
        commit,
        octokit: octokitFor(standin.current),
        owner: OWNER,
        repo: REPO,
        store: storeFor(standin.current, scratch),
        candidates,
        forkPullRequests: "refuse",
      },
    ).catch((e: unknown) => e);
    expect(isUserError(refused)).toBe(true);
    expect((refused as Error).message).toMatch(/came from a fork.*fork-pull-requests: refuse/);
    expect(git(repo.origin, ["tag", "--list"])).toBe("");

    candidates.requests = 0;
    const result = await release(commit);
    expect(candidates.requests).toBe(0);
    expect(result).toMatchObject({ retrained: true, fromFork: true });
    const comment = standin.current.state.commentsOf(ghRepo(), pr).at(-1)!.body;
    expect(comment).toContain("came from a fork");
    await expectConsistent(commit, pr);
  });

  it("promotes along the stages in ≤ 10 API calls, rolls back, and refuses a forbidden promotion", async () => {
    const v1 = await release((await mergePull("one")).commit);
    const context = { cwd: repo.work, logger: silentLogger, store: storeFor(standin.current, scratch) };
    standin.current.resetCalls();
    const toProduction = await promoteRelease(context, { model: "churn", stage: "production" });
    expect(standin.current.calls.total).toBeLessThanOrEqual(10);
    expect(toProduction).toMatchObject({
      version: v1.version,
      stage: "production",
      versionTag: `churn@${v1.version}`,
    });
    expect(toProduction.releaseUrl).toContain("/releases/tag/");

    const v2 = await release((await mergePull("two")).commit);
    const second = await promoteRelease(context, { model: "churn", stage: "production" });
    expect(second.version).toBe(v2.version);
    const rollback = await promoteRelease(context, {
      model: "churn",
      stage: "production",
      version: v1.version,
    });
    expect(rollback).toMatchObject({ version: v1.version, previous: v2.version });
    const registry = await readRegistry(await openRegistry({ cwd: repo.work, logger: silentLogger }));
    expect(registry.models.get("churn")!.stages.production!.version).toBe(v1.version);

    // v3 was registered by hand and never went through staging: production refuses it, saying why.
    const v3commit = (await mergePull("three")).commit;
    const v3 = await register(
      { cwd: repo.work, logger: silentLogger, store: context.store },
      { model: "churn", ref: v3commit },
    );
    const forbidden = await promoteRelease(context, {
      model: "churn",
      stage: "production",
      version: v3.version,
    }).catch((e: unknown) => e);
    expect(isUserError(forbidden)).toBe(true);
    expect((forbidden as Error).message).toMatch(/production/);
    expect((forbidden as Error).message).toMatch(/staging/);
  });
});
