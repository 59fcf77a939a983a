import { describe, expect, it } from "vitest";
import {
  FIRST_VERSION,
  checkRefJson,
  findVersion,
  historyJson,
  isoformat,
  nextCounterFor,
  nextVersion,
  nextVersionFor,
  parseShortcut,
  replay,
  resolveShortcut,
  showModelJson,
  showRegistryJson,
  stageHolder,
} from "../../src/registry";
import { metadataProblem } from "../../src/registry/message";
import { UserError } from "../../src/util/errors";
import { record, sha } from "./helpers";

describe("version bumps", () => {
  it("starts at GTO's first version", () => {
    expect(FIRST_VERSION).toBe("v0.0.1");
    expect(nextVersion(undefined, "minor")).toBe("v0.0.1");
  });

  it("bumps like GTO (python-semver): prerelease and build dropped, always incremented", () => {
    expect(nextVersion("v1.4.2", "major")).toBe("v2.0.0");
    expect(nextVersion("v1.4.2", "minor")).toBe("v1.5.0");
    expect(nextVersion("v1.4.2", "patch")).toBe("v1.4.3");
    expect(nextVersion("v1.4.2-rc.1+b7", "patch")).toBe("v1.4.3");
    expect(nextVersion("v0.9.9", "minor")).toBe("v0.10.0");
  });

  it("rejects bad input", () => {
    expect(() => nextVersion("1.0.0", "patch")).toThrow(UserError);
    expect(() => nextVersion("v1.0.0", "huge" as "major")).toThrow(UserError);
  });

  it("bumps from the highest version ever registered, so a deregistered number is never reused", () => {
    const state = replay([
      record("churn@v1.0.0", "c1", 1),
      record("churn@v1.1.0", "c2", 2),
      record("churn@v1.1.0!", "c2", 3),
    ]);
    expect(state.models.get("churn")?.latest?.version).toBe("v1.0.0");
    expect(nextVersionFor(state, "churn", "minor")).toBe("v1.2.0");
    expect(nextVersionFor(state, "new-model", "minor")).toBe("v0.0.1");
    expect(nextCounterFor(state, "churn")).toBe(1);
  });
});

describe("look-ups and shortcuts", () => {
  const state = replay([
    record("churn@v1.0.0", "c1", 1),
    record("churn@v1.1.0", "c2", 2),
    record("churn#prod#1", "c1", 3),
    record("team=churn@v0.0.1", "c1", 3),
  ]);

  it("finds versions and stage holders", () => {
    expect(findVersion(state, "churn", "v1.1.0")?.commit).toBe(sha("c2"));
    expect(findVersion(state, "churn", "v9.9.9")).toBeUndefined();
    expect(stageHolder(state, "churn", "prod")?.version).toBe("v1.0.0");
    expect(stageHolder(state, "churn", "staging")).toBeUndefined();
  });

  it("parses and resolves GTO's shortcuts", () => {
    expect(parseShortcut("churn")).toEqual({ kind: "name", name: "churn" });
    expect(parseShortcut("churn@latest")).toEqual({ kind: "latest", name: "churn" });
    expect(parseShortcut("churn@greatest")).toEqual({ kind: "latest", name: "churn" });
    expect(parseShortcut("team:churn@v0.0.1")).toEqual({
      kind: "version",
      name: "team:churn",
      version: "v0.0.1",
    });
    expect(parseShortcut("churn#prod")).toEqual({ kind: "stage", name: "churn", stage: "prod" });
    expect(resolveShortcut(state, parseShortcut("churn@latest"))?.version).toBe("v1.1.0");
    expect(resolveShortcut(state, parseShortcut("churn#prod"))?.version).toBe("v1.0.0");
    expect(resolveShortcut(state, parseShortcut("team:churn"))?.version).toBe("v0.0.1");
    for (const bad of ["churn@1.0.0", "churn#", "a b", "churn@v1.0.0;rm -rf ~", "churn#prod#1"]) {
      expect(() => parseShortcut(bad)).toThrow(UserError);
    }
  });
});

