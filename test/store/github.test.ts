import { randomBytes } from "node:crypto";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createOctokit } from "../../src/github";
import * as tar from "tar";
import { digestFiles, sha256Bytes, sha256File } from "../../src/store/digest";
import { parseManifest, serializeManifest } from "../../src/store/manifest";
import { GitHubReleasesStore, type GitHubReleasesStoreOptions } from "../../src/github/release-store";
import type { StageRequest } from "../../src/store/types";
import { isUserError } from "../../src/util/errors";
import { silentLogger } from "../../src/util/logger";
import { useStandin } from "../standin";

const OWNER = "acme";
const REPO = "models";
const COMMIT = "a".repeat(40);

describe("GitHubReleasesStore against the stand-in", () => {
  const standin = useStandin();
  let dir: string;

  beforeEach(async () => {
    dir = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), "gitml-ghstore-")));
    standin.current.state.seedRepo({ owner: OWNER, name: REPO });
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  function store(options: Partial<GitHubReleasesStoreOptions> = {}): GitHubReleasesStore {
    const octokit = createOctokit({
      token: "ghs_test",
      baseUrl: standin.current.url,
      logger: silentLogger,
      retryAfterBaseValueMs: 1,
      paceWrites: false,
      serverErrorRetries: 5,
    });
    return new GitHubReleasesStore({
      octokit,
      token: "ghs_test",
      owner: OWNER,
      repo: REPO,
      logger: silentLogger,
      retryDelayMs: 1,
      workDir: dir,
      ...options,
    });
  }

  async function modelFiles(
    options: { modelBytes?: number; seed?: string } = {},
  ): Promise<StageRequest["files"]> {
    const src = path.join(dir, `src-${options.seed ?? "a"}`);
    await fs.mkdir(path.join(src, "model", "weights"), { recursive: true });
    await fs.writeFile(path.join(src, "model", "model.bin"), randomBytes(options.modelBytes ?? 5000));
    await fs.writeFile(path.join(src, "model", "weights", "layer.txt"), `layer ${options.seed ?? "a"}\n`);
    await fs.writeFile(path.join(src, "metrics.json"), JSON.stringify({ accuracy: 0.91, f1: 0.8 }));
    await fs.writeFile(path.join(src, "params.yaml"), "depth: 4\n");
    return [
      { source: path.join(src, "model", "model.bin"), path: "model/model.bin", role: "model" },
      {
        source: path.join(src, "model", "weights", "layer.txt"),
        path: "model/weights/layer.txt",
        role: "model",
      },
      { source: path.join(src, "metrics.json"), path: "metrics/metrics.json", role: "metrics" },
      { source: path.join(src, "params.yaml"), path: "params/params.yaml", role: "params" },
    ];
  }

  function releasesOf() {
    return [...standin.current.state.findRepo(OWNER, REPO)!.releases.values()];
  }
  function assetsOf() {
    return [...standin.current.state.findRepo(OWNER, REPO)!.assets.values()];
  }

  it("round-trips a version: draft, assets with content types, publish, verified fetch", async () => {
    const files = await modelFiles();
    const s = store();
    const staged = await s.stage({
      model: "churn",
      version: "v1.4.0",
      files,
      lineage: { commit: COMMIT, pr: 7 },
    });
    expect(releasesOf()).toHaveLength(1);
    expect(releasesOf()[0]!.draft).toBe(true);
    const names = assetsOf()
      .map((a) => a.name)
      .sort();
    expect(names).toEqual(["manifest.json", "metrics.json", "model-card.md", "model.tar.gz", "params.yaml"]);
    const types = Object.fromEntries(assetsOf().map((a) => [a.name, a.contentType]));
    expect(types["model.tar.gz"]).toBe("application/gzip");
    expect(types["manifest.json"]).toBe("application/json");
    expect(types["model-card.md"]).toMatch(/^text\/markdown/);
    const card = assetsOf()
      .find((a) => a.name === "model-card.md")!
      .data.toString("utf8");
    expect(card).toContain("| accuracy | 0.91 |");
    expect(card).toContain("Pull request: #7");

    await s.publish(staged);
    expect(releasesOf()[0]!.draft).toBe(false);
    expect(releasesOf()[0]!.body).toContain(staged.digest);
    expect(await s.list("churn")).toEqual([{ model: "churn", version: "v1.4.0", digest: staged.digest }]);

    const into = path.join(dir, "out");
    const fetched = await s.fetch({ model: "churn", version: "v1.4.0", digest: staged.digest, into });
    expect(fetched.digest).toBe(staged.digest);
    expect(fetched.files.map((f) => path.relative(into, f)).sort()).toEqual([
      "metrics.json",
      "model-card.md",
      "model/model.bin",
      "model/weights/layer.txt",
      "params.yaml",
    ]);
    expect((await sha256File(path.join(into, "model/model.bin"))).digest).toBe(
      (await sha256File(files[0]!.source)).digest,
    );

    const metricsOnly = await s.fetch({
      model: "churn",
      version: "v1.4.0",
      into: path.join(dir, "m"),
      roles: ["metrics"],
    });
    expect(metricsOnly.files.map((f) => path.basename(f))).toEqual(["metrics.json"]);
  });

  it("archives deterministically: the same files give the same model digest", async () => {
    const files = await modelFiles();
    const s = store();
    const first = await s.stage({ model: "churn", version: "v1.0.0", files, lineage: { commit: COMMIT } });
    // Touch the files: new mtimes must not change the archive.
    for (const f of files) await fs.utimes(f.source, new Date(), new Date(2001, 1, 1));
    const second = await s.stage({
      model: "churn",
      version: "v1.1.0",
      files,
      lineage: { commit: "b".repeat(40) },
    });
    const model = (m: typeof first.manifest) => m.files.find((f) => f.path === "model.tar.gz")!.sha256;
    expect(model(second.manifest)).toBe(model(first.manifest));
  });

  it("splits a large asset into parts, uploads them in parallel and reassembles them verified", async () => {
    const files = await modelFiles({ modelBytes: 300_000 });
    const s = store({ partSize: 64 * 1024, concurrency: 3 });
    const staged = await s.stage({ model: "churn", version: "v2.0.0", files, lineage: { commit: COMMIT } });
    const parts = assetsOf()
      .filter((a) => a.name.startsWith("model.tar.gz.part-"))
      .map((a) => a.name)
      .sort();
    expect(parts.length).toBeGreaterThanOrEqual(5);
    expect(parts[0]).toBe("model.tar.gz.part-001");
    expect(assetsOf().every((a) => a.data.length <= 64 * 1024)).toBe(true);
    await s.publish(staged);
    const into = path.join(dir, "out");
    await s.fetch({ model: "churn", version: "v2.0.0", digest: staged.digest, into });
    expect((await sha256File(path.join(into, "model/model.bin"))).digest).toBe(
      (await sha256File(files[0]!.source)).digest,
    );
    expect(await digestFiles([{ source: path.join(into, "model/model.bin"), path: "x" }])).toBe(
      await digestFiles([{ source: files[0]!.source, path: "x" }]),
    );
  });

  it("a re-run after a 502 that left an empty asset removes it and re-uploads; verified assets are skipped", async () => {
    const files = await modelFiles();
    const s = store({ uploadAttempts: 1 });
    standin.current.faults.add({
      operationId: "repos/upload-release-asset",
      status: 502,
      leaveEmptyAsset: true,
      times: 1,
    });
    await expect(
      s.stage({ model: "churn", version: "v1.0.0", files, lineage: { commit: COMMIT } }),
    ).rejects.toThrow();
    const broken = assetsOf().filter((a) => a.state === "open");
    expect(broken).toHaveLength(1);
    expect(broken[0]!.data.length).toBe(0);

    standin.current.resetCalls();
    const rerun = store();
    const staged = await rerun.stage({
      model: "churn",
      version: "v1.0.0",
      files,
      lineage: { commit: COMMIT },
    });
    expect(assetsOf().some((a) => a.state === "open")).toBe(false);
    expect(assetsOf().find((a) => a.id === broken[0]!.id)).toBeUndefined();
    expect(standin.current.calls.count("repos/delete-release-asset")).toBeGreaterThanOrEqual(1);
    // Assets uploaded intact the first time were not sent again (the manifest changes: a new createdAt).
    const uploadedFirstTime = 5 - 1 - 1; // five assets, minus the broken one, minus the manifest never reached
    expect(standin.current.calls.count("repos/upload-release-asset")).toBeLessThanOrEqual(
      5 - uploadedFirstTime,
    );
    expect(releasesOf()).toHaveLength(1);
    const names = assetsOf().map((a) => a.name);
    expect(new Set(names).size).toBe(names.length);
    await rerun.publish(staged);
    await rerun.fetch({
      model: "churn",
      version: "v1.0.0",
      digest: staged.digest,
      into: path.join(dir, "out"),
    });
  });

  it("an upload that fails once is retried within the run, removing what the failure left", async () => {
    const files = await modelFiles();
    standin.current.faults.add({
      operationId: "repos/upload-release-asset",
      status: 502,
      leaveEmptyAsset: true,
      times: 2,
    });
    const staged = await store().stage({
      model: "churn",
      version: "v1.0.0",
      files,
      lineage: { commit: COMMIT },
    });
    expect(assetsOf().every((a) => a.state === "uploaded")).toBe(true);
    expect(staged.manifest.files).toHaveLength(4);
  });

  it("refuses a download whose bytes do not match the manifest, and a manifest that does not match the tag", async () => {
    const files = await modelFiles();
    const s = store();
    const staged = await s.stage({ model: "churn", version: "v1.0.0", files, lineage: { commit: COMMIT } });
    await s.publish(staged);
    const metrics = assetsOf().find((a) => a.name === "metrics.json")!;
    metrics.data = Buffer.from(JSON.stringify({ accuracy: 0.99, f1: 0.8 }));
    const into = path.join(dir, "out");
    const refused = await s
      .fetch({ model: "churn", version: "v1.0.0", digest: staged.digest, into })
      .catch((e: unknown) => e);
    expect(isUserError(refused)).toBe(true);
    expect((refused as Error).message).toMatch(/metrics\.json.*failed verification.*refusing/);
    await expect(fs.access(path.join(into, "metrics.json"))).rejects.toThrow();

    const wrongDigest = `sha256:${"0".repeat(64)}` as const;
    const mismatch = await s
      .readManifest({ model: "churn", version: "v1.0.0", digest: wrongDigest })
      .catch((e: unknown) => e);
    expect(isUserError(mismatch)).toBe(true);
    expect((mismatch as Error).message).toMatch(/does not match the registry/);
  });

  it("a tampered asset leaves the files of an earlier good download as they were, and no temporary file", async () => {
    const files = await modelFiles();
    const s = store();
    const staged = await s.stage({ model: "churn", version: "v1.0.0", files, lineage: { commit: COMMIT } });
    await s.publish(staged);
    const into = path.join(dir, "out");
    await s.fetch({ model: "churn", version: "v1.0.0", digest: staged.digest, into });
    const before = new Map<string, Buffer>();
    for (const name of ["metrics.json", "model/model.bin", "params.yaml"])
      before.set(name, await fs.readFile(path.join(into, name)));

    assetsOf().find((a) => a.name === "params.yaml")!.data = Buffer.from("depth: 400\n");
    const refused = await s
      .fetch({ model: "churn", version: "v1.0.0", digest: staged.digest, into })
      .catch((e: unknown) => e);
    expect((refused as Error).message).toMatch(/params\.yaml.*failed verification/);
    for (const [name, bytes] of before)
      expect((await fs.readFile(path.join(into, name))).equals(bytes)).toBe(true);
    expect((await fs.readdir(into)).filter((n) => n.startsWith(".gitml-"))).toEqual([]);
  });

  it("an archive gitml refuses to unpack leaves no unpacked file behind", async () => {
    const files = await modelFiles();
    const s = store();
    const staged = await s.stage({ model: "churn", version: "v1.0.0", files, lineage: { commit: COMMIT } });
    await s.publish(staged);
    // The release's archive is replaced by one with a file and then a link out of the folder; the
    // manifest and the release's digest are updated to match, as someone who can write releases could.
    const craft = path.join(dir, "craft");
    await fs.mkdir(path.join(craft, "model"), { recursive: true });
    await fs.writeFile(path.join(craft, "model", "ok.bin"), "unpacked first");
    await fs.symlink("/etc/passwd", path.join(craft, "model", "zz-link"));
    const archive = path.join(dir, "evil.tar.gz");
    await tar.c({ gzip: true, file: archive, cwd: craft }, ["model/ok.bin", "model/zz-link"]);
    const bytes = await fs.readFile(archive);
    const modelAsset = assetsOf().find((a) => a.name === "model.tar.gz")!;
    modelAsset.data = bytes;
    const manifestAsset = assetsOf().find((a) => a.name === "manifest.json")!;
    const manifest = parseManifest(manifestAsset.data.toString("utf8"), "manifest.json");
    const entry = manifest.files.find((f) => f.path === "model.tar.gz")!;
    entry.sha256 = sha256Bytes(bytes).slice("sha256:".length);
    entry.size = bytes.length;
    const reserialized = serializeManifest(manifest);
    manifestAsset.data = Buffer.from(reserialized.bytes);
    const release = releasesOf()[0]!;
    release.body = (release.body ?? "").replace(staged.digest, reserialized.digest);

    const into = path.join(dir, "out");
    const refused = await s
      .fetch({ model: "churn", version: "v1.0.0", digest: reserialized.digest, into })
      .catch((e: unknown) => e);
    expect(isUserError(refused)).toBe(true);
    expect((refused as Error).message).toMatch(/will not unpack.*zz-link/);
    await expect(fs.access(path.join(into, "model", "ok.bin"))).rejects.toThrow();
    await expect(fs.access(into)).rejects.toThrow();
  });

  it("fetches a newer gitml's version whose manifest has a role this one does not know, verifying that file too", async () => {
    const files = await modelFiles();
    const s = store();
    const staged = await s.stage({ model: "churn", version: "v1.0.0", files, lineage: { commit: COMMIT } });
    await s.publish(staged);
    // The manifest as a newer gitml would write it: params.yaml under a role this gitml lacks.
    const manifestAsset = assetsOf().find((a) => a.name === "manifest.json")!;
    const newer = JSON.parse(manifestAsset.data.toString("utf8")) as {
      files: Array<{ path: string; role: string }>;
    };
    newer.files.find((f) => f.path === "params.yaml")!.role = "explanations";
    const bytes = `${JSON.stringify(newer, null, 2)}\n`;
    manifestAsset.data = Buffer.from(bytes);
    const digest = sha256Bytes(bytes);
    const release = releasesOf()[0]!;
    release.body = (release.body ?? "").replace(staged.digest, digest);

    const all = await s.fetch({ model: "churn", version: "v1.0.0", digest, into: path.join(dir, "all") });
    expect(all.manifest.files.find((f) => f.path === "params.yaml")?.role).toBe("explanations");
    expect(await fs.readFile(path.join(dir, "all", "params.yaml"), "utf8")).toBe("depth: 4\n");
    const metricsOnly = await s.fetch({
      model: "churn",
      version: "v1.0.0",
      digest,
      into: path.join(dir, "metrics"),
      roles: ["metrics"],
    });
    expect(metricsOnly.files.map((f) => path.basename(f))).toEqual(["metrics.json"]);
    // Its bytes are checked like any file's.
    assetsOf().find((a) => a.name === "params.yaml")!.data = Buffer.from("depth: 40\n");
    await expect(
      s.fetch({ model: "churn", version: "v1.0.0", digest, into: path.join(dir, "again") }),
    ).rejects.toThrow(/params\.yaml.*failed verification/);
  });

  it("with 20% of requests failing it completes without duplicate assets or releases", async () => {
    const files = await modelFiles({ modelBytes: 200_000 });
    standin.current.faults.add({ status: 502, probability: 0.2 });
    standin.current.faults.add({
      operationId: "repos/create-release",
      status: 502,
      phase: "after",
      times: 1,
    });
    const s = store({ partSize: 50_000, uploadAttempts: 8 });
    let staged;
    for (let run = 1; ; run++) {
      try {
        staged = await s.stage({ model: "churn", version: "v1.0.0", files, lineage: { commit: COMMIT } });
        await s.publish(staged);
        break;
      } catch (error) {
        // A whole run may still fail under this much noise; a re-run must then finish the job.
        if (run >= 5) throw error;
      }
    }
    standin.current.faults.clear();
    expect(releasesOf()).toHaveLength(1);
    expect(releasesOf()[0]!.draft).toBe(false);
    const names = assetsOf().map((a) => a.name);
    expect(new Set(names).size).toBe(names.length);
    expect(assetsOf().every((a) => a.state === "uploaded")).toBe(true);
    const into = path.join(dir, "out");
    await s.fetch({ model: "churn", version: "v1.0.0", digest: staged.digest, into });
    expect((await sha256File(path.join(into, "model/model.bin"))).digest).toBe(
      (await sha256File(files[0]!.source)).digest,
    );
  });

  it("discard deletes the draft; orphan drafts of a registered commit are removed", async () => {
    const files = await modelFiles();
    const s = store();
    const lost = await s.stage({ model: "churn", version: "v1.0.0", files, lineage: { commit: COMMIT } });
    const other = await s.stage({
      model: "churn",
      version: "v1.1.0",
      files,
      lineage: { commit: "c".repeat(40) },
    });
    await s.discard(other);
    expect(releasesOf().map((r) => r.tagName)).toEqual(["churn@v1.0.0"]);
    // COMMIT ended up registered as v1.2.0 (it lost v1.0.0 in a race and crashed before discarding).
    const winner = await s.stage({ model: "churn", version: "v1.2.0", files, lineage: { commit: COMMIT } });
    await s.publish(winner);
    const removed = await s.removeOrphanDrafts({ model: "churn", registered: new Map([["v1.2.0", COMMIT]]) });
    expect(removed).toHaveLength(1);
    expect(releasesOf().map((r) => [r.tagName, r.draft])).toEqual([["churn@v1.2.0", false]]);
    expect(lost.version).toBe("v1.0.0");
  });
});
