import { describe, expect, it } from "vitest";
import type { GateRule } from "../../src/evaluate/gates";
import type { ConfusionMatrix } from "../../src/evaluate/predictions";
import { renderHtml } from "../../src/report/html";
import { fitToCommentLimit, GITHUB_COMMENT_LIMIT, renderMarkdown } from "../../src/report/markdown";
import { renderText } from "../../src/report/text";
import { buildEvaluationReport, type EvaluationReport } from "../../src/report/types";
import { checkCounts, verdictOf, verdictSentence } from "../../src/report/format";
import type { CheckResult, SliceRow, SliceTable, SuiteResult } from "../../src/suites/types";

function check(overrides: Partial<CheckResult> & Pick<CheckResult, "id">): CheckResult {
  return {
    kind: "expectation",
    name: overrides.id,
    suite: "gitml.yaml",
    data: "train",
    status: "pass",
    severity: "error",
    rule: "≥ 99% of non-null values",
    detail: "all values pass",
    ...overrides,
  };
}

const genderSlices: SliceTable = {
  column: "gender",
  metrics: ["accuracy", "f1"],
  rows: [
    { value: "F", rows: 1200, metrics: { accuracy: 0.93, f1: 0.9 }, weakest: false, small: false },
    { value: "M", rows: 1100, metrics: { accuracy: 0.81, f1: null }, weakest: true, small: false },
    { value: "(null)", rows: 7, metrics: { accuracy: 0.5, f1: 0.4 }, weakest: false, small: true },
  ],
  fairness: { demographic_parity_difference: 0.041, equalized_odds_difference: 0.12 },
};

const sampleChecks: CheckResult[] = [
  check({
    id: "age-between",
    name: "age between 0 and 120",
    column: "age",
    status: "fail",
    observed: 0.988,
    rule: "between 0 and 120",
    detail: "12 of 1,000 non-null values (1.2%) are outside [0, 120]",
    failingFraction: 0.012,
    examples: [-1, 130, null],
  }),
  check({
    id: "gap",
    kind: "fairness",
    name: "accuracy gap across gender",
    suite: "org/suites@v1:churn.yaml",
    data: "predictions",
    status: "fail",
    severity: "warning",
    observed: 0.12,
    rule: "≤ 0.1",
    detail: "accuracy differs by 0.12 between F and M",
  }),
  check({ id: "age-not-null", name: "age not null", column: "age", observed: 1 }),
  check({
    id: "email-exists",
    name: "email exists",
    column: "email",
    status: "error",
    rule: "column exists",
    detail: "train has no column email (columns: age, gender)",
  }),
  check({ id: "rows", name: "row count", observed: 1000, rule: "≥ 100" }),
];

const sampleSuite: SuiteResult = {
  checks: sampleChecks,
  slices: [genderSlices],
  sources: [{ name: "gitml.yaml" }, { name: "org/suites@v1:churn.yaml", commit: "0123456789abcdef0123" }],
};

const binary: ConfusionMatrix = {
  labels: ["no", "yes"],
  matrix: [
    [900, 30],
    [45, 125],
  ],
};

const rules: GateRule[] = [{ metric: "accuracy", min: 0.8 }];

function report(overrides: Partial<Parameters<typeof buildEvaluationReport>[0]> = {}): EvaluationReport {
  return buildEvaluationReport({
    model: "churn",
    compareTo: "production",
    candidate: { version: "v1.5.0", metrics: { accuracy: 0.91 } },
    baseline: { version: "v1.4.0", stage: "production", metrics: { accuracy: 0.9 } },
    rules,
    suite: sampleSuite,
    confusionMatrix: binary,
    ...overrides,
  });
}

function suiteOf(checks: CheckResult[], slices: SliceTable[] = []): SuiteResult {
  return { checks, slices, sources: [] };
}

/** Splits a GFM table row into cells the way GitHub does: on every `|` not escaped by a backslash. */
function cells(row: string): string[] {
  const inner = row.trim().replace(/^\|/, "").replace(/\|$/, "");
  return inner.split(/(?<!\\)\|/).map((c) => c.trim());
}

