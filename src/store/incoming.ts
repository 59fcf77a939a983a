import * as fs from "node:fs/promises";
import * as path from "node:path";
import { extractArchive } from "./archive";

/**
 * Files on their way into a folder: each is written to a temporary name inside the folder (same file
 * system, so the final rename is atomic), verified, and only then renamed to its path. Until `commit`,
 * nothing at the final paths changes; `discard` removes every temporary file, so a tampered blob or an
 * interrupted download never replaces a good file, and a rejected archive leaves nothing unpacked.
 * The temporary folder's name (`.gitml-incoming-…`) says what a leftover of a killed process is.
 */
export class IncomingFiles {
  private readonly moves: Array<{ from: string; to: string }> = [];
  private counter = 0;

  private constructor(
    readonly into: string,
    private readonly dir: string,
    private readonly createdInto: boolean,
  ) {}

  static async open(into: string): Promise<IncomingFiles> {
    const existed = await fs
      .stat(into)
      .then(() => true)
      .catch(() => false);
    await fs.mkdir(into, { recursive: true });
    const dir = await fs.mkdtemp(path.join(into, ".gitml-incoming-"));
    return new IncomingFiles(into, dir, !existed);
  }

  /** A fresh temporary file name to write one file's bytes into. */
  tempFile(): string {
    return path.join(this.dir, `${++this.counter}.part`);
  }

  /** `temp` holds the verified bytes of the file at `relative` (POSIX, inside the folder). */
  accept(temp: string, relative: string): void {
    this.moves.push({ from: temp, to: path.join(this.into, ...relative.split("/")) });
  }

  /** Unpacks a verified archive beside the others; its files go into place with them on `commit`. */
  async acceptArchive(archive: string): Promise<void> {
    const unpacked = path.join(this.dir, `unpacked-${++this.counter}`);
    for (const inner of await extractArchive({ file: archive, into: unpacked }))
      this.accept(path.join(unpacked, ...inner.split("/")), inner);
    await fs.rm(archive, { force: true });
  }

  /** Renames every accepted file into place; returns their final paths. */
  async commit(): Promise<string[]> {
    const written: string[] = [];
    for (const { from, to } of this.moves) {
      await fs.mkdir(path.dirname(to), { recursive: true });
      await fs.rename(from, to);
      written.push(to);
    }
    await fs.rm(this.dir, { recursive: true, force: true });
    return written;
  }

  /** Removes every temporary file (and the folder, when it was made for these files and is empty). */
  async discard(): Promise<void> {
    await fs.rm(this.dir, { recursive: true, force: true });
    if (this.createdInto) await fs.rmdir(this.into).catch(() => undefined);
  }

  /** Runs `fill` (which writes and accepts files) and commits, or discards everything when it throws. */
  static async into(folder: string, fill: (incoming: IncomingFiles) => Promise<void>): Promise<string[]> {
    const incoming = await IncomingFiles.open(folder);
    try {
      await fill(incoming);
      return await incoming.commit();
    } catch (error) {
      await incoming.discard();
      throw error;
    }
  }
}
