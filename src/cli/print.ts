import { markdownTable } from "markdown-table";
import type { CheckRefResult } from "../commands/check-ref";
import type { DoctorCheck } from "../commands/doctor";
import type { EventResult } from "../commands/event";
import type { GetResult } from "../commands/get";
import type { HistoryResult } from "../commands/history";
import type { PromoteResult } from "../commands/promote";
import type { RegisterResult } from "../commands/register";
import type { ShowResult } from "../commands/show";
import type { SiteResult } from "../commands/site";
import type { CommitInfo } from "../registry/types";
import { eventJson, historyJson, showModelJson, showRegistryJson, showSelectionJson } from "../registry";

// What the registry verbs print on stdout: human text by default, JSON with --json. Kept free of the
// report and config modules, so that reading the registry loads neither yaml nor zod.

export function out(text: string): void {
  process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

export function json(value: unknown): void {
  out(JSON.stringify(value, null, 2));
}

function when(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
}

function short(commit: string): string {
  return commit.slice(0, 12);
}

function pushedNote(pushed: boolean): string {
  return pushed ? "pushed to origin" : "local only";
}

export function printRegistered(result: RegisterResult, asJson: boolean): void {
  if (asJson) return json(result);
  const artifacts = result.digest ? `, artifacts ${result.digest}` : ", no artifacts";
  out(
    `registered ${result.model}@${result.version} (tag ${result.tag} on ${short(result.commit)}${artifacts}; ${pushedNote(result.pushed)})`,
  );
}

export function printPromoted(result: PromoteResult, asJson: boolean): void {
  if (asJson) return json(result);
  if (!result.tag)
    return out(`${result.model}@${result.version} is already in ${result.stage}: nothing to do`);
  const was = result.previous ? ` (was ${result.previous})` : "";
  out(
    `promoted ${result.model}@${result.version} to ${result.stage}${was} (tag ${result.tag}; ${pushedNote(result.pushed)})`,
  );
}

export function printEvent(result: EventResult, summary: string, asJson: boolean): void {
  if (asJson) return json(result);
  out(`${summary} (tag ${result.tag} on ${short(result.commit)}; ${pushedNote(result.pushed)})`);
}

export function printShow(result: ShowResult, asJson: boolean): void {
  switch (result.kind) {
    case "registry": {
      if (asJson) return json(showRegistryJson(result.state));
      const models = [...result.state.models.values()].sort((a, b) => a.name.localeCompare(b.name));
      if (models.length === 0) return out("no models are registered yet (gitml register <model>)");
      const stages = [...new Set(models.flatMap((m) => Object.keys(m.stages)))].sort();
      out(
        markdownTable([
          ["model", "latest", ...stages.map((s) => `#${s}`)],
          ...models.map((m) => [
            m.deprecated ? `${m.name} (deprecated)` : m.name,
            m.latest?.version ?? "-",
            ...stages.map((s) => m.stages[s]?.version ?? "-"),
          ]),
        ]),
      );
      return;
    }
    case "model": {
      if (asJson) return json(showModelJson(result.state, result.model.name, withCommits(result.commits)));
      const m = result.model;
      out(
        markdownTable([
          ["version", "stages", "registered", "commit", "active"],
          ...m.versions.map((v) => [
            v.version,
            v.stages.join(", ") || "-",
            when(v.date),
            short(v.commit),
            v.active ? "yes" : "no",
          ]),
        ]),
      );
      return;
    }
    case "selection": {
      const selected = showSelectionJson(result.state, result.spec, withCommits(result.commits));
      if (asJson) return json(selected);
      if (selected.length === 0) return out(nothingSelected(result));
      out(
        selected
          .map((v) => {
            const registered = result.model.versions.find(
              (known) => known.version === v.version && known.commit === v.commit_hexsha,
            );
            const lines = [
              `${v.artifact}@${v.version}`,
              `  commit:     ${v.commit_hexsha}`,
              `  tag:        ${v.ref}`,
              registered
                ? `  registered: ${when(registered.date)}`
                : "  registered: no (GTO names a stage assigned to an unregistered commit by the commit)",
              `  stages:     ${v.stages.map((s) => s.stage).join(", ") || "-"}`,
              `  active:     ${v.is_active ? "yes" : "no (deregistered)"}`,
            ];
            if (registered?.metadata?.artifactDigest)
              lines.push(`  artifacts:  ${registered.metadata.artifactDigest}`);
            for (const [name, value] of Object.entries(registered?.metadata?.metrics ?? {}))
              lines.push(`  ${name}: ${value}`);
            if (registered?.metadata?.metricsOmitted)
              lines.push(
                `  (${registered.metadata.metricsOmitted} more metrics in the stored metrics.json: gitml get)`,
              );
            const importances = Object.entries(registered?.metadata?.importances ?? {});
            if (importances.length > 0)
              lines.push(
                `  importance: ${importances
                  .slice(0, 5)
                  .map(
                    ([feature, share]) =>
                      `${feature.replace(/\s+/g, " ")} ${Number((share * 100).toPrecision(3))}%`,
                  )
                  .join(", ")}${importances.length > 5 ? ", …" : ""}`,
              );
            return lines.join("\n");
          })
          .join("\n\n"),
      );
      return;
    }
  }
}

function withCommits(commits: Map<string, CommitInfo> | undefined): { commits?: Map<string, CommitInfo> } {
  return commits ? { commits } : {};
}

/** What `show` says when a selection is empty: GTO answers `[]`, and so does `--json`. */
function nothingSelected(result: Extract<ShowResult, { kind: "selection" }>): string {
  const { model, spec } = result;
  if (model.deprecated) return `${model.name} is deprecated: nothing to show`;
  switch (spec.kind) {
    case "latest":
      return `${model.name} has no active version`;
    case "version": {
      const known = model.versions.find((v) => v.version === spec.version);
      return known
        ? `${model.name}@${spec.version} was deregistered`
        : `${model.name}@${spec.version} is not registered`;
    }
    case "stage":
      return `no version of ${model.name} is in stage '${spec.stage}'`;
  }
}

export function printHistory(result: HistoryResult, asJson: boolean): void {
  const entries = historyJson(result.state, { model: result.model });
  if (asJson) return json(entries);
  if (entries.length === 0) return out("no registry events yet");
  out(
    markdownTable([
      ["time", "model", "event", "version", "stage", "tag", "by"],
      ...entries.map((e) => [
        e.timestamp,
        e.artifact,
        e.event,
        e.version ?? "-",
        e.stage ?? "-",
        e.ref,
        e.author,
      ]),
    ]),
  );
}

export function printCheckRef(result: CheckRefResult, asJson: boolean): void {
  // GTO's check-ref prints nothing for a tag that is not a registry event (gto/cli.py `check_ref`).
  if (!result.event) return;
  if (asJson) return json(eventJson(result.event));
  const e = result.event;
  const stage = e.stage ? ` stage ${e.stage}` : "";
  out(`${e.type} of ${e.name}${e.version ? ` ${e.version}` : ""}${stage} (commit ${short(e.commit)})`);
}

export function printGot(result: GetResult, asJson: boolean): void {
  if (asJson) return json(result);
  out(
    `${result.model}@${result.version}: ${result.files.length} file(s) verified against ${result.digest} into ${result.into}`,
  );
}

export function printDoctor(checks: DoctorCheck[], asJson: boolean): void {
  if (asJson) return json(checks);
  const mark = { ok: "ok", warning: "warning", error: "ERROR" } as const;
  out(
    markdownTable([["status", "check", "detail"], ...checks.map((c) => [mark[c.status], c.check, c.detail])]),
  );
}

export function printSite(result: SiteResult, asJson: boolean): void {
  if (asJson) return json(result);
  const repos = result.repos > 1 ? ` from ${result.repos} repositories` : "";
  out(
    `built the model catalog${repos}: ${result.models} model(s), ${result.versions} version(s), ${result.pages} page(s)\n` +
      `  open ${result.index}` +
      (result.warnings.length > 0
        ? `\n${result.warnings.map((w) => `  warning: ${terminalLine(w)}`).join("\n")}`
        : ""),
  );
}

/**
 * A warning on one terminal line: it may quote a remote's or a data file's text, so control characters
 * (escape sequences that could rewrite the terminal) become spaces.
 */
function terminalLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, " ");
}
