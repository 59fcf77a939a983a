import { openRegistry, readRegistry } from "../git/registry-sync";
import { replay } from "../registry/replay";
import { parseTag } from "../registry/tags";
import type { CommitInfo, ModelState, RegistryState, TagRecord } from "../registry/types";
import { gitOf } from "./command-git";
import type { CommandContext } from "./context";
import { describeCommits } from "../git/commit-info";
import { commitsToDescribe, type Shortcut } from "../registry";
import { parseVersionSpec, requireModel } from "./resolve";

export interface ShowOptions {
  /** `churn`, `churn@v1.4.0`, `churn@latest`, `churn#production`; absent: every model. */
  spec?: string;
  /** Fetch the remote's tags first (read-only verbs read local tags by default, as GTO does). */
  fetch?: boolean;
  /** Read the listed versions' commits too (GTO's `enrichments`, for `--json`). */
  describeCommits?: boolean;
}

export type ShowResult =
  | { kind: "registry"; state: RegistryState }
  | { kind: "model"; state: RegistryState; model: ModelState; commits?: Map<string, CommitInfo> }
  /**
   * `m@latest`, `m@vX.Y.Z`, `m#stage`: what GTO's `show` answers with, a list (see `selectVersions`),
   * empty when nothing matches (a deprecated model, a stage nobody holds), which is not an error.
   */
  | {
      kind: "selection";
      state: RegistryState;
      model: ModelState;
      spec: Exclude<Shortcut, { kind: "name" }>;
      commits?: Map<string, CommitInfo>;
    };

/** Reads the registry; it needs neither gitml.yaml nor the store, so it is as fast as reading the tags. */
export async function show(context: CommandContext, options: ShowOptions = {}): Promise<ShowResult> {
  const spec = options.spec === undefined ? undefined : parseVersionSpec(options.spec);
  let state: RegistryState;
  let describing: Promise<Map<string, CommitInfo>> | undefined;
  if (options.fetch) state = await readState(context, true);
  else {
    const records = await gitOf(context).readTags();
    // git describes the model's commits while replay runs: every commit its tags name, a superset of
    // the listed versions' (which only replay can tell).
    if (spec && options.describeCommits) {
      describing = describeCommits(context.cwd, commitsTaggedFor(records, spec.name));
      describing.catch(() => {}); // awaited below, unless the model turns out not to exist
    }
    state = replay(records);
  }
  if (!spec) return { kind: "registry", state };
  const model = requireModel(state, spec.name);
  const commits = options.describeCommits
    ? await (describing ?? describeCommits(context.cwd, commitsToDescribe(state, model.name)))
    : undefined;
  if (spec.kind === "name") return { kind: "model", state, model, ...(commits ? { commits } : {}) };
  return { kind: "selection", state, model, spec, ...(commits ? { commits } : {}) };
}

/** The commits the annotated registry tags of `model` point at. */
function commitsTaggedFor(records: readonly TagRecord[], model: string): string[] {
  const commits = new Set<string>();
  for (const record of records) {
    if (!record.annotated) continue;
    const action = record.action === undefined ? parseTag(record.tag) : record.action;
    if (action?.name === model) commits.add(record.commit);
  }
  return [...commits];
}

export async function readState(context: CommandContext, fetch = false): Promise<RegistryState> {
  // Reading local tags needs no other git call: outside a repository the listing itself fails clearly.
  if (!fetch) return replay(await gitOf(context).readTags());
  const repo = await openRegistry({ cwd: context.cwd, logger: context.logger, git: gitOf(context) });
  return readRegistry(repo);
}
