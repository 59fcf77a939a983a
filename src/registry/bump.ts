/**
 * Version bumps and the small look-ups commands need on a replayed state (no git here).
 */
import semver from "semver";
import { UserError } from "../util/errors";
import {
  FULLNAME_IN_TAG_PATTERN,
  NAME_PATTERN,
  SEMVER_PATTERN,
  assertValidVersion,
  isValidName,
} from "./names";
import type { ModelState, RegistryState, StageState, VersionState } from "./types";

export type Bump = "major" | "minor" | "patch";

/** GTO's first version when nothing is registered (gto/versions.py `SemVer.get_minimal`). */
export const FIRST_VERSION = "v0.0.1";

/**
 * The version after `current`. Like GTO (python-semver's bump_*), a bump drops prerelease and build
 * metadata and always increments: v1.2.3-rc.1 + patch = v1.2.4. With no current version the result
 * is GTO's first version, v0.0.1, whatever the bump (GTO refuses an explicit bump there; gitml's
 * configured default bump must still be able to register the first version).
 */
export function nextVersion(current: string | undefined, bump: Bump): string {
  if (current === undefined) return FIRST_VERSION;
  assertValidVersion(current);
  const parsed = semver.parse(current.slice(1));
  if (!parsed) throw new Error(`semver could not parse the valid version ${current}`);
  switch (bump) {
    case "major":
      return `v${parsed.major + 1}.0.0`;
    case "minor":
      return `v${parsed.major}.${parsed.minor + 1}.0`;
    case "patch":
      return `v${parsed.major}.${parsed.minor}.${parsed.patch + 1}`;
    default:
      throw new UserError(`Unknown bump ${JSON.stringify(bump)}: use major, minor or patch.`);
  }
}

/**
 * The next version of a model in `state`. Bumps from the highest version ever registered, deregistered
 * ones included: their tags still exist, so reusing their number would collide (GTO bumps from the
 * highest active version and then fails with "version already registered").
 */
export function nextVersionFor(state: RegistryState, name: string, bump: Bump): string {
  const highest = state.models.get(name)?.versions[0]?.version;
  return nextVersion(highest, bump);
}

/** The `#N` for the next assign/unassign/deprecate tag of a model. */
export function nextCounterFor(state: RegistryState, name: string): number {
  return state.models.get(name)?.nextCounter ?? 1;
}

export function findModel(state: RegistryState, name: string): ModelState | undefined {
  return state.models.get(name);
}

/** A registered version (active or not) of a model. */
export function findVersion(state: RegistryState, name: string, version: string): VersionState | undefined {
  return state.models.get(name)?.versions.find((v) => v.version === version);
}

/** Who holds `stage` of a model now (the version may be a commit hash: see `isCommitVersion`). */
export function stageHolder(state: RegistryState, name: string, stage: string): StageState | undefined {
  return state.models.get(name)?.stages[stage];
}

/** GTO's naming shortcuts (gto/constants.py `shortcut_re`): `m@v1.2.3`, `m@latest`, `m@greatest`, `m#stage`. */
export type Shortcut =
  | { kind: "name"; name: string }
  | { kind: "version"; name: string; version: string }
  | { kind: "latest"; name: string }
  | { kind: "stage"; name: string; stage: string };

const shortcutRe = new RegExp(
  `^(?<artifact>${FULLNAME_IN_TAG_PATTERN.replace("=", ":")})(?:#(?<stage>${NAME_PATTERN})|@(?<version>latest|greatest|v${SEMVER_PATTERN}))?$`,
);

/** Parses `model`, `model@vX.Y.Z`, `model@latest` or `model#stage`; UserError otherwise. */
export function parseShortcut(text: string): Shortcut {
  const groups = shortcutRe.exec(text)?.groups;
  if (!groups || !isValidName(groups.artifact!, false)) {
    throw new UserError(
      `Cannot read ${JSON.stringify(text)}: expected MODEL, MODEL@vX.Y.Z, MODEL@latest or MODEL#STAGE (MODEL may be folder:name).`,
    );
  }
  const name = groups.artifact!;
  if (groups.stage !== undefined) return { kind: "stage", name, stage: groups.stage };
  if (groups.version === "latest" || groups.version === "greatest") return { kind: "latest", name };
  if (groups.version !== undefined) return { kind: "version", name, version: groups.version };
  return { kind: "name", name };
}

/** The version a shortcut designates in `state`, or undefined (a bare name means its latest version). */
export function resolveShortcut(state: RegistryState, shortcut: Shortcut): VersionState | undefined {
  const model = state.models.get(shortcut.name);
  if (!model) return undefined;
  switch (shortcut.kind) {
    case "name":
    case "latest":
      return model.latest;
    case "version":
      return model.versions.find((v) => v.version === shortcut.version);
    case "stage": {
      const holder = model.stages[shortcut.stage];
      return holder ? model.versions.find((v) => v.version === holder.version) : undefined;
    }
  }
}
