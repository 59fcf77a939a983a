import { parseTag } from "../registry";
import type { RegistryEvent } from "../registry/types";
import type { CommandContext } from "./context";
import { readState } from "./show";

export interface CheckRefOptions {
  /** A tag name, or `refs/tags/<name>` as GITHUB_REF carries it. */
  ref: string;
}

export interface CheckRefResult {
  tag: string;
  /** The registry event the tag created; undefined when it created none (GTO then prints nothing, exit 0). */
  event?: RegistryEvent;
  /** Why the tag is not a registry event (to stderr): a workflow on every tag push must not fail on it. */
  why?: string;
}

/**
 * What a pushed tag means for the registry, for workflows triggered by tag pushes (GTO's check-ref).
 * Like GTO, a tag that is not a registry event (another project's tag, a lightweight tag, a tag that
 * does not exist) is not an error: the answer is empty.
 */
export async function checkRef(context: CommandContext, options: CheckRefOptions): Promise<CheckRefResult> {
  const tag = options.ref.replace(/^refs\/tags\//, "");
  const action = parseTag(tag);
  if (!action)
    return { tag, why: `'${tag}' is not a registry tag (e.g. churn@v1.4.0 or churn#production#3)` };
  const state = await readState(context);
  const event = state.models.get(action.name)?.events.find((e) => e.tag === tag);
  if (event) return { tag, event };
  const ignored = state.ignored.find((i) => i.tag === tag);
  return {
    tag,
    why: ignored
      ? `tag '${tag}' is not part of the registry: ${ignored.reason}`
      : `tag '${tag}' does not exist in this repository`,
  };
}
