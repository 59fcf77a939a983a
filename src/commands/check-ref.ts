import { parseTag } from "../registry";
import type { RegistryEvent, TagAction } from "../registry/types";
import { UserError } from "../util/errors";
import type { CommandContext } from "./context";
import { readState } from "./show";

export interface CheckRefOptions {
  /** A tag name, or `refs/tags/<name>` as GITHUB_REF carries it. */
  ref: string;
}

export interface CheckRefResult {
  tag: string;
  action: TagAction;
  event: RegistryEvent;
}

/** What a pushed tag means for the registry, for workflows triggered by tag pushes (GTO's check-ref). */
export async function checkRef(context: CommandContext, options: CheckRefOptions): Promise<CheckRefResult> {
  const tag = options.ref.replace(/^refs\/tags\//, "");
  const action = parseTag(tag);
  if (!action)
    throw new UserError(`'${tag}' is not a registry tag (expected e.g. churn@v1.4.0 or churn#production#3)`);
  const state = await readState(context);
  const event = state.models.get(action.name)?.events.find((e) => e.tag === tag);
  if (!event) {
    const ignored = state.ignored.find((i) => i.tag === tag);
    throw new UserError(
      ignored
        ? `tag '${tag}' is not part of the registry: ${ignored.reason}`
        : `tag '${tag}' does not exist in this repository`,
    );
  }
  return { tag, action, event };
}
