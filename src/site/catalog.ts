/**
 * A model's catalog entry from its replayed registry state: versions oldest first with what their tags
 * record (metrics, params, digests, run, PR), and the events as a person reads them (a promotion of an
 * older version than the stage's holder is a rollback). Pure: the command adds the store's model card
 * and the monitoring history.
 */
import semver from "semver";
import { isCommitVersion } from "../registry/replay";
import type { ModelState, RegistryEvent } from "../registry/types";
import type {
  CatalogEvent,
  CatalogEventKind,
  CatalogModel,
  CatalogMonitoring,
  CatalogVersion,
} from "./types";

export interface ModelDetails {
  description?: string;
  owners?: readonly string[];
  /** gitml.yaml's stages, in order. */
  stages?: readonly string[];
  /** Metrics the gates name, in gate order: the first is the headline. */
  gatedMetrics?: readonly string[];
  modelCard?: { version: string; markdown: string };
  monitoring?: CatalogMonitoring;
}

export function catalogModel(model: ModelState, details: ModelDetails = {}): CatalogModel {
  const registeredBy = new Map<string, RegistryEvent>();
  for (const event of model.events) {
    if (event.type === "registration" && event.version && !registeredBy.has(event.version))
      registeredBy.set(event.version, event);
  }
  const versions: CatalogVersion[] = model.versions
    .map((state): CatalogVersion => {
      const metadata = state.metadata;
      const registration = registeredBy.get(state.version);
      return {
        version: state.version,
        commit: state.commit,
        date: state.date,
        author: registration?.author ?? "",
        active: state.active,
        stages: [...state.stages],
        metrics: { ...(metadata?.metrics ?? {}) },
        ...(metadata?.metricsOmitted ? { metricsOmitted: metadata.metricsOmitted } : {}),
        ...(metadata?.params ? { params: metadata.params } : {}),
        ...(metadata?.importances ? { importances: metadata.importances } : {}),
        ...(metadata?.artifactDigest ? { artifactDigest: metadata.artifactDigest } : {}),
        ...(metadata?.dataFingerprint ? { dataFingerprint: metadata.dataFingerprint } : {}),
        ...(metadata?.runUrl ? { runUrl: metadata.runUrl } : {}),
        ...(metadata?.pr !== undefined ? { pr: metadata.pr } : {}),
      };
    })
    .sort((a, b) => a.date - b.date || compareSemver(a.version, b.version));

  const events = catalogEvents(model.events);
  const stages: Record<string, string> = {};
  for (const [stage, holder] of Object.entries(model.stages)) stages[stage] = holder.version;
  const stageOrder = orderStages(details.stages ?? [], model.events);

  return {
    name: model.name,
    ...(details.description ? { description: details.description } : {}),
    owners: [...(details.owners ?? [])],
    stageOrder,
    ...headline(details.gatedMetrics ?? [], versions),
    deprecated: model.deprecated,
    versions,
    stages,
    ...(model.latest ? { latest: model.latest.version } : {}),
    events,
    ...(details.modelCard ? { modelCard: details.modelCard } : {}),
    ...(details.monitoring ? { monitoring: details.monitoring } : {}),
  };
}

/** The first gated metric some version records; else the metric most versions record (ties: first seen). */
function headline(
  gated: readonly string[],
  versions: readonly CatalogVersion[],
): { headlineMetric?: string } {
  for (const metric of gated) {
    if (versions.some((v) => Object.hasOwn(v.metrics, metric))) return { headlineMetric: metric };
  }
  const counts = new Map<string, number>();
  for (const version of versions) {
    for (const metric of Object.keys(version.metrics)) counts.set(metric, (counts.get(metric) ?? 0) + 1);
  }
  let best: string | undefined;
  for (const [metric, count] of counts) if (best === undefined || count > counts.get(best)!) best = metric;
  return best === undefined ? {} : { headlineMetric: best };
}

/** The configured stages first, in their order, then any other stage in the order it was first used. */
function orderStages(configured: readonly string[], events: readonly RegistryEvent[]): string[] {
  const order = [...configured];
  for (const event of events) if (event.stage && !order.includes(event.stage)) order.push(event.stage);
  return order;
}

const KIND: Record<RegistryEvent["type"], CatalogEventKind> = {
  registration: "register",
  deregistration: "deregister",
  assignment: "promote",
  unassignment: "unassign",
  deprecation: "deprecate",
};

/** The events in replay order; an assignment of a lower version than the stage's holder is a rollback. */
export function catalogEvents(events: readonly RegistryEvent[]): CatalogEvent[] {
  const holders = new Map<string, string>();
  return events.map((event) => {
    let kind = KIND[event.type];
    let previous: string | undefined;
    if (event.type === "assignment" && event.stage) {
      previous = holders.get(event.stage);
      if (previous !== undefined && event.version !== undefined && isOlder(event.version, previous))
        kind = "rollback";
      if (event.version !== undefined) holders.set(event.stage, event.version);
    } else if (event.type === "unassignment" && event.stage && holders.get(event.stage) === event.version) {
      holders.delete(event.stage);
    }
    const metadata = event.metadata;
    return {
      kind,
      ...(event.version !== undefined ? { version: event.version } : {}),
      ...(event.stage !== undefined ? { stage: event.stage } : {}),
      ...(previous !== undefined && previous !== event.version ? { previous } : {}),
      date: event.date,
      author: event.author,
      tag: event.tag,
      commit: event.commit,
      ...(metadata?.runUrl ? { runUrl: metadata.runUrl } : {}),
      ...(metadata?.pr !== undefined ? { pr: metadata.pr } : {}),
    };
  });
}

function isOlder(version: string, than: string): boolean {
  if (isCommitVersion(version) || isCommitVersion(than)) return false;
  return compareSemver(version, than) < 0;
}

/** Ascending semver order of `vX.Y.Z` strings; anything unparsable sorts by its text. */
export function compareSemver(a: string, b: string): number {
  const pa = semver.parse(a.replace(/^v/, ""));
  const pb = semver.parse(b.replace(/^v/, ""));
  if (pa && pb) return pa.compare(pb);
  return a < b ? -1 : a > b ? 1 : 0;
}
