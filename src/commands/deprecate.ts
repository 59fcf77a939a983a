import { assertValidName, formatTag, tagMessage } from "../registry";
import { UserError } from "../util/errors";
import type { CommandContext } from "./context";
import { publishOneTag, type EventResult } from "./event";
import { requireModel } from "./resolve";

export interface DeprecateOptions {
  model: string;
}

/**
 * Retires a whole model as GTO's `deprecate` does: `model@deprecated` on the commit of the model's most
 * recent event. GTO adds `#N` only when that tag already exists (deprecating again, after a revival),
 * where its plain name would collide. A later registration or assignment revives the model.
 */
export async function deprecate(context: CommandContext, options: DeprecateOptions): Promise<EventResult> {
  assertValidName(options.model);
  return publishOneTag(context, (state) => {
    const model = requireModel(state, options.model);
    if (model.deprecated) throw new UserError(`${options.model} is already deprecated`);
    const commit = model.events[model.events.length - 1]!.commit;
    const plain = formatTag({ action: "deprecate", name: options.model });
    const taken =
      model.events.some((e) => e.tag === plain) || state.ignored.some((ignored) => ignored.tag === plain);
    const action = taken
      ? { action: "deprecate" as const, name: options.model, counter: model.nextCounter }
      : { action: "deprecate" as const, name: options.model };
    return { tag: formatTag(action), commit, message: tagMessage(action) };
  });
}
