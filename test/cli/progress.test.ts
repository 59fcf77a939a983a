import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { progressBar, renderProgressLine, type ProgressStream } from "../../src/cli/progress";
import { customersCsv } from "../helpers/data";
import { cliPath, createRepo, runCli, type TestRepo } from "../helpers/repo";

// Any control character: what a progress bar would leave in a log or a pipe.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/;
const ERASE = "\u001b[K";

describe("renderProgressLine", () => {
  it("shows the share, rows and time when the total is known", () => {
    const line = renderProgressLine({
      label: "profiling",
      progress: { rowsDone: 250_000, rowsTotal: 1_000_000 },
      elapsedMs: 75_500,
      columns: 120,
    });
    expect(line).toBe(
      `profiling  [${"#".repeat(6)}${"-".repeat(18)}]   25 %  250,000 / 1,000,000 rows  1 min 15 s`,
    );
    expect(line).not.toMatch(CONTROL);
  });

  it("shows rows only while the total is unknown, and never more than the share 100 %", () => {
    expect(
      renderProgressLine({ label: "profiling", progress: { rowsDone: 4096 }, elapsedMs: 2_400, columns: 80 }),
    ).toBe("profiling  4,096 rows  2 s");
    const over = renderProgressLine({
      label: "p",
      progress: { rowsDone: 120, rowsTotal: 100 },
      elapsedMs: 0,
      columns: 80,
    });
    expect(over).toContain(`[${"#".repeat(24)}]  100 %`);
  });

  it("fits a narrow terminal without reaching its last column", () => {
    const line = renderProgressLine({
      label: "profiling",
      progress: { rowsDone: 1, rowsTotal: 3 },
      elapsedMs: 0,
      columns: 30,
    });
    expect(line.length).toBe(29);
    expect(line.endsWith("…")).toBe(true);
  });
});

function fakeStream(isTTY: boolean): ProgressStream & { text: string } {
  const stream = {
    isTTY,
    columns: 100,
    text: "",
    write(chunk: string) {
      stream.text += chunk;
      return true;
    },
  };
  return stream;
}

describe("progressBar", () => {
  it("rewrites one line on a terminal, at most once per interval, and clears it at the end", () => {
    const stream = fakeStream(true);
    let time = 1000;
    const bar = progressBar({ stream, intervalMs: 100, now: () => time })!;
    bar.update({ rowsDone: 10, rowsTotal: 100 });
    time += 50;
    bar.update({ rowsDone: 20, rowsTotal: 100 }); // within the interval: not drawn
    time += 60;
    bar.update({ rowsDone: 30, rowsTotal: 100 });
    bar.done();
    const frames = stream.text.split("\r").filter(Boolean);
    expect(frames).toHaveLength(3);
    expect(frames[0]).toMatch(/^profiling .* 10 %/);
    expect(frames[0]!.endsWith(ERASE)).toBe(true);
    expect(frames[1]).toMatch(/ 30 %/);
    expect(frames[2]).toBe(ERASE);
    expect(stream.text).not.toContain("\n");
  });

  it("shows nothing when stderr is not a terminal, or when asked to be quiet", () => {
    expect(progressBar({ stream: fakeStream(false) })).toBeUndefined();
    expect(progressBar({ stream: fakeStream(true), quiet: true })).toBeUndefined();
    const stream = fakeStream(true);
    progressBar({ stream })!.done(); // never drawn: nothing to clear
    expect(stream.text).toBe("");
  });
});

describe("the CLI's progress output", () => {
  let repo: TestRepo;
  let dir: string;
  beforeAll(async () => {
    repo = await createRepo();
    dir = repo.work;
    await fs.writeFile(path.join(dir, "reference.csv"), customersCsv(3000, 1));
    await fs.writeFile(path.join(dir, "current.csv"), customersCsv(3000, 2));
  });
  afterAll(() => repo.cleanup());

  it("prints no control characters when stderr and stdout are pipes", async () => {
    for (const args of [
      ["profile", "reference.csv", "-o", "profile.json"],
      ["monitor", "churn", "--reference", "reference.csv", "--current", "current.csv"],
      ["monitor", "churn", "--reference", "reference.csv", "--current", "current.csv", "--json"],
    ]) {
      const result = await runCli(args, { cwd: dir });
      expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(0);
      expect(result.stderr, args.join(" ")).not.toMatch(CONTROL);
      expect(result.stdout, args.join(" ")).not.toMatch(CONTROL);
    }
  });

  // `script` gives the CLI a terminal (util-linux, in every Debian image).
  it.skipIf(!existsSync("/usr/bin/script"))("draws the bar on a terminal and clears it", () => {
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(cliPath)} profile reference.csv -o profile.json`;
    const output = execFileSync("/usr/bin/script", ["-qec", command, "/dev/null"], {
      cwd: dir,
      encoding: "utf8",
    });
    expect(output).toMatch(/\rprofiling .*rows/);
    // The last frame is erased before the command's own output.
    expect(output).toContain(`\r${ERASE}profiled 3000 rows`);
  });
});
