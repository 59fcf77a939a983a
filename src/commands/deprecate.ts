import { assertValidName, formatTag, tagMessage } from "../registry";
import { UserError } from "../util/errors";
import type { CommandContext } from "./context";
import { publishOneTag, type EventResult } from "./event";
import { requireModel } from "./resolve";

export interface DeprecateOptions {
  model: string;
}

/** Retires a whole model: `model@deprecated#N`. A later registration or assignment revives it. */
export async function deprecate(context: CommandContext, options: DeprecateOptions): Promise<EventResult> {
  assertValidName(options.model);
  return publishOneTag(context, (state) => {
    const model = requireModel(state, options.model);
    if (model.deprecated) throw new UserError(`${options.model} is already deprecated`);
    // The tag sits on the newest version's commit: the model's last known state.
    const commit = model.versions[0]?.commit ?? model.events[model.events.length - 1]!.commit;
    const action = { action: "deprecate" as const, name: options.model, counter: model.nextCounter };
    return { tag: formatTag(action), commit, message: tagMessage(action) };
  });
}