/** Every GFM table in the markdown, as lists of lines (header, delimiter, rows). */
function tables(markdown: string): string[][] {
  const found: string[][] = [];
  let current: string[] | undefined;
  for (const line of markdown.split("\n")) {
    if (line.startsWith("|")) (current ??= []).push(line);
    else if (current) {
      found.push(current);
      current = undefined;
    }
  }
  if (current) found.push(current);
  return found;
}

/** The text of a section (from its marker to the next marker). */
function sections(markdown: string, id: string): string[] {
  return markdown
    .split(/(?=<!-- gitml-section:)/)
    .filter((s) => s.startsWith(`<!-- gitml-section:${id} -->`));
}

function mermaidBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```mermaid\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

describe("verdict with suite checks", () => {
  it("fails the report on a failing check of severity error, even when every gate passes", () => {
    const failing = report({ suite: suiteOf([check({ id: "a", status: "fail" }), check({ id: "b" })]) });
    expect(failing.gates.overall).toBe("pass");
    expect(verdictOf(failing)).toBe("fail");
    expect(verdictSentence(failing)).toBe("All gates passed (1 of 1) · Checks failed: 1 of 2 failed");
    expect(renderMarkdown(failing)).toContain(
      "❌ **All gates passed (1 of 1) · Checks failed: 1 of 2 failed**",
    );
  });

  it("fails on a check that could not be evaluated, and counts it", () => {
    const errored = report({ suite: suiteOf([check({ id: "a", status: "error" })]) });
    expect(verdictOf(errored)).toBe("fail");
    expect(checkCounts(errored.suite!.checks)).toEqual({
      total: 1,
      passed: 0,
      failed: 1,
      warnings: 0,
      notEvaluated: 1,
    });
    expect(renderMarkdown(errored)).toContain("0 passed · ❌ 1 failed · 1 could not be evaluated");
  });

  it("only warns on failing checks of severity warning", () => {
    const warned = report({
      suite: suiteOf([
        check({ id: "a", status: "fail", severity: "warning" }),
        check({ id: "b", status: "error", severity: "warning" }),
        check({ id: "c" }),
      ]),
    });
    expect(verdictOf(warned)).toBe("warn");
    expect(verdictSentence(warned)).toBe(
      "All gates passed (1 of 1) · Checks passed with warnings: 2 advisory checks failed",
    );
    expect(renderText(warned).split("\n")[1]).toBe(
      "PASS (with warnings): All gates passed (1 of 1) · Checks passed with warnings: 2 advisory checks failed",
    );
  });

  it("reports a failing gate and failing warning checks together", () => {
    const both = report({
      candidate: { version: "v1.5.0", metrics: { accuracy: 0.5 } },
      suite: suiteOf([check({ id: "a", status: "fail", severity: "warning" }), check({ id: "b" })]),
    });
    expect(verdictOf(both)).toBe("fail");
    expect(verdictSentence(both)).toBe(
      "Gates failed: 1 of 1 failed · Checks passed with warnings: 1 advisory check failed",
    );
  });

  it("speaks of checks alone when no gates are configured, and passes when all pass", () => {
    const checksOnly = report({ rules: [], suite: suiteOf([check({ id: "a" }), check({ id: "b" })]) });
    expect(verdictOf(checksOnly)).toBe("pass");
    expect(verdictSentence(checksOnly)).toBe("All checks passed (2 of 2)");
    // No checks at all: the gates' sentence is unchanged.
    expect(verdictSentence(report({ rules: [], suite: suiteOf([]) }))).toBe("No gates configured");
  });
});

describe("renderMarkdown: checks", () => {
  const markdown = renderMarkdown(report());

  it("summarises the counts and names the suites, with the commit of a remote one", () => {
    const [summary] = sections(markdown, "checks");
    expect(summary).toContain("#### Checks");
    expect(summary).toContain(
      "2 passed · ❌ 2 failed · ⚠️ 1 warning · 1 could not be evaluated · from **gitml.yaml**, **org/suites&#64;v1&#58;churn.yaml (commit 0123456789ab)**",
    );
  });

  it("lists the checks that did not pass per suite, those that fail the PR first, with observed, rule, detail and examples", () => {
    const failed = sections(markdown, "checks-failed");
    expect(failed).toHaveLength(2);
    expect(failed[0]).toContain("Not passed, from **gitml.yaml**:");
    expect(failed[1]).toContain(
      "Not passed, from **org/suites&#64;v1&#58;churn.yaml (commit 0123456789ab)**:",
    );
    const [local] = tables(failed[0]);
    expect(cells(local[0])).toEqual(["", "Check", "Data", "Observed", "Rule", "Detail", "Examples"]);
    expect(local.slice(2).map(cells)).toEqual([
      [
        "❌",
        "**age between 0 and 120**",
        "train · age",
        "0.988",
        "between 0 and 120",
        "12 of 1,000 non-null values (1.2%) are outside &#91;0, 120&#93;",
        "<code>-1</code> <code>130</code> <code>null</code>",
      ],
      [
        "❌",
        "**email exists**",
        "train · email",
        "not evaluated",
        "column exists",
        "train has no column email (columns&#58; age, gender)",
        "",
      ],
    ]);
    const [remote] = tables(failed[1]);
    expect(cells(remote[2]).slice(0, 5)).toEqual([
      "⚠️",
      "**accuracy gap across gender**",
      "predictions",
      "0.12",
      "≤ 0.1",
    ]);
  });

  it("puts error-severity failures before warnings even when a warning was run first", () => {
    const ordered = renderMarkdown(
      report({
        suite: suiteOf([
          check({ id: "warn-first", status: "fail", severity: "warning" }),
          check({ id: "error-second", status: "fail" }),
        ]),
      }),
    );
    const [table] = tables(sections(ordered, "checks-failed")[0]);
    expect(table.slice(2).map((r) => cells(r)[1])).toEqual(["**error-second**", "**warn-first**"]);
  });

  it("collapses the passing checks in a details block", () => {
    const [passed] = sections(markdown, "checks-passed");
    expect(passed).toContain("<details><summary>✅ 2 passed checks</summary>");
    expect(passed.trimEnd().endsWith("</details>")).toBe(true);
    const [table] = tables(passed);
    expect(table.slice(2).map((r) => cells(r)[1])).toEqual(["age not null", "row count"]);
    expect(cells(table[3])[3]).toBe("1000");
    expect(markdown.match(/<details>/g)?.length).toBe(markdown.match(/<\/details>/g)?.length);
  });

  it("has no checks section without checks", () => {
    const none = renderMarkdown(report({ suite: suiteOf([]), confusionMatrix: undefined }));
    expect(none).not.toContain("#### Checks");
    expect(none).not.toContain("gitml-section:checks");
  });
});

describe("renderMarkdown: slices", () => {
  const markdown = renderMarkdown(report());

  it("has a row per slice, weakest first, with rows, metrics and marks", () => {
    const [section] = sections(markdown, "slices");
    expect(section).toContain("#### Slices");
    expect(section).toContain("By **gender** (3 slices, weakest first):");
    const [table] = tables(section);
    expect(cells(table[0])).toEqual(["gender", "Rows", "accuracy", "f1", ""]);
    expect(table.slice(2).map(cells)).toEqual([
      ["M", "1,100", "0.81", "—", "🔻 weakest"],
      ["F", "1,200", "0.93", "0.9", ""],
      ["(null)", "7", "0.5", "0.4", "small: not gated"],
    ]);
  });

  it("states the fairness measures under the table", () => {
    const [section] = sections(markdown, "slices");
    const afterTable = section.slice(section.lastIndexOf("|"));
    expect(afterTable).toContain(
      "Fairness across **gender**: demographic&#95;parity&#95;difference **0.041** · equalized&#95;odds&#95;difference **0.12**",
    );
  });

  it("draws a Mermaid bar chart of the first metric, from zero", () => {
    const [chart] = sections(markdown, "slice-chart");
    const [block] = mermaidBlocks(chart);
    expect(block.split("\n").filter(Boolean)).toEqual([
      "xychart-beta",
      '  title "accuracy by gender"',
      '  x-axis ["F", "M", "_null_"]',
      '  y-axis "accuracy" 0 --> 1',
      "  bar [0.93, 0.81, 0.5]",
    ]);
  });

  it("draws no chart for a single slice or for more slices than a chart can show, and scales beyond 1", () => {
    const rowsOf = (n: number, value = (i: number) => i / n): SliceRow[] =>
      Array.from({ length: n }, (_, i) => ({
        value: `s${i}`,
        rows: 10,
        metrics: { mae: value(i) },
        weakest: false,
        small: false,
      }));
    const single = renderMarkdown(
      report({ suite: suiteOf([], [{ column: "c", metrics: ["mae"], rows: rowsOf(1) }]) }),
    );
    expect(sections(single, "slice-chart")).toEqual([]);
    const many = renderMarkdown(
      report({ suite: suiteOf([], [{ column: "c", metrics: ["mae"], rows: rowsOf(31) }]) }),
    );
    expect(sections(many, "slice-chart")).toEqual([]);
    expect(tables(sections(many, "slices")[0])[0]).toHaveLength(2 + 31);
    const large = renderMarkdown(
      report({
        suite: suiteOf([], [{ column: "c", metrics: ["mae"], rows: rowsOf(3, (i) => 10 * (i + 1)) }]),
      }),
    );
    expect(mermaidBlocks(large)[0]).toContain('y-axis "mae" 0 --> 30');
  });
});

describe("renderMarkdown: confusion matrix", () => {
  it("is a table of true rows by predicted columns with the diagonal in bold", () => {
    const [section] = sections(renderMarkdown(report()), "confusion");
    expect(section).toContain("#### Confusion matrix");
    const [table] = tables(section);
    expect(table.map(cells)).toEqual([
      ["true ↓ · predicted →", "no", "yes"],
      [":-", "-:", "-:"],
      ["**no**", "**900**", "30"],
      ["**yes**", "45", "**125**"],
    ]);
  });

  it("is a note beyond 20 classes", () => {
    const labels = Array.from({ length: 21 }, (_, i) => `class-${i}`);
    const matrix = labels.map((_, i) => labels.map((__, j) => (i === j ? 10 : 1)));
    const [section] = sections(renderMarkdown(report({ confusionMatrix: { labels, matrix } })), "confusion");
    expect(tables(section)).toEqual([]);
    expect(section).toContain("21 classes: too many to show as a table here (at most 20).");
    const twenty = renderMarkdown(
      report({
        confusionMatrix: {
          labels: labels.slice(0, 20),
          matrix: matrix.slice(0, 20).map((r) => r.slice(0, 20)),
        },
      }),
    );
    expect(tables(sections(twenty, "confusion")[0])[0]).toHaveLength(22);
  });
});

describe("escaping hostile values from user data", () => {
  const hostile = "a|b <script>alert(1)</script> @user `code` ```\n| forged | row |";
  const hostileSuite: SuiteResult = {
    checks: [
      check({
        id: "h1",
        name: hostile,
        suite: `evil@main:${hostile}`,
        data: hostile,
        column: hostile,
        status: "fail",
        rule: hostile,
        detail: hostile,
        examples: [hostile, "<img src=x onerror=alert(1)>", "@octocat", "`", null],
      }),
      check({ id: "h2", name: hostile, suite: hostile, column: hostile, rule: hostile }),
    ],
    slices: [
      {
        column: hostile,
        metrics: [hostile, "f1"],
        rows: [
          { value: hostile, rows: 5, metrics: { [hostile]: 0.5, f1: 0.5 }, weakest: true, small: false },
          {
            value: "@user\n```",
            rows: 5,
            metrics: { [hostile]: 0.7, f1: 0.6 },
            weakest: false,
            small: false,
          },
        ],
        fairness: { [hostile]: 0.2 },
      },
    ],
    sources: [{ name: hostile, commit: "<b>" }],
  };
  const hostileReport = report({
    suite: hostileSuite,
    confusionMatrix: {
      labels: [hostile, "@user"],
      matrix: [
        [1, 2],
        [3, 4],
      ],
    },
  });
  const markdown = renderMarkdown(hostileReport);
  const lines = markdown.split("\n");
  const outsideMermaid = markdown.replace(/^```mermaid\n[\s\S]*?^```$/gm, "");

  it("cannot forge table rows or cells", () => {
    const all = tables(markdown);
    expect(all.length).toBeGreaterThanOrEqual(5);
    for (const table of all) {
      const width = cells(table[0]).length;
      for (const row of table) expect(cells(row)).toHaveLength(width);
    }
    expect(lines.filter((l) => l.startsWith("| forged"))).toEqual([]);
    // One row per failing check, per passing check, per slice, per class.
    const [failed] = tables(sections(markdown, "checks-failed")[0]);
    expect(failed).toHaveLength(3);
    const [confusion] = tables(sections(markdown, "confusion")[0]);
    expect(confusion).toHaveLength(4);
    expect(cells(confusion[2]).slice(1)).toEqual(["**1**", "2"]);
  });

  it("cannot inject HTML, mention anyone or open a code span", () => {
    expect(markdown).not.toMatch(/<script|<img|<b>/);
    const tags = new Set([...markdown.matchAll(/<\/?([a-z]+)/g)].map((m) => m[1]));
    for (const tag of tags) expect(["br", "code", "details", "sub", "summary"]).toContain(tag);
    expect(outsideMermaid).not.toContain("@user");
    expect(outsideMermaid).not.toContain("@octocat");
    expect(
      outsideMermaid
        .split("\n")
        .filter((l) => !/^```(mermaid)?$/.test(l))
        .join("\n"),
    ).not.toContain("`");
    expect(markdown).toContain("<code>&#60;img src=x onerror=alert(1)&#62;</code>");
  });

  it("keeps Mermaid blocks closed and their strings quoted", () => {
    const fences = lines.filter((l) => l.startsWith("```"));
    const blocks = mermaidBlocks(markdown);
    expect(blocks).toHaveLength(1);
    expect(fences).toHaveLength(2);
    for (const line of blocks[0].trim().split("\n")) expect((line.match(/"/g) ?? []).length % 2).toBe(0);
    expect(blocks[0].trim().split("\n")).toHaveLength(5);
  });

  it("escapes every value in the HTML page", () => {
    const html = renderHtml(hostileReport);
    expect(html).not.toMatch(/<script|<img|<b>/i);
    expect(html).toContain("a|b &lt;script&gt;alert(1)&lt;/script&gt; @user `code` ``` | forged | row |");
    expect(html).toContain("<code>&lt;img src=x onerror=alert(1)&gt;</code>");
  });

  it("keeps every value on its line in the text report", () => {
    const text = renderText(hostileReport);
    expect(text).not.toContain("\n| forged");
    expect(text).not.toMatch(/\n```/);
  });
});

describe("renderHtml with a suite", () => {
  const html = renderHtml(report());

  it("has the checks: summary, failing per suite, passing collapsed", () => {
    expect(html).toContain(
      '<p class="verdict fail">❌ All gates passed (1 of 1) · Checks failed: 2 of 5 failed, 1 warning</p>',
    );
    const checks = html.split("<h2>Checks</h2>")[1].split("<h2>")[0];
    expect(checks).toContain("<p>2 passed · ❌ 2 failed · ⚠️ 1 warning · 1 could not be evaluated</p>");
    expect(checks).toContain("<h3>Not passed, from <code>gitml.yaml</code></h3>");
    expect(checks).toContain(
      "<h3>Not passed, from <code>org/suites@v1:churn.yaml (commit 0123456789ab)</code></h3>",
    );
    expect(checks).toContain("<td><strong>age between 0 and 120</strong></td>");
    expect(checks).toContain("<code>-1</code> <code>130</code> <code>null</code>");
    expect(checks).toMatch(
      /<details><summary>✅ 2 passed checks<\/summary><table>[\s\S]*age not null[\s\S]*<\/details>/,
    );
  });

  it("has the slice table, fairness and an SVG bar per slice with the weakest in red", () => {
    const slices = html.split("<h2>Slices</h2>")[1].split("<h2>")[0];
    expect(slices).toContain("<h3>By <code>gender</code> (3 slices)</h3>");
    expect(slices.match(/<tr>/g)).toHaveLength(1 + 3);
    expect(slices).toContain('<span class="worse">🔻 weakest</span>');
    expect(slices).toContain("demographic_parity_difference <strong>0.041</strong>");
    const bars = slices.match(/<rect [^>]*>/g) ?? [];
    expect(bars).toHaveLength(3);
    expect(bars.filter((b) => b.includes("#d1242f"))).toHaveLength(1);
  });

  it("has the confusion matrix", () => {
    const confusion = html.split("<h2>Confusion matrix</h2>")[1];
    expect(confusion).toContain(
      '<td><strong>no</strong></td><td class="num"><strong>900</strong></td><td class="num">30</td>',
    );
  });

  it("stays a page without scripts or remote loads", () => {
    expect(html).not.toMatch(/<script|<link|<img|<iframe|<[^>]*\ssrc=/i);
  });
});

describe("renderText with a suite", () => {
  const text = renderText(report());

  it("lists the counts, the checks that did not pass, the slices and the confusion matrix", () => {
    expect(text).toContain("checks: 2 passed, ❌ 2 failed, ⚠️ 1 warning, 1 could not be evaluated");
    expect(text).toContain(
      "  ❌ age between 0 and 120 [gitml.yaml · train · age]: observed 0.988, rule between 0 and 120: 12 of 1,000 non-null values (1.2%) are outside [0, 120] (e.g. -1, 130, null)",
    );
    expect(text).toContain(
      "  ❌ email exists [gitml.yaml · train · email]: not evaluated, rule column exists",
    );
    expect(text).not.toContain("age not null");
    const lines = text.split("\n");
    const m = lines.find((l) => l.trim().startsWith("M "));
    expect(m?.trim().split(/\s+/)).toEqual(["M", "1,100", "0.81", "—", "weakest"]);
    expect(text).toContain("fairness: demographic_parity_difference 0.041, equalized_odds_difference 0.12");
    const yes = lines.find((l) => l.trim().startsWith("yes"));
    expect(yes?.trim().split(/\s+/)).toEqual(["yes", "45", "125"]);
  });

  it("caps the failing checks and says how many are hidden", () => {
    expect(renderText(report(), { maxRows: 1 })).toContain("  … 2 more failing checks");
  });
});

describe("fitToCommentLimit with a suite", () => {
  const pointer = "[Full report](https://github.com/o/r/actions/runs/1)";

  function bigReport(): EvaluationReport {
    const checks: CheckResult[] = [];
    for (let i = 0; i < 5000; i++) {
      const status = i % 5 === 0 ? "pass" : i % 7 === 0 ? "error" : "fail";
      checks.push(
        check({
          id: `c${i}`,
          name: `feature_${String(i).padStart(4, "0")} between 0 and 1`,
          suite: i % 3 === 0 ? "org/suites@v1:shared.yaml" : "gitml.yaml",
          column: `feature_${i}`,
          status,
          severity: i % 4 === 0 ? "warning" : "error",
          observed: 0.9,
          rule: "between 0 and 1",
          detail: `${i} of 10,000 non-null values (${i / 100}%) are outside [0, 1]`,
          examples: [-1, 2, "x"],
        }),
      );
    }
    const slices: SliceTable[] = [];
    for (let c = 0; c < 10; c++) {
      slices.push({
        column: `segment_${c}`,
        metrics: ["accuracy", "f1", "precision", "recall"],
        rows: Array.from({ length: 20 }, (_, i) => ({
          value: `value_${c}_${i}`,
          rows: 100 + i,
          metrics: { accuracy: 0.5 + i / 50, f1: 0.4 + i / 50, precision: 0.6, recall: 0.7 },
          weakest: i === 17,
          small: i === 19,
        })),
        fairness: { demographic_parity_difference: 0.1 },
      });
    }
    return report({ suite: { checks, slices, sources: [] } });
  }

  it("fits 5,000 checks and 200 slices under the limit, keeping the verdict, failing checks first and whole rows", () => {
    const big = bigReport();
    const markdown = renderMarkdown(big);
    expect(markdown.length).toBeGreaterThan(GITHUB_COMMENT_LIMIT * 10);

    const started = performance.now();
    const fitted = fitToCommentLimit(markdown, { fullReportPointer: pointer });
    const elapsed = performance.now() - started;

    expect(fitted.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(fitted.length).toBeGreaterThan(GITHUB_COMMENT_LIMIT - 2000);
    expect(fitted.trimEnd().endsWith(pointer)).toBe(true);
    expect(fitted).toContain(`❌ **${verdictSentence(big)}**`);
    // 1,000 of the 5,000 pass (i % 5 = 0); of the rest, those with i % 4 = 0 only warn.
    expect(verdictSentence(big)).toBe(
      "All gates passed (1 of 1) · Checks failed: 3,000 of 5,000 failed, 1,000 warnings",
    );
    expect(fitted).toContain("#### Checks");
    // Charts and the collapsed passing checks went first.
    expect(fitted).not.toContain("```mermaid");
    expect(fitted).not.toContain("<details>");

    const counts = checkCounts(big.suite!.checks);
    const failedTables = sections(fitted, "checks-failed").map((s) => tables(s)[0]);
    expect(failedTables).toHaveLength(2);
    let shown = 0;
    let omitted = 0;
    for (const [i, section] of sections(fitted, "checks-failed").entries()) {
      const rows = failedTables[i].slice(2);
      for (const row of failedTables[i]) expect(cells(row)).toHaveLength(7);
      expect(rows.length).toBeGreaterThan(0);
      // Error-severity failures come before warnings, so the shortened table holds those.
      expect(rows.every((r) => cells(r)[0] === "❌")).toBe(true);
      shown += rows.length;
      omitted += Number(/… (\d+) more failing checks in the full report/.exec(section)?.[1] ?? 0);
      expect(section).toMatch(/\|\n\n… \d+ more failing checks in the full report/);
    }
    expect(shown + omitted).toBe(counts.failed + counts.warnings);

    // Every table shows the same number of rows (or all it has), the weakest slices among them.
    const sliceSections = sections(fitted, "slices");
    for (const section of sliceSections) {
      const [table] = tables(section);
      const kept = table.length - 2;
      const more = Number(/… (\d+) more slices in the full report/.exec(section)?.[1] ?? 0);
      expect(kept + more).toBe(20);
      expect(cells(table[2]).at(-1)).toBe("🔻 weakest");
      expect(section).toContain("Fairness across");
    }
    // The metrics table is there, whole.
    expect(tables(sections(fitted, "table")[0])[0]).toHaveLength(3);
    expect(elapsed).toBeLessThan(2000);
  });

  it("fits one column of 200 slices", () => {
    const rows: SliceRow[] = Array.from({ length: 200 }, (_, i) => ({
      value: `zip ${String(i).padStart(5, "0")} ${"x".repeat(200)}`,
      rows: 50,
      metrics: { accuracy: 0.8 },
      weakest: i === 150,
      small: false,
    }));
    const markdown = renderMarkdown(
      report({ suite: suiteOf([], [{ column: "zip", metrics: ["accuracy"], rows }]) }),
    );
    const limit = 20_000;
    expect(markdown.length).toBeGreaterThan(limit);
    const fitted = fitToCommentLimit(markdown, { limit, fullReportPointer: pointer });
    expect(fitted.length).toBeLessThanOrEqual(limit);
    const [section] = sections(fitted, "slices");
    const [table] = tables(section);
    expect(cells(table[2])[0]).toContain("zip 00150");
    const more = Number(/… (\d+) more slices in the full report/.exec(section)?.[1]);
    expect(table.length - 2 + more).toBe(200);
    // The confusion matrix was dropped before any slice row.
    expect(fitted).not.toContain("#### Confusion matrix");
  });

  it("drops whole tables rather than leaving empty ones when even one row each does not fit", () => {
    const markdown = renderMarkdown(bigReport());
    const fitted = fitToCommentLimit(markdown, { limit: 3000, fullReportPointer: pointer });
    expect(fitted.length).toBeLessThanOrEqual(3000);
    expect(fitted).toContain("#### Checks");
    for (const table of tables(fitted)) expect(table.length).toBeGreaterThan(2);
    const original = new Set(markdown.split("\n"));
    for (const line of fitted.split("\n")) {
      if (line !== "" && line !== pointer && !line.startsWith("… ")) expect(original.has(line)).toBe(true);
    }
  });
});
