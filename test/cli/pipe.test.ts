import { spawn } from "node:child_process";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cliPath, gitEnv, tempDir } from "../helpers/repo";

let dir: string | undefined;
afterEach(async () => {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

/** Runs the CLI into `head -c 1`, which closes the pipe after one byte; returns gitml's exit code. */
function runIntoHead(args: string[], cwd: string): Promise<{ code: number | null; stderr: string }> {
  const command = `"$0" "$@" | head -c 1 >/dev/null; exit \${PIPESTATUS[0]}`;
  return new Promise((resolve) => {
    const child = spawn("bash", ["-c", command, process.execPath, cliPath, ...args], {
      cwd,
      env: gitEnv(),
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

describe("a reader that closes the pipe early", () => {
  it("ends `profile` and `schema` quietly with their own exit code (no EPIPE trace)", async () => {
    dir = await tempDir();
    const columns = Array.from({ length: 300 }, (_, i) => `c${i}`);
    const rows = Array.from({ length: 400 }, (_, r) =>
      columns.map((_, i) => ((r * 7919 + i * 104729) % 1000) / 7).join(","),
    );
    await fs.writeFile(path.join(dir, "wide.csv"), `${columns.join(",")}\n${rows.join("\n")}\n`);
    for (const args of [["profile", "wide.csv"], ["schema"]]) {
      const result = await runIntoHead(args, dir);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
    }
    // A user error still exits 2 when nobody reads stdout.
    expect((await runIntoHead(["profile", "missing.csv"], dir)).code).toBe(2);
  });
});
