/**
 * The setup action: puts the CLI of this very checkout of gitml on PATH, so a workflow's `gitml …` steps
 * run the same commit as its actions (`gitml/gitml/actions/setup@v1` and `…/evaluate@v1` come from one
 * ref). The CLI is the committed bundle `dist/cli.js` next to this action's bundle; the command is a small
 * wrapper in RUNNER_TEMP that runs it with the Node running this action (the runner's own), so it needs
 * neither setup-node nor a package registry.
 *
 * With `data-engine: true` it also installs DuckDB's native engine (pinned and integrity-checked, as the
 * data-reading actions do) and has the command load it, so `gitml profile`, `register` and `monitor` can read
 * data files in `run:` steps too.
 */
import * as core from "@actions/core";
import { existsSync } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { engineHooksModule, ensureDuckDb } from "./native";
import { actionLogger, booleanInput, parseInputs, runAction } from "./runtime";

const inputs = {
  "data-engine": booleanInput.default(false),
};

/** dist/actions/setup.js → dist/cli.js */
function bundledCli(): string {
  const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "cli.js");
  if (!existsSync(cli)) throw new Error(`the gitml checkout of this action has no ${cli}`);
  return cli;
}

/** Single-quoted for sh: the paths are the runner's own, but a space or `$` in them must not break out. */
function shQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

async function main(): Promise<void> {
  const options = parseInputs(inputs);
  const runnerTemp = process.env.RUNNER_TEMP;
  if (!runnerTemp) throw new Error("RUNNER_TEMP is not set: this must run as a GitHub Actions step");
  const cli = bundledCli();
  const bin = path.join(runnerTemp, "gitml-cli");
  await fs.mkdir(bin, { recursive: true });
  const command = [process.execPath];
  if (options["data-engine"]) {
    const engine = await ensureDuckDb({ logger: actionLogger });
    const hooks = path.join(bin, "duckdb-engine.mjs");
    await fs.writeFile(hooks, engineHooksModule(pathToFileURL(engine.entry).href));
    command.push("--import", pathToFileURL(hooks).href);
  }
  command.push(cli);
  await fs.writeFile(path.join(bin, "gitml"), `#!/bin/sh\nexec ${command.map(shQuote).join(" ")} "$@"\n`, {
    mode: 0o755,
  });
  // Windows runners: bash (Git Bash) uses the script above, cmd and pwsh this one.
  await fs.writeFile(path.join(bin, "gitml.cmd"), `@${command.map((part) => `"${part}"`).join(" ")} %*\r\n`);
  core.addPath(bin);
  core.setOutput("cli", cli);
  core.setOutput("bin", bin);
  core.info(`gitml: ${cli} on PATH as ${path.join(bin, "gitml")} (Node ${process.version})`);
}

await runAction(main);
