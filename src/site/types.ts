/**
 * The catalog's data: what the static site shows, gathered by `commands/site.ts` from the registry tags,
 * the artifact store and the monitoring history of one repository or many. Plain data, so rendering is a
 * pure function of it (and tests build it by hand).
 */
import type { TagParams } from "../registry/types";

export interface Catalog {
  /** The site's title (a catalog file's `title`, else the repository's name). */
  title: string;
  /** When the site was built (ISO 8601); shown in the footer, never used for ordering. */
  generatedAt: string;
  repos: CatalogRepo[];
}

export interface CatalogRepo {
  /** `owner/name` for a repository of an organisation's catalog; the folder's name for the local one. */
  id: string;
  /** The repository's web address (`https://github.com/owner/name`), for links to commits and PRs. */
  webUrl?: string;
  /**
   * How a reader runs `gitml get` for this repository's versions: in a clone of it (`git clone … && gitml
   * get …`) when it is another repository than the one the site was built in.
   */
  cloneUrl?: string;
  models: CatalogModel[];
  /** What could not be read (a store that failed, a malformed history record): shown, never fatal. */
  warnings: string[];
}

export interface CatalogModel {
  name: string;
  description?: string;
  owners: string[];
  /** The model's stages in lifecycle order (gitml.yaml's `stages`, else the order they were first used). */
  stageOrder: string[];
  /** The metric the index shows (the first gated metric, else the first one the versions record). */
  headlineMetric?: string;
  deprecated: boolean;
  /** Every registered version, oldest registration first. */
  versions: CatalogVersion[];
  /** Stage → the version holding it now. */
  stages: Record<string, string>;
  latest?: string;
  /** The registry's events of this model, oldest first. */
  events: CatalogEvent[];
  /** The model card of the newest active version with artifacts (markdown, rendered safely). */
  modelCard?: { version: string; markdown: string };
  /** The files the store holds of that version, as its manifest lists them. */
  artifacts?: {
    version: string;
    /** `github`: the version's GitHub Release holds them (linked from the page). */
    store: "local" | "github";
    files: { path: string; role: string; size: number }[];
  };
  /** Undefined: not monitored (no `monitor` block and no recorded run). */
  monitoring?: CatalogMonitoring;
}

export interface CatalogVersion {
  version: string;
  commit: string;
  /** Registration time, seconds since the epoch. */
  date: number;
  author: string;
  /** False once deregistered. */
  active: boolean;
  /** Stages it holds now. */
  stages: string[];
  /** The metrics the tag carries (its headline metrics). */
  metrics: Record<string, number>;
  /** How many metrics the tag left out (all are in the version's stored metrics.json). */
  metricsOmitted?: number;
  params?: TagParams;
  /**
   * Feature → share of the model's importance, for the top features the tag carries (at most 20; the
   * version's stored importances.json holds them all).
   */
  importances?: Record<string, number>;
  artifactDigest?: string;
  dataFingerprint?: string;
  runUrl?: string;
  pr?: number;
}

export type CatalogEventKind = "register" | "promote" | "rollback" | "unassign" | "deregister" | "deprecate";

export interface CatalogEvent {
  kind: CatalogEventKind;
  version?: string;
  stage?: string;
  /** For a promotion or a rollback: the version that held the stage before. */
  previous?: string;
  date: number;
  author: string;
  tag: string;
  commit: string;
  runUrl?: string;
  pr?: number;
}

export interface CatalogMonitoring {
  /** False when gitml.yaml has no `monitor` block but runs were recorded (the block was removed since). */
  configured: boolean;
  /** Every recorded run, newest first. */
  runs: MonitoringRun[];
  /** Whether the model's alert is open now (the latest run alerted). */
  alertOpen: boolean;
  /** Where the alert is (an issue URL) when known. */
  alertUrl?: string;
}

export interface MonitoringRun {
  /** Seconds since the epoch. */
  date: number;
  /** The monitored version. */
  version?: string;
  stage?: string;
  datasetDrift: boolean;
  schemaDrift: boolean;
  /** Share of tested columns that drifted, 0..1. */
  driftedShare: number;
  columns: number;
  driftedColumns: number;
  /** The most drifted columns, most drifted first. */
  topDrifted: {
    name: string;
    /** What the test's threshold was compared with: a p-value (`pValue`), else the test's statistic. */
    score?: number;
    pValue?: boolean;
    test?: string;
  }[];
  performance?: {
    metric: string;
    current: number | null;
    reference: number | null;
    decayed: boolean;
  };
  /** Whether this run found drift or decay (it raised or kept an alert). */
  alerting: boolean;
  /** Why the run failed (it then found nothing either way). */
  error?: string;
  runUrl?: string;
}
