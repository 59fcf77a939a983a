import { afterEach, describe, expect, it, vi } from "vitest";
import { printMonitor } from "../../src/cli/print-monitor";
import type { ModelMonitorResult } from "../../src/commands/monitor";

afterEach(() => vi.restoreAllMocks());

function printed(result: ModelMonitorResult): string {
  let text = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  });
  printMonitor([result], false);
  return text;
}

describe("the terminal drift table", () => {
  it("has a p-value column (with its range when approximated) and marks undecided columns", () => {
    const text = printed({
      model: "churn",
      version: "v1.0.0",
      stage: "production",
      report: ".gitml/reports/churn/drift.md",
      markdown: "",
      alert: { action: "none" },
      alerting: false,
      drift: {
        dataset_drift: false,
        drift_share: 0.5,
        share_of_drifted_columns: 0,
        number_of_columns: 2,
        number_of_drifted_columns: 0,
        number_of_column_errors: 0,
        number_of_undecided_columns: 1,
        columns: [
          {
            name: "age",
            type: "numeric",
            test: "ks",
            statistic: 0.2,
            p_value: 0,
            threshold: 0.05,
            drift: true,
          },
          {
            name: "income",
            type: "numeric",
            test: "ks",
            statistic: 0.05,
            p_value: 0.08,
            p_value_range: [0.01, 0.08],
            threshold: 0.05,
            drift: false,
            undecided: true,
          },
        ],
      },
    });
    const lines = text.split("\n");
    expect(lines[0]).toContain("1 undecided");
    expect(lines.find((l) => l.includes("| column"))).toMatch(/\| p-value +\|/);
    expect(lines.find((l) => l.startsWith("| age"))).toMatch(/\| 0\.000 +\|/);
    const income = lines.find((l) => l.startsWith("| income"))!;
    expect(income).toContain("0.08000 (0.01000..0.08000)");
    expect(income).toContain("undecided");
  });
});
