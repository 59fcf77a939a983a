import { afterEach, describe, expect, it } from "vitest";
import { createRepo, git, runCli, tags, type TestRepo } from "../helpers/repo";

let repo: TestRepo;
afterEach(async () => repo?.cleanup());

const WRITERS = 8;

describe("concurrent writers against one bare origin", () => {
  it(`${WRITERS} concurrent registrations from ${WRITERS} clones: ${WRITERS} distinct versions, none lost`, async () => {
    repo = await createRepo();
    const clones = Array.from({ length: WRITERS }, (_, i) => repo.clone(`clone-${i}`));
    // Each clone registers its own commit (one commit holds one version).
    clones.forEach((clone, i) => {
      git(clone, ["commit", "--quiet", "--allow-empty", "-m", `work ${i}`]);
    });
    const results = await Promise.all(clones.map((cwd) => runCli(["register", "churn", "--json"], { cwd })));
    for (const r of results) expect(r.stderr.replace(/lost a race[^\n]*\n/g, "")).toBe("");
    expect(results.map((r) => r.code)).toEqual(Array(WRITERS).fill(0));
    const versions = results.map((r) => JSON.parse(r.stdout).version as string);
    expect(new Set(versions).size).toBe(WRITERS);
    const originTags = tags(repo.origin);
    expect(originTags).toHaveLength(WRITERS);
    expect(originTags.sort()).toEqual(versions.map((v) => `churn@${v}`).sort());
    // Each tag is on the commit of the clone that registered it.
    results.forEach((r, i) => {
      const { commit, tag } = JSON.parse(r.stdout);
      expect(git(repo.origin, ["rev-parse", `${tag}^{commit}`])).toBe(commit);
      expect(git(clones[i]!, ["rev-parse", "HEAD"])).toBe(commit);
    });
  });

  it(`${WRITERS} concurrent promotions: ${WRITERS} distinct assignment tags and a coherent final state`, async () => {
    repo = await createRepo();
    for (let i = 0; i < WRITERS; i++) {
      git(repo.work, ["commit", "--quiet", "--allow-empty", "-m", `v${i}`]);
      expect((await runCli(["register", "churn", "--version", `v1.${i}.0`], { cwd: repo.work })).code).toBe(
        0,
      );
    }
    const clones = Array.from({ length: WRITERS }, (_, i) => repo.clone(`promoter-${i}`));
    const results = await Promise.all(
      clones.map((cwd, i) =>
        runCli(["promote", "churn", "--stage", "production", "--version", `v1.${i}.0`, "--json"], { cwd }),
      ),
    );
    expect(results.map((r) => r.code)).toEqual(Array(WRITERS).fill(0));
    const assignmentTags = tags(repo.origin).filter((t) => t.includes("#production#"));
    expect(assignmentTags).toHaveLength(WRITERS);
    const counters = assignmentTags.map((t) => Number(t.split("#")[2])).sort((a, b) => a - b);
    expect(counters).toEqual(Array.from({ length: WRITERS }, (_, i) => i + 1));
    // Every clone, after fetching, agrees on who holds production: the highest counter's version.
    const finalTag = `churn#production#${WRITERS}`;
    const winner = results.map((r) => JSON.parse(r.stdout)).find((r) => r.tag === finalTag)!;
    const views = await Promise.all(
      clones.map((cwd) => runCli(["show", "churn#production", "--json", "--fetch"], { cwd })),
    );
    for (const view of views) {
      expect(view.code).toBe(0);
      expect(view.stdout).toContain(winner.version);
    }
  });
});
