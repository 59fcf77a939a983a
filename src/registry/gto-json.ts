/**
 * JSON in the shapes GTO prints, so scripts written against `gto ... --json` work on gitml:
 * - `show --json` (registry): gto/api.py `_show_registry`
 * - `show <model> --json`: gto/api.py `_show_versions` (Version.dict_state from gto/base.py)
 * - `check-ref --json`: gto/cli.py `check_ref` (event.dict_state minus priority/addition)
 * - `history --json`: gto/api.py `history`
 * Datetimes are written as Python's `datetime.isoformat()` writes them, in the tagger's (or committer's)
 * own UTC offset, as GTO keeps it (scmrepo's `tag_datetime`).
 */
import { EVENT_PRIORITY, isCommitVersion } from "./replay";
import type { Shortcut } from "./bump";
import { parseTag } from "./tags";
import type { CommitInfo, ModelState, RegistryEvent, RegistryState } from "./types";

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
  /**
   * The listed versions' commits (see `commitsToDescribe`): GTO lists each version's commit as its
   * `enrichments` and dates a commit-named version from it. Without them `enrichments` is empty.
   */
  commits?: ReadonlyMap<string, CommitInfo>;
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
    created_at: isoformat(event.date, event.utcOffset),
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

/**
 * `history --json`: newest first unless `ascending`, in GTO's exact order (gto/api.py `history`): by
 * time and priority, and among events of the same second and priority, in the order GTO's nested
 * stable sorts leave them (see `gtoHistoryOrder`).
 */
