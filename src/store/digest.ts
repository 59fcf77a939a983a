import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

export type Digest = `sha256:${string}`;

export function sha256Bytes(data: string | Uint8Array): Digest {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

/** Streams the file, so memory stays flat for multi-GiB models. */
export async function sha256File(path: string): Promise<{ digest: Digest; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { digest: `sha256:${hash.digest("hex")}`, size };
}

export function isDigest(value: string): value is Digest {
  return /^sha256:[0-9a-f]{64}$/.test(value);
}

export function digestHex(digest: Digest): string {
  return digest.slice("sha256:".length);
}

/**
 * One digest for a set of files: sha256 of `sha256sum`-style lines (`<hex>  <path>`) sorted by path, so
 * it changes when any file's bytes or name change, and not with the order files were listed in.
 */
export async function digestFiles(files: ReadonlyArray<{ source: string; path: string }>): Promise<Digest> {
  const lines: string[] = [];
  for (const file of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    lines.push(`${digestHex((await sha256File(file.source)).digest)}  ${file.path}\n`);
  }
  return sha256Bytes(lines.join(""));
}
