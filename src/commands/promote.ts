import { assertPromotionAllowed, isPromotionAllowed, modelConfig, type ModelConfig } from "../config";
import { publishTags } from "../git/registry-sync";
import { assertValidName, assertValidStage, assertValidVersion, formatTag, tagMessage } from "../registry";
import type { ModelState, VersionState } from "../registry/types";
import { UserError } from "../util/errors";
import { openProject, type CommandContext } from "./context";
import { requireActiveVersion, requireModel } from "./resolve";

export interface PromoteOptions {
  model: string;
  stage: string;
  /** Default: the version in the stage before `stage` (per gitml.yaml), else the latest version. */
  version?: string;
}

export interface PromoteResult {
  model: string;
  version: string;
  stage: string;
  /** The version that held the stage before, if any. */
  previous?: string;
  /** The assignment tag; undefined when the version already held the stage (nothing to do). */
  tag?: string;
  commit: string;
  pushed: boolean;
  attempts: number;
}

/**
 * Assigns a stage to a version (GTO's `assign`): an annotated tag `model#stage#N` on the version's commit.
 * Promoting an older version is a rollback; the history keeps both.
 */
export async function promote(context: CommandContext, options: PromoteOptions): Promise<PromoteResult> {
  assertValidName(options.model);
  assertValidStage(options.stage);
  if (options.version !== undefined) assertValidVersion(options.version);
  const project = await openProject(context);
  const configured = project.config ? modelConfig(project.config, options.model) : undefined;
  if (configured) assertStageConfigured(options.model, configured, options.stage, project.config!.file);

  let outcome: Omit<PromoteResult, "pushed" | "attempts"> | undefined;
  const published = await publishTags(project.repo, {
    plan: (state) => {
      const model = requireModel(state, options.model);
      const version = pickVersion(model, options, configured);
      const previous = model.stages[options.stage]?.version;
      outcome = {
        model: options.model,
        version: version.version,
        stage: options.stage,
        previous,
        commit: version.commit,
      };
      if (previous === version.version) return [];
      if (configured) assertTransitionAllowed(model, version, options.stage, configured);
      const action = {
        action: "assign" as const,
        name: options.model,
        stage: options.stage,
        counter: model.nextCounter,
      };
      const tag = formatTag(action);
      outcome.tag = tag;
      return [{ tag, commit: version.commit, message: tagMessage(action, version.version) }];
    },
  });
  return {
    ...outcome!,
    pushed: project.repo.remote !== undefined && outcome!.tag !== undefined,
    attempts: published.attempts,
  };
}

function pickVersion(
  model: ModelState,
  options: PromoteOptions,
  configured: ModelConfig | undefined,
): VersionState {
  if (options.version !== undefined) return requireActiveVersion(model, options.version);
  const stages = configured?.stages ?? [];
  const position = stages.indexOf(options.stage);
  if (position > 0) {
    const before = stages[position - 1]!;
    const holder = model.stages[before];
    if (!holder) {
      throw new UserError(
        `no version of ${model.name} is in '${before}', the stage before '${options.stage}': promote one to '${before}' first, or name a version with --version`,
      );
    }
    return requireActiveVersion(model, holder.version);
  }
  if (!model.latest) throw new UserError(`${model.name} has no active version to promote`);
  return model.latest;
}

function assertStageConfigured(name: string, model: ModelConfig, stage: string, file: string): void {
  if (!model.stages.includes(stage)) {
    throw new UserError(`'${stage}' is not a stage of ${name} (its stages: ${model.stages.join(", ")})`, {
      where: file,
    });
  }
}

/**
 * gitml.yaml's promotion rules say which stages a version may come from. A version counts as coming from
 * every stage it holds or has held, so a rollback (a version returning to a stage it held) is allowed.
 */
function assertTransitionAllowed(
  model: ModelState,
  version: VersionState,
  stage: string,
  configured: ModelConfig,
): void {
  const held = configured.stages.filter((s) =>
    model.events.some((e) => e.type === "assignment" && e.version === version.version && e.stage === s),
  );
  if (held.some((from) => isPromotionAllowed(configured, from, stage))) return;
  // Not allowed from anywhere it has been: explain from the furthest stage it reached.
  assertPromotionAllowed(configured, held[held.length - 1], stage, { model: model.name });
}
