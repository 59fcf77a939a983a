import * as fs from "node:fs/promises";
import * as path from "node:path";
import { readRegistry } from "../git/registry-sync";
import { isDigest } from "../store/digest";
import { UserError } from "../util/errors";
import { openProject, type CommandContext } from "./context";
import { parseVersionSpec, resolveVersion } from "./resolve";

export interface GetOptions {
  /** `churn@v1.4.0`, `churn@latest` or `churn#production`. */
  spec: string;
  /** Output folder; default `./<model>-<version>`. */
  into?: string;
  /** Write into a folder that already holds files (those with the same names are overwritten). */
  force?: boolean;
}

export interface GetResult {
  model: string;
  version: string;
  digest: string;
  into: string;
  files: string[];
}

/**
 * Downloads a version's artifacts, each verified against the manifest whose digest the registry tag
 * recorded: the bytes a deploy job gets are the bytes that were registered, or it gets an error.
 */
export async function get(context: CommandContext, options: GetOptions): Promise<GetResult> {
  const spec = parseVersionSpec(options.spec);
  if (spec.kind === "name") {
    const { name } = spec;
    throw new UserError(
      `say which version of ${name} to get: ${name}@vX.Y.Z, ${name}@latest or ${name}#<stage>`,
    );
  }
  const project = await openProject({ ...context, push: true });
  const state = await readRegistry(project.repo);
  const version = resolveVersion(state, spec);
  const digest = version.metadata?.artifactDigest;
  if (!digest || !isDigest(digest)) {
    throw new UserError(
      `${options.spec} (${version.version}) was registered without artifacts (its tag ${version.tag} records no artifact digest)`,
    );
  }
  const into = path.resolve(
    context.cwd,
    options.into ?? `${spec.name.replace(/[/:]/g, "-")}-${version.version}`,
  );
  if (!options.force) await assertEmptyFolder(into);
  const fetched = await project.store.fetch({ model: spec.name, version: version.version, digest, into });
  return { model: spec.name, version: version.version, digest, into, files: fetched.files };
}

/** Files of another version must not be mixed in, or overwritten, without a word. */
async function assertEmptyFolder(folder: string): Promise<void> {
  let entries: string[];
  try {
    entries = await fs.readdir(folder);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return;
    if (code === "ENOTDIR") throw new UserError(`${folder} is a file, not a folder: choose another -o`);
    throw error;
  }
  if (entries.length === 0) return;
  const shown =
    entries.slice(0, 5).join(", ") + (entries.length > 5 ? `, … (${entries.length} entries)` : "");
  throw new UserError(
    `${folder} is not empty (${shown}): choose an empty or new folder with -o, or pass --force to write into it (files with the same names are overwritten)`,
  );
}