export function historyJson(
  state: RegistryState,
  options: { model?: string; ascending?: boolean } = {},
): GtoHistoryEntry[] {
  const events = gtoHistoryOrder([...state.models.values()], options.ascending ?? false).filter(
    (e) => options.model === undefined || e.name === options.model,
  );
  return events.map((e) => ({
    timestamp: isoformat(e.date, e.utcOffset),
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

/** Python's `sorted(items, key=date)` (stable), then `[::-1]`, as gto/base.py's `get_events` does. */
function byDateDescending(events: RegistryEvent[]): RegistryEvent[] {
  return stableSortByDate(events).reverse();
}

function stableSortByDate(events: RegistryEvent[]): RegistryEvent[] {
  return events
    .map((event, index) => ({ event, index }))
    .sort((a, b) => a.event.date - b.event.date || a.index - b.index)
    .map((x) => x.event);
}

/** GTO's indexing order: deprecations, then (de)registrations, then stage tags, each by time then tag name. */
function indexingKey(event: RegistryEvent): [number, number, string] {
  const phase =
    event.type === "deprecation"
      ? 0
      : event.type === "registration" || event.type === "deregistration"
        ? 1
        : 2;
  return [phase, event.date, event.tag];
}

function compareIndexing(a: RegistryEvent, b: RegistryEvent): number {
  const [pa, da, ta] = indexingKey(a);
  const [pb, db, tb] = indexingKey(b);
  return pa - pb || da - db || (ta < tb ? -1 : ta > tb ? 1 : 0);
}

/**
 * The events of all models in the order GTO's `history` prints them. GTO indexes tags into artifacts,
 * versions (one per version name and commit) and stages, each keeping its events sorted by time; an
 * artifact's events are its deprecations plus each version's events (newest first), sorted by time and
 * reversed; `history` concatenates artifacts, sorts by (time, priority) and reverses. Every sort is
 * stable, so events of the same second and priority keep the order this nesting gives them.
 */
function gtoHistoryOrder(models: ModelState[], ascending: boolean): RegistryEvent[] {
  const perModel = models.map((model) => {
    const indexed = [...model.events].sort(compareIndexing);
    const deprecations = stableSortByDate(indexed.filter((e) => e.type === "deprecation"));
    const versions = new Map<string, { direct: RegistryEvent[]; stages: Map<string, RegistryEvent[]> }>();
    for (const event of indexed) {
      if (event.type === "deprecation" || event.version === undefined) continue;
      const key = `${event.version}\0${event.commit}`;
      let version = versions.get(key);
      if (!version) versions.set(key, (version = { direct: [], stages: new Map() }));
      if (event.stage === undefined) version.direct.push(event);
      else {
        let stage = version.stages.get(event.stage);
        if (!stage) version.stages.set(event.stage, (stage = []));
        stage.push(event);
      }
    }
    const artifactEvents: RegistryEvent[] = [...deprecations];
    for (const version of versions.values()) {
      const own = [
        ...stableSortByDate(version.direct.filter((e) => e.type === "registration")),
        ...stableSortByDate(version.direct.filter((e) => e.type === "deregistration")),
      ];
      for (const stage of version.stages.values()) {
        own.push(
          ...byDateDescending([
            ...stableSortByDate(stage.filter((e) => e.type === "assignment")),
            ...stableSortByDate(stage.filter((e) => e.type === "unassignment")),
          ]),
        );
      }
      artifactEvents.push(...byDateDescending(own));
    }
    const first = indexed[0];
    return { first, events: byDateDescending(artifactEvents) };
  });
  // Artifacts in the order GTO first meets them while indexing.
  perModel.sort((a, b) => (a.first && b.first ? compareIndexing(a.first, b.first) : 0));
  const all = perModel.flatMap((m) => m.events);
  const sorted = all
    .map((event, index) => ({ event, index }))
    .sort(
      (a, b) =>
        a.event.date - b.event.date ||
        EVENT_PRIORITY[a.event.type] - EVENT_PRIORITY[b.event.type] ||
        a.index - b.index,
    )
    .map((x) => x.event);
  return ascending ? sorted : sorted.reverse();
}

type GtoEventDump = Omit<GtoEventJson, "event"> & { priority: number; addition: boolean };

/** GTO's `Commit` event (gto/base.py), the "enrichment" GTO adds to every version from its commit. */
export interface GtoCommitJson {
  priority: 0;
  addition: true;
  artifact: string;
  created_at: string;
  author: string;
  author_email: string;
  message: string;
  commit_hexsha: string;
  version: string;
  /** What GTO found in the commit's artifacts.yaml; gitml keeps its metadata in tags, so none. */
  enrichments: never[];
  committer: string;
  committer_email: string;
}

export type GtoStageEventJson = GtoEventJson & { priority: number; addition: boolean };

export interface GtoVStageJson {
  artifact: string;
  commit_hexsha: string;
  version: string;
  stage: string;
  assignments: GtoStageEventJson[];
  unassignments: GtoStageEventJson[];
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
  enrichments: GtoCommitJson[];
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
      enrichments: commitJson(model.name, version.version, options.commits?.get(version.commit)),
      registrations: registrations.map(eventDump),
      deregistrations: direct.filter((e) => e.type === "deregistration").map(eventDump),
      stages: vstagesJson(model, version.version, version.commit, version.stages, events),
      is_active: version.active,
      activated_at: at(registrations[0] ?? authoring),
      created_at: at(authoring),
      author: authoring.author,
      author_email: authoring.authorEmail,
      message: authoring.message,
      ref: authoring.tag,
      discovered: false,
    });
  }

  // GTO sorts commit-named versions by name and reverses them with the rest (gto/base.py `sort_versions`).
  const commitVersions = [...byVersion.keys()].filter(isCommitVersion).sort().reverse();
  for (const commit of commitVersions) {
    const events = byVersion.get(commit)!;
    const first = events[0]!;
    const held = Object.values(model.stages)
      .filter((s) => s.version === commit)
      .sort((a, b) => b.date - a.date)
      .map((s) => s.stage);
    const latest = events[events.length - 1]!;
    const commitInfo = options.commits?.get(commit);
    result.push({
      artifact: model.name,
      commit_hexsha: commit,
      version: commit,
      enrichments: commitJson(model.name, commit, commitInfo),
      registrations: [],
      deregistrations: [],
      stages: vstagesJson(model, commit, commit, held, events),
      is_active: true,
      activated_at: commitInfo && commitInfo.date < first.date ? at(commitInfo) : at(first),
      created_at: at(latest),
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
      // GTO dumps these with `dict_state()`: the event name and its priority and addition flag.
      assignments: assignments.map(stageEventDump),
      unassignments: stageEvents.filter((e) => e.type === "unassignment").map(stageEventDump),
      is_active: true,
      activated_at: at(authoring),
      created_at: at(authoring),
      author: authoring.author,
      author_email: authoring.authorEmail,
      message: authoring.message,
      ref: authoring.tag,
    };
  });
}

/** The commits `showModelJson` would like described (every listed version's). */
export function commitsToDescribe(state: RegistryState, name: string, options: ShowOptions = {}): string[] {
  return [...new Set(showModelJson(state, name, options).map((v) => v.commit_hexsha))];
}

function commitJson(artifact: string, version: string, commit: CommitInfo | undefined): GtoCommitJson[] {
  if (!commit) return [];
  return [
    {
      priority: 0,
      addition: true,
      artifact,
      created_at: at(commit),
      author: commit.authorName,
      author_email: commit.authorEmail,
      message: commit.message,
      commit_hexsha: commit.commit,
      version,
      enrichments: [],
      committer: commit.committerName,
      committer_email: commit.committerEmail,
    },
  ];
}

function stageEventDump(event: RegistryEvent): GtoStageEventJson {
  const dumped = eventJson(event);
  return { priority: EVENT_PRIORITY[event.type], addition: event.type === "assignment", ...dumped };
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

function at(event: { date: number; utcOffset: number }): string {
  return isoformat(event.date, event.utcOffset);
}

/**
 * Seconds since the epoch and a UTC offset (seconds east) -> Python's `datetime.isoformat()` of that
 * time in that offset, e.g. `2022-05-27T03:49:52+02:00`.
 */
export function isoformat(seconds: number, utcOffset = 0): string {
  const local = new Date((seconds + utcOffset) * 1000).toISOString().slice(0, 19);
  const sign = utcOffset < 0 ? "-" : "+";
  const minutes = Math.floor(Math.abs(utcOffset) / 60);
  const hhmm = `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
  const rest = Math.abs(utcOffset) % 60;
  return `${local}${sign}${hhmm}${rest ? `:${String(rest).padStart(2, "0")}` : ""}`;
}
