// The bundled actions/evaluate (and actions/setup, which calls no API: its whole run): time from spawning `node dist/actions/evaluate.js` (as the runner does) to
// its first GitHub API request, and the bytes of JavaScript it loads. Targets: ≤ 0.3 s, ≤ 3 MB per action.
// Run after `node .ci/build.mjs`. Prints a JSON line per figure (for bench/run.mjs) and a short table.
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { connect, createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { importSource, root } from "./lib.mjs";

const bundle = join(root, "dist", "actions", "evaluate.js");
const RUNS = Number(process.env.BENCH_RUNS ?? 7);

/** Files a module loads: static imports (at start-up) and dynamic ones (only when used). */
function moduleGraph(entry) {
  const eager = new Set();
  const lazy = new Set();
  const visit = (file, isLazy) => {
    const set = isLazy ? lazy : eager;
    if (eager.has(file) || set.has(file)) return;
    set.add(file);
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/(?:import|export)\s*(?:[\w${},*\s]+from\s*)?["'](\.{1,2}\/[^"']+)["']/g))
      visit(resolve(dirname(file), m[1]), isLazy);
    for (const m of text.matchAll(/import\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g))
      visit(resolve(dirname(file), m[1]), true);
  };
  visit(entry, false);
  for (const file of eager) lazy.delete(file);
  const size = (files) => [...files].reduce((sum, f) => sum + statSync(f).size, 0);
  return { eagerBytes: size(eager), lazyBytes: size(lazy), files: eager.size + lazy.size };
}

function git(cwd, args) {
  execFileSync("git", args, {
    cwd,
    stdio: "ignore",
    env: {
      ...process.env,
      GIT_CONFIG_GLOBAL: "/dev/null",
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_AUTHOR_NAME: "b",
      GIT_AUTHOR_EMAIL: "b@example.com",
      GIT_COMMITTER_NAME: "b",
      GIT_COMMITTER_EMAIL: "b@example.com",
    },
  });
}

function fixtureRepo() {
  const dir = mkdtempSync(join(tmpdir(), "gitml-bench-startup-"));
  const work = join(dir, "work");
  mkdirSync(join(work, "models/churn/out"), { recursive: true });
  git(dir, ["init", "--quiet", "-b", "main", work]);
  writeFileSync(
    join(work, "gitml.yaml"),
    "models:\n  churn:\n    path: models/churn\n    outputs:\n      model: out/model.json\n      metrics: out/metrics.json\n    gates:\n      - metric: accuracy\n        min: 0.5\n",
  );
  writeFileSync(join(work, "models/churn/out/metrics.json"), '{"accuracy":0.9,"loss":0.2}');
  writeFileSync(join(work, "models/churn/out/model.json"), '{"w":[1,2,3]}');
  git(work, ["add", "-A"]);
  git(work, ["commit", "--quiet", "-m", "init"]);
  return { dir, work };
}

/**
 * GitHub: the OpenAPI-validated stand-in from test/ (bundled on the fly, since bench scripts are plain
 * JS), behind a TCP proxy that notes when the action's first request arrives. A PR #1 is seeded so the
 * sticky-comment calls are the real ones; the run ends by asserting the stand-in saw no violation.
 */
async function standinGitHub() {
  const { startStandin } = await importSource("test/standin/index.ts");
  const standin = await startStandin({ validTokens: ["ghs_bench"] });
  const repo = standin.state.seedRepo({ owner: "acme", name: "ml" });
  const pull = standin.state.seedPull(repo, { headSha: "0".repeat(40) });
  const target = new URL(standin.url);
  let first;
  const proxy = createNetServer((socket) => {
    first ??= performance.now();
    const upstream = connect(Number(target.port), target.hostname);
    socket.pipe(upstream).pipe(socket);
    const drop = () => (socket.destroy(), upstream.destroy());
    socket.on("error", drop);
    upstream.on("error", drop);
  });
  await new Promise((r) => proxy.listen(0, "127.0.0.1", r));
  return {
    pullNumber: pull.number,
    url: `http://127.0.0.1:${proxy.address().port}`,
    firstRequestAt: () => first,
    reset: () => (first = undefined),
    close: async () => {
      proxy.close();
      standin.assertNoViolations();
      await standin.close();
    },
  };
}

