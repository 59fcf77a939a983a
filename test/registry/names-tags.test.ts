import { describe, expect, it } from "vitest";
import {
  MAX_NAME_LENGTH,
  assertValidName,
  assertValidStage,
  assertValidVersion,
  formatTag,
  isValidName,
  isValidVersion,
  looksLikeRegistryTag,
  nameToTagPart,
  parseTag,
  tagPartToName,
} from "../../src/registry";
import type { TagAction } from "../../src/registry";
import { UserError } from "../../src/util/errors";
import { thrownUserError } from "../helpers/errors";

describe("names", () => {
  it.each([
    ["churn.v2", /dot/],
    ["my model", /spaces/],
    ["modèle", /non-ASCII/],
    ["-churn", /starts with "-"/],
    ["churn-", /ends with "-"/],
    ["", /empty/],
    ["a".repeat(MAX_NAME_LENGTH + 1), /longer than/],
    ["a//b", /"\/\/"/],
    ["../x:churn", /"\.\."/],
    ["a/../b:churn", /"\.\."/],
    [".hidden:churn", /starting with "\."/],
    ["a:b:c", /one ":"/],
    ["dir:", /empty/],
    [":churn", /empty/],
    ["x.lock/y:churn", /\.lock/],
    ["a@v1.0.0;rm -rf ~", /contains/],
    ["churn\n", /control|non-ASCII/],
    ["churn$(id)", /contains "\$"/],
  ])("rejects %j saying why", (name, reason) => {
    expect(isValidName(name)).toBe(false);
    const error = thrownUserError(() => assertValidName(name));
    expect(error.message).toMatch(reason);
  });

  it("accepts folder names with dots inside, as GTO's dirname does", () => {
    expect(isValidName("models/v1.2:churn")).toBe(true);
    expect(isValidName("src/my_models:Churn_A")).toBe(true);
  });

  it("maps dir:name to dir=name and back", () => {
    expect(nameToTagPart("models/x:churn")).toBe("models/x=churn");
    expect(tagPartToName("models/x=churn")).toBe("models/x:churn");
    expect(nameToTagPart("churn")).toBe("churn");
    expect(() => nameToTagPart("bad name")).toThrow(UserError);
  });

  it("checks stages with GTO's name rule (no folder part)", () => {
    expect(() => assertValidStage("prod")).not.toThrow();
    expect(thrownUserError(() => assertValidStage("dir:prod")).message).toMatch(/":"/);
    expect(thrownUserError(() => assertValidStage("pro d")).message).toMatch(/spaces/);
  });

  it("accepts full semver with a lowercase v", () => {
    for (const v of ["v0.0.1", "v1.4.0", "v2.0.0-rc.1", "v1.0.0-alpha.beta+build.5", "v10.20.30"]) {
      expect(isValidVersion(v)).toBe(true);
    }
  });

  it.each([
    ["1.4.0", /start with a lowercase "v", e.g. "v1.4.0"/],
    ["V1.4.0", /lowercase "v", e.g. "v1.4.0"/],
    ["v1.4", /semantic version/],
    ["v01.4.0", /semantic version/],
    ["v1.4.0-", /semantic version/],
    ["latest", /semantic version/],
    ["v1.0.0\n", /semantic version/],
  ])("rejects the version %j with a hint", (version, hint) => {
    expect(isValidVersion(version)).toBe(false);
    expect(thrownUserError(() => assertValidVersion(version)).message).toMatch(hint);
  });
});

describe("tags", () => {
  const names = ["churn", "m", "DVCLive/Model", "models/v1.2:churn_A"];
  const actions: TagAction[] = names.flatMap((name) => [
    { action: "register", name, version: "v1.4.0" },
    { action: "register", name, version: "v2.0.0-rc.1+build.7" },
    { action: "register", name, version: "v1.0.0", counter: 3 },
    { action: "deregister", name, version: "v1.4.0" },
    { action: "deregister", name, version: "v1.4.0", counter: 12 },
    { action: "assign", name, stage: "production", counter: 1 },
    { action: "assign", name, stage: "stag_ing", counter: 99 },
    { action: "unassign", name, stage: "production", counter: 2 },
    { action: "deprecate", name },
    { action: "deprecate", name, counter: 5 },
  ]);

  it.each(actions)("round-trips %j", (action) => {
    const tag = formatTag(action);
    expect(parseTag(tag)).toEqual(action);
    expect(parseTag(`refs/tags/${tag}`)).toEqual(action);
  });

  it("writes folder models with '=' in the tag", () => {
    expect(formatTag({ action: "assign", name: "models:churn", stage: "prod", counter: 4 })).toBe(
      "models=churn#prod#4",
    );
  });

  it("reads GTO's simple stage forms but never writes them", () => {
    expect(parseTag("churn#prod")).toEqual({ action: "assign", name: "churn", stage: "prod" });
    expect(parseTag("churn#prod!")).toEqual({ action: "unassign", name: "churn", stage: "prod" });
    expect(() => formatTag({ action: "assign", name: "churn", stage: "prod" })).toThrow(UserError);
    expect(() => formatTag({ action: "unassign", name: "churn", stage: "prod" })).toThrow(UserError);
  });

  it.each([
    { action: "register", name: "a@v1.0.0;rm -rf ~", version: "v1.0.0" },
    { action: "register", name: "churn", version: "v1.0.0;rm -rf ~" },
    { action: "register", name: "churn", version: "1.0.0" },
    { action: "assign", name: "churn", stage: "prod\nx", counter: 1 },
    { action: "assign", name: "churn", stage: "prod", counter: 0 },
    { action: "assign", name: "churn", stage: "prod", counter: 1.5 },
    { action: "deprecate", name: "../etc:passwd" },
  ] as TagAction[])("refuses to format %j", (action) => {
    expect(() => formatTag(action)).toThrow(UserError);
  });

  it("does not treat unrelated or malformed tags as registry actions", () => {
    for (const tag of ["v1.0.0", "release-2024", "churn@created", "a/../b=churn@v1.0.0", "churn@v1.0.0#"]) {
      expect(parseTag(tag)).toBeUndefined();
    }
    // Length limits are for writing: GTO's regex has none, so a long tag another tool wrote is read.
    expect(parseTag("x".repeat(300) + "@v1.0.0")).toEqual({
      action: "register",
      name: "x".repeat(300),
      version: "v1.0.0",
    });
    expect(parseTag(`m#${"s".repeat(80)}#1`)).toEqual({
      action: "assign",
      name: "m",
      stage: "s".repeat(80),
      counter: 1,
    });
    expect(parseTag(`m@v1.0.0-${"r".repeat(80)}`)).toEqual({
      action: "register",
      name: "m",
      version: `v1.0.0-${"r".repeat(80)}`,
    });
    expect(looksLikeRegistryTag("churn@1.0.0")).toBe(true);
    expect(looksLikeRegistryTag("churn#prod#x")).toBe(true);
    expect(looksLikeRegistryTag("v1.0.0")).toBe(false);
  });
});
