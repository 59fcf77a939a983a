// A large model through the GitHub Releases store in parts, against the REST stand-in on loopback, as a
// share of ONE single-stream upload of the same bytes to the same stand-in upload endpoint in the same run
// (target ≥ 80%); a plain loopback sink (reads and discards) gives the transport's floor for context.
// Peak RSS of the uploader (this process) and of the stand-in (a child process) must stay flat: the
// stand-in streams each asset to a file, hashing as it goes, and the store streams file ranges.
//
//   node bench/release-upload.mjs [--size 5GiB] [--part-size 2047MiB] [--concurrency 4] [--rounds 1]
//
// Each round times the single stream and the parts in alternating order after a `sync`, so page-cache
// writeback of one run does not land on the next; figures are medians over rounds. The big file is stored
// as a plain asset (no gzip), so what is timed is the upload path; the store's hashing pass and its
// verification of what GitHub reports are reported separately.
import { build } from "esbuild";
import { execFileSync, fork } from "node:child_process";
import { createReadStream, createWriteStream, mkdirSync, rmSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { median, root } from "./lib.mjs";

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

function parseSize(text) {
  const m = /^(\d+(?:\.\d+)?)\s*(b|kib|mib|gib|kb|mb|gb)?$/i.exec(String(text).trim());
  if (!m) throw new Error(`cannot read size '${text}' (e.g. 5GiB, 512MiB)`);
  const unit = { b: 1, kib: 1024, kb: 1024, mib: MiB, mb: MiB, gib: GiB, gb: GiB }[
    (m[2] ?? "b").toLowerCase()
  ];
  return Math.round(Number(m[1]) * unit);
}

function argument(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

async function bundle() {
  const outdir = join(root, "bench", "out", "release-upload");
  mkdirSync(outdir, { recursive: true });
  const entries = {
    store: `export { GitHubReleasesStore } from "${join(root, "src/github/release-store.ts")}";
export { createOctokit } from "${join(root, "src/github/client.ts")}";`,
    standin: `export { startStandin } from "${join(root, "test/standin/server.ts")}";`,
  };
  for (const [name, contents] of Object.entries(entries)) {
    await build({
      stdin: { contents, resolveDir: root, loader: "ts" },
      outfile: join(outdir, `${name}.mjs`),
      bundle: true,
      format: "esm",
      platform: "node",
      target: "node20",
      packages: "external",
      logLevel: "warning",
    });
  }
  return outdir;
}

/** Child: the stand-in (repo acme/models) and a sink that reads and discards a request body. */
async function child(outdir) {
  const { startStandin } = await import(join(outdir, "standin.mjs"));
  const { createServer } = await import("node:http");
  const standin = await startStandin();
  standin.state.seedRepo({ owner: "acme", name: "models" });
  const sink = createServer((req, res) => {
    let bytes = 0;
    req.on("data", (chunk) => (bytes += chunk.length));
    req.on("end", () => res.end(JSON.stringify({ bytes })));
  });
  await new Promise((resolve) => sink.listen(0, "127.0.0.1", resolve));
  process.send({
    url: standin.url,
    sink: `http://127.0.0.1:${sink.address().port}/upload`,
    startRss: process.memoryUsage().rss,
  });
  process.on("message", async (message) => {
    if (message === "rss") process.send({ rss: process.resourceUsage().maxRSS * 1024 });
    if (message === "stop") {
      await standin.close(); // removes the stand-in's asset files
      process.exit(0);
    }
  });
}

async function writeModel(file, size) {
  // Pseudo-random, so no layer can compress it; generated in 1 MiB blocks to keep this process flat too.
  let state = 0x9e3779b9;
  const block = Buffer.alloc(MiB);
  async function* blocks() {
    for (let written = 0; written < size; written += MiB) {
      for (let i = 0; i < block.length; i += 4) {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        block.writeUInt32LE(state >>> 0, i);
      }
      yield Buffer.from(block.subarray(0, Math.min(MiB, size - written)));
    }
  }
  await pipeline(blocks(), createWriteStream(file));
}

function singleStreamUpload(url, file, size, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        headers: { ...headers, "content-type": "application/octet-stream", "content-length": String(size) },
      },
      (res) => {
        let body = "";
        res.on("data", (c) => (body += c));
        res.on("end", () => {
          if (res.statusCode >= 300) return reject(new Error(`HTTP ${res.statusCode} from ${url}: ${body}`));
          resolve(JSON.parse(body));
        });
      },
    );
    req.on("error", reject);
    createReadStream(file, { highWaterMark: MiB }).pipe(req);
  });
}

