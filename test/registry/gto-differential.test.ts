/**
 * Differential check against GTO itself. `fixtures/gto-differential.json` holds scripted tag sequences
 * and what GTO (iterative/gto @ 4b652c8: gto/api.py `show`, `history`, gto/registry.py `check_ref`,
 * printed as gto/cli.py prints `--json`) answered for each query on a repository holding exactly those
 * tags. This test rebuilds each repository (same commits, byte for byte, so the same hashes), asks gitml
 * the same questions through the same code its CLI runs, and expects GTO's answers, except where GTO
 * fails to read the registry at all (listed below, and in docs/registry.md, "Differences from GTO").
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { checkRef } from "../../src/commands/check-ref";
import type { CommandContext } from "../../src/commands/context";
import { history } from "../../src/commands/history";
import { show } from "../../src/commands/show";
import {
  eventJson,
  historyJson,
  showModelJson,
  showRegistryJson,
  showSelectionJson,
} from "../../src/registry";
import { silentLogger } from "../../src/util/logger";
import fixture from "./fixtures/gto-differential.json";

interface Result {
  query: string[];
  output?: unknown;
  error?: string;
  message?: string;
}

/**
 * Scenarios GTO cannot read (every query fails): gitml reads them, by a documented rule. The reason
 * each fails in GTO is checked, so a GTO fixture that stops failing is noticed.
 */
const GTO_CANNOT_READ: Record<string, RegExp> = {
  // gto/tag.py `parse_name` gives no action for `@created`; `find` then fails with KeyError('action').
  "created-tag": /KeyError/,
  // gto/base.py `find_version(commit_hexsha=…)` raises ManyVersions for a stage tag on a commit with
  // two versions; gitml's register no longer writes this (see register.test.ts), but reads it.
  "two-versions-one-commit": /ManyVersions/,
};

/**
 * Queries where gitml answers differently on purpose (docs/registry.md, "Differences from GTO"), each with what
 * gitml answers instead.
 */
