/**
 * Registry state = replay of every registry tag, the way GTO computes it (gto/tag.py, gto/base.py),
 * in one pass after one sort, so 10,000 tags replay in a few milliseconds.
 *
 * Order. Tags are replayed by tagger time. Tagger times have one-second resolution, so equal times are
 * broken by, in turn: GTO's event priority (deprecation < registration < deregistration < assignment <
 * unassignment, gto/base.py), the `#N` counter (monotonic per model; a tag without one counts as 0),
 * then the tag name (code-unit order). The key depends only on the tags, so every clone replays the
 * same sequence whatever order `git for-each-ref` lists them in.
 *
 * Semantics (GTO's, checked against gto/base.py and gto/registry.py):
 * - A version is active from its registration until a later deregistration (a later re-registration
 *   of the same version at the same commit, e.g. `m@v1.0.0#7`, makes it active again).
 * - latest = the highest active semver.
 * - A stage tag concerns the version registered at the tag's commit. GTO indexes all registrations
 *   before any stage tag, so a registration counts whenever it happened. With no registration at that
 *   commit, GTO records the stage against the commit itself (a "discovered" version named by the commit
 *   hash): so do we, and `StageState.version` is then the 40-hex commit (see `isCommitVersion`).
 * - A stage's holder is the active version whose still-standing assignment is most recent; an
 *   unassignment of that version (or its deregistration) hands the stage back to the previous holder
 *   whose assignment was never undone (GTO's `versions_per_stage=1`, `--sort timestamp`). Among
 *   assignments of the same second, GTO's rule decides: the version registered earliest holds it.
 * - Every tag GTO indexes is an event: a re-registration at another commit and a deregistration of a
 *   version not registered there are listed (history, check-ref); the version stays at its first
 *   commit (GTO would list a second version of the same name: docs/registry.md, "Differences from GTO").
 * - Deprecation hides a model until any later event of that model (GTO: an artifact is active unless
 *   its most recent event is a deprecation).
 * - nextCounter = 1 + the highest `#N` among all of the model's tags, lightweight ones included, so a
 *   new tag can never collide with an existing name (gto/tag.py `name_tag`).
 */
import semver from "semver";
import type { Logger } from "../util/logger";
import { parseTagMessage } from "./message";
import { eventTypeOf, looksLikeRegistryTag, parseTag } from "./tags";
import type {
  EventType,
  IgnoredTag,
  ModelState,
  RegistryEvent,
  RegistryState,
  StageState,
  TagAction,
  TagMetadata,
  TagRecord,
  VersionState,
} from "./types";

export interface ReplayOptions {
  /** Receives one warning per malformed metadata block (the tag itself is still replayed). */
  logger?: Logger;
}

/** GTO's event priorities (gto/base.py), used to break ties at equal tagger times. */
export const EVENT_PRIORITY: Record<EventType, number> = {
  deprecation: 2,
  registration: 3,
  deregistration: 4,
  assignment: 5,
  unassignment: 6,
};

/** One replayable tag. A class, so that the 10,000 of a large registry share one shape. */
class Entry {
  readonly date: number;
  readonly priority: number;
  /** Replay position, set once sorted. */
  position = -1;
  /**
   * True for a tag GTO reads as a second version of the same name (a registration of a version already
   * registered at another commit, a deregistration at a commit where the version is not registered).
   * It is an event (history, check-ref) but leaves the version where its first registration put it.
   */
  eventOnly = false;
  /** The version the event concerns (for a stage tag: the one registered at its commit, or the commit). */
  version: string | undefined = undefined;
  #parsedMessage?: ReturnType<typeof parseTagMessage>;
  constructor(
    readonly record: TagRecord,
    readonly action: TagAction,
    readonly type: EventType,
    readonly counter: number,
    private readonly logger: Logger | undefined,
  ) {
    this.date = record.date;
    this.priority = EVENT_PRIORITY[type];
  }