export async function runReleaseUploadBench(options = {}) {
  const size = options.size ?? parseSize(argument("size", "5GiB"));
  const partSize = options.partSize ?? parseSize(argument("part-size", String(2 * GiB - MiB)));
  const concurrency = options.concurrency ?? Number(argument("concurrency", "4"));
  const rounds = options.rounds ?? Number(argument("rounds", "1"));
  const uploaderStartRss = process.memoryUsage().rss;
  const outdir = await bundle();
  const { GitHubReleasesStore, createOctokit } = await import(join(outdir, "store.mjs"));
  const server = fork(fileURLToPath(import.meta.url), ["--child", outdir], { stdio: "inherit" });
  const exited = new Promise((resolve) => server.once("exit", resolve));
  const {
    url,
    sink,
    startRss: standinStartRss,
  } = await new Promise((resolve) => server.once("message", resolve));
  const work = await mkdtemp(join(tmpdir(), "gitml-bench-release-"));
  const auth = { authorization: "token bench", accept: "application/vnd.github+json" };
  const api = (path, init = {}) =>
    fetch(`${url}${path}`, { ...init, headers: { ...auth, ...init.headers } }).then(async (r) => {
      if (!r.ok) throw new Error(`${init.method ?? "GET"} ${path}: HTTP ${r.status} ${await r.text()}`);
      return r.status === 204 ? undefined : r.json();
    });
  /** Frees the stand-in's disk between runs (a 5 GiB asset each). */
  async function deleteAllReleases() {
    for (const release of await api("/repos/acme/models/releases?per_page=100"))
      await api(`/repos/acme/models/releases/${release.id}`, { method: "DELETE" });
  }
  /** Flushes dirty pages so that each timed run starts with the same writeback backlog: none. */
  const settle = () => execFileSync("sync");

  try {
    const file = join(work, "model.bin");
    await writeModel(file, size);

    settle();
    const sinkStart = performance.now();
    const received = (await singleStreamUpload(sink, file, size)).bytes;
    const sinkMs = performance.now() - sinkStart;
    if (received !== size) throw new Error(`sink received ${received} of ${size} bytes`);

    const logger = {
      debug() {},
      info() {},
      warning: (m) => console.error(`warning: ${m}`),
      error: (m) => console.error(m),
    };
    const octokit = createOctokit({ token: "bench", baseUrl: url, logger, paceWrites: false });

    /** The same bytes as ONE asset through the stand-in's upload endpoint: the same server-side work. */
    async function singleStream(round) {
      const created = await api("/repos/acme/models/releases", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ tag_name: `baseline-${round}`, draft: true }),
      });
      const target = `${created.upload_url.replace(/\{.*$/, "")}?name=single-stream.bin`;
      settle();
      const start = performance.now();
      const stored = await singleStreamUpload(target, file, size, auth);
      const ms = performance.now() - start;
      if (stored.size !== size) throw new Error(`stand-in stored ${stored.size} of ${size} bytes`);
      await deleteAllReleases();
      return { ms, digest: stored.digest };
    }

    async function inParts(round) {
      const marks = {};
      const store = new GitHubReleasesStore({
        octokit,
        token: "bench",
        owner: "acme",
        repo: "models",
        logger,
        partSize,
        concurrency,
        workDir: work,
        afterStep: (step) => {
          marks[step] = performance.now();
          if (step !== "draft") return;
          settle();
          marks.partsStart = performance.now();
        },
      });
      const stageStart = performance.now();
      const staged = await store.stage({
        model: "big",
        version: `v1.0.${round}`,
        files: [{ source: file, path: "weights/model.bin", role: "other" }],
        lineage: { commit: "b".repeat(40) },
      });
      const stageMs = performance.now() - stageStart;
      await deleteAllReleases();
      return {
        ms: marks.upload - marks.partsStart,
        hashAndDraftMs: marks.draft - stageStart,
        verifyMs: marks.verify - marks.upload,
        stageMs,
        manifestDigest: staged.digest,
        modelSha256: staged.manifest.files.find((f) => f.size === size)?.sha256,
      };
    }

    const singles = [];
    const parts = [];
    for (let round = 0; round < rounds; round++) {
      if (round % 2 === 0) {
        singles.push(await singleStream(round));
        parts.push(await inParts(round));
      } else {
        parts.push(await inParts(round));
        singles.push(await singleStream(round));
      }
    }
    for (const single of singles)
      if (single.digest !== `sha256:${parts[0].modelSha256}`)
        throw new Error(
          `the stand-in's digest ${single.digest} is not the store's sha256:${parts[0].modelSha256}`,
        );

    const standinPeakRss = await new Promise((resolve) => {
      server.once("message", (m) => resolve(m.rss));
      server.send("rss");
    });
    const singleMs = median(singles.map((r) => r.ms));
    const partsMs = median(parts.map((r) => r.ms));
    const mibps = (ms) => size / MiB / (ms / 1000);
    return {
      sizeBytes: size,
      partSizeBytes: partSize,
      parts: Math.ceil(size / partSize),
      concurrency,
      rounds,
      sinkMs,
      sinkMiBps: mibps(sinkMs),
      /** Kept for bench/run.mjs: the loopback sink figure. */
      singleStreamMiBps: mibps(sinkMs),
      singleStreamStandinMs: singleMs,
      singleStreamStandinMiBps: mibps(singleMs),
      singleStreamStandinRoundsMs: singles.map((r) => r.ms),
      partsUploadMs: partsMs,
      partsMiBps: mibps(partsMs),
      partsRoundsMs: parts.map((r) => r.ms),
      /** Parts against one stream of the same bytes to the same stand-in endpoint: the cost of splitting. */
      throughputRatio: singleMs / partsMs,
      /** Parts against a sink that only reads: the transport's floor on loopback. */
      throughputRatioVsSink: sinkMs / partsMs,
      hashAndDraftMs: median(parts.map((r) => r.hashAndDraftMs)),
      verifyMs: median(parts.map((r) => r.verifyMs)),
      stageTotalMs: median(parts.map((r) => r.stageMs)),
      uploaderStartRssBytes: uploaderStartRss,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      standinStartRssBytes: standinStartRss,
      standinPeakRssBytes: standinPeakRss,
      manifestDigest: parts[0].manifestDigest,
    };
  } finally {
    server.send("stop");
    await exited;
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--child") {
  await child(process.argv[3]);
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await runReleaseUploadBench();
  const mib = (b) => `${(b / MiB).toFixed(0)} MiB`;
  console.log(JSON.stringify(r, null, 2));
  console.log(
    `${mib(r.sizeBytes)} in ${r.parts} part(s) ×${r.concurrency}: ${r.partsMiBps.toFixed(0)} MiB/s; ` +
      `one stream to the stand-in ${r.singleStreamStandinMiBps.toFixed(0)} MiB/s → ${(r.throughputRatio * 100).toFixed(0)}% (target ≥ 80%); ` +
      `loopback sink ${r.sinkMiBps.toFixed(0)} MiB/s → ${(r.throughputRatioVsSink * 100).toFixed(0)}%; ` +
      `peak RSS uploader ${mib(r.peakRssBytes)} (start ${mib(r.uploaderStartRssBytes)}), ` +
      `stand-in ${mib(r.standinPeakRssBytes)} (start ${mib(r.standinStartRssBytes)})`,
  );
}
