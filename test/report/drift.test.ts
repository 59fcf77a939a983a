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
});
