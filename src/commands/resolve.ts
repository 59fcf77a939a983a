import { assertValidName, assertValidStage, assertValidVersion } from "../registry";
import type { ModelState, RegistryState, VersionState } from "../registry/types";
import { UserError } from "../util/errors";

/** `churn`, `churn@v1.4.0`, `churn@latest` or `churn#production`, as the CLI accepts them. */
export type VersionSpec =
  | { model: string; kind: "model" }
  | { model: string; kind: "version"; version: string }
  | { model: string; kind: "latest" }
  | { model: string; kind: "stage"; stage: string };

export function parseVersionSpec(text: string): VersionSpec {
  const hash = text.indexOf("#");
  if (hash >= 0) {
    const model = text.slice(0, hash);
    const stage = text.slice(hash + 1);
    assertValidName(model);
    assertValidStage(stage);
    return { model, kind: "stage", stage };
  }
  const at = text.indexOf("@");
  if (at >= 0) {
    const model = text.slice(0, at);
    const version = text.slice(at + 1);
    assertValidName(model);
    if (version === "latest") return { model, kind: "latest" };
    assertValidVersion(version);
    return { model, kind: "version", version };
  }
  assertValidName(text);
  return { model: text, kind: "model" };
}

export function formatVersionSpec(spec: VersionSpec): string {
  switch (spec.kind) {
    case "model":
      return spec.model;
    case "version":
      return `${spec.model}@${spec.version}`;
    case "latest":
      return `${spec.model}@latest`;
    case "stage":
      return `${spec.model}#${spec.stage}`;
  }
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

/** The version a spec names; `model` alone means its latest version. */
export function resolveVersion(state: RegistryState, spec: VersionSpec): VersionState {
  const model = requireModel(state, spec.model);
  switch (spec.kind) {
    case "model":
    case "latest":
      if (!model.latest) throw new UserError(`${spec.model} has no active version`);
      return model.latest;
    case "version":
      return requireActiveVersion(model, spec.version);
    case "stage": {
      const holder = model.stages[spec.stage];
      if (!holder) {
        const stages = Object.keys(model.stages);
        throw new UserError(
          `no version of ${spec.model} is in stage '${spec.stage}'${stages.length ? ` (stages held: ${stages.join(", ")})` : ""}`,
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
