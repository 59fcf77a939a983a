import { describe, expect, it } from "vitest";
import { normaliseImportances } from "../../src/evaluate/importances";
import { renderHtml } from "../../src/report/html";
import { fitToCommentLimit, renderMarkdown } from "../../src/report/markdown";
import { renderModelCard } from "../../src/report/model-card";
import { EvaluationReportSchema } from "../../src/report/schema";
import { renderText } from "../../src/report/text";
import { buildEvaluationReport } from "../../src/report/types";

const HOSTILE = "x|</td><img src=y onerror=alert(1)>`\n| forged | row |";

const candidate = normaliseImportances({
  method: "permutation <b>",
  importances: new Map<string, number>([
    [HOSTILE, 6],
    ["tenure", 3],
    ["charges", 1],
    ...Array.from({ length: 10 }, (_, i) => [`f${i}`, 0.1] as [string, number]),
  ]),
});

function report(baseline: Record<string, number> | undefined, withBaseline = true) {
  return buildEvaluationReport({
    model: "churn",
    compareTo: "production",
    candidate: { version: "PR #1", metrics: { accuracy: 0.9 } },
    baseline: withBaseline
      ? { version: "v1.0.0", stage: "production", metrics: { accuracy: 0.9 } }
      : undefined,
    rules: [{ metric: "accuracy", min: 0.5 }],
    importances: {
      candidate,
      baseline,
      rules: [
        { importance: { max_single: 0.4 } },
        { importance: { features: ["tenure"], min_share: 0.1 }, required: false },
      ],
    },
  });
}

describe("importances in the PR report", () => {
  const production = { tenure: 0.5, charges: 0.3, gone: 0.2 };

  it("gates count in the verdict like metric gates", () => {
    const r = report(production);
    expect(r.gates.gates.map((g) => [g.metric, g.passed, g.severity])).toEqual([
      ["accuracy", true, "error"],
      ["feature importance", false, "error"],
      ["feature importance", true, "warning"],
    ]);
    expect(r.gates).toMatchObject({ overall: "fail", failed: 1 });
    const markdown = renderMarkdown(r);
    expect(markdown).toMatch(/Gates failed: 1 of 3/);
    expect(markdown).toMatch(/\*\*feature importance\*\* no single feature above 40 %/);
    // Each importance gate's verdict also sits under the ranking, passing ones included.
    const section = markdown.slice(markdown.indexOf("#### Feature importances"));
    expect(section).toMatch(
      /^- ❌ no single feature above 40 %: x.* holds 54\.5 % \(&#62; 40 %&#58; one feature dominates\)$/m,
    );
    expect(section).toMatch(/^- ✅ tenure hold ≥ 10 %: the listed features hold 27\.3 %$/m);
  });

  it("escapes every feature name: no forged row, tag or code span; the chart keeps safe characters only", () => {
    const markdown = renderMarkdown(report(production));
    expect(markdown).not.toContain("<img");
    expect(markdown).not.toContain("</td>");
    expect(markdown.split("\n").filter((l) => /^\| forged/.test(l) || l.includes("| row |"))).toEqual([]);
    const section = markdown.slice(
      markdown.indexOf("#### Feature importances"),
      markdown.indexOf("```mermaid"),
    );
    // Header, delimiter, 10 candidate rows and the feature that left production's top 10.
    expect(section.split("\n").filter((l) => l.startsWith("|"))).toHaveLength(2 + 10 + 1);
    expect(section).toMatch(/\(permutation &#60;b&#62;\)/);
    expect(section).toMatch(/left it: \*\*gone\*\*/);
    const chart = markdown.slice(markdown.indexOf("```mermaid"));
    expect(chart).toContain('x-axis ["x__/td__img src=y on", "tenure"');
    const html = renderHtml(report(production));
    expect(html).toContain("x|&lt;/td&gt;&lt;img src=y onerror=alert(1)&gt;");
    expect(html).not.toContain("<img");
    expect(renderText(report(production))).toMatch(/feature importances \(permutation <b>\):/);
  });

  it("without production's importances, or without production, the candidate's ranking stands alone", () => {
    const missing = renderMarkdown(report(undefined));
    expect(missing).toMatch(
      /The candidate's top 10 of 13 features, by share of its importance \(production v1\.0\.0 recorded no importances\)/,
    );
    expect(missing).not.toMatch(/entered the top/);
    expect(missing).not.toContain("  line [");
    const first = renderMarkdown(report(undefined, false));
    expect(first).toMatch(/The candidate's top 10 of 13 features, by share of its importance\./);
  });

  it("shows the candidate's mean |SHAP| when its training wrote them", () => {
    const withShap = normaliseImportances({
      importances: new Map([
        ["tenure", 3],
        ["charges", 1],
      ]),
      meanAbsShap: new Map([["tenure", 0.42]]),
    });
    const r = buildEvaluationReport({
      model: "churn",
      compareTo: "production",
      candidate: { version: "PR #1", metrics: {} },
      baseline: { version: "v1.0.0", stage: "production", metrics: {} },
      rules: [],
      importances: { candidate: withShap, baseline: { tenure: 1 } },
    });
    const markdown = renderMarkdown(r);
    expect(markdown).toMatch(/\| Rank \| Feature \| Candidate \| mean abs SHAP \| production v1\.0\.0 \|/);
    expect(markdown).toMatch(/\| 1 \| tenure \| 75 % \| 0\.42 \| 100 % \| 1 \| = \|/);
    expect(markdown).toMatch(/\| 2 \| charges \| 25 % \| — \| — \| — \| 🆕 entered the top 10 \|/);
    expect(renderMarkdown(report(production))).not.toContain("mean abs SHAP");
    expect(
      EvaluationReportSchema.parse(JSON.parse(JSON.stringify(r))).importances!.rows[0]!.candidateMeanAbsShap,
    ).toBe(0.42);
  });

  it("round-trips the fork report schema, and gives way first when the comment must shrink", () => {
    const r = report(production);
    expect(EvaluationReportSchema.parse(JSON.parse(JSON.stringify(r)))).toEqual(
      JSON.parse(JSON.stringify(r)),
    );
    const markdown = renderMarkdown(r);
    const fitted = fitToCommentLimit(markdown, { limit: markdown.length - 50 });
    expect(fitted).toContain("#### Feature importances");
    expect(fitted).not.toContain("Importance share in percent");
  });
});

describe("importances in the model card", () => {
  it("lists the top 10 with shares, importance and mean |SHAP|, escaped, and the best feature per class", () => {
    const card = renderModelCard({
      model: "churn",
      version: "v1.0.0",
      lineage: { commit: "a".repeat(40) },
      importances: normaliseImportances({
        method: "permutation",
        importances: new Map([
          [HOSTILE, 3],
          ["tenure", 1],
        ]),
        meanAbsShap: new Map([["tenure", 0.25]]),
        perClass: new Map([["yes", new Map([["tenure", 2]])]]),
      }),
    });
    expect(card).toMatch(/## Feature importances/);
    expect(card).toMatch(/\| 2 \| tenure \| 25 % \| 1 \| 0\.25 \|/);
    expect(card).toMatch(/Most important per class: yes: tenure \(100 %\)/);
    expect(card).not.toContain("<img");
    expect(card.split("\n").filter((l) => l.startsWith("| forged"))).toEqual([]);
  });
});