  /**
   * Tag messages are parsed only when something reads an event's or version's metadata: most reads of
   * a large registry (show, history, promote) never do, and parsing 10,000 messages was most of
   * replay's time. The event and the version of a registration share this one parse.
   */
  metadata(): TagMetadata | undefined {
    if (!this.#parsedMessage) {
      this.#parsedMessage = parseTagMessage(this.record.message);
      for (const problem of this.#parsedMessage.problems) {
        this.logger?.warning(`tag ${this.record.tag}: ${problem}`);
      }
    }
    return this.#parsedMessage.metadata;
  }
}

interface StageAccumulator {
  version: string;
  stage: string;
  active: boolean;
  /** Position (in replay order) of the assignment standing for this version and stage. */
  assignedAt: number;
  assignment?: Entry;
  /** The version's first tag for this stage in GTO's indexing order (time, then tag name). */
  first: Entry;
}

interface ModelAccumulator {
  model: ModelState;
  /** The model's replayed tags in replay order; `model.events` is built from them when first read. */
  applied: Entry[];
  versions: Map<string, VersionState>;
  /** Key: version + "\0" + stage. */
  stages: Map<string, StageAccumulator>;
  maxCounter: number;
}

function compareEntries(a: Entry, b: Entry): number {
  return (
    a.date - b.date ||
    a.priority - b.priority ||
    a.counter - b.counter ||
    (a.record.tag < b.record.tag ? -1 : a.record.tag > b.record.tag ? 1 : 0)
  );
}

