/**
 * The setup action: puts the CLI of this very checkout of gitml on PATH, so a workflow's `gitml …` steps
 * run the same commit as its actions (`gitml/gitml/actions/setup@v1` and `…/evaluate@v1` come from one
 * ref). The CLI is the committed bundle `dist/cli.js` next to this action's bundle; the command is a small
 * wrapper in RUNNER_TEMP that runs it with the Node running this action (the runner's own), so it needs
 * neither setup-node nor a package registry.
 */
import * as core from "@actions/core";
import { existsSync } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { runAction } from "./runtime";

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
  const runnerTemp = process.env.RUNNER_TEMP;
  if (!runnerTemp) throw new Error("RUNNER_TEMP is not set: this must run as a GitHub Actions step");
  const cli = bundledCli();
  const bin = path.join(runnerTemp, "gitml-cli");
  await fs.mkdir(bin, { recursive: true });
  const node = process.execPath;
  await fs.writeFile(path.join(bin, "gitml"), `#!/bin/sh\nexec ${shQuote(node)} ${shQuote(cli)} "$@"\n`, {
    mode: 0o755,
  });
  // Windows runners: bash (Git Bash) uses the script above, cmd and pwsh this one.
  await fs.writeFile(path.join(bin, "gitml.cmd"), `@"${node}" "${cli}" %*\r\n`);
  core.addPath(bin);
  core.setOutput("cli", cli);
  core.setOutput("bin", bin);
  core.info(`gitml: ${cli} on PATH as ${path.join(bin, "gitml")} (Node ${process.version})`);
}

await runAction(main);
