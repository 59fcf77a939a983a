// Setup file of the `unit` project (vitest.config.ts): a unit test starts no process — no git, no python,
// no dist/cli.js — so the inner loop stays fast and needs no build. A test that does is an integration test
// and belongs in the `integration` list of vitest.config.ts; this makes the mistake fail loudly instead of
// slowing the loop down.
import { createRequire, syncBuiltinESMExports } from "node:module";
import { expect } from "vitest";

const childProcess = createRequire(import.meta.url)("node:child_process") as Record<string, unknown>;
for (const name of ["spawn", "spawnSync", "exec", "execSync", "execFile", "execFileSync", "fork"]) {
  childProcess[name] = (command: unknown) => {
    const testFile = expect.getState().testPath ?? "this test file";
    throw new Error(
      `${testFile} starts a process (${name} ${String(command)}): unit tests start none; list the file under \`integration\` in vitest.config.ts`,
    );
  };
}
// ES module imports of node:child_process see the replaced functions too.
syncBuiltinESMExports();