const DELIBERATE: Record<string, { queries: RegExp; check: (answer: unknown) => void }> = {
  // gto/base.py `Artifact.add_event` looks a version up by name and commit, so a re-registration at
  // another commit becomes a second "v1.0.0". gitml keeps one version per name, at its first commit
  // (what `get` downloads and `promote` promotes); history and check-ref still list the event.
  "re-registration-elsewhere": {
    queries: /^show m(@latest|@v1\.0\.0)?$/,
    check: (answer) => {
      const versions = answer as { version: string; commit_hexsha: string }[];
      expect(versions.map((v) => [v.version, v.commit_hexsha])).toEqual([["v1.0.0", commitOf(0)]]);
    },
  },
  // `find_version` skips commit-named ("discovered") versions, so GTO makes a new one for every stage
  // tag on an unregistered commit: the unassignment lands on a version of its own and never takes
  // effect. gitml applies it: nobody holds prod.
  "commit-named-unassigned": {
    queries: /^show( solo(#prod|@latest)?)?$/,
    check: (answer) => {
      if (Array.isArray(answer)) {
        for (const version of answer as { stages: unknown[] }[]) expect(version.stages).toEqual([]);
      } else expect((answer as Record<string, { stage: Record<string, unknown> }>).solo?.stage).toEqual({});
    },
  },
};

let currentCommits: string[] = [];
function commitOf(index: number): string {
  return currentCommits[index]!;
}

/**
 * GTO's listing also holds an empty twin of each commit-named version (the same `find_version` quirk:
 * `index_tag` makes one to name the stage tag's version, `add_event` another to hold it; the twin's
 * only event is its commit, so its `ref` is the commit). gitml lists each commit once.
 */
function withoutEmptyTwins(output: unknown): unknown {
  if (!Array.isArray(output)) return output;
  return output.filter(
    (v: { discovered?: boolean; ref?: string; commit_hexsha?: string }) =>
      !(v.discovered === true && v.ref === v.commit_hexsha),
  );
}

const ENV_BASE = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
};

function git(cwd: string, args: string[], env: Record<string, string> = {}): string {
  return execFileSync("git", args, { cwd, env: { ...ENV_BASE, ...env }, encoding: "utf8" }).trim();
}

/** The generator's repository: the same commits (hence hashes) and the same annotated tags. */
function build(dir: string, scenario: (typeof fixture.scenarios)[number]): string[] {
  git(dir, ["init", "-q", "-b", "main"]);
  const commits: string[] = [];
  for (let i = 0; i < scenario.commits; i++) {
    const when = `${fixture.base - 1000 + i} +0000`;
    git(dir, ["commit", "-q", "--allow-empty", "-m", `commit ${i}`], {
      GIT_AUTHOR_NAME: "Ada",
      GIT_AUTHOR_EMAIL: "ada@example.com",
      GIT_AUTHOR_DATE: when,
      GIT_COMMITTER_NAME: "Ada",
      GIT_COMMITTER_EMAIL: "ada@example.com",
      GIT_COMMITTER_DATE: when,
    });
    commits.push(git(dir, ["rev-parse", "HEAD"]));
  }
  for (const [name, commit, offset, zone, who] of scenario.tags as [
    string,
    number,
    number,
    string,
    string,
  ][]) {
    git(dir, ["tag", "-a", name, commits[commit]!, "-m", `${who} tagged ${name.slice(0, 40)}`], {
      GIT_COMMITTER_NAME: who,
      GIT_COMMITTER_EMAIL: `${who.toLowerCase()}@example.com`,
      GIT_COMMITTER_DATE: `${fixture.base + offset} ${zone}`,
    });
  }
  return commits;
}

/** gitml's answer to a GTO query, through the command and JSON code the CLI uses for `--json`. */
async function ask(context: CommandContext, query: string[]): Promise<unknown> {
  const [verb, arg] = query;
  switch (verb) {
    case "show": {
      const result = await show(context, { spec: arg, describeCommits: true });
      const commits = "commits" in result && result.commits ? { commits: result.commits } : {};
      if (result.kind === "registry") return showRegistryJson(result.state);
      if (result.kind === "model") return showModelJson(result.state, result.model.name, commits);
      return showSelectionJson(result.state, result.spec, commits);
    }
    case "history": {
      const result = await history(context, arg === undefined ? {} : { model: arg });
      return historyJson(result.state, { model: result.model });
    }
    case "check-ref": {
      const result = await checkRef(context, { ref: arg! });
      // GTO prints nothing for a tag that is not a registry event; the generator records that as null.
      return result.event ? eventJson(result.event) : null;
    }
  }
  throw new Error(`unknown query ${query.join(" ")}`);
}

let root: string;
beforeAll(async () => {
  root = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), "gitml-gto-diff-")));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe.each(fixture.scenarios.map((s) => [s.name, s] as const))(
  "GTO differential: %s",
  (name, scenario) => {
    let context: CommandContext;
    beforeAll(async () => {
      const dir = path.join(root, name);
      await fs.mkdir(dir);
      expect(build(dir, scenario)).toEqual(scenario.commitShas);
      context = { cwd: dir, logger: silentLogger };
    });
    beforeEach(() => {
      currentCommits = scenario.commitShas;
    });

    const results = scenario.results as Result[];
    const cannotRead = GTO_CANNOT_READ[name];
    if (cannotRead) {
      it(`GTO fails to read it (${scenario.note}); gitml reads every query`, async () => {
        expect(results.filter((r) => r.error !== undefined).length).toBeGreaterThan(0);
        for (const result of results) {
          if (result.error !== undefined) expect(`${result.error}: ${result.message}`).toMatch(cannotRead);
          await expect(ask(context, result.query)).resolves.not.toThrow();
        }
      });
      return;
    }

    const deliberate = DELIBERATE[name];
    it.each(results.map((r) => [r.query.join(" "), r] as const))(
      `%s (${scenario.note})`,
      async (label, result) => {
        expect(result.error, `GTO failed: ${result.message}`).toBeUndefined();
        const answer = await ask(context, result.query);
        if (deliberate?.queries.test(label)) {
          // The difference is real (else this entry is stale), and gitml's answer is the documented one.
          expect(answer).not.toEqual(withoutEmptyTwins(result.output));
          deliberate.check(answer);
        } else expect(answer).toEqual(withoutEmptyTwins(result.output));
      },
    );
  },
);
