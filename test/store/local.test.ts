import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sha256Bytes } from "../../src/store/digest";
import { LocalStore } from "../../src/store/local";
import { serializeManifest, type Manifest } from "../../src/store/manifest";
import { tempDir } from "../helpers/repo";

const commit = "a".repeat(40);
let dir: string;
let store: LocalStore;

beforeEach(async () => {
  dir = await tempDir("gitml-store-");
  store = new LocalStore(path.join(dir, "store"));
  await fs.mkdir(path.join(dir, "src", "model"), { recursive: true });
  await fs.writeFile(path.join(dir, "src", "model", "weights.bin"), Buffer.alloc(100_000, 7));
  await fs.writeFile(path.join(dir, "src", "metrics.json"), '{"accuracy": 0.9}\n');
});
afterEach(() => fs.rm(dir, { recursive: true, force: true }));

async function stageV1() {
  return store.stage({
    model: "churn",
    version: "v1.0.0",
    lineage: { commit },
    files: [
      { source: path.join(dir, "src", "model", "weights.bin"), path: "model/weights.bin", role: "model" },
      { source: path.join(dir, "src", "metrics.json"), path: "metrics/metrics.json", role: "metrics" },
    ],
  });
}

describe("LocalStore", () => {
  it("stages, publishes and fetches a version with every file verified", async () => {
    const staged = await stageV1();
    expect(staged.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(staged.manifest.files.map((f) => [f.path, f.size])).toEqual([
      ["model/weights.bin", 100_000],
      ["metrics/metrics.json", 18],
    ]);
    await store.publish(staged);
    expect(await store.list("churn")).toEqual([{ model: "churn", version: "v1.0.0", digest: staged.digest }]);

    const out = path.join(dir, "out");
    const fetched = await store.fetch({
      model: "churn",
      version: "v1.0.0",
      digest: staged.digest,
      into: out,
    });
    expect(fetched.files).toHaveLength(2);
    expect(await fs.readFile(path.join(out, "metrics", "metrics.json"), "utf8")).toBe('{"accuracy": 0.9}\n');
    expect((await fs.readFile(path.join(out, "model", "weights.bin"))).equals(Buffer.alloc(100_000, 7))).toBe(
      true,
    );
  });

  it("refuses a download whose blob was altered, and leaves no unverified file behind", async () => {
    const staged = await stageV1();
    await store.publish(staged);
    const weights = staged.manifest.files.find((f) => f.path === "model/weights.bin")!;
    await fs.writeFile(path.join(store.root, "blobs", "sha256", weights.sha256), Buffer.alloc(100_000, 8));
    const out = path.join(dir, "out");
    await expect(store.fetch({ model: "churn", version: "v1.0.0", into: out })).rejects.toMatchObject({
      name: "UserError",
      message: expect.stringMatching(/model\/weights\.bin.*failed verification/),
    });
    await expect(fs.access(path.join(out, "model", "weights.bin"))).rejects.toThrow();
  });

  it("a tampered blob leaves the good files of an earlier download as they were", async () => {
    const staged = await stageV1();
    await store.publish(staged);
    const out = path.join(dir, "out");
    await store.fetch({ model: "churn", version: "v1.0.0", into: out });
    const weights = staged.manifest.files.find((f) => f.path === "model/weights.bin")!;
    await fs.writeFile(path.join(store.root, "blobs", "sha256", weights.sha256), Buffer.alloc(100_000, 8));
    await expect(store.fetch({ model: "churn", version: "v1.0.0", into: out })).rejects.toMatchObject({
      name: "UserError",
    });
    expect((await fs.readFile(path.join(out, "model", "weights.bin"))).equals(Buffer.alloc(100_000, 7))).toBe(
      true,
    );
    expect(await fs.readFile(path.join(out, "metrics", "metrics.json"), "utf8")).toBe('{"accuracy": 0.9}\n');
    expect((await fs.readdir(out)).sort()).toEqual(["metrics", "model"]);
  });

  it("reads a newer gitml's manifest with a role it does not know: keeps the file, verifies it, asks for it by no role", async () => {
    const staged = await stageV1();
    // What a newer gitml writes: a role this one lacks, its bytes in the store like any file's.
    const explanations = Buffer.from("shap values\n");
    const explanationsDigest = sha256Bytes(explanations);
    await fs.writeFile(path.join(store.root, "blobs", "sha256", explanationsDigest.slice(7)), explanations);
    const newer = {
      ...staged.manifest,
      files: [
        ...staged.manifest.files,
        {
          path: "explain/shap.bin",
          role: "explanations",
          size: explanations.length,
          sha256: explanationsDigest.slice(7),
        },
      ],
    };
    const bytes = `${JSON.stringify(newer, null, 2)}\n`;
    const digest = sha256Bytes(bytes);
    await fs.writeFile(path.join(store.root, "manifests", "sha256", `${digest.slice(7)}.json`), bytes);

    const { manifest } = await store.readManifest({ model: "churn", version: "v1.0.0", digest });
    expect(manifest.files.map((f) => [f.path, f.role])).toContainEqual(["explain/shap.bin", "explanations"]);
    const out = path.join(dir, "out");
    const all = await store.fetch({ model: "churn", version: "v1.0.0", digest, into: out });
    expect(all.files).toHaveLength(3);
    expect(await fs.readFile(path.join(out, "explain", "shap.bin"), "utf8")).toBe("shap values\n");
    // Asked for by role, it is never among the known ones.
    const cards = await store.fetch({
      model: "churn",
      version: "v1.0.0",
      digest,
      into: path.join(dir, "models-only"),
      roles: ["model"],
    });
    expect(cards.files.map((f) => path.relative(path.join(dir, "models-only"), f))).toEqual([
      path.join("model", "weights.bin"),
    ]);
    // Its bytes are verified like any file's.
    await fs.writeFile(path.join(store.root, "blobs", "sha256", explanationsDigest.slice(7)), "tampered\n");
    await expect(
      store.fetch({ model: "churn", version: "v1.0.0", digest, into: path.join(dir, "again") }),
    ).rejects.toThrow(/explain\/shap\.bin.*failed verification/);
    // A role name is still a name: nothing else passes.
    const hostile = `${JSON.stringify({ ...newer, files: [{ ...newer.files[2]!, role: "../x y" }] }, null, 2)}\n`;
    const hostileDigest = sha256Bytes(hostile);
    await fs.writeFile(
      path.join(store.root, "manifests", "sha256", `${hostileDigest.slice(7)}.json`),
      hostile,
    );
    await expect(
      store.readManifest({ model: "churn", version: "v1.0.0", digest: hostileDigest }),
    ).rejects.toThrow(/files\.0\.role: must be a role name/);
  });

  it("writes only the roles it knows", () => {
    const manifest = {
      schema: "gitml.manifest/v1",
      model: "churn",
      version: "v1.0.0",
      createdAt: "2026-01-01T00:00:00.000Z",
      files: [{ path: "x.bin", role: "explanations", size: 1, sha256: "0".repeat(64) }],
      lineage: { commit },
    } satisfies Manifest;
    expect(() => serializeManifest(manifest)).toThrow(/may not be written with role 'explanations'/);
    expect(
      serializeManifest({ ...manifest, files: [{ ...manifest.files[0], role: "importances" }] }).digest,
    ).toMatch(/^sha256:/);
  });

  it("refuses a manifest that does not match the digest the tag recorded", async () => {
    const staged = await stageV1();
    const other = sha256Bytes("something else");
    await expect(store.readManifest({ model: "churn", version: "v1.0.0", digest: other })).rejects.toThrow(
      /no manifest/,
    );
    const manifestFile = path.join(store.root, "manifests", "sha256", `${staged.digest.slice(7)}.json`);
    await fs.appendFile(manifestFile, " ");
    await expect(
      store.readManifest({ model: "churn", version: "v1.0.0", digest: staged.digest }),
    ).rejects.toThrow(/corrupted/);
  });

  it("rejects a manifest whose paths would escape the download folder", async () => {
    const evil: Manifest = {
      schema: "gitml.manifest/v1",
      model: "churn",
      version: "v6.6.6",
      createdAt: new Date(0).toISOString(),
      files: [{ path: "../../etc/passwd", role: "model", size: 1, sha256: "0".repeat(64) }],
      lineage: { commit },
    };
    const { bytes, digest } = serializeManifest(evil);
    const file = path.join(store.root, "manifests", "sha256", `${digest.slice(7)}.json`);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, bytes);
    await expect(
      store.fetch({ model: "churn", version: "v6.6.6", digest, into: path.join(dir, "out") }),
    ).rejects.toThrow(/must be a relative path/);
  });

  it("discards a staged version that never got its tag, keeping blobs other versions share", async () => {
    const kept = await stageV1();
    await store.publish(kept);
    const abandoned = await store.stage({
      ...kept,
      version: "v1.1.0",
      lineage: { commit },
      files: [
        { source: path.join(dir, "src", "metrics.json"), path: "metrics/metrics.json", role: "metrics" },
      ],
    });
    await store.discard(abandoned);
    await expect(
      store.readManifest({ model: "churn", version: "v1.1.0", digest: abandoned.digest }),
    ).rejects.toThrow();
    await expect(
      store.fetch({ model: "churn", version: "v1.0.0", into: path.join(dir, "out") }),
    ).resolves.toBeTruthy();
  });

  it("names the missing file when an artifact source does not exist", async () => {
    await expect(
      store.stage({
        model: "m",
        version: "v1.0.0",
        lineage: { commit },
        files: [{ source: path.join(dir, "nope.bin"), path: "model/nope.bin", role: "model" }],
      }),
    ).rejects.toMatchObject({ name: "UserError", where: path.join(dir, "nope.bin") });
  });
});
