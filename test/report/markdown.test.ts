import { describe, expect, it } from "vitest";
import type { GateRule } from "../../src/evaluate/gates";
import { buildEvaluationReport, type EvaluationReport } from "../../src/report/types";
import { fitToCommentLimit, GITHUB_COMMENT_LIMIT, renderMarkdown } from "../../src/report/markdown";
import { formatDelta, formatNumber, formatPercent, stickyMarkerLine } from "../../src/report/format";

const rules: GateRule[] = [
  { metric: "accuracy", min: 0.8 },
  { metric: "f1", no_regression: { tolerance: 0.01 } },
  { metric: "latency_ms", max: 50 },
];

function sampleReport(
  overrides: Partial<Parameters<typeof buildEvaluationReport>[0]> = {},
): EvaluationReport {
  return buildEvaluationReport({
    model: "churn",
    compareTo: "production",
    candidate: {
      version: "v1.5.0",
      digest: `sha256:${"ab".repeat(32)}`,
      metrics: { accuracy: 0.91, f1: 0.85, latency_ms: 41, "eval.loss": 0.2 },
      params: { "train.lr": 0.02, "train.epochs": 10, "model.depth": 6 },
    },
    baseline: {
      version: "v1.4.0",
      stage: "production",
      metrics: { accuracy: 0.9, f1: 0.86, latency_ms: 45, "eval.loss": 0.25 },
      params: { "train.lr": 0.01, "train.epochs": 10 },
    },
    rules,
    trend: [
      { version: "v1.2.0", metrics: { accuracy: 0.85, f1: 0.8 } },
      { version: "v1.3.0", metrics: { accuracy: 0.88 } },
      { version: "v1.4.0", metrics: { accuracy: 0.9, f1: 0.86 } },
    ],
    links: {
      runUrl: "https://github.com/o/r/actions/runs/1",
      fullReportUrl: "https://github.com/o/r/actions/runs/1#artifacts",
    },
    fingerprints: { "data/train.parquet": `sha256:${"cd".repeat(32)}` },
    ...overrides,
  });
}

/** Splits a GFM table row into cells the way GitHub does: on every `|` not escaped by a backslash. */
function cells(row: string): string[] {
  const inner = row.trim().replace(/^\|/, "").replace(/\|$/, "");
  return inner.split(/(?<!\\)\|/).map((c) => c.trim());
}

/** The lines of the first GFM table in the markdown (header, delimiter, rows). */
function firstTable(markdown: string): string[] {
  const lines = markdown.split("\n");
  const start = lines.findIndex((l) => l.startsWith("|"));
  const table: string[] = [];
  for (let i = start; i < lines.length && lines[i].startsWith("|"); i++) table.push(lines[i]);
  return table;
}

function mermaidBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```mermaid\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

describe("renderMarkdown", () => {
  it("starts with the sticky marker line", () => {
    const markdown = renderMarkdown(sampleReport());
    expect(markdown.split("\n")[0]).toBe("<!-- gitml:churn -->");
    expect(stickyMarkerLine("churn-model")).toBe("<!-- gitml:churn-model -->");
    expect(stickyMarkerLine("evil --> <b>")).toBe("<!-- gitml:evil-b- -->");
    expect(stickyMarkerLine("a--->b")).not.toContain("--->");
  });

  it("names candidate and baseline and gives the verdict", () => {
    const markdown = renderMarkdown(sampleReport());
    expect(markdown).toContain("**Candidate** v1.5.0 · sha256&#58;abababababab vs **production** v1.4.0");
    // f1 dropped 0.01 exactly: within tolerance; everything passes.
    expect(markdown).toMatch(/✅ \*\*All gates passed \(3 of 3\)\*\*/);
  });

  it("has one table row per metric with baseline, candidate, signed deltas and gate results", () => {
    const report = sampleReport();
    const table = firstTable(renderMarkdown(report));
    expect(cells(table[0])).toEqual(["Metric", "production v1.4.0", "Candidate", "Δ", "Δ %", "", "Gate"]);
    const rows = table.slice(2).map(cells);
    expect(rows.map((r) => r[0])).toEqual(["**accuracy**", "**f1**", "**latency&#95;ms**", "eval.loss"]);
    const byName = new Map(rows.map((r) => [r[0], r]));
    expect(byName.get("**accuracy**")).toEqual([
      "**accuracy**",
      "0.9",
      "0.91",
      "+0.01",
      "+1.1%",
      "▲ 🟢",
      "✅ ≥ 0.8",
    ]);
    // lower-is-better metrics going down are green.
    expect(byName.get("**latency&#95;ms**")?.slice(3, 7)).toEqual(["-4", "-8.9%", "▼ 🟢", "✅ ≤ 50"]);
    expect(byName.get("**f1**")?.[5]).toBe("▼ 🔴");
    expect(byName.get("eval.loss")?.[6]).toBe("");
  });

  it("renders a failing run with ❌ and lists failing gates with their detail", () => {
    const report = sampleReport({
      candidate: { version: "v1.5.0", metrics: { accuracy: 0.7, f1: 0.8, latency_ms: 41 } },
    });
    const markdown = renderMarkdown(report);
    expect(markdown).toMatch(/❌ \*\*Gates failed: 2 of 3 failed\*\*/);
    expect(markdown).toContain("- ❌ **accuracy** ≥ 0.8: 0.7 &#60; 0.8");
    expect(markdown).toContain(
      "- ❌ **f1** no regression (tolerance 0.01): dropped 0.06 from 0.86 (allowed 0.01)",
    );
  });

  it("renders ⚠️ when only advisory gates fail", () => {
    const report = sampleReport({ rules: [{ metric: "latency_ms", max: 10, required: false }] });
    expect(renderMarkdown(report)).toMatch(/⚠️ \*\*Gates passed with warnings: 1 advisory gate failed\*\*/);
  });

  it("renders the first version of a model without a baseline", () => {
    const report = sampleReport({ baseline: undefined, trend: [] });
    const markdown = renderMarkdown(report);
    expect(markdown).toContain(
      "**Candidate** v1.5.0 · sha256&#58;abababababab · first version: no baseline in **production**",
    );
    const table = firstTable(markdown);
    expect(cells(table[0])).toEqual(["Metric", "Candidate", "Gate"]);
    expect(table.slice(2).map((r) => cells(r)[1])).toEqual(["0.91", "0.85", "41", "0.2"]);
    expect(cells(table[3])[2]).toBe("✅ no regression (tolerance 0.01)");
    expect(markdown).not.toContain("Δ");
    expect(markdown).not.toContain("undefined");
    expect(markdown).not.toContain("NaN");
    // No history yet: no chart with a single point; params listed rather than diffed.
    expect(mermaidBlocks(markdown)).toEqual([]);
    expect(markdown).toContain("<details><summary>Params (3)</summary>");
  });

  it("draws a Mermaid trend per gated metric over registered versions plus the candidate", () => {
    const blocks = mermaidBlocks(renderMarkdown(sampleReport()));
    // latency_ms has no history: no chart for it.
    expect(blocks).toHaveLength(2);
    expect(blocks[0]).toContain('x-axis ["v1.2.0", "v1.3.0", "v1.4.0", "v1.5.0"]');
    expect(blocks[0]).toContain("line [0.85, 0.88, 0.9, 0.91]");
    // f1 is missing in v1.3.0: that version is left out of f1's chart.
    expect(blocks[1]).toContain('x-axis ["v1.2.0", "v1.4.0", "v1.5.0"]');
    expect(blocks[0].startsWith("xychart-beta\n")).toBe(true);
  });

  it("puts params diff, fingerprints, digest and run link in collapsible sections", () => {
    const markdown = renderMarkdown(sampleReport());
    expect(markdown).toContain("<details><summary>Params diff (1 changed, 1 added, 1 unchanged)</summary>");
    expect(markdown).toContain("| train.lr | 0.01 | 0.02 | changed |");
    expect(markdown).toContain("| model.depth | — | 6 | added |");
    expect(markdown).not.toContain("| train.epochs |");
    expect(markdown).toContain("<details><summary>Data fingerprints</summary>");
    expect(markdown).toContain(`sha256&#58;${"cd".repeat(32)}`);
    expect(markdown).toContain("<details><summary>Artifact digest</summary>");
    expect(markdown).toContain(
      "[Workflow run that produced this report](https://github.com/o/r/actions/runs/1)",
    );
    expect(markdown).toContain("[Full report](https://github.com/o/r/actions/runs/1#artifacts)");
    // Every opened details block is closed.
    expect(markdown.match(/<details>/g)?.length).toBe(markdown.match(/<\/details>/g)?.length);
  });

  it("links only http(s) URLs", () => {
    const markdown = renderMarkdown(
      sampleReport({ links: { runUrl: "javascript:alert(1)", fullReportUrl: "https://x.test/a (b)" } }),
    );
    expect(markdown).not.toContain("javascript");
    expect(markdown).toContain("[Full report](https://x.test/a%20%28b%29)");
  });
});

