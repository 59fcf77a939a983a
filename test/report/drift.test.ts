import { describe, expect, it } from "vitest";
import type { ColumnDrift, DriftReport } from "../../src/monitor";
import { renderDriftMarkdown } from "../../src/report";

function report(columns: ColumnDrift[]): DriftReport {
  const tested = columns.filter((c) => !c.error);
  const drifted = tested.filter((c) => c.drift).length;
  return {
    dataset_drift: drifted / tested.length >= 0.5,
    drift_share: 0.5,
    share_of_drifted_columns: drifted / tested.length,
    number_of_columns: tested.length,
    number_of_drifted_columns: drifted,
    number_of_column_errors: columns.length - tested.length,
    number_of_undecided_columns: tested.filter((c) => c.undecided).length,
    columns,
  };
}

const rowOf = (markdown: string, column: string) =>
  markdown.split("\n").find((line) => line.startsWith(`| ${column} `)) ?? "";

describe("drift report markdown", () => {
  it("says where each threshold came from, and which text descriptor was tested", () => {
    const markdown = renderDriftMarkdown(
      report([
        {
          name: "age",
          type: "numeric",
          test: "wasserstein",
          statistic: 0.04,
          threshold: 0.031,
          threshold_source: "data",
          drift: true,
        },
        {
          name: "income",
          type: "numeric",
          test: "wasserstein",
          statistic: 0.02,
          threshold: 0.1,
          threshold_source: "default",
          threshold_note: "the reference profile has no chunk statistics | <b>",
          drift: false,
        },
        {
          name: "review",
          type: "text",
          test: "jensenshannon",
          descriptor: "vocabulary",
          statistic: 0.3,
          threshold: 0.1,
          drift: true,
        },
      ]),
      { model: "churn", referenceRows: 1000, currentRows: 500 },
    );
    expect(rowOf(markdown, "age")).toContain("0.031 (from the reference)");
    const income = rowOf(markdown, "income");
    expect(income).toContain("0.1 ⚠️ the reference profile has no chunk statistics");
    // The note is data from the profile: it cannot add a cell or markup.
    expect(income.split(/(?<!\\)\|/)).toHaveLength(9);
    expect(income).not.toContain("<b>");
    expect(rowOf(markdown, "review")).toContain("jensenshannon (text vocabulary)");
  });

  it("charts distance tests only (a p-value of 0 is still a p-value) and marks undecided columns", () => {
    const markdown = renderDriftMarkdown(
      report([
        {
          name: "ks0",
          type: "numeric",
          test: "ks",
          statistic: 0.9,
          p_value: 0,
          threshold: 0.05,
          drift: true,
        },
        { name: "dist", type: "numeric", test: "wasserstein", statistic: 0.2, threshold: 0.1, drift: true },
        {
          name: "wide",
          type: "numeric",
          test: "wasserstein",
          statistic: 0.151,
          threshold: 0.1,
          drift: false,
          undecided: true,
          error_bound: 101,
          statistic_range: [0, 101.151],
        },
      ]),
      { model: "churn", referenceRows: 5000, currentRows: 5000 },
    );
    const chart = markdown.slice(markdown.indexOf("```mermaid"));
    expect(chart).toContain('x-axis ["dist", "wide"]');
    expect(chart).not.toContain("ks0");
    expect(rowOf(markdown, "ks0")).toMatch(/\|\s+0 \|/);
    expect(rowOf(markdown, "wide")).toContain("⚪ undecided");
    expect(rowOf(markdown, "wide")).toContain("0.151 (0–101.2)");
    expect(markdown).toContain("1 column(s) undecided");
  });
});
