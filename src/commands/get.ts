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
  const fetched = await project.store.fetch({ model: spec.name, version: version.version, digest, into });
  return { model: spec.name, version: version.version, digest, into, files: fetched.files };
}
