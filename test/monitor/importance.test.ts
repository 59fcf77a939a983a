import { describe, expect, it } from "vitest";
import type { ColumnDrift, DriftReport } from "../../src/monitor";
import { weighDriftByImportance } from "../../src/monitor";
import { renderDriftMarkdown } from "../../src/report/drift";

function column(name: string, drift: boolean, error?: string): ColumnDrift {
  return {
    name,
    type: "numeric",
    test: error ? null : "ks",
    statistic: 0.1,
    threshold: 0.05,
    drift,
    ...(error ? { error } : {}),
  };
}

function report(columns: ColumnDrift[]): DriftReport {
  const drifted = columns.filter((c) => c.drift).length;
  return {
    dataset_drift: drifted / columns.length >= 0.5,
    drift_share: 0.5,
    share_of_drifted_columns: drifted / columns.length,
    number_of_columns: columns.length,
    number_of_drifted_columns: drifted,
    number_of_column_errors: columns.filter((c) => c.error).length,
    number_of_undecided_columns: 0,
    columns,
  };
}

const context = {
  model: "churn",
  version: "v1.0.0",
  stage: "production",
  referenceRows: 10,
  currentRows: 10,
};

describe("weighDriftByImportance", () => {
  it("decides by the weighted share only when the rule is set", () => {
    const base = report([column("a", false), column("b", true), column("c", true)]);
    const shares = { a: 0.8, b: 0.1, c: 0.1 };
    const weighed = weighDriftByImportance(base, { shares, threshold: 0.3 });
    expect(weighed.dataset_drift).toBe(false);
    expect(weighed.importance).toMatchObject({ decided_by: "importance", threshold: 0.3 });
    expect(weighed.importance!.drifted_share).toBeCloseTo(0.2);
    expect(weighed.columns.map((c) => c.importance)).toEqual([0.8, 0.1, 0.1]);
    const counted = weighDriftByImportance(base, { shares });
    expect(counted.dataset_drift).toBe(true);
    expect(counted.importance!.decided_by).toBe("columns");
    // A column that could not be tested is never counted as drifted importance.
    const errored = weighDriftByImportance(report([column("a", true, "unreadable"), column("b", false)]), {
      shares,
      threshold: 0.3,
    });
    expect(errored.importance!.drifted_share).toBe(0);
  });

  it("with the rule but no importances: the column count decides, and the report says why", () => {
    const base = report([column("a", true), column("b", true)]);
    const weighed = weighDriftByImportance(base, { threshold: 0.3 });
    expect(weighed.dataset_drift).toBe(true);
    expect(weighed.importance).toMatchObject({
      decided_by: "columns",
      note: expect.stringMatching(/recorded no feature importances/),
    });
    expect(renderDriftMarkdown(weighed, context)).toMatch(
      /⚠️ monitor\.importance&#95;drift&#95;share is set, but/,
    );
    expect(weighDriftByImportance(base, {})).toBe(base);
  });

  it("names the drifted columns the model leans on, with hostile names kept inert", () => {
    const hostile = "x`<img src=y>\n| forged |";
    const weighed = weighDriftByImportance(report([column(hostile, true), column("b", false)]), {
      shares: { [hostile]: 0.7, b: 0.3 },
      threshold: 0.5,
      source: "importances.json of churn@v1.0.0",
    });
    const markdown = renderDriftMarkdown(weighed, context);
    expect(markdown).toMatch(
      /\*\*Importance\*\*: 1 drifted column holds 70 % of the model's importance: `x'<img src=y> \| forged \|` 70 %/,
    );
    expect(markdown.split("\n").filter((l) => l.startsWith("| forged"))).toEqual([]);
    expect(markdown).not.toMatch(/^<img/m);
  });
});
