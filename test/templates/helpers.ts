import { execFile } from "node:child_process";
import { cpSync, existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { repoRoot, runCli } from "../helpers/repo";

export const templatesDir = path.join(repoRoot, "templates");

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(command: string, args: string[], cwd: string): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export async function runOk(command: string, args: string[], cwd: string): Promise<string> {
  const result = await run(command, args, cwd);
  if (result.code !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} exited ${result.code} in ${cwd}:\n${result.stderr}${result.stdout}`,
    );
  }
  return result.stdout;
}

/** Copies a template without what a developer's copy may have generated (installs, outputs). */
export function copyTemplate(folder: string, target: string): void {
  const skipped = new Set(["node_modules", "out", "__pycache__", "live"]);
  cpSync(path.join(templatesDir, folder), target, {
    recursive: true,
    filter: (source) => !skipped.has(path.basename(source)),
  });
}

export interface Csv {
  header: string[];
  rows: string[][];
}

/** The templates write plain CSV (no quoted cells), so a split is enough here. */
export function readCsv(file: string): Csv {
  const lines = readFileSync(file, "utf8").trimEnd().split("\n");
  return { header: lines[0].split(","), rows: lines.slice(1).map((line) => line.split(",")) };
}

export function column(csv: Csv, name: string): string[] {
  const index = csv.header.indexOf(name);
  if (index < 0) throw new Error(`no column ${name} in ${csv.header.join(",")}`);
  return csv.rows.map((row) => row[index]);
}

export function mean(csv: Csv, name: string): number {
  const values = column(csv, name).map(Number);
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

export function share(values: string[], value: string): number {
  return values.filter((v) => v === value).length / values.length;
}

export interface SuiteRun {
  verdict: string;
  checks: Array<{ id: string; name: string; status: string; severity: string; detail: string }>;
  slices: Array<{ column: string; rows: Array<{ value: string; rows: number }> }>;
}

/** `gitml evaluate --json` in a trained template copy (made a git repository first: the registry is git). */
export async function evaluateTemplate(repo: string, model: string): Promise<SuiteRun> {
  if (!existsSync(path.join(repo, ".git"))) {
    await runOk("git", ["init", "--quiet", "-b", "main"], repo);
    await runOk(
      "git",
      [
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.com",
        "commit",
        "--quiet",
        "--allow-empty",
        "-m",
        "init",
      ],
      repo,
    );
  }
  const result = await runCli(["evaluate", model, "--json"], { cwd: repo });
  if (result.code !== 0 && result.code !== 1)
    throw new Error(`gitml evaluate ${model} exited ${result.code}:\n${result.stderr}`);
  return JSON.parse(result.stdout) as SuiteRun;
}