async function measureOnce(work, api, scratch) {
  const event = join(scratch, "event.json");
  writeFileSync(
    event,
    JSON.stringify({
      action: "opened",
      number: 1,
      pull_request: { number: 1, head: { sha: "0".repeat(40), repo: { full_name: "acme/ml" } } },
    }),
  );
  for (const f of ["output", "summary"]) writeFileSync(join(scratch, f), "");
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    CI: "true",
    GITHUB_ACTIONS: "true",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_CONFIG_NOSYSTEM: "1",
    GITHUB_WORKSPACE: work,
    GITHUB_REPOSITORY: "acme/ml",
    GITHUB_API_URL: api.url,
    GITHUB_SERVER_URL: "https://github.com",
    GITHUB_EVENT_NAME: "pull_request",
    GITHUB_EVENT_PATH: event,
    GITHUB_SHA: "0".repeat(40),
    GITHUB_RUN_ID: "1",
    GITHUB_WORKFLOW: "bench",
    GITHUB_OUTPUT: join(scratch, "output"),
    GITHUB_STEP_SUMMARY: join(scratch, "summary"),
    RUNNER_TEMP: scratch,
    INPUT_MODEL: "churn",
    INPUT_TOKEN: "ghs_bench",
    "INPUT_UPLOAD-CANDIDATE": "false",
    INPUT_COMMENT: "true",
    GITML_PACE_WRITES: "false",
  };
  api.reset();
  const started = performance.now();
  const code = await new Promise((r) =>
    spawn(process.execPath, [bundle], { cwd: work, env, stdio: "ignore" }).on("close", r),
  );
  const ended = performance.now();
  if (code !== 0) throw new Error(`the action exited ${code}`);
  return { toFirstCall: api.firstRequestAt() - started, total: ended - started };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const { dir, work } = fixtureRepo();
const api = await standinGitHub();
try {
  const samples = [];
  for (let i = 0; i < RUNS + 1; i++) samples.push(await measureOnce(work, api, dir));
  samples.shift(); // the first run warms the file cache
  const floor = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await new Promise((r) => spawn(process.execPath, ["-e", "0"], { stdio: "ignore" }).on("close", r));
    floor.push(performance.now() - t);
  }
  const graph = moduleGraph(bundle);
  const figures = {
    "action-startup-to-first-api-call-ms": Math.round(median(samples.map((s) => s.toFirstCall))),
    "action-run-total-ms": Math.round(median(samples.map((s) => s.total))),
    "node-empty-process-ms": Math.round(median(floor)),
    "action-bundle-startup-bytes": graph.eagerBytes,
    "action-bundle-total-bytes": graph.eagerBytes + graph.lazyBytes,
  };
  // actions/setup makes no API call: its whole run (write the wrapper, add it to PATH) is its start-up.
  const setupBundle = join(root, "dist", "actions", "setup.js");
  const setupRuns = [];
  for (let i = 0; i < RUNS + 1; i++) {
    for (const f of ["setup-output", "setup-path"]) writeFileSync(join(dir, f), "");
    const env = {
      PATH: process.env.PATH,
      GITHUB_ACTIONS: "true",
      GITHUB_OUTPUT: join(dir, "setup-output"),
      GITHUB_PATH: join(dir, "setup-path"),
      RUNNER_TEMP: dir,
    };
    const t = performance.now();
    const code = await new Promise((r) =>
      spawn(process.execPath, [setupBundle], { env, stdio: "ignore" }).on("close", r),
    );
    if (code !== 0) throw new Error(`the setup action exited ${code}`);
    setupRuns.push(performance.now() - t);
  }
  setupRuns.shift();
  figures["setup-action-run-total-ms"] = Math.round(median(setupRuns));
  for (const action of ["setup", "register", "promote", "monitor"])
    figures[`${action}-action-bundle-startup-bytes`] = moduleGraph(
      join(root, "dist", "actions", `${action}.js`),
    ).eagerBytes;
  for (const [name, value] of Object.entries(figures))
    console.log(JSON.stringify({ bench: "action-startup", name, value }));
  console.error(
    `evaluate action: first API call after ${figures["action-startup-to-first-api-call-ms"]} ms (target ≤ 300), ` +
      `run ${figures["action-run-total-ms"]} ms (an empty node process: ${figures["node-empty-process-ms"]} ms); bundle ${(graph.eagerBytes / 1e6).toFixed(2)} MB at start-up, ` +
      `${((graph.eagerBytes + graph.lazyBytes) / 1e6).toFixed(2)} MB with lazy chunks (target ≤ 3 MB), median of ${RUNS}; ` +
      `setup action: whole run ${figures["setup-action-run-total-ms"]} ms`,
  );
} finally {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
}
