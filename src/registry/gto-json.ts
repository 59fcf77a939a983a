/**
 * JSON in the shapes GTO prints, so scripts written against `gto ... --json` work on gitml:
 * - `show --json` (registry): gto/api.py `_show_registry`
 * - `show <model> --json`: gto/api.py `_show_versions` (Version.dict_state from gto/base.py)
 * - `check-ref --json`: gto/cli.py `check_ref` (event.dict_state minus priority/addition)
 * - `history --json`: gto/api.py `history`
 * Datetimes are written as Python's `datetime.isoformat()` writes them. Tag records carry seconds since
 * the epoch without the tagger's UTC offset, so times are given in UTC (`+00:00`).
 */
import { EVENT_PRIORITY, isCommitVersion } from "./replay";
import type { Shortcut } from "./bump";
import { parseTag } from "./tags";
import type { ModelState, RegistryEvent, RegistryState } from "./types";

export interface GtoRegistryEntry {
  version: string | null;
  stage: Record<string, string | null>;
  registered: boolean;
  active: boolean;
}

export interface ShowOptions {
  /** Stage columns: gitml.yaml's stages when known (GTO uses its config's), else every stage in use. */
  stages?: readonly string[];
  /** GTO's `--deprecated`: include deprecated models (and, for one model, deregistered versions). */
  includeDeprecated?: boolean;
}

/** `show --json` for the whole registry. Models are listed by name. */
export function showRegistryJson(
  state: RegistryState,
  options: ShowOptions = {},
): Record<string, GtoRegistryEntry> {
  const stages = options.stages ?? usedStages(state);
  const result: Record<string, GtoRegistryEntry> = {};
  for (const model of sortedModels(state)) {
    if (model.deprecated && !options.includeDeprecated) continue;
    const stage: Record<string, string | null> = {};
    for (const name of stages) stage[name] = model.stages[name]?.version ?? null;
    result[model.name] = {
      version: model.latest?.version ?? null,
      stage,
      // GTO: "registered" means the artifact has git tags (as opposed to only an annotation); replayed
      // models always do.
      registered: true,
      active: !model.deprecated,
    };
  }
  return result;
}

/** Stages that currently have a holder in any model, sorted (GTO's `get_stages(used=True)`). */
export function usedStages(state: RegistryState): string[] {
  const stages = new Set<string>();
  for (const model of state.models.values()) for (const stage of Object.keys(model.stages)) stages.add(stage);
  return [...stages].sort();
}

export interface GtoEventJson {
  artifact: string;
  created_at: string;
  author: string;
  author_email: string;
  message: string;
  commit_hexsha: string;
  tag: string;
  version?: string;
  stage?: string;
  event: string;
}

/** `check-ref --json`: the event the tag created, or undefined when the tag is not a replayed registry tag. */
export function checkRefJson(state: RegistryState, ref: string): GtoEventJson | undefined {
  const tag = ref.startsWith("refs/tags/") ? ref.slice("refs/tags/".length) : ref;
  const action = parseTag(tag);
  if (!action) return undefined;
  const event = state.models.get(action.name)?.events.find((e) => e.tag === tag);
  return event ? eventJson(event) : undefined;
}

export function eventJson(event: RegistryEvent): GtoEventJson {
  const hasVersion = event.type !== "deprecation" && event.version !== undefined;
  const hasStage =
    (event.type === "assignment" || event.type === "unassignment") && event.stage !== undefined;
  // Key order as pydantic dumps it: base fields, then tag, version, stage; check-ref adds "event" last.
  return {
    artifact: event.name,
    created_at: isoformat(event.date),
    author: event.author,
    author_email: event.authorEmail,
    message: event.message,
    commit_hexsha: event.commit,
    tag: event.tag,
    ...(hasVersion ? { version: event.version } : {}),
    ...(hasStage ? { stage: event.stage } : {}),
    event: event.type,
  };
}

export interface GtoHistoryEntry {
  timestamp: string;
  artifact: string;
  event: string;
  priority: number;
  version: string | null;
  stage: string | null;
  commit: string;
  author: string;
  author_email: string;
  message: string;
  ref: string;
}

/** `history --json`: newest first unless `ascending` (GTO's default order). */
export function historyJson(
  state: RegistryState,
  options: { model?: string; ascending?: boolean } = {},
): GtoHistoryEntry[] {
  const models = options.model === undefined ? sortedModels(state) : [state.models.get(options.model)];
  const events = models.flatMap((model) => model?.events ?? []);
  events.sort(
    (a, b) =>
      a.date - b.date ||
      EVENT_PRIORITY[a.type] - EVENT_PRIORITY[b.type] ||
      (a.counter ?? 0) - (b.counter ?? 0) ||
      (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0),
  );
  if (!options.ascending) events.reverse();
  return events.map((e) => ({
    timestamp: isoformat(e.date),
    artifact: e.name,
    event: e.type,
    priority: EVENT_PRIORITY[e.type],
    version: e.version ?? null,
    stage: e.stage ?? null,
    commit: e.commit,
    author: e.author,
    author_email: e.authorEmail,
    message: e.message,
    ref: e.tag,
  }));
}

type GtoEventDump = Omit<GtoEventJson, "event"> & { priority: number; addition: boolean };

export interface GtoVStageJson {
  artifact: string;
  commit_hexsha: string;
  version: string;
  stage: string;
  assignments: GtoEventJson[];
  unassignments: GtoEventJson[];
  is_active: boolean;
  activated_at: string | null;
  created_at: string;
  author: string;
  author_email: string;
  message: string;
  ref: string;
}

