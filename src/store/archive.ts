import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import * as tar from "tar";
import { UserError } from "../util/errors";
import type { Digest } from "./digest";

export interface ArchiveEntry {
  /** The file on disk. */
  source: string;
  /** Its POSIX path inside the archive. */
  path: string;
}

const BLOCK = 512;
// Everything that varies between two checkouts of the same bytes is fixed, so the archive of the same
// files always has the same digest: entries sorted by path, mtime 0, root-owned, mode 0644.
const FIXED_MODE = 0o644;
const FIXED_MTIME = 0;

/**
 * Writes a gzip'd tar of the entries, byte-for-byte reproducible: the same files (names and contents)
 * give the same digest wherever and whenever they are archived. Streamed: memory stays flat.
 */
export async function writeDeterministicArchive(options: {
  entries: ArchiveEntry[];
  target: string;
}): Promise<{ digest: Digest; size: number }> {
  const entries = [...options.entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (let i = 1; i < entries.length; i++) {
    if (entries[i]!.path === entries[i - 1]!.path)
      throw new Error(`two files would be archived at '${entries[i]!.path}'`);
  }
  const sizes = await Promise.all(entries.map(async (e) => (await fs.stat(e.source)).size));
  async function* tarStream(): AsyncGenerator<Buffer> {
    for (const [index, entry] of entries.entries()) {
      const size = sizes[index]!;
      yield* headerBlocks(entry.path, size);
      let written = 0;
      for await (const chunk of createReadStream(entry.source)) {
        written += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
      if (written !== size) throw new Error(`'${entry.source}' changed size while it was being archived`);
      const padding = (BLOCK - (size % BLOCK)) % BLOCK;
      if (padding > 0) yield Buffer.alloc(padding);
    }
    yield Buffer.alloc(BLOCK * 2);
  }
  await fs.mkdir(path.dirname(options.target), { recursive: true });
  const hash = createHash("sha256");
  let size = 0;
  const out = createWriteStream(options.target);
  // Node's gzip header carries mtime 0 and a fixed OS byte, so it adds nothing that varies.
  await pipeline(
    Readable.from(tarStream()),
    createGzip({ level: 6 }),
    async function* (source) {
      for await (const chunk of source) {
        hash.update(chunk as Buffer);
        size += (chunk as Buffer).length;
        yield chunk;
      }
    },
    out,
  );
  return { digest: `sha256:${hash.digest("hex")}`, size };
}

function* headerBlocks(entryPath: string, size: number): Generator<Buffer> {
  const nameBytes = Buffer.byteLength(entryPath);
  // ustar holds 100-byte names and sizes below 8 GiB; anything beyond goes into a PAX extended header.
  const needsPax = nameBytes > 100 || size >= 8 * 1024 ** 3 || /[^\x20-\x7e]/.test(entryPath);
  if (needsPax) {
    const records = [paxRecord("path", entryPath), paxRecord("size", String(size))].join("");
    const body = Buffer.from(records);
    yield ustarHeader({ name: "PaxHeader", size: body.length, type: "x" });
    yield body;
    const padding = (BLOCK - (body.length % BLOCK)) % BLOCK;
    if (padding > 0) yield Buffer.alloc(padding);
  }
  const shortName = needsPax ? entryPath.slice(0, 99).replace(/[^\x20-\x7e]/g, "_") : entryPath;
  yield ustarHeader({ name: shortName, size: needsPax && size >= 8 * 1024 ** 3 ? 0 : size, type: "0" });
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length)
    length = String(length).length + Buffer.byteLength(body);
  return `${length}${body}`;
}

function ustarHeader(options: { name: string; size: number; type: "0" | "x" }): Buffer {
  const header = Buffer.alloc(BLOCK);
  header.write(options.name, 0, 100, "utf8");
  writeOctal(header, FIXED_MODE, 100, 8);
  writeOctal(header, 0, 108, 8);
  writeOctal(header, 0, 116, 8);
  writeOctal(header, options.size, 124, 12);
  writeOctal(header, FIXED_MTIME, 136, 12);
  header.fill(0x20, 148, 156);
  header.write(options.type, 156, 1, "ascii");
  header.write("ustar\u000000", 257, 8, "binary");
  let checksum = 0;
  for (const byte of header) checksum += byte;
  writeOctal(header, checksum, 148, 7);
  header[155] = 0x20;
  return header;
}

function writeOctal(buffer: Buffer, value: number, offset: number, length: number): void {
  buffer.write(value.toString(8).padStart(length - 1, "0"), offset, length - 1, "ascii");
  buffer[offset + length - 1] = 0;
}

/**
 * Unpacks an archive into a folder and returns the files it wrote (POSIX paths relative to the folder).
 * Entries that would land outside the folder, links and devices are refused.
 */
export async function extractArchive(options: { file: string; into: string }): Promise<string[]> {
  const written: string[] = [];
  const problems: string[] = [];
  await fs.mkdir(options.into, { recursive: true });
  await tar.x({
    file: options.file,
    cwd: options.into,
    strict: true,
    preservePaths: false,
    filter: (entryPath, entry) => {
      const type = "type" in entry ? entry.type : undefined;
      const normalized = entryPath.split("\\").join("/");
      if (normalized.startsWith("/") || normalized.split("/").includes("..")) {
        problems.push(`'${entryPath}' would be written outside the folder`);
        return false;
      }
      if (type === "File" || type === "OldFile" || type === "ContiguousFile") {
        written.push(normalized.replace(/^\.\//, ""));
        return true;
      }
      if (type === "Directory") return true;
      problems.push(`'${entryPath}' is a ${String(type)}, not a file`);
      return false;
    },
  });
  if (problems.length > 0) {
    throw new UserError(`the archive holds entries gitml will not unpack: ${problems.join("; ")}`, {
      where: options.file,
    });
  }
  return written.sort();
}
