import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  inputVariable,
  parseKeyValueFile,
  pointPayloadAt,
  pullRequestPayload,
  runActionBundle,
  webhookPayload,
} from "./run-action";

let scratch: string | undefined;
afterEach(async () => {
  if (scratch) await fs.rm(scratch, { recursive: true, force: true });
  scratch = undefined;
});

describe("the runner harness", () => {
  it("names inputs as @actions/core reads them", () => {
    expect(inputVariable("working-directory")).toBe("INPUT_WORKING-DIRECTORY");
    expect(inputVariable("my input")).toBe("INPUT_MY_INPUT");
  });

  it("parses the heredoc and the one-line output formats", () => {
    const text =
      "verdict<<ghadelimiter_1\npass\nghadelimiter_1\nreport<<EOF\nline 1\n\nline 3\nEOF\nplain=a=b\n";
    expect(parseKeyValueFile(text)).toEqual({ verdict: "pass", report: "line 1\n\nline 3", plain: "a=b" });
    expect(() => parseKeyValueFile("x<<D\nvalue\n")).toThrow(/closing delimiter/);
  });

  it("gives the child the runner's environment and reads back outputs and summary", async () => {
    scratch = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), "gitml-harness-")));
    const script = path.join(scratch, "action.mjs");
    await fs.writeFile(
      script,
      `import { appendFileSync, readFileSync } from "node:fs";
const event = JSON.parse(readFileSync(process.env.GITHUB_EVENT_PATH, "utf8"));
const out = (k, v) => appendFileSync(process.env.GITHUB_OUTPUT, k + "<<ghadelimiter_x\\n" + v + "\\nghadelimiter_x\\n");
out("model", process.env["INPUT_MODEL"]);
out("workdir", process.env["INPUT_WORKING-DIRECTORY"]);
out("token", process.env.INPUT_TOKEN);
out("pr", String(event.pull_request.number));
out("env", [process.env.CI, process.env.GITHUB_EVENT_NAME, process.env.GITHUB_REPOSITORY, process.env.GITHUB_SHA, process.cwd() === process.env.GITHUB_WORKSPACE].join(" "));
appendFileSync(process.env.GITHUB_STEP_SUMMARY, "# hello\\n");
process.stdout.write("::warning::careful\\n");
process.exitCode = 3;
`,
    );
    const sha = "a".repeat(40);
    const run = await runActionBundle("evaluate", {
      bundle: script,
      cwd: scratch,
      inputs: { model: "churn", "working-directory": "models" },
      token: "t0k",
      eventName: "pull_request",
      payload: pullRequestPayload({ repository: "acme/ml", sha, number: 7 }),
      repository: "acme/ml",
      apiUrl: "http://127.0.0.1:1",
      sha,
    });
    expect(run.code).toBe(3);
    expect(run.outputs).toEqual({
      model: "churn",
      workdir: "models",
      token: "t0k",
      pr: "7",
      env: `true pull_request acme/ml ${sha} true`,
    });
    expect(run.summary).toBe("# hello\n");
    expect(run.stdout).toContain("::warning::careful");
    expect(run.durationMs).toBeGreaterThan(0);
  });

  it("loads real payloads and points them at the test repository, forks included", () => {
    const push = pointPayloadAt(webhookPayload("push"), { repository: "acme/ml", sha: "b".repeat(40) });
    expect(push.after).toBe("b".repeat(40));
    expect((push.repository as { full_name: string }).full_name).toBe("acme/ml");

    const fork = pullRequestPayload({ repository: "acme/ml", headRepository: "mallory/ml", number: 3 });
    const pr = fork.pull_request as {
      head: { repo: { full_name: string; fork: boolean } };
      base: { repo: { full_name: string } };
    };
    expect(pr.head.repo).toMatchObject({ full_name: "mallory/ml", fork: true });
    expect(pr.base.repo.full_name).toBe("acme/ml");
    expect(() => webhookPayload("pull_request", "no-such-action")).toThrow(/has: opened/);
  });
});
