import { assertValidName, assertValidStage, assertValidVersion, formatTag, tagMessage } from "../registry";
import { UserError } from "../util/errors";
import type { CommandContext } from "./context";
import { publishOneTag, type EventResult } from "./event";
import { requireActiveVersion, requireModel } from "./resolve";

export interface UnassignOptions {
  model: string;
  stage: string;
  version: string;
}

/** Takes a stage away from the version holding it: `model#stage!#N` on the version's commit. */
export async function unassign(context: CommandContext, options: UnassignOptions): Promise<EventResult> {
  assertValidName(options.model);
  assertValidStage(options.stage);
  assertValidVersion(options.version);
  return publishOneTag(context, (state) => {
    const model = requireModel(state, options.model);
    const version = requireActiveVersion(model, options.version);
    if (model.stages[options.stage]?.version !== options.version) {
      const holder = model.stages[options.stage]?.version;
      throw new UserError(
        `${options.model}@${options.version} is not in '${options.stage}'${holder ? ` (${holder} is)` : " (no version is)"}`,
      );
    }
    const action = {
      action: "unassign" as const,
      name: options.model,
      stage: options.stage,
      counter: model.nextCounter,
    };
    return { tag: formatTag(action), commit: version.commit, message: tagMessage(action, options.version) };
  });
}
