/** Release assets are streamed to disk by the stand-in: uploads hash as they go, downloads stream the file. */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import * as fs from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { pipeline } from "node:stream/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Standin, startStandin } from "./index";

const AUTH = { authorization: "token ghs_standin", accept: "application/vnd.github+json" };
const MiB = 1024 * 1024;

/** Pseudo-random bytes (xorshift), so that any mix-up of offsets shows in the digest. */
function bytesOf(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** POSTs a file as one streamed body, as the store's uploader does. */
function postFile(url: string, file: string, size: number): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        headers: { ...AUTH, "content-type": "application/octet-stream", "content-length": String(size) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({ status: res.statusCode ?? 0, json: text ? (JSON.parse(text) as unknown) : undefined });
        });
      },
    );
    req.on("error", reject);
    pipeline(createReadStream(file), req).catch(reject);
  });
}

describe("stand-in release assets on disk", () => {
  let s: Standin;
  let work: string;
  let uploadBase: string;
  let releaseId: number;

  beforeEach(async () => {
    s = await startStandin();
    work = await fs.mkdtemp(path.join(tmpdir(), "gitml-standin-assets-test-"));
    s.state.seedRepo({ owner: "acme", name: "models" });
    const created = (await fetch(`${s.url}/repos/acme/models/releases`, {
      method: "POST",
      headers: { ...AUTH, "content-type": "application/json" },
      body: JSON.stringify({ tag_name: "v1", draft: true }),
    }).then((r) => r.json())) as { id: number; upload_url: string };
    releaseId = created.id;
    uploadBase = created.upload_url.replace(/\{.*$/, "");
  });

  afterEach(async () => {
    try {
      s.assertNoViolations();
    } finally {
      await s.close();
      await fs.rm(work, { recursive: true, force: true });
    }
  });

  function assets() {
    return [...s.state.findRepo("acme", "models")!.assets.values()];
  }

  async function upload(name: string, bytes: Buffer) {
    const file = path.join(work, name);
    await fs.writeFile(file, bytes);
    return postFile(`${uploadBase}?name=${encodeURIComponent(name)}`, file, bytes.length);
  }

  it("keeps an upload as a file with its size and sha256, reports the digest, and streams it back", async () => {
    const bytes = bytesOf(3 * MiB + 17, 7);
    const { status, json } = await upload("model.bin", bytes);
    expect(status).toBe(201);
    expect(json).toMatchObject({ size: bytes.length, digest: `sha256:${sha256(bytes)}`, state: "uploaded" });

    const [asset] = assets();
    expect(asset!.size).toBe(bytes.length);
    expect(asset!.sha256).toBe(sha256(bytes));
    expect(path.dirname(asset!.path)).not.toBe(work);
    expect((await fs.readFile(asset!.path)).equals(bytes)).toBe(true);
    // No copy of the bytes in the record: `data` reads the file on demand.
    const fields = Object.values(Object.getOwnPropertyDescriptors(asset!));
    expect(fields.some((d) => Buffer.isBuffer(d.value))).toBe(false);
    expect(typeof Object.getOwnPropertyDescriptor(asset!, "data")?.get).toBe("function");
    expect(asset!.data.equals(bytes)).toBe(true);

    const viaApi = await fetch(`${s.url}/repos/acme/models/releases/assets/${asset!.id}`, {
      headers: { ...AUTH, accept: "application/octet-stream" },
    });
    expect(viaApi.status).toBe(200);
    expect(viaApi.headers.get("content-length")).toBe(String(bytes.length));
    expect(sha256(Buffer.from(await viaApi.arrayBuffer()))).toBe(sha256(bytes));
  });

  it("assigning `data` rewrites the file, the size and the reported digest", async () => {
    await upload("metrics.json", Buffer.from('{"accuracy":0.9}'));
    const [asset] = assets();
    const tampered = Buffer.from('{"accuracy":0.99,"f1":0.8}');
    asset!.data = tampered;
    expect(await fs.readFile(asset!.path, "utf8")).toBe(tampered.toString());
    const json = (await fetch(`${s.url}/repos/acme/models/releases/assets/${asset!.id}`, {
      headers: AUTH,
    }).then((r) => r.json())) as { size: number; digest: string };
    expect(json).toMatchObject({ size: tampered.length, digest: `sha256:${sha256(tampered)}` });
  });

  it("leaves no file behind for a refused upload, and deleting assets or the release removes theirs", async () => {
    await upload("a.bin", bytesOf(1000, 1));
    await upload("b.bin", bytesOf(2000, 2));
    const folder = path.dirname(assets()[0]!.path);
    expect((await fs.readdir(folder)).sort()).toHaveLength(2);

    const duplicate = await upload("a.bin", bytesOf(500, 3));
    expect(duplicate.status).toBe(422);
    expect(await fs.readdir(folder)).toHaveLength(2);

    s.faults.add({ operationId: "repos/upload-release-asset", status: 503, times: 1 });
    expect((await upload("c.bin", bytesOf(10, 4))).status).toBe(503);
    expect(await fs.readdir(folder)).toHaveLength(2);

    const [a, b] = assets();
    const deleted = await fetch(`${s.url}/repos/acme/models/releases/assets/${a!.id}`, {
      method: "DELETE",
      headers: AUTH,
    });
    expect(deleted.status).toBe(204);
    await expect(fs.access(a!.path)).rejects.toThrow();
    await fetch(`${s.url}/repos/acme/models/releases/${releaseId}`, { method: "DELETE", headers: AUTH });
    await expect(fs.access(b!.path)).rejects.toThrow();
    expect(await fs.readdir(folder)).toHaveLength(0);
  });

  it("a 502 that leaves an empty asset keeps an empty file, reported open with no digest", async () => {
    s.faults.add({ operationId: "repos/upload-release-asset", status: 502, times: 1, leaveEmptyAsset: true });
    expect((await upload("m.bin", bytesOf(4096, 5))).status).toBe(502);
    const [asset] = assets();
    expect(asset).toMatchObject({ state: "open", size: 0 });
    expect((await fs.stat(asset!.path)).size).toBe(0);
    const json = (await fetch(`${s.url}/repos/acme/models/releases/assets/${asset!.id}`, {
      headers: AUTH,
    }).then((r) => r.json())) as { size: number; digest: string | null };
    expect(json).toMatchObject({ size: 0, digest: null });
  });

  it("close() removes the stand-in's asset folder", async () => {
    await upload("x.bin", bytesOf(100, 6));
    const folder = path.dirname(assets()[0]!.path);
    await s.close();
    await expect(fs.access(folder)).rejects.toThrow();
    s = await startStandin(); // afterEach closes a live one
  });

  it("an upload much larger than the stream's buffers does not grow memory by its size", async () => {
    const size = 256 * MiB;
    const file = path.join(work, "big.bin");
    const block = bytesOf(MiB, 9);
    await pipeline(
      (function* () {
        for (let i = 0; i < size / MiB; i++) yield block;
      })(),
      createWriteStream(file),
    );
    const before = process.memoryUsage().arrayBuffers;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    }, 5);
    try {
      const { status, json } = await postFile(`${uploadBase}?name=big.bin`, file, size);
      expect(status).toBe(201);
      expect(json).toMatchObject({ size });
    } finally {
      clearInterval(sampler);
    }
    // Holding the body in one Buffer would add its full 256 MiB; streaming keeps chunks short-lived.
    expect(peak - before).toBeLessThan(size / 2);
    expect(assets()[0]!.size).toBe(size);
  }, 60_000);
});
