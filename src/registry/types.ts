/**
 * The registry's vocabulary. Tags are the source of truth; everything here is derived from them by
 * pure functions (parse, format, replay), so that GTO and gitml read the same state from the same tags.
 */

/** One registry action as encoded in a tag name (GTO's grammar). */
export type TagAction =
  /** GTO writes `name@vX.Y.Z#N` / `name@vX.Y.Z!#N` when asked for non-simple tags, so a counter may appear. */
  | { action: "register"; name: string; version: string; counter?: number }
  | { action: "deregister"; name: string; version: string; counter?: number }
  /** `counter` is absent only for GTO's simple forms `name#stage` / `name#stage!` (read, never written). */
  | { action: "assign"; name: string; stage: string; counter?: number }
  | { action: "unassign"; name: string; stage: string; counter?: number }
  | { action: "deprecate"; name: string; counter?: number };

/** GTO's event names, as they appear in `check-ref --json` and `history --json`. */
export type EventType = "registration" | "deregistration" | "assignment" | "unassignment" | "deprecation";

/** One tag as the tag listing reads it (src/git/tag-listing.ts). */
export interface TagRecord {
  /** Short tag name, e.g. `churn@v1.4.0`. */
  tag: string;
  /** True for annotated tags; lightweight tags are ignored by replay (and reported by `doctor`). */
  annotated: boolean;
  /** The commit the tag finally points at (peeled). */
  commit: string;
  /** Tagger time in seconds since the epoch (the committer time for lightweight tags). */
  date: number;
  /** The tagger's UTC offset in seconds east of UTC (GTO prints times in it); 0 when unknown. */
  utcOffset?: number;
  taggerName: string;
  taggerEmail: string;
  /** The full tag message: GTO's sentence, then optionally a blank line and gitml's metadata trailers. */
  message: string;
  /**
   * `parseTag(tag)` (null: not a registry tag) when the reader already parsed it, as the tag listing
   * does while git is still printing; replay parses the name itself when it is absent.
   */
  readonly action?: TagAction | null;
}

/** A param's value as a tag carries it: a scalar, or a whole list (compared as one value). */
export type TagParams = Record<string, string | number | boolean | null | readonly unknown[]>;

/** The machine-readable block gitml writes after GTO's sentence (see message.ts for the format). */
export interface TagMetadata {
  /** Flat metric name -> value, e.g. `{ accuracy: 0.91, "eval.f1": 0.88 }`: the headline metrics (see headlineMetrics). */
  metrics?: Record<string, number>;
  /** How many metrics were left out of `metrics` to keep the tag small; all of them are in the store's `metrics.json`. */
  metricsOmitted?: number;
  /**
   * The model's params (flattened, as `outputs.params` holds them) when they fit in TAG_PARAMS_MAX_BYTES of
   * JSON, so a PR report diffs them against the baseline without reading the store; larger ones are only
   * in the store.
   */
  params?: TagParams;
  /**
   * The most important features' shares of the model's importance (feature → share, most important
   * first; at most 20 features and 1 KiB of JSON), so a PR report ranks production's features without
   * reading the store. The version's `importances.json` holds them all.
   */
  importances?: Record<string, number>;
  /** `sha256:<hex>` of the stored manifest (which lists every artifact's digest). */
  artifactDigest?: string;
  /** `sha256:<hex>` of the reference data. */
  dataFingerprint?: string;
  runUrl?: string;
  pr?: number;
}

export interface RegistryEvent {
  type: EventType;
  name: string;
  /** The version the event concerns (for stage events: the version registered at the tag's commit). */
  version?: string;
  stage?: string;
  counter?: number;
  tag: string;
  commit: string;
  date: number;
  /** The tagger's UTC offset, seconds east of UTC. */
  utcOffset: number;
  author: string;
  authorEmail: string;
  message: string;
  metadata?: TagMetadata;
}

export interface VersionState {
  name: string;
  version: string;
  commit: string;
  tag: string;
  date: number;
  /** False once deregistered (a later re-registration of the same version is not allowed). */
  active: boolean;
  /** Stages this version currently holds. */
  stages: string[];
  metadata?: TagMetadata;
}

export interface StageState {
  stage: string;
  version: string;
  commit: string;
  /** The assignment tag that put the version there. */
  tag: string;
  date: number;
}

export interface ModelState {
  name: string;
  /** Every version ever registered, highest semver first. */
  versions: VersionState[];
  /** The highest active semver, or undefined. */
  latest?: VersionState;
  /** Current holder of each stage (most recent assignment not undone by an unassignment). */
  stages: Record<string, StageState>;
  deprecated: boolean;
  /** Every event in replay order. */
  events: RegistryEvent[];
  /** The next free `#N` counter for assign/unassign/deprecate tags of this model. */
  nextCounter: number;
}

export interface IgnoredTag {
  tag: string;
  reason: string;
}

export interface RegistryState {
  models: Map<string, ModelState>;
  /** Tags that look like registry tags but were not replayed (lightweight, dangling, inconsistent). */
  ignored: IgnoredTag[];
}

/** A commit as GTO describes it in a version's `enrichments` (gto/base.py `Commit`). */
export interface CommitInfo {
  commit: string;
  /** Committer time, seconds since the epoch, and the committer's UTC offset in seconds east. */
  date: number;
  utcOffset: number;
  authorName: string;
  authorEmail: string;
  committerName: string;
  committerEmail: string;
  /** The raw commit message, as stored. */
  message: string;
}