export function replay(records: readonly TagRecord[], options: ReplayOptions = {}): RegistryState {
  const ignored: IgnoredTag[] = [];
  const models = new Map<string, ModelAccumulator>();
  const entries: Entry[] = [];
  // git lists tags sorted by name, so a tag after a smaller one cannot repeat an earlier one: the set of
  // names seen (10,000 hashes and insertions, a tenth of replay) is built only if the order ever breaks.
  let seenTags: Set<string> | undefined;
  let previousTag: string | undefined;

  const accumulatorFor = (name: string): ModelAccumulator => {
    let acc = models.get(name);
    if (!acc) {
      const applied: Entry[] = [];
      acc = {
        model: modelWithLazyEvents(name, applied),
        applied,
        versions: new Map(),
        stages: new Map(),
        maxCounter: 0,
      };
      models.set(name, acc);
    }
    return acc;
  };

  for (let index = 0; index < records.length; index++) {
    const record = records[index]!;
    const action = record.action === undefined ? parseTag(record.tag) : record.action;
    if (!action) {
      if (looksLikeRegistryTag(record.tag)) {
        ignored.push({
          tag: record.tag,
          reason: /@created(#\d+)?$/.test(record.tag)
            ? "GTO's '@created' form is not a registry action (and it makes every GTO read fail: delete it)"
            : "looks like a registry tag but does not follow GTO's grammar (name@vX.Y.Z, name#stage#N, name@deprecated)",
        });
      }
      continue;
    }
    if (!seenTags && previousTag !== undefined && !(record.tag > previousTag)) {
      seenTags = new Set();
      for (let earlier = 0; earlier < index; earlier++) seenTags.add(records[earlier]!.tag);
    }
    if (seenTags) {
      if (seenTags.has(record.tag)) {
        ignored.push({ tag: record.tag, reason: "listed twice; the first record counts" });
        continue;
      }
      seenTags.add(record.tag);
    } else previousTag = record.tag;
    // Counters are counted before filtering: a lightweight tag still occupies its name.
    const counter = action.counter ?? 0;
    const acc = accumulatorFor(action.name);
    acc.maxCounter = Math.max(acc.maxCounter, counter);

    if (!record.annotated) {
      ignored.push({ tag: record.tag, reason: "lightweight tag: GTO and gitml read only annotated tags" });
      continue;
    }
    if (!record.commit) {
      ignored.push({ tag: record.tag, reason: "does not point at a commit" });
      continue;
    }
    entries.push(new Entry(record, action, eventTypeOf(action.action), counter, options.logger));
  }

  entries.sort(compareEntries);

  // GTO indexes registrations before stage tags, so a stage tag sees registrations made after it too.
  const registrationsAt = indexRegistrations(entries);

  for (let position = 0; position < entries.length; position++) {
    const entry = entries[position]!;
    const acc = accumulatorFor(entry.action.name);
    if (entry.eventOnly) {
      if (entry.action.action === "register") entry.version = entry.action.version;
    } else applyEntry(acc, entry, registrationsAt);
    acc.applied.push(entry);
    acc.model.deprecated = entry.type === "deprecation";
  }

  const result = new Map<string, ModelState>();
  for (const [name, acc] of models) {
    if (acc.applied.length === 0) continue; // only lightweight or ignored tags
    finalizeModel(acc);
    result.set(name, acc.model);
  }
  return { models: result, ignored };
}

class ReplayedEvent implements RegistryEvent {
  version?: string;
  stage?: string;
  counter?: number;
  readonly tag: string;
  readonly commit: string;
  readonly date: number;
  readonly author: string;
  readonly authorEmail: string;
  readonly message: string;
  readonly #source: Entry;
  get utcOffset(): number {
    return this.#source.record.utcOffset ?? 0;
  }
  readonly type: EventType;
  readonly name: string;
  constructor(entry: Entry) {
    const { record, action } = entry;
    this.type = entry.type;
    this.name = action.name;
    if (entry.version !== undefined) this.version = entry.version;
    if (action.action === "assign" || action.action === "unassign") this.stage = action.stage;
    if (action.counter !== undefined) this.counter = action.counter;
    this.tag = record.tag;
    this.commit = record.commit;
    this.date = record.date;
    this.author = record.taggerName;
    this.authorEmail = record.taggerEmail;
    this.message = record.message.trim();
    this.#source = entry;
  }
  get metadata(): TagMetadata | undefined {
    return this.#source.metadata();
  }
}

/**
 * A model whose `events` are built when first read: `show` and most other reads never look at them, and
 * 10,000 event objects made replay's garbage collection a third of its time. `events` is an own,
 * enumerable property (an accessor until first read, then a plain writable array), so copies, equality
 * checks and JSON see it as before.
 */
function modelWithLazyEvents(name: string, applied: Entry[]): ModelState {
  const model: ModelState = { name, versions: [], stages: {}, deprecated: false, events: [], nextCounter: 1 };
  const settle = (events: RegistryEvent[]): void => {
    Object.defineProperty(model, "events", {
      value: events,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  };
  Object.defineProperty(model, "events", {
    enumerable: true,
    configurable: true,
    get(): RegistryEvent[] {
      const events: RegistryEvent[] = applied.map((entry) => new ReplayedEvent(entry));
      settle(events);
      return events;
    },
    set: settle,
  });
  return model;
}

class ReplayedVersion implements VersionState {
  readonly commit: string;
  readonly tag: string;
  readonly date: number;
  active = true;
  readonly #source: Entry;
  readonly #earlier?: VersionState;
  constructor(
    readonly name: string,
    readonly version: string,
    record: TagRecord,
    public stages: string[],
    source: Entry,
    /** A re-registration keeps the earlier registration's metadata when it carries none. */
    earlier: VersionState | undefined,
  ) {
    this.commit = record.commit;
    this.tag = record.tag;
    this.date = record.date;
    this.#source = source;
    this.#earlier = earlier;
  }
  get metadata(): TagMetadata | undefined {
    return this.#source.metadata() ?? this.#earlier?.metadata;
  }
}

/** True when a stage holder's "version" is the commit GTO names an unregistered stage target by. */
export function isCommitVersion(version: string): boolean {
  return /^[0-9a-f]{40}$/.test(version) || /^[0-9a-f]{64}$/.test(version);
}

/** The version of `model` registered at `commit` (the active one if several), or undefined. */
export function versionAt(state: RegistryState, model: string, commit: string): VersionState | undefined {
  const versions = state.models.get(model)?.versions ?? [];
  let best: VersionState | undefined;
  for (const version of versions) {
    if (version.commit !== commit) continue;
    if (
      !best ||
      (version.active && !best.active) ||
      (version.active === best.active && version.date > best.date)
    ) {
      best = version;
    }
  }
  return best;
}

/** model -> commit -> accepted registrations at that commit, in replay order. */
type RegistrationIndex = Map<string, Map<string, Entry[]>>;

/** Sets each entry's position and marks registrations of a version already registered elsewhere. */
function indexRegistrations(entries: readonly Entry[]): RegistrationIndex {
  const byCommit: RegistrationIndex = new Map();
  const commitOfVersion = new Map<string, Map<string, string>>(); // model -> version -> commit
  for (let position = 0; position < entries.length; position++) {
    const entry = entries[position]!;
    entry.position = position;
    const { action, record } = entry;
    if (action.action !== "register") continue;
    const { name, version } = action;
    let commitsByVersion = commitOfVersion.get(name);
    if (!commitsByVersion) commitOfVersion.set(name, (commitsByVersion = new Map()));
    const firstCommit = commitsByVersion.get(version);
    // GTO reads a re-registration at another commit as a second version of the same name; gitml keeps
    // the version at its first commit and lists the re-registration as an event (docs/registry.md: differences from GTO).
    if (firstCommit !== undefined && firstCommit !== record.commit) entry.eventOnly = true;
    else commitsByVersion.set(version, record.commit);
    let commits = byCommit.get(name);
    if (!commits) byCommit.set(name, (commits = new Map()));
    let list = commits.get(record.commit);
    if (!list) commits.set(record.commit, (list = []));
    list.push(entry);
  }
  return byCommit;
}

/** Versions get their stages when the model is finalized; until then they share this (never mutated) one. */
const NO_STAGES_YET: string[] = [];

/** Applies one tag to its model's state (every tag GTO indexes is an event: none is refused here). */
function applyEntry(acc: ModelAccumulator, entry: Entry, registrations: RegistrationIndex): void {
  const { record, action, position } = entry;

  switch (action.action) {
    case "register": {
      entry.version = action.version;
      const existing = acc.versions.get(action.version);
      const state: VersionState = new ReplayedVersion(
        action.name,
        action.version,
        record,
        NO_STAGES_YET,
        entry,
        existing,
      );
      acc.versions.set(action.version, state);
      return;
    }
    case "deregister": {
      entry.version = action.version;
      const existing = acc.versions.get(action.version);
      if (!existing) {
        // GTO keeps a version that was only ever deregistered (inactive, listed with --deprecated); its
        // number is then taken, so bumps step over it.
        const state = new ReplayedVersion(
          action.name,
          action.version,
          record,
          NO_STAGES_YET,
          entry,
          undefined,
        );
        state.active = false;
        acc.versions.set(action.version, state);
        return;
      }
      // At another commit GTO deregisters a second version of that name, not this one: an event only.
      if (existing.commit === record.commit) existing.active = false;
      return;
    }
    case "assign":
    case "unassign": {
      const version =
        versionForStageTag(registrations.get(action.name)?.get(record.commit), position) ?? record.commit;
      entry.version = version;
      const key = `${version}\0${action.stage}`;
      let stage = acc.stages.get(key);
      if (!stage) {
        stage = { version, stage: action.stage, active: false, assignedAt: -1, first: entry };
        acc.stages.set(key, stage);
      } else if (indexedEarlier(entry, stage.first)) stage.first = entry;
      if (action.action === "assign") {
        stage.active = true;
        stage.assignedAt = position;
        stage.assignment = entry;
      } else {
        stage.active = false;
      }
      return;
    }
    case "deprecate":
      return;
  }
}

/** The registration a stage tag at a commit concerns: the last one before it, else the first one after. */
function versionForStageTag(candidates: Entry[] | undefined, position: number): string | undefined {
  if (!candidates || candidates.length === 0) return undefined;
  let chosen = candidates[0]!;
  for (const candidate of candidates) {
    if (candidate.position < position) chosen = candidate;
    else break;
  }
  return chosen.action.action === "register" ? chosen.action.version : undefined;
}

function finalizeModel(acc: ModelAccumulator): void {
  const { model } = acc;
  const versions = sortVersionsDescending([...acc.versions.values()]);
  for (const version of versions) version.stages = [];
  model.versions = versions;
  model.latest = versions.find((v) => v.active);

  // Only ties need it: computed on the first one (most registries have none).
  let standing: ReturnType<typeof gtoVersionStanding> | undefined;
  // GTO's holder of a stage (gto/base.py `Artifact.get_vstages`, `--sort timestamp`, one version per
  // stage): the most recent assignment by tagger time. Among assignments of the same second, the
  // version that comes last in GTO's version list wins: the one registered earliest (versions are
  // listed newest `created_at` first, ties in reverse indexing order, then a stable sort by assignment
  // time is reversed).
  const wins = (a: StageAccumulator, b: StageAccumulator): boolean => {
    const byDate = a.assignment!.date - b.assignment!.date;
    if (byDate !== 0) return byDate > 0;
    standing ??= gtoVersionStanding(acc);
    const sa = standing.get(a.version)!;
    const sb = standing.get(b.version)!;
    return sa.createdAt - sb.createdAt < 0 || (sa.createdAt === sb.createdAt && sa.rank < sb.rank);
  };
  const holders = new Map<string, StageAccumulator>();
  for (const stage of acc.stages.values()) {
    if (!stage.active) continue;
    const version = acc.versions.get(stage.version);
    // A deregistered version holds nothing; a commit-named ("discovered") version cannot be deregistered.
    if (version ? !version.active : !isCommitVersion(stage.version)) continue;
    const current = holders.get(stage.stage);
    if (!current || wins(stage, current)) holders.set(stage.stage, stage);
  }
  const stages: Record<string, StageState> = {};
  for (const name of [...holders.keys()].sort()) {
    const holder = holders.get(name)!;
    const assignment = holder.assignment!;
    stages[name] = {
      stage: name,
      version: holder.version,
      commit: assignment.record.commit,
      tag: assignment.record.tag,
      date: assignment.record.date,
    };
  }
  model.stages = stages;
  // Most recent assignment first, as GTO lists a version's stages.
  // GTO lists a version's stages in the order its reversed stable sort leaves them: among stages won
  // in the same second, the one whose first tag GTO indexed later comes first.
  const held = [...holders.values()].sort((a, b) =>
    wins(a, b)
      ? -1
      : wins(b, a)
        ? 1
        : indexedEarlier(a.first, b.first)
          ? 1
          : indexedEarlier(b.first, a.first)
            ? -1
            : 0,
  );
  for (const holder of held) acc.versions.get(holder.version)?.stages.push(holder.stage);
  model.nextCounter = acc.maxCounter + 1;
}

/** GTO indexes the tags of one kind by tagger time, ties in the order git lists them (by name). */
function indexedEarlier(a: Entry, b: Entry): boolean {
  return a.date < b.date || (a.date === b.date && a.record.tag < b.record.tag);
}

/**
 * For each version a stage tag can name: GTO's `created_at` (the latest registration's tagger time; for
 * a commit-named version, its latest stage tag's) and its place in GTO's indexing order (registrations
 * and deregistrations before stage tags, each by tagger time, then by tag name as git lists tags).
 */
function gtoVersionStanding(acc: ModelAccumulator): Map<string, { createdAt: number; rank: number }> {
  const firstSeen = new Map<string, Entry>();
  const standing = new Map<string, { createdAt: number; rank: number }>();
  const earlier = indexedEarlier;
  const commitCreatedAt = new Map<string, number>();
  for (const entry of acc.applied) {
    const version = entry.version;
    if (version === undefined || entry.eventOnly) continue;
    const registration = entry.type === "registration" || entry.type === "deregistration";
    if (!registration && acc.versions.has(version)) continue;
    if (!registration) commitCreatedAt.set(version, Math.max(commitCreatedAt.get(version) ?? 0, entry.date));
    const seen = firstSeen.get(version);
    if (!seen || earlier(entry, seen)) firstSeen.set(version, entry);
  }
  const phase = (version: string): number => (acc.versions.has(version) ? 0 : 1);
  const order = [...firstSeen.entries()].sort(
    ([va, a], [vb, b]) => phase(va) - phase(vb) || (earlier(a, b) ? -1 : earlier(b, a) ? 1 : 0),
  );
  order.forEach(([version], rank) => {
    const registered = acc.versions.get(version);
    standing.set(version, { createdAt: registered ? registered.date : commitCreatedAt.get(version)!, rank });
  });
  return standing;
}

/** Highest semver first; equal precedence (build metadata differs) falls back to the string. */
export function compareVersionsDescending(a: { version: string }, b: { version: string }): number {
  return compareParsedDescending(parseVersion(a.version), parseVersion(b.version));
}

/**
 * A version ready for comparison. Plain `vX.Y.Z` (nearly every registry version) is compared as three
 * numbers without building a semver object; anything with a prerelease or build part goes to semver.
 */
interface ParsedVersion {
  version: string;
  major: number;
  minor: number;
  patch: number;
  semver?: semver.SemVer;
}

/**
 * `vX.Y.Z` read by hand (what `/^v(0|[1-9]\d{0,14})\.(0|[1-9]\d{0,14})\.(0|[1-9]\d{0,14})$/` accepts,
 * without a match array per version), or undefined for anything else.
 */
function parsePlainVersion(version: string): ParsedVersion | undefined {
  if (version.charCodeAt(0) !== 118 /* v */) return undefined;
  const numbers = [0, 0, 0];
  let position = 1;
  for (let part = 0; part < 3; part++) {
    const start = position;
    let value = 0;
    while (position < version.length) {
      const digit = version.charCodeAt(position) - 48;
      if (digit < 0 || digit > 9) break;
      value = value * 10 + digit;
      position++;
    }
    const digits = position - start;
    if (digits === 0 || digits > 15 || (digits > 1 && version.charCodeAt(start) === 48)) return undefined;
    numbers[part] = value;
    if (part < 2) {
      if (version.charCodeAt(position) !== 46 /* . */) return undefined;
      position++;
    }
  }
  if (position !== version.length) return undefined;
  return { version, major: numbers[0]!, minor: numbers[1]!, patch: numbers[2]! };
}

/**
 * Parsed versions, shared by every model: a registry's models mostly reuse the same few version numbers
 * (100 models × v1.1.0…v1.80.0 are 80 parses rather than 8,000, and 8,000 objects fewer to collect).
 */
const parsedVersions = new Map<string, ParsedVersion>();

function parseVersion(version: string): ParsedVersion {
  let parsed = parsedVersions.get(version);
  if (parsed === undefined) {
    parsed = parsePlainVersion(version) ?? parseSemver(version);
    if (parsedVersions.size < 100_000) parsedVersions.set(version, parsed);
  }
  return parsed;
}

function parseSemver(version: string): ParsedVersion {
  const parsed = new semver.SemVer(version.slice(1));
  return { version, major: parsed.major, minor: parsed.minor, patch: parsed.patch, semver: parsed };
}

function compareParsedDescending(a: ParsedVersion, b: ParsedVersion): number {
  const byNumbers = b.major - a.major || b.minor - a.minor || b.patch - a.patch;
  if (byNumbers !== 0) return byNumbers;
  // Same X.Y.Z: a release outranks its prereleases; semver orders prereleases (build metadata is ignored).
  const bySemver =
    a.semver || b.semver
      ? (b.semver ?? new semver.SemVer(b.version.slice(1))).compare(
          a.semver ?? new semver.SemVer(a.version.slice(1)),
        )
      : 0;
  return bySemver || (a.version < b.version ? 1 : a.version > b.version ? -1 : 0);
}

/** Sorts in place: versions are parsed once each (parseVersion's cache), with no wrapper per version. */
function sortVersionsDescending(versions: VersionState[]): VersionState[] {
  return versions.sort((a, b) => compareParsedDescending(parseVersion(a.version), parseVersion(b.version)));
}

/** How far ahead of this clock another writer's tag may be and still be waited for (clock skew). */
const MAX_SKEW_WAIT_SECONDS = 5;

/**
 * Whether a tag for this model may be created now, at `date`: only when none of the model's events is
 * in this same second (or, from a clock a little ahead, in the next few). Tagger times have one-second
 * resolution, and GTO and gitml order events of one second by rules of their own (priorities, the
 * version registered first, tag names), so a writer that gets `false` waits for the next second rather
 * than create a tie at all: then every reader, GTO included, replays the same sequence.
 */
export function replaysLast(model: ModelState | undefined, tag: string, date: number): boolean {
  if (!model || !parseTag(tag)) return true;
  return model.events.every((e) => e.date < date || e.date > date + MAX_SKEW_WAIT_SECONDS);
}
