import { describe, expect, it } from "vitest";
import { renderHtml } from "../../src/report/html";
import { renderText } from "../../src/report/text";
import { buildEvaluationReport } from "../../src/report/types";

const hostile = "<img src=x onerror=alert(1)>";
const report = buildEvaluationReport({
  model: "churn</title><script>alert(1)</script>",
  compareTo: "production",
  candidate: {
    version: "v1.5.0",
    digest: "sha256:00ff",
    metrics: { accuracy: 0.91, [hostile]: 1, latency_ms: 41 },
    params: { lr: 0.02, '"quoted"': "<b>" },
  },
  baseline: {
    version: "v1.4.0",
    stage: "production",
    metrics: { accuracy: 0.93, [hostile]: 1, latency_ms: 45 },
    params: { lr: 0.01 },
  },
  rules: [
    { metric: "accuracy", min: 0.92 },
    { metric: "latency_ms", max: 50 },
  ],
  trend: [
    { version: "v1.3.0", metrics: { accuracy: 0.9, latency_ms: 50 } },
    { version: "v1.4.0", metrics: { accuracy: 0.93, latency_ms: 45 } },
  ],
  links: { runUrl: "https://github.com/o/r/actions/runs/7?a=1&b=2" },
  fingerprints: { "train.parquet": "sha256:abc" },
});

describe("renderHtml", () => {
  const html = renderHtml(report);

  it("is a standalone page: no scripts, no external assets", () => {
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toContain("<style>");
    expect(html).not.toMatch(/<script|<link|<img|<iframe|<[^>]*\ssrc=/i);
    // The only URL that leaves the page is the run link (the SVG namespace is an identifier, not a load).
    const urls = [...html.matchAll(/(?:href|src)="([^"]*)"/g)].map((m) => m[1]);
    expect(urls).toEqual(["https://github.com/o/r/actions/runs/7?a=1&amp;b=2"]);
  });

  it("escapes every user string", () => {
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(html).toContain("churn&lt;/title&gt;&lt;script&gt;");
    expect(html).toContain("&lt;b&gt;");
    expect(html).toContain("&quot;quoted&quot;");
  });

  it("has the verdict, the gates, one metrics row per metric and the details", () => {
    expect(html).toContain('<p class="verdict fail">❌ Gates failed: 1 of 2 failed</p>');
    expect(html).toContain("0.91 &lt; 0.92");
    const metricsTable = html.split("<h2>Metrics</h2>")[1].split("</table>")[0];
    expect(metricsTable.match(/<tr>/g)).toHaveLength(1 + 3);
    expect(metricsTable).toContain('<span class="worse">▼ 🔴</span>');
    expect(metricsTable).toContain('<span class="better">▼ 🟢</span>');
    expect(html).toContain("<summary>Params diff (2 of 2 differ)</summary>");
    expect(html).toContain("<summary>Data fingerprints</summary>");
    expect(html).toContain("<code>sha256:00ff</code>");
  });

  it("draws an inline SVG trend per gated metric, candidate included", () => {
    const svgs: string[] = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    expect(svgs).toHaveLength(2);
    expect(svgs[0].match(/<circle/g)).toHaveLength(3);
    expect(svgs[0]).toContain("<title>v1.5.0: 0.91</title>");
  });
});

describe("renderText", () => {
  it("is compact plain text with the verdict, gates and aligned rows", () => {
    const text = renderText(report);
    const lines = text.trimEnd().split("\n");
    expect(lines[0]).toBe("churn</title><script>alert(1)</script> v1.5.0 vs production v1.4.0");
    expect(lines[1]).toBe("FAIL: Gates failed: 1 of 2 failed");
    expect(text).toContain("❌ accuracy ≥ 0.92: 0.91 < 0.92");
    const accuracy = lines.find((l) => l.startsWith("accuracy"));
    expect(accuracy?.split(/\s+/)).toEqual(["accuracy", "0.93", "0.91", "-0.02", "-2.2%", "worse", "❌"]);
    expect(text).toContain("run: https://github.com/o/r/actions/runs/7?a=1&b=2");
  });

  it("caps the rows and says how many are hidden", () => {
    expect(renderText(report, { maxRows: 1 })).toContain("… 2 more metrics");
  });

  it("renders the first version without a baseline", () => {
    const first = renderText({ ...report, baseline: undefined });
    expect(first.split("\n")[0]).toContain("first version: no baseline in production");
    expect(first).not.toContain("undefined");
  });
});

describe("invisible characters in names", () => {
  // "accuracy" spelled with a right-to-left override and a zero-width space: shown, it could pass for
  // another metric (or hide a failing one) if the characters were passed through.
  const spoofed = "acc\u202Eycarucca\u200B";
  const column = "\u2066age\u2069\uFEFF";
  const invisible = /[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;
  const withInvisible = buildEvaluationReport({
    model: "churn",
    compareTo: "production",
    candidate: { version: "candidate", metrics: { [spoofed]: 0.5, [column]: 1 } },
    rules: [{ metric: spoofed, min: 0.9 }],
    trend: [],
    links: {},
  });

  it("are written out as \\uXXXX in the markdown, HTML and text reports", async () => {
    const { renderMarkdown } = await import("../../src/report/markdown");
    // Markdown writes the backslash as an entity (it would escape what follows); it renders as `\`.
    const rendered: Array<[string, string]> = [
      [renderMarkdown(withInvisible), "&#92;"],
      [renderHtml(withInvisible), "\\"],
      [renderText(withInvisible), "\\"],
    ];
    for (const [text, backslash] of rendered) {
      expect(text).not.toMatch(invisible);
      expect(text).toContain(`acc${backslash}u202Eycarucca${backslash}u200B`);
      expect(text).toContain(`${backslash}u2066age${backslash}u2069${backslash}uFEFF`);
    }
  });

  it("are written out on the terminal's drift table too", async () => {
    const { printMonitor } = await import("../../src/cli/print-monitor");
    const written: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) =>
      written.push(String(chunk)) > 0) as typeof process.stdout.write;
    try {
      printMonitor(
        [
          {
            model: "churn",
            stage: "production",
            report: "r.md",
            alert: { action: "none" },
            drift: {
              dataset_drift: false,
              drift_share: 0.5,
              number_of_columns: 1,
              number_of_drifted_columns: 0,
              share_of_drifted_columns: 0,
              columns: [
                { name: column, type: "num", test: "ks", statistic: 0.1, threshold: 0.05, drift: false },
              ],
            },
          } as unknown as Parameters<typeof printMonitor>[0][number],
        ],
        false,
      );
    } finally {
      process.stdout.write = write;
    }
    expect(written.join("")).not.toMatch(invisible);
    expect(written.join("")).toContain("\\u2066age\\u2069\\uFEFF");
  });
});
