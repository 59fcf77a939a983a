import { assertValidName, assertValidVersion, formatTag, tagMessage } from "../registry";
import type { CommandContext } from "./context";
import { publishOneTag, type EventResult } from "./event";
import { requireActiveVersion, requireModel } from "./resolve";

export interface DeregisterOptions {
  model: string;
  version: string;
}

/** Withdraws a version: `model@vX.Y.Z!`. It stays in the history; its number is never reused. */
export async function deregister(context: CommandContext, options: DeregisterOptions): Promise<EventResult> {
  assertValidName(options.model);
  assertValidVersion(options.version);
  return publishOneTag(context, (state) => {
    const version = requireActiveVersion(requireModel(state, options.model), options.version);
    const action = { action: "deregister" as const, name: options.model, version: options.version };
    return { tag: formatTag(action), commit: version.commit, message: tagMessage(action, options.version) };
  });
}
