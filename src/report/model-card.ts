/**
 * The model card of a registered version: the release body and its `model-card.md` asset. Plain data in,
 * markdown out, so the same card comes from the CLI and from the merge workflow.
 */
import { readFile } from "node:fs/promises";
import { parseStoredImportances, summariseImportances, type Importances } from "../evaluate/importances";
import type { Lineage } from "../store/manifest";
import type { ArtifactInput } from "../store/types";
import type { Logger } from "../util/logger";
import { escapeMarkdown } from "./markdown";

export interface ModelCardGate {
  metric: string;
  rule: string;
  passed: boolean;
  detail?: string;
}

export interface ModelCardInput {
  model: string;
  version: string;
  lineage: Lineage;
  metrics?: Record<string, number>;
  gates?: ModelCardGate[];
  /** The version's feature importances (`importances.json`): the card shows the top 10. */
  importances?: Importances;
  description?: string;
  owners?: string[];
  intendedUse?: string;
  /** Links for the lineage section: where the commit, PR and run live (github.com URLs). */
  repositoryUrl?: string;
}

/** Metric, gate and param text comes from the model's files: escaped as every report escapes user text. */
function escapeCell(text: string): string {
  return escapeMarkdown(text);
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
}

export function renderModelCard(input: ModelCardInput): string {
  const { lineage } = input;
  const lines: string[] = [`# ${input.model} ${input.version}`, ""];
  if (input.description) lines.push(input.description, "");
  if (lineage.retrained) {
    lines.push(
      "> [!WARNING]",
      "> The reviewed candidate was no longer available at merge (expired or missing), so this version was retrained from the merged commit. Its bytes were not the ones shown in the pull request's report.",
      "",
    );
  }
  lines.push("## Metrics", "");
  const metrics = Object.entries(input.metrics ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (metrics.length === 0) lines.push("No metrics were recorded.", "");
  else {
    lines.push("| metric | value |", "|---|---:|");
    for (const [name, value] of metrics) lines.push(`| ${escapeCell(name)} | ${formatNumber(value)} |`);
    lines.push("");
  }
  if (input.gates && input.gates.length > 0) {
    lines.push("## Gates", "", "| metric | rule | result |", "|---|---|---|");
    for (const gate of input.gates) {
      const result = gate.passed ? "✅ passed" : "❌ failed";
      lines.push(
        `| ${escapeCell(gate.metric)} | ${escapeCell(gate.rule)} | ${result}${gate.detail ? ` (${escapeCell(gate.detail)})` : ""} |`,
      );
    }
    lines.push("");
  }
  if (input.importances) lines.push(...importanceLines(input.importances));
  lines.push("## Lineage", "");
  const repo = input.repositoryUrl;
  const commit = repo
    ? `[\`${lineage.commit.slice(0, 12)}\`](${repo}/commit/${lineage.commit})`
    : `\`${lineage.commit}\``;
  lines.push(`- Commit: ${commit}`);
  if (lineage.pr !== undefined)
    lines.push(`- Pull request: ${repo ? `[#${lineage.pr}](${repo}/pull/${lineage.pr})` : `#${lineage.pr}`}`);
  if (lineage.runUrl) lines.push(`- Run: ${lineage.runUrl}`);
  if (lineage.parentVersion) lines.push(`- Parent version: ${lineage.parentVersion}`);
  lines.push(
    `- Data fingerprint: ${lineage.dataFingerprint ? `\`${lineage.dataFingerprint}\`` : "not recorded"}`,
  );
  if (lineage.retrained) lines.push("- Retrained at merge: yes");
  lines.push("");
  if (lineage.params && Object.keys(lineage.params).length > 0) {
    lines.push("## Parameters", "", "| parameter | value |", "|---|---|");
    for (const [key, value] of Object.entries(lineage.params).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    )) {
      lines.push(`| ${escapeCell(key)} | ${escapeCell(JSON.stringify(value))} |`);
    }
    lines.push("");
  }
  lines.push(
    "## Intended use",
    "",
    input.intendedUse ?? "Not documented (set `intended_use` in gitml.yaml).",
    "",
  );
  lines.push("## Owners", "");
  lines.push(
    input.owners && input.owners.length > 0
      ? input.owners.map((o) => `- ${o}`).join("\n")
      : "Not documented (set `owners` in gitml.yaml).",
  );
  lines.push("");
  return lines.join("\n");
}

const percent = (share: number) => `${Number((share * 100).toPrecision(3))} %`;

/** The top features with their shares, and what the rest hold. */
function importanceLines(importances: Importances): string[] {
  const summary = summariseImportances(importances);
  if (summary.featureCount === 0) return [];
  const hasShap = importances.features.some((f) => f.mean_abs_shap !== undefined);
  const shapOf = new Map(importances.features.map((f) => [f.feature, f.mean_abs_shap]));
  const method = summary.method ? ` (${escapeCell(summary.method)})` : "";
  const lines = [
    "## Feature importances",
    "",
    `What the model leans on${method}, as its training measured it: the ${summary.top.length} most important of ${summary.featureCount} features.`,
    "",
    `| rank | feature | share | importance |${hasShap ? " mean abs SHAP |" : ""}`,
    `|---:|---|---:|---:|${hasShap ? "---:|" : ""}`,
  ];
  for (const f of summary.top) {
    const shap = shapOf.get(f.feature);
    lines.push(
      `| ${f.rank} | ${escapeCell(f.feature)} | ${percent(f.share)} | ${formatNumber(f.importance ?? f.share)} |${hasShap ? ` ${shap === undefined ? "—" : formatNumber(shap)} |` : ""}`,
    );
  }
  if (summary.featureCount > summary.top.length) {
    const rest = summary.featureCount - summary.top.length;
    lines.push("", `The other ${rest} feature${rest === 1 ? "" : "s"} hold ${percent(summary.restShare)}.`);
  }
  const classes = Object.keys(importances.per_class ?? {});
  if (classes.length > 0) {
    const tops = classes.map((label) => {
      const top = importances.per_class![label]![0];
      return `${escapeCell(label)}: ${top ? `${escapeCell(top.feature)} (${percent(top.share)})` : "—"}`;
    });
    lines.push("", `Most important per class: ${tops.join(" · ")}.`);
  }
  lines.push("");
  return lines;
}

/** What a model card says beyond the version's files: gitml.yaml's description, owners, the gates. */
export type ModelCardDetails = Omit<Partial<ModelCardInput>, "model" | "version" | "lineage">;

/**
 * The model card of a version about to be stored: its metrics read from the version's metrics file (a
 * JSON object of numbers), else `details.metrics`.
 */
export async function modelCardOf(
  version: { model: string; version: string; lineage: Lineage; files: readonly ArtifactInput[] },
  details: ModelCardDetails,
  logger: Logger,
): Promise<string> {
  const metricsInput = version.files.find((f) => f.role === "metrics" && f.path.endsWith(".json"));
  let metrics: Record<string, number> | undefined;
  if (metricsInput) {
    try {
      const parsed = JSON.parse(await readFile(metricsInput.source, "utf8")) as Record<string, unknown>;
      metrics = Object.fromEntries(
        Object.entries(parsed).filter((e): e is [string, number] => typeof e[1] === "number"),
      );
    } catch {
      logger.warning(`the model card shows no metrics: ${metricsInput.path} is not a JSON object of numbers`);
    }
  }
  let importances = details.importances;
  const importancesInput = version.files.find((f) => f.role === "importances");
  if (!importances && importancesInput) {
    try {
      importances = parseStoredImportances(await readFile(importancesInput.source, "utf8"));
    } catch (error) {
      logger.warning(
        `the model card shows no importances: ${importancesInput.path}: ${(error as Error).message}`,
      );
    }
  }
  return renderModelCard({
    ...details,
    importances,
    metrics: metrics ?? details.metrics,
    model: version.model,
    version: version.version,
    lineage: version.lineage,
  });
}