describe("escaping user-controlled strings", () => {
  const hostile = {
    forgedRow: "| ✅ pass |",
    html: "<img src=x onerror=alert(1)>",
    backticks: "a`b``c```",
    newline: "loss\n| forged | row |\n```",
    link: "[click](https://evil.test)",
    mention: "@octocat #1",
  };
  const metrics = Object.fromEntries(Object.values(hostile).map((name, i) => [name, i + 0.5]));
  const report = buildEvaluationReport({
    model: "<script>alert(1)</script>`",
    marker: "m",
    compareTo: "prod\n```",
    candidate: { version: 'v2"]\n```\n<b>', metrics, params: { [hostile.html]: hostile.backticks } },
    baseline: { version: "v1|x", stage: "prod|uction", metrics, params: { [hostile.html]: "old" } },
    rules: [
      { metric: hostile.forgedRow, min: 0 },
      { metric: hostile.newline, min: 0 },
    ],
    trend: [{ version: "v0`</b>\n```", metrics }],
    links: {},
  });
  const markdown = renderMarkdown(report);
  const lines = markdown.split("\n");

  it("cannot forge table rows or cells", () => {
    const table = firstTable(markdown);
    const header = cells(table[0]);
    expect(header).toHaveLength(7);
    // One row per metric, each with exactly the header's cell count.
    expect(table.length - 2).toBe(Object.keys(metrics).length);
    for (const row of table) expect(cells(row)).toHaveLength(7);
    expect(lines.filter((l) => l.startsWith("| forged"))).toEqual([]);
    // The row for the forged-name metric holds the real values, not the name's fake verdict.
    const forged = table
      .slice(2)
      .map(cells)
      .find((c) => c[0].includes("✅ pass"));
    expect(forged?.[0]).toBe("**&#124; ✅ pass &#124;**");
    expect(forged?.[6]).toBe("✅ ≥ 0");
  });

  it("cannot inject HTML", () => {
    expect(markdown).not.toMatch(/<img|<script|<b>|<\/b>/);
    expect(markdown).toContain("&#60;img src=x onerror=alert(1)&#62;");
    // The only tags are the renderer's own.
    const tags = new Set([...markdown.matchAll(/<\/?([a-z]+)/g)].map((m) => m[1]));
    for (const tag of tags) expect(["br", "details", "sub", "summary"]).toContain(tag);
  });

  it("cannot open a code span or a link, or mention anyone", () => {
    const outsideFences = lines.filter((l) => !/^```(mermaid)?$/.test(l));
    expect(outsideFences.join("\n")).not.toContain("`");
    expect(markdown).not.toContain("[click]");
    expect(markdown).not.toContain("@octocat");
  });

  it("cannot end a Mermaid block or break out of its strings", () => {
    const fences = lines.filter((l) => l.startsWith("```"));
    const blocks = mermaidBlocks(markdown);
    expect(fences).toHaveLength(blocks.length * 2);
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks) {
      expect(block).not.toContain("`");
      for (const line of block.trim().split("\n")) {
        // Every quoted string is closed on its line: an even number of quotes.
        expect((line.match(/"/g) ?? []).length % 2).toBe(0);
      }
      expect(block.trim().split("\n")).toHaveLength(5);
    }
  });

  it("keeps every user string on its line", () => {
    expect(lines[0]).toBe("<!-- gitml:m -->");
    expect(lines[1]).toBe("### gitml · &#60;script&#62;alert(1)&#60;/script&#62;&#96;");
  });
});

describe("numbers", () => {
  it("formats values with sensible significant digits", () => {
    expect(formatNumber(0.912345)).toBe("0.9123");
    expect(formatNumber(41)).toBe("41");
    expect(formatNumber(123456.789)).toBe("123457");
    expect(formatNumber(12.3456)).toBe("12.35");
    expect(formatNumber(0.00001234)).toBe("1.234e-5");
    expect(formatNumber(2.5e9)).toBe("2500000000");
    expect(formatNumber(2.51234e20)).toBe("2.512e20");
    expect(formatNumber(undefined)).toBe("—");
  });

  it("signs deltas and percentages, and shows a dash for a zero baseline", () => {
    expect(formatDelta(0.01)).toBe("+0.01");
    expect(formatDelta(-4)).toBe("-4");
    expect(formatDelta(0)).toBe("0");
    expect(formatPercent(1.1111)).toBe("+1.1%");
    expect(formatPercent(-250.4)).toBe("-250%");
    expect(formatPercent(undefined)).toBe("—");
    const row = firstTable(
      renderMarkdown(
        sampleReport({
          candidate: { version: "c", metrics: { errors: 3 } },
          baseline: { version: "b", stage: "s", metrics: { errors: 0 } },
          rules: [],
        }),
      ),
    )[2];
    expect(cells(row).slice(3, 5)).toEqual(["+3", "—"]);
  });
});

describe("fitToCommentLimit", () => {
  const pointer = "[Full report](https://github.com/o/r/actions/runs/1)";

  it("leaves a comment under the limit untouched", () => {
    const markdown = renderMarkdown(sampleReport());
    expect(fitToCommentLimit(markdown, { fullReportPointer: pointer })).toBe(markdown);
  });

  it("drops the trend first, keeping the details", () => {
    const markdown = renderMarkdown(sampleReport());
    const withoutTrend = markdown.replace(
      /<!-- gitml-section:trend -->[\s\S]*?(?=<!-- gitml-section:details)/,
      "",
    );
    const fitted = fitToCommentLimit(markdown, {
      limit: withoutTrend.length + pointer.length + 4,
      fullReportPointer: pointer,
    });
    expect(fitted).not.toContain("```mermaid");
    expect(fitted).toContain("<details>");
    expect(fitted.trimEnd().endsWith(pointer)).toBe(true);
    expect(fitted.length).toBeLessThanOrEqual(withoutTrend.length + pointer.length + 4);
  });

  it("fits 5,000 metrics under 65,536 characters with whole rows, gated rows kept, and the pointer", () => {
    const candidate: Record<string, number> = { accuracy: 0.91, f1: 0.85, latency_ms: 41 };
    const baseline: Record<string, number> = { accuracy: 0.9, f1: 0.86, latency_ms: 45 };
    for (let i = 0; i < 4997; i++) {
      const name = `slice.segment_${String(i).padStart(4, "0")}.recall_at_k`;
      candidate[name] = 0.5 + (i % 97) / 1000;
      baseline[name] = 0.5 + (i % 89) / 1000;
    }
    const report = sampleReport({
      candidate: { version: "v1.5.0", metrics: candidate },
      baseline: { version: "v1.4.0", stage: "production", metrics: baseline },
    });
    const markdown = renderMarkdown(report);
    expect(markdown.length).toBeGreaterThan(GITHUB_COMMENT_LIMIT);

    const started = performance.now();
    const fitted = fitToCommentLimit(markdown, { fullReportPointer: pointer });
    const elapsed = performance.now() - started;

    expect(fitted.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(fitted.length).toBeGreaterThan(GITHUB_COMMENT_LIMIT - 500); // it uses the room it has
    expect(fitted.split("\n")[0]).toBe("<!-- gitml:churn -->");
    expect(fitted.trimEnd().endsWith(pointer)).toBe(true);
    expect(fitted).not.toContain("```mermaid");
    expect(fitted).not.toContain("<details>");

    const table = firstTable(fitted);
    const rows = table.slice(2);
    for (const row of table) expect(cells(row)).toHaveLength(7);
    expect(rows.slice(0, 3).map((r) => cells(r)[0])).toEqual([
      "**accuracy**",
      "**f1**",
      "**latency&#95;ms**",
    ]);
    const note = /… (\d+) more metrics in the full report/.exec(fitted);
    expect(note).not.toBeNull();
    expect(Number(note?.[1]) + rows.length).toBe(5000);
    // The note is its own paragraph, not swallowed into the table as a row.
    expect(fitted).toMatch(/\|\n\n… \d+ more metrics/);
    expect(elapsed).toBeLessThan(2000);
  });

  it("never cuts inside a line even when only the head fits", () => {
    const markdown = renderMarkdown(sampleReport());
    const fitted = fitToCommentLimit(markdown, { limit: 300, fullReportPointer: pointer });
    expect(fitted.length).toBeLessThanOrEqual(300);
    const original = new Set(markdown.split("\n"));
    for (const line of fitted.split("\n")) {
      if (line !== "" && line !== pointer) expect(original.has(line)).toBe(true);
    }
  });
});
