// A large model through the GitHub Releases store in parts, against the REST stand-in on loopback:
// the parallel part upload's throughput as a share of ONE single-stream upload of the same bytes to a
// loopback sink in the same run (target ≥ 80%), and this process's peak RSS (target: flat, streamed).
//
//   node bench/release-upload.mjs [--size 5GiB] [--part-size 2047MiB] [--concurrency 4]
//
// The stand-in (which keeps every uploaded byte in memory) runs in a child process, so the RSS measured
// here is the uploader's alone. The big file is stored as a plain asset (no gzip), so what is timed is
// the upload path; the store's hashing pass and GitHub-side verification are reported separately.
import { build } from "esbuild";
import { fork } from "node:child_process";
import { createReadStream, createWriteStream, mkdirSync, rmSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { root } from "./lib.mjs";

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
    store: `export { GitHubReleasesStore } from "${join(root, "src/store/github.ts")}";
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
  process.send({ url: standin.url, sink: `http://127.0.0.1:${sink.address().port}/upload` });
  process.on("message", (message) => {
    if (message === "rss") process.send({ rss: process.resourceUsage().maxRSS * 1024 });
    if (message === "stop") process.exit(0);
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
          const json = JSON.parse(body);
          resolve(json.bytes ?? json.size);
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
  const outdir = await bundle();
  const { GitHubReleasesStore, createOctokit } = await import(join(outdir, "store.mjs"));
  const server = fork(fileURLToPath(import.meta.url), ["--child", outdir], { stdio: "inherit" });
  const { url, sink } = await new Promise((resolve) => server.once("message", resolve));
  const work = await mkdtemp(join(tmpdir(), "gitml-bench-release-"));
  try {
    const file = join(work, "model.bin");
    await writeModel(file, size);

    const singleStart = performance.now();
    const received = await singleStreamUpload(sink, file, size);
    const singleMs = performance.now() - singleStart;
    if (received !== size) throw new Error(`sink received ${received} of ${size} bytes`);

    // The same bytes as ONE asset through the stand-in's upload endpoint: the same server-side work
    // (buffering, sha256) as the parts, in one stream. The stand-in holds an asset in one Buffer, so this
    // baseline exists only below Node's 4 GiB Buffer limit.
    let singleStandinMs = null;
    if (size < 4 * GiB - MiB) {
      const auth = { authorization: "token bench", accept: "application/vnd.github+json" };
      const created = await fetch(`${url}/repos/acme/models/releases`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ tag_name: "baseline", draft: true }),
      }).then((r) => r.json());
      const target = `${created.upload_url.replace(/\{.*$/, "")}?name=single-stream.bin`;
      const start = performance.now();
      const stored = await singleStreamUpload(target, file, size, auth);
      singleStandinMs = performance.now() - start;
      if (stored !== size) throw new Error(`stand-in stored ${stored} of ${size} bytes`);
      await fetch(`${url}/repos/acme/models/releases/${created.id}`, { method: "DELETE", headers: auth });
    }

    const logger = {
      debug() {},
      info() {},
      warning: (m) => console.error(`warning: ${m}`),
      error: (m) => console.error(m),
    };
    const octokit = createOctokit({ token: "bench", baseUrl: url, logger, paceWrites: false });
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
      },
    });
    const stageStart = performance.now();
    const staged = await store.stage({
      model: "big",
      version: "v1.0.0",
      files: [{ source: file, path: "weights/model.bin", role: "other" }],
      lineage: { commit: "b".repeat(40) },
    });
    const stageMs = performance.now() - stageStart;
    const partsMs = marks.upload - marks.draft;
    const parts = Math.ceil(size / partSize);
    const childRss = await new Promise((resolve) => {
      server.once("message", (m) => resolve(m.rss));
      server.send("rss");
    });
    const result = {
      sizeBytes: size,
      partSizeBytes: partSize,
      parts,
      concurrency,
      singleStreamMs: singleMs,
      singleStreamMiBps: size / MiB / (singleMs / 1000),
      partsUploadMs: partsMs,
      partsMiBps: size / MiB / (partsMs / 1000),
      /** Against a sink that only reads: the transport's floor on loopback. */
      throughputRatioVsSink: singleMs / partsMs,
      singleStreamStandinMs: singleStandinMs,
      singleStreamStandinMiBps: singleStandinMs === null ? null : size / MiB / (singleStandinMs / 1000),
      /** Against one stream of the same bytes to the same stand-in endpoint: the cost of splitting. */
      throughputRatio: singleStandinMs === null ? null : singleStandinMs / partsMs,
      hashAndDraftMs: marks.draft - stageStart,
      verifyMs: marks.verify - marks.upload,
      stageTotalMs: stageMs,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      standinPeakRssBytes: childRss,
      manifestDigest: staged.digest,
    };
    return result;
  } finally {
    server.send("stop");
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--child") {
  await child(process.argv[3]);
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await runReleaseUploadBench();
  const mib = (b) => `${(b / MiB).toFixed(0)} MiB`;
  console.log(JSON.stringify(r, null, 2));
  const vsStandin =
    r.throughputRatio === null
      ? "single stream to the stand-in: n/a above 4 GiB"
      : `single stream to the stand-in ${r.singleStreamStandinMiBps.toFixed(0)} MiB/s → ${(r.throughputRatio * 100).toFixed(0)}% (target ≥ 80%)`;
  console.log(
    `${mib(r.sizeBytes)} in ${r.parts} part(s) ×${r.concurrency}: ${r.partsMiBps.toFixed(0)} MiB/s; ${vsStandin}; raw loopback sink ${r.singleStreamMiBps.toFixed(0)} MiB/s → ${(r.throughputRatioVsSink * 100).toFixed(0)}%; uploader peak RSS ${mib(r.peakRssBytes)}`,
  );
}
