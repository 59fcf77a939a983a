import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { pipeline } from "node:stream/promises";
import { Transform } from "node:stream";
import { UserError } from "../util/errors";
import { digestHex, isDigest, sha256Bytes, sha256File, type Digest } from "./digest";
import { isFileRole, parseManifest, serializeManifest, type Manifest } from "./manifest";
import { exists, writeFileAtomic } from "../util/fs";
import { IncomingFiles } from "./incoming";
import type {
  ArtifactStore,
  FetchRequest,
  StageRequest,
  StagedVersion,
  StoredVersion,
  VersionRef,
} from "./types";

/**
 * A folder as the artifact store, content-addressed:
 *   blobs/sha256/<hex>             every file, immutable, deduplicated across versions
 *   manifests/sha256/<hex>.json    every manifest, by the digest the registry tag records
 *   versions/<model>/<version>     the digest of a published version's manifest (an index, for listing)
 * Nothing is ever overwritten in place, so concurrent registrations cannot clobber each other.
 */
export class LocalStore implements ArtifactStore {
  readonly kind = "local" as const;

  constructor(readonly root: string) {}

  private blobPath(hex: string): string {
    return path.join(this.root, "blobs", "sha256", hex);
  }
  private manifestPath(digest: Digest): string {
    return path.join(this.root, "manifests", "sha256", `${digestHex(digest)}.json`);
  }
  private indexPath(ref: VersionRef): string {
    return path.join(this.root, "versions", encodeURIComponent(ref.model), encodeURIComponent(ref.version));
  }

  async stage(request: StageRequest): Promise<StagedVersion> {
    const files: Manifest["files"] = [];
    const seen = new Set<string>();
    for (const input of request.files) {
      if (seen.has(input.path)) throw new Error(`two artifacts would be stored at '${input.path}'`);
      seen.add(input.path);
      const { digest, size } = await this.putBlob(input.source);
      files.push({ path: input.path, role: input.role, size, sha256: digestHex(digest) });
    }
    const manifest: Manifest = {
      schema: "gitml.manifest/v1",
      model: request.model,
      version: request.version,
      createdAt: new Date().toISOString(),
      files,
      lineage: request.lineage,
    };
    const { bytes, digest } = serializeManifest(manifest);
    await writeFileAtomic(this.manifestPath(digest), bytes);
    // Verify what was written, so registration never tags a version whose files did not land intact.
    await this.readManifest({ model: request.model, version: request.version, digest });
    for (const file of files) await this.verifyBlob(file.sha256, file.size, file.path);
    return { model: request.model, version: request.version, manifest, digest };
  }

  async publish(staged: StagedVersion): Promise<void> {
    await writeFileAtomic(this.indexPath(staged), `${staged.digest}\n`);
  }

  async discard(staged: StagedVersion): Promise<void> {
    // Blobs may be shared with other versions and are left for them; only the manifest goes.
    const published = await this.indexedDigest(staged).catch(() => undefined);
    if (published !== staged.digest) await fs.rm(this.manifestPath(staged.digest), { force: true });
  }

  async readManifest(ref: VersionRef & { digest?: Digest }): Promise<{ manifest: Manifest; digest: Digest }> {
    const digest = ref.digest ?? (await this.indexedDigest(ref));
    const file = this.manifestPath(digest);
    let bytes: string;
    try {
      bytes = await fs.readFile(file, "utf8");
    } catch {
      throw new UserError(
        `no manifest ${digest} for ${ref.model}@${ref.version} in the store at ${this.root}`,
      );
    }
    const actual = sha256Bytes(bytes);
    if (actual !== digest) {
      throw new UserError(
        `manifest of ${ref.model}@${ref.version} is corrupted: expected ${digest}, found ${actual}`,
        {
          where: file,
        },
      );
    }
    const manifest = parseManifest(bytes, file);
    if (manifest.model !== ref.model || manifest.version !== ref.version) {
      throw new UserError(
        `manifest ${digest} describes ${manifest.model}@${manifest.version}, not ${ref.model}@${ref.version}`,
        { where: file },
      );
    }
    return { manifest, digest };
  }

