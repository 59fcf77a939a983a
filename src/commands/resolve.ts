import {
  assertValidName,
  assertValidStage,
  assertValidVersion,
  parseShortcut,
  type Shortcut,
} from "../registry";
import type { ModelState, RegistryState, VersionState } from "../registry/types";
import { UserError } from "../util/errors";

/**
 * Reads `churn`, `churn@v1.4.0`, `churn@latest` or `churn#production` with the registry's parser, after
 * checking each part on its own so that a mistake is named precisely (a bad name, a version without `v`)
 * rather than answered with the whole grammar.
 */
export function parseVersionSpec(text: string): Shortcut {
  // Reading: gitml's length limits are for the tags it writes; a longer name another tool wrote is read.
  const separator = text.search(/[@#]/);
  assertValidName(separator < 0 ? text : text.slice(0, separator), "model name", false);
  const rest = text.slice(separator + 1);
  if (separator >= 0 && text[separator] === "#") assertValidStage(rest, "stage", false);
  else if (separator >= 0 && rest !== "latest" && rest !== "greatest")
    assertValidVersion(rest, "version", false);
  return parseShortcut(text);
}

export function requireModel(state: RegistryState, name: string): ModelState {
  const model = state.models.get(name);
  if (!model) {
    const known = [...state.models.keys()].sort();
    throw new UserError(
      `'${name}' is not in the registry${known.length ? ` (registered models: ${known.join(", ")})` : " (no model is registered yet)"}`,
    );
  }
  return model;
}

/** The version a spec names (a bare model name means its latest version), or a UserError saying why none. */
export function resolveVersion(state: RegistryState, spec: Shortcut): VersionState {
  const model = requireModel(state, spec.name);
  switch (spec.kind) {
    case "name":
    case "latest":
      if (!model.latest) throw new UserError(`${spec.name} has no active version`);
      return model.latest;
    case "version":
      return requireActiveVersion(model, spec.version);
    case "stage": {
      const holder = model.stages[spec.stage];
      if (!holder) {
        const stages = Object.keys(model.stages);
        throw new UserError(
          `no version of ${spec.name} is in stage '${spec.stage}'${stages.length ? ` (stages held: ${stages.join(", ")})` : ""}`,
        );
      }
      return requireActiveVersion(model, holder.version);
    }
  }
}

export function requireActiveVersion(model: ModelState, version: string): VersionState {
  const found = model.versions.find((v) => v.version === version);
  if (!found) {
    const active = model.versions.filter((v) => v.active).map((v) => v.version);
    throw new UserError(
      `${model.name}@${version} is not registered${active.length ? ` (active versions: ${active.join(", ")})` : ""}`,
    );
  }
  if (!found.active) throw new UserError(`${model.name}@${version} was deregistered`);
  return found;
}

/** The version in the comparison stage, else the latest registered one (the first model has none). */
export function pickBaseline(
  model: ModelState,
  stage: string,
): { version: VersionState; stage: string } | undefined {
  const holder = model.stages[stage];
  const inStage = holder && model.versions.find((v) => v.version === holder.version && v.active);
  if (inStage) return { version: inStage, stage };
  return model.latest ? { version: model.latest, stage: "latest" } : undefined;
}