describe("GTO-shaped JSON", () => {
  const state = replay([
    record("churn@v3.0.0", "c1", 100),
    record("churn@v3.1.0", "c2", 200),
    record("churn#prod#1", "c1", 300, { message: "Assigning stage prod to artifact churn version v3.0.0\n" }),
    record("churn#staging#2", "c2", 400),
    record("segment@v0.4.1", "s1", 100),
    record("segment#dev#1", "s1", 110),
    record("old@v1.0.0", "o1", 100),
    record("old@deprecated", "o1", 200),
    record("churn#dev#3", "c9", 500),
  ]);

  it("show --json: every model with latest version, stage columns, registered and active", () => {
    expect(showRegistryJson(state)).toEqual({
      churn: {
        version: "v3.1.0",
        stage: { dev: sha("c9"), prod: "v3.0.0", staging: "v3.1.0" },
        registered: true,
        active: true,
      },
      segment: {
        version: "v0.4.1",
        stage: { dev: "v0.4.1", prod: null, staging: null },
        registered: true,
        active: true,
      },
    });
    const withConfig = showRegistryJson(state, {
      stages: ["staging", "production"],
      includeDeprecated: true,
    });
    expect(Object.keys(withConfig)).toEqual(["churn", "old", "segment"]);
    expect(withConfig.old).toEqual({
      version: "v1.0.0",
      stage: { staging: null, production: null },
      registered: true,
      active: false,
    });
    expect(withConfig.churn!.stage).toEqual({ staging: "v3.1.0", production: null });
  });

  it("check-ref --json: the event with GTO's keys in GTO's order", () => {
    const event = checkRefJson(state, "refs/tags/churn#prod#1");
    expect(event).toEqual({
      artifact: "churn",
      created_at: "1970-01-01T00:05:00+00:00",
      author: "Ada",
      author_email: "ada@example.com",
      message: "Assigning stage prod to artifact churn version v3.0.0",
      commit_hexsha: sha("c1"),
      tag: "churn#prod#1",
      version: "v3.0.0",
      stage: "prod",
      event: "assignment",
    });
    expect(Object.keys(event!)).toEqual([
      "artifact",
      "created_at",
      "author",
      "author_email",
      "message",
      "commit_hexsha",
      "tag",
      "version",
      "stage",
      "event",
    ]);
    expect(Object.keys(checkRefJson(state, "old@deprecated")!)).not.toContain("version");
    expect(checkRefJson(state, "churn@v3.1.0")?.event).toBe("registration");
    expect(checkRefJson(state, "churn@v9.0.0")).toBeUndefined();
    expect(checkRefJson(state, "not-a-registry-tag")).toBeUndefined();
  });

  it("show <model> --json: versions highest first, then commit-named ones, with the stages they hold", () => {
    const versions = showModelJson(state, "churn");
    expect(versions.map((v) => [v.version, v.discovered, v.stages.map((s) => s.stage)])).toEqual([
      ["v3.1.0", false, ["staging"]],
      ["v3.0.0", false, ["prod"]],
      [sha("c9"), true, ["dev"]],
    ]);
    const first = versions[0]!;
    expect(first.registrations).toHaveLength(1);
    expect(first.registrations[0]).toMatchObject({
      priority: 3,
      addition: true,
      tag: "churn@v3.1.0",
      version: "v3.1.0",
    });
    expect(first.stages[0]!.assignments[0]).toMatchObject({ event: "assignment", tag: "churn#staging#2" });
    expect(first.ref).toBe("churn@v3.1.0");
    expect(showModelJson(state, "old")).toEqual([]);
    expect(showModelJson(state, "old", { includeDeprecated: true })).toHaveLength(1);
    expect(showModelJson(state, "missing")).toEqual([]);
  });

  it("history --json: newest first by default", () => {
    const history = historyJson(state, { model: "churn" });
    expect(history.map((h) => h.ref)).toEqual([
      "churn#dev#3",
      "churn#staging#2",
      "churn#prod#1",
      "churn@v3.1.0",
      "churn@v3.0.0",
    ]);
    expect(history[0]).toMatchObject({ event: "assignment", priority: 5, version: sha("c9"), stage: "dev" });
    expect(historyJson(state, { model: "churn", ascending: true })[0]!.ref).toBe("churn@v3.0.0");
  });

  it("writes datetimes as Python's isoformat", () => {
    expect(isoformat(1_653_616_192)).toBe("2022-05-27T01:49:52+00:00");
  });
});

describe("metadataProblem", () => {
  const samples: [Parameters<typeof metadataProblem>[0], unknown, string | undefined][] = [
    ["metrics", { a: 1, "eval.f1": 0.5 }, undefined],
    ["metrics", { a: Number.NaN }, "metric values must be finite numbers"],
    ["metrics", { "": 1 }, "a metric name is empty"],
    ["metrics", { "a\u2028": 1 }, "a metric name contains control characters"],
    ["metrics", [1], "expected an object of metric names to numbers"],
    ["metrics", null, "expected an object of metric names to numbers"],
    ["metrics", { a: "1" }, "metric values must be finite numbers"],
    ["artifactDigest", `sha256:${"a".repeat(64)}`, undefined],
    ["artifactDigest", `sha256:${"A".repeat(64)}`, "expected sha256:<64 lowercase hex digits>"],
    ["runUrl", "https://x.test/y", undefined],
    ["runUrl", "https://x.test/ y", "expected an http(s) URL without spaces"],
    ["runUrl", "ftp://x.test", "expected an http(s) URL without spaces"],
    ["pr", 42, undefined],
    ["pr", 0, "expected a pull request number"],
    ["pr", 2 ** 60, "expected a pull request number"],
  ];
  it.each(samples)("%s %j", (key, value, problem) => {
    expect(metadataProblem(key, value)).toBe(problem);
  });
});