  async fetch(request: FetchRequest): Promise<{ manifest: Manifest; digest: Digest; files: string[] }> {
    const { manifest, digest } = await this.readManifest(request);
    // Every file is copied to a temporary name and verified before any of them replaces what is there.
    const files = await IncomingFiles.into(request.into, async (incoming) => {
      for (const file of manifest.files) {
        // A role this gitml does not know (a newer one wrote it) is never asked for by name.
        if (request.roles && !(isFileRole(file.role) && request.roles.includes(file.role))) continue;
        const temp = incoming.tempFile();
        const source = this.blobPath(file.sha256);
        const hash = createHash("sha256");
        let size = 0;
        try {
          await pipeline(
            createReadStream(source),
            new Transform({
              transform(chunk: Buffer, _encoding, callback) {
                hash.update(chunk);
                size += chunk.length;
                callback(null, chunk);
              },
            }),
            createWriteStream(temp),
          );
        } catch {
          throw new UserError(
            `artifact '${file.path}' of ${request.model}@${request.version} is missing from the store`,
            {
              where: source,
            },
          );
        }
        const actual = hash.digest("hex");
        if (actual !== file.sha256 || size !== file.size) {
          throw new UserError(
            `artifact '${file.path}' of ${request.model}@${request.version} failed verification: expected sha256 ${file.sha256} (${file.size} bytes), got ${actual} (${size} bytes); refusing to use it`,
            { where: source },
          );
        }
        incoming.accept(temp, file.path);
      }
    });
    return { manifest, digest, files };
  }

  async list(model?: string): Promise<StoredVersion[]> {
    const versionsDir = path.join(this.root, "versions");
    const models = model ? [encodeURIComponent(model)] : await readdirOrEmpty(versionsDir);
    const out: StoredVersion[] = [];
    for (const encodedModel of models) {
      for (const encodedVersion of await readdirOrEmpty(path.join(versionsDir, encodedModel))) {
        const ref = { model: decodeURIComponent(encodedModel), version: decodeURIComponent(encodedVersion) };
        out.push({ ...ref, digest: await this.indexedDigest(ref) });
      }
    }
    return out;
  }

  async remove(ref: VersionRef): Promise<void> {
    const digest = await this.indexedDigest(ref).catch(() => undefined);
    await fs.rm(this.indexPath(ref), { force: true });
    if (digest) await fs.rm(this.manifestPath(digest), { force: true });
  }

  private async indexedDigest(ref: VersionRef): Promise<Digest> {
    let text: string;
    try {
      text = (await fs.readFile(this.indexPath(ref), "utf8")).trim();
    } catch {
      throw new UserError(`${ref.model}@${ref.version} has no artifacts in the store at ${this.root}`);
    }
    if (!isDigest(text)) {
      throw new UserError(`the store's index entry is corrupted (expected sha256:<hex>)`, {
        where: this.indexPath(ref),
      });
    }
    return text;
  }

  private async putBlob(source: string): Promise<{ digest: Digest; size: number }> {
    let measured: { digest: Digest; size: number };
    try {
      measured = await sha256File(source);
    } catch {
      throw new UserError(`cannot read the artifact file`, { where: source });
    }
    const target = this.blobPath(digestHex(measured.digest));
    if (!(await exists(target))) {
      await fs.mkdir(path.dirname(target), { recursive: true });
      const temporary = `${target}.${randomBytes(6).toString("hex")}.tmp`;
      await fs.copyFile(source, temporary);
      await fs.rename(temporary, target);
    }
    return measured;
  }

  private async verifyBlob(hex: string, size: number, logicalPath: string): Promise<void> {
    const { digest, size: actualSize } = await sha256File(this.blobPath(hex));
    if (digestHex(digest) !== hex || actualSize !== size) {
      // A corrupt blob under a content address would poison every version that shares it: remove it.
      await fs.rm(this.blobPath(hex), { force: true });
      throw new UserError(`stored copy of '${logicalPath}' failed verification; it was removed, retry`);
    }
  }
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  return fs.readdir(dir).catch(() => []);
}
