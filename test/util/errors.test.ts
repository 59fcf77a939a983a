import { describe, expect, it } from "vitest";
import { GitHubPermissionError } from "../../src/github/client";
import { TransferError } from "../../src/store/transfer";
import {
  EnvironmentError,
  errorReport,
  ExitCode,
  exitCodeOf,
  Failure,
  UserError,
} from "../../src/util/errors";

/** What Octokit throws once its retries are spent (a RequestError), without depending on its class. */
function httpError(status: number): Error {
  return Object.assign(new Error("Server Error"), {
    name: "HttpError",
    status,
    request: { method: "GET", url: "https://api.github.com/repos/a/b/releases?page=2" },
  });
}

function systemError(code: string): Error {
  return Object.assign(new Error(`${code}: something`), { code });
}

describe("exitCodeOf: one mapping for the CLI and every action", () => {
  it.each([
    ["a failed gate", new Failure("gates failed"), ExitCode.failure],
    ["a user error", new UserError("bad config", { where: "gitml.yaml:3:1" }), ExitCode.userError],
    [
      "a permission refusal gitml explains",
      new GitHubPermissionError("comment", { status: 403, message: "x" }),
      2,
    ],
    ["an environment error", new EnvironmentError("git was not found on PATH"), ExitCode.environment],
    ["HTTP 500 after the retries", httpError(500), 3],
    ["HTTP 502", httpError(502), 3],
    ["HTTP 401 (bad token)", httpError(401), 3],
    ["HTTP 403 (refused)", httpError(403), 3],
    ["HTTP 429 (rate limit after the retries)", httpError(429), 3],
    ["an asset transfer answered 503", new TransferError("upload failed: HTTP 503", 503), 3],
    ["disk full", systemError("ENOSPC"), 3],
    ["network down", systemError("ECONNREFUSED"), 3],
    ["DNS failure inside a cause", new TypeError("fetch failed", { cause: systemError("ENOTFOUND") }), 3],
    ["HTTP 422 (gitml asked wrongly)", httpError(422), ExitCode.internal],
    ["a missing file nobody expected", systemError("ENOENT"), 70],
    ["a TypeError", new TypeError("cannot read properties of undefined"), 70],
    ["a thrown string", "boom", 70],
  ])("%s", (_what, error, code) => {
    expect(exitCodeOf(error)).toBe(code);
  });
});

describe("errorReport: the kind is in the words too", () => {
  it("user error: where and what, no stack", () => {
    expect(errorReport(new UserError("bad", { where: "gitml.yaml:3:1" }))).toBe(
      "gitml: error: gitml.yaml:3:1: bad",
    );
    expect(errorReport(new UserError("bad"), "action")).toBe("bad");
  });

  it("GitHub's failure names the request without its query, and says it is not a bug", () => {
    const text = errorReport(httpError(500));
    expect(text).toMatch(/^gitml: error: GitHub or the environment failed, not gitml/);
    expect(text).toContain("HTTP 500 (GET https://api.github.com/repos/a/b/releases): Server Error");
    expect(text).not.toMatch(/please report/);
  });

  it("an environment failure found in a cause keeps the outer message", () => {
    const text = errorReport(new TypeError("fetch failed", { cause: systemError("ENOTFOUND") }), "action");
    expect(text).toMatch(
      /^GitHub or the environment failed, not gitml .*: fetch failed: ENOTFOUND: something$/,
    );
  });

  it("a bug: please report it, with the stack", () => {
    const text = errorReport(new TypeError("oops"));
    expect(text).toMatch(/^gitml: internal error \(please report it\): TypeError: oops\n\s+at /);
    expect(errorReport(new TypeError("oops"), "action")).toMatch(
      /^gitml internal error \(please report it\)/,
    );
  });
});