export interface GtoVersionJson {
  artifact: string;
  commit_hexsha: string;
  version: string;
  enrichments: never[];
  registrations: GtoEventDump[];
  deregistrations: GtoEventDump[];
  stages: GtoVStageJson[];
  is_active: boolean;
  activated_at: string;
  created_at: string;
  author: string;
  author_email: string;
  message: string;
  ref: string;
  discovered: boolean;
}

/**
 * `show <model> --json`: the model's versions as GTO lists them: active versions (all with
 * `includeDeprecated`), highest semver first, then versions GTO names by commit (stages assigned to
 * commits without a registration). Each version carries the stages it holds now. A deprecated model
 * lists nothing unless `includeDeprecated`.
 */
export function showModelJson(
  state: RegistryState,
  name: string,
  options: ShowOptions = {},
): GtoVersionJson[] {
  const model = state.models.get(name);
  if (!model || (model.deprecated && !options.includeDeprecated)) return [];
  const byVersion = groupEventsByVersion(model);
  const result: GtoVersionJson[] = [];

  const registered = model.versions.filter((v) => v.active || options.includeDeprecated);
  for (const version of registered) {
    const events = byVersion.get(version.version) ?? [];
    // Events of an earlier registration at another commit were ignored by replay; keep this commit's.
    const direct = events.filter(
      (e) => (e.type === "registration" || e.type === "deregistration") && e.commit === version.commit,
    );
    const registrations = direct.filter((e) => e.type === "registration");
    const authoring = registrations[registrations.length - 1] ?? direct[direct.length - 1]!;
    result.push({
      artifact: model.name,
      commit_hexsha: version.commit,
      version: version.version,
      enrichments: [],
      registrations: registrations.map(eventDump),
      deregistrations: direct.filter((e) => e.type === "deregistration").map(eventDump),
      stages: vstagesJson(model, version.version, version.commit, version.stages, events),
      is_active: version.active,
      activated_at: isoformat((registrations[0] ?? authoring).date),
      created_at: isoformat(authoring.date),
      author: authoring.author,
      author_email: authoring.authorEmail,
      message: authoring.message,
      ref: authoring.tag,
      discovered: false,
    });
  }

  const commitVersions = [...byVersion.keys()].filter(isCommitVersion).sort();
  for (const commit of commitVersions) {
    const events = byVersion.get(commit)!;
    const first = events[0]!;
    const held = Object.values(model.stages)
      .filter((s) => s.version === commit)
      .sort((a, b) => b.date - a.date)
      .map((s) => s.stage);
    const latest = events[events.length - 1]!;
    result.push({
      artifact: model.name,
      commit_hexsha: commit,
      version: commit,
      enrichments: [],
      registrations: [],
      deregistrations: [],
      stages: vstagesJson(model, commit, commit, held, events),
      is_active: true,
      activated_at: isoformat(first.date),
      created_at: isoformat(latest.date),
      author: latest.author,
      author_email: latest.authorEmail,
      message: latest.message,
      ref: latest.tag,
      discovered: true,
    });
  }
  return result;
}

/**
 * GTO's `show <model>@latest | @vX.Y.Z | #stage --json` (gto/api.py `_show_versions`): the model's
 * listing above, filtered. `@latest` is the listing's first entry (highest active semver, else the first
 * commit-named version); `#stage` is whoever holds the stage, commit-named versions included. An empty
 * list (a deprecated model, a stage nobody holds, a deregistered version) is an answer, not an error.
 */
export function showSelectionJson(
  state: RegistryState,
  shortcut: Shortcut,
  options: ShowOptions = {},
): GtoVersionJson[] {
  const versions = showModelJson(state, shortcut.name, options);
  switch (shortcut.kind) {
    case "name":
      return versions;
    case "latest":
      return versions.slice(0, 1);
    case "version":
      return versions.filter((v) => v.version === shortcut.version);
    case "stage":
      return versions.filter((v) => v.stages.some((s) => s.stage === shortcut.stage));
  }
}

function vstagesJson(
  model: ModelState,
  version: string,
  commit: string,
  held: readonly string[],
  events: readonly RegistryEvent[],
): GtoVStageJson[] {
  return held.map((stage) => {
    const stageEvents = events.filter((e) => e.stage === stage);
    const assignments = stageEvents.filter((e) => e.type === "assignment");
    const authoring = assignments[assignments.length - 1]!;
    return {
      artifact: model.name,
      commit_hexsha: commit,
      version,
      stage,
      assignments: assignments.map(eventJson),
      unassignments: stageEvents.filter((e) => e.type === "unassignment").map(eventJson),
      is_active: true,
      activated_at: isoformat(authoring.date),
      created_at: isoformat(authoring.date),
      author: authoring.author,
      author_email: authoring.authorEmail,
      message: authoring.message,
      ref: authoring.tag,
    };
  });
}

function eventDump(event: RegistryEvent): GtoEventDump {
  const { event: type, ...rest } = eventJson(event);
  const addition = type === "registration" || type === "assignment";
  return { priority: EVENT_PRIORITY[event.type], addition, ...rest };
}

function groupEventsByVersion(model: ModelState): Map<string, RegistryEvent[]> {
  const byVersion = new Map<string, RegistryEvent[]>();
  for (const event of model.events) {
    if (event.version === undefined) continue;
    let list = byVersion.get(event.version);
    if (!list) byVersion.set(event.version, (list = []));
    list.push(event);
  }
  return byVersion;
}

function sortedModels(state: RegistryState): ModelState[] {
  return [...state.models.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Seconds since the epoch -> Python's `datetime.isoformat()` of the UTC time, e.g. `2022-05-27T01:49:52+00:00`. */
export function isoformat(seconds: number): string {
  return `${new Date(seconds * 1000).toISOString().slice(0, 19)}+00:00`;
}
