import { existsSync, readFileSync } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runShellCommand, userCommandEnv } from "../../src/commands/train";
import { silentLogger } from "../../src/util/logger";
import { tempDir } from "../helpers/repo";

let dir: string | undefined;
afterEach(async () => {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
  dir = undefined;
});

const RUNNER_SECRETS = {
  ACTIONS_RUNTIME_TOKEN: "runtime-secret",
  ACTIONS_RESULTS_URL: "https://results.example/",
  ACTIONS_CACHE_URL: "https://cache.example/",
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: "oidc-secret",
  ACTIONS_ID_TOKEN_REQUEST_URL: "https://oidc.example/",
  GITHUB_TOKEN: "ghs_secret",
  GH_TOKEN: "ghs_secret2",
  INPUT_TOKEN: "ghs_input_secret",
  INPUT_GITHUB_TOKEN: "ghs_input_secret2",
  GITHUB_ENV: "/tmp/set_env_file",
};

/** True while `pid` is a live process (a zombie waiting to be reaped counts as gone). */
function alive(pid: number): boolean {
  try {
    return !/^\S+ \(.*\) [ZX] /s.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

describe("user commands (train, monitor.current_command)", () => {
  it("run without the runner's tokens and inputs, keeping the user's own variables", () => {
    const env = userCommandEnv({ ...RUNNER_SECRETS, PATH: "/usr/bin", AWS_PROFILE: "ml", GITHUB_SHA: "abc" });
    expect(env).toEqual({ PATH: "/usr/bin", AWS_PROFILE: "ml", GITHUB_SHA: "abc" });
  });

  it.runIf(process.platform === "linux")(
    "leave no process behind: a background process is ended before the command returns, and saw no token",
    async () => {
      dir = await tempDir("gitml-train-");
      // One leftover obeys SIGTERM; the other ignores it and must be killed.
      const script = [
        "#!/bin/sh",
        "( sleep 2; env > leaked-env.txt; echo swapped > candidate.txt ) &",
        "echo $! > polite.pid",
        "( trap '' TERM; while :; do sleep 0.05; done ) &",
        "echo $! > stubborn.pid",
        "env > train-env.txt",
        "exit 0",
        "",
      ].join("\n");
      await fs.writeFile(path.join(dir, "train.sh"), script, { mode: 0o755 });
      // As in an Actions step: the secrets are in gitml's own environment.
      const saved = { ...process.env };
      Object.assign(process.env, RUNNER_SECRETS, { MY_SETTING: "kept" });
      try {
        await runShellCommand({
          command: "./train.sh",
          cwd: dir,
          what: "models.m.train",
          logger: silentLogger,
          quiet: true,
        });
      } finally {
        for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
      }
      const pids = ["polite.pid", "stubborn.pid"].map((file) =>
        Number(readFileSync(path.join(dir!, file), "utf8").trim()),
      );
      for (const pid of pids) expect(alive(pid), `process ${pid} survived`).toBe(false);

      const seen = readFileSync(path.join(dir, "train-env.txt"), "utf8");
      expect(seen).toContain("MY_SETTING=kept");
      for (const [name, value] of Object.entries(RUNNER_SECRETS)) {
        expect(seen).not.toContain(`${name}=`);
        expect(seen).not.toContain(value);
      }
      // Had the leftover survived, it would have written these after its sleep.
      await new Promise((wake) => setTimeout(wake, 2_500));
      expect(existsSync(path.join(dir, "candidate.txt"))).toBe(false);
      expect(existsSync(path.join(dir, "leaked-env.txt"))).toBe(false);
    },
    20_000,
  );
});

describe("Ctrl-C while a user command runs", () => {
  it.runIf(process.platform === "linux")(
    "reaches the command's process group, and gitml ends by the same signal",
    async () => {
      const { spawn } = await import("node:child_process");
      const { cliPath, createRepo, gitEnv } = await import("../helpers/repo");
      const repo = await createRepo();
      try {
        repo.commit(
          "gitml.yaml",
          "models:\n  m:\n    path: m\n    train: echo $$ > train.pid; sleep 30\n    outputs:\n      model: out/model.bin\n      metrics: out/metrics.json\n",
        );
        await fs.mkdir(path.join(repo.work, "m"), { recursive: true });
        const gitml = spawn(process.execPath, [cliPath, "evaluate", "m", "--train"], {
          cwd: repo.work,
          env: gitEnv(),
          stdio: "ignore",
        });
        const pidFile = path.join(repo.work, "m", "train.pid");
        for (let i = 0; i < 400 && !existsSync(pidFile); i++)
          await new Promise((wake) => setTimeout(wake, 25));
        const trainPid = Number(readFileSync(pidFile, "utf8").trim());
        expect(alive(trainPid)).toBe(true);
        const ended = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
          gitml.on("exit", (code, signal) => resolve([code, signal])),
        );
        gitml.kill("SIGINT");
        // gitml dies by SIGINT, or — where its parent left SIGINT ignored, as test runners do — fails.
        const [code, signal] = await ended;
        expect(signal === "SIGINT" || (code !== null && code !== 0)).toBe(true);
        expect(alive(trainPid)).toBe(false);
      } finally {
        await repo.cleanup();
      }
    },
    30_000,
  );
});
