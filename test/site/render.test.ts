import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { replay } from "../../src/registry/replay";
import type { TagRecord } from "../../src/registry/types";
import {
  catalogModel,
  embedJson,
  modelPagePath,
  renderMarkdown,
  renderSite,
  slug,
  type Catalog,
  type SiteFile,
} from "../../src/site";
import { metricChart, sparkline } from "../../src/site/charts";
import { HOSTILE, sampleCatalog } from "../helpers/catalog";

const pages = (catalog: Catalog) => renderSite(catalog);
const byPath = (files: SiteFile[], p: string) => files.find((f) => f.path === p)!.content;

/** The contents of every `<script>` element, with its opening tag. */
function scripts(html: string): { open: string; body: string }[] {
  return [...html.matchAll(/(<script[^>]*>)([\s\S]*?)<\/script>/g)].map((m) => ({
    open: m[1]!,
    body: m[2]!,
  }));
}

/** The page's markup without script bodies: every `<` left starts a real tag (text has none unescaped). */
function markup(html: string): string {
  return html.replace(/(<script[^>]*>)[\s\S]*?<\/script>/g, "$1</script>");
}

/** Every tag's attributes, as the browser would parse them. */
function tags(html: string): string[] {
  return [...markup(html).matchAll(/<[a-z][^>]*>/gi)].map((m) => m[0]);
}

function cspOf(html: string): string {
  return /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)![1]!;
}

const sha = (text: string) => `'sha256-${createHash("sha256").update(text).digest("base64")}'`;

describe("the catalog site's pages", () => {
  for (const org of [false, true]) {
    const files = pages(sampleCatalog({ org }));

    it(`${org ? "an organisation's catalog" : "one repository"}: index plus one page per model, all linked relatively`, () => {
      expect(files.map((f) => f.path)).toEqual(
        org
          ? [
              "index.html",
              "models/acme_2fchurn.churn.html",
              "models/acme_2fchurn.legacy-forecast.html",
              "models/risk_2ffraud-models.risk_2ffraud.html",
            ]
          : ["index.html", "models/churn.html", "models/legacy-forecast.html", "models/risk_2ffraud.html"],
      );
      const index = byPath(files, "index.html");
      const hrefs = [...index.matchAll(/<a href="([^"]+)"/g)].map((m) => m[1]!);
      for (const page of files.slice(1)) expect(hrefs).toContain(page.path);
      for (const page of files.slice(1)) {
        expect(page.content).toContain('href="../index.html"');
        // Every link is relative to the site or an http(s) page elsewhere: nothing absolute on disk.
        for (const [, href] of page.content.matchAll(/href="([^"]+)"/g))
          expect(href).toMatch(/^(\.\.\/index\.html|https:\/\/)/);
      }
    });

    it(`${org ? "org" : "repo"}: every user string is escaped; nothing but the page's own script can run`, () => {
      for (const file of files) {
        const html = file.content;
        expect(html).not.toContain(HOSTILE.script);
        expect(html).not.toContain("<img");
        for (const tag of tags(html)) expect(tag).not.toMatch(/\son[a-z]+=/i);
        expect(html).not.toContain("javascript:");
        expect(html).not.toMatch(/[\u2028\u2029\u202e]/);
        expect(html).not.toContain("<!-- -->");
        // At most one executable script (the page's own) and one JSON data block.
        const found = scripts(html);
        const executable = found.filter((s) => s.open === "<script>");
        expect(executable.length).toBeLessThanOrEqual(1);
        for (const s of found)
          expect(s.open === "<script>" || s.open.includes('type="application/json"')).toBe(true);
      }
    });
  }

  it("a strict CSP: nothing may load; the one style and the one script are allowed by their hashes", () => {
    for (const file of pages(sampleCatalog())) {
      const csp = cspOf(file.content);
      expect(csp).toContain("default-src 'none'");
      expect(csp).not.toContain("unsafe-inline");
      expect(csp).not.toContain("http");
      const style = /<style>([\s\S]*?)<\/style>/.exec(file.content)![1]!;
      expect(csp).toContain(`style-src ${sha(style)}`);
      const script = scripts(file.content).find((s) => s.open === "<script>");
      expect(csp).toContain(`script-src ${script ? sha(script.body) : "'none'"}`);
      // No style attribute (CSP would block it), no resource from anywhere.
      for (const tag of tags(file.content))
        expect(tag).not.toMatch(/\s(style|src|srcset|action|formaction)=/);
      expect(markup(file.content)).not.toMatch(/<(link|img|iframe|object|embed|base|form)\b|@import|url\(/i);
    }
  });

  it("the embedded comparison data survives hostile names intact and cannot end its script block", () => {
    const files = pages(sampleCatalog());
    const fraud = byPath(files, "models/risk_2ffraud.html");
    const block = scripts(fraud).find((s) => s.open.includes("versions-data"))!;
    expect(block.body).not.toMatch(/<\/script|<!--|[\u2028\u2029]/i);
    const data = JSON.parse(block.body) as {
      v: string;
      m: Record<string, number>;
      p: Record<string, string>;
    }[];
    expect(data.map((v) => v.v)).toEqual(["v1.0.0", "v1.1.0", "v1.2.0"]);
    expect(data[2]!.m[HOSTILE.script]).toBe(2);
    expect(data[1]!.p[HOSTILE.attribute]).toBe(`${HOSTILE.separators}-1`);
  });

  it("embedJson escapes what could end or bend a script block, and parses back to the same value", () => {
    const value = { a: "</script><!--", b: "\u2028\u2029", c: "&amp;", d: [1, null, true] };
    const text = embedJson(value);
    expect(text).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(text)).toEqual(value);
  });

  it("the index carries what the filter and sort read: a status per row, sortable keys per cell", () => {
    const index = byPath(pages(sampleCatalog()), "index.html");
    const rows = [...index.matchAll(/<tr data-status="([a-z]+)">/g)].map((m) => m[1]);
    expect(rows).toEqual(["drift", "none", "ok"]);
    expect(index).toContain('id="filter"');
    expect(index).toContain('id="controls" hidden');
    // Headline values sort numerically, last changes by time.
    expect(index).toContain(
      '<td class="num" data-sort="0.884">0.884 <span class="muted">accuracy</span><br><span class="muted">+0.012 vs v1.6.0</span>',
    );
    expect(index).toMatch(/<td data-sort="\d+">2026-02-23 11:00 UTC<br>/);
    expect(index).toContain('<td data-sort="000001.000007.000000~">v1.7.0</td>');
    expect(index).toContain("1 drifting");
    expect(index).toContain("alert open");
  });

  it("a model page: timeline with the rollback, a chart per metric with stage markers, the comparison, the card, the drift history", () => {
    const churn = byPath(pages(sampleCatalog()), "models/churn.html");
    expect(churn).toContain("rolled production back to v1.6.0 (from v1.7.0)");
    expect(churn.match(/<svg class="chart"/g)).toHaveLength(3);
    // The two stage holders are ringed on every chart.
    expect(churn.match(/class="stage-marker"/g)).toHaveLength(6);
    expect(churn).toContain("gitml get churn@v1.7.0");
    // What the store holds of it, with a link to its release.
    expect(churn).toContain(
      'v1.7.0 is stored in its <a href="https://github.com/acme/models/releases/tag/churn%40v1.7.0" rel="noopener noreferrer">GitHub Release</a>',
    );
    expect(churn).toContain('<li><code>model.tar.gz</code> <span class="muted">model, 12 MB</span></li>');
    expect(churn).toContain("<code>&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;.json</code>");
    expect(churn).toContain("gitml get &#39;churn#production&#39;");
    // Default comparison: the latest against the one before it, with deltas and the params diff.
    expect(churn).toMatch(/<option value="v1\.6\.0" selected>/);
    expect(churn).toMatch(/<option value="v1\.7\.0" selected>/);
    expect(churn).toContain(
      '<td>accuracy</td><td class="num">0.872</td><td class="num">0.884</td><td class="num">+0.012</td>',
    );
    expect(churn).toContain('<tr class="changed"><td>n_estimators</td><td>110</td><td>120</td>');
    expect(churn).toContain("https://github.com/acme/models/pull/17");
    expect(churn).toContain("https://github.com/acme/models/actions/runs/1007");
    // Drift history: both runs, the hostile column name escaped.
    expect(churn).toContain("3/5 (60%)");
    expect(churn).toContain('tenure_months <span class="muted">(psi 0.41)</span>');
    expect(churn).toContain('plan <span class="muted">(chisquare, p = 0.002)</span>');
    expect(churn).toContain("&quot; onmouseover=&quot;window.__pwned=1&quot; x=&quot;");
    expect(churn).toContain("accuracy 0.79");
    // The model card: a table, a quote, the javascript: link as text only.
    expect(churn).toContain('<div class="card"><h3>churn v1.7.0</h3>');
    expect(churn).toContain("<th>metric</th>");
    expect(churn).toContain(
      '<a href="https://github.com/acme/models/commit/abc123" rel="noopener noreferrer"><code>abc123</code></a>',
    );
    expect(churn).toContain("Run: run</li>");
  });

  it("a model page shows the latest version's top features beside the version before it, escaped", () => {
    const churn = byPath(pages(sampleCatalog()), "models/churn.html");
    const section = /<h2 id="importances">[\s\S]*?(?=<h2 )/.exec(churn)![0];
    expect(section).toContain(
      "The features v1.7.0 leans on most, as its training measured them compared with v1.6.0",
    );
    expect(section).toContain('<td class="num">1</td><td>tenure_months</td><td class="num">45%</td>');
    expect(section).toContain("▲ 1 (was 2)");
    expect(section).toContain("▼ 1 (was 1)");
    expect(section).toContain("&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;");
    expect(section).toContain('<span class="badge b-new">entered the top 10</span>');
    expect(section).toContain("Left the top 10 since v1.6.0: region (was 4).");
    expect(tags(section).some((tag) => /^<img/i.test(tag))).toBe(false);
    // Versions whose tags recorded no importances get no section.
    const legacy = byPath(pages(sampleCatalog()), "models/legacy-forecast.html");
    expect(legacy).not.toContain('id="importances"');
  });

  it("a model with one version or none renders without comparison or script", () => {
    const catalog = sampleCatalog();
    const model = catalog.repos[0]!.models[0]!;
    catalog.repos[0]!.models = [
      {
        ...model,
        versions: model.versions.slice(0, 1),
        events: [],
        latest: "v1.0.0",
        stages: {},
        monitoring: undefined,
        modelCard: undefined,
      },
      { ...model, name: "empty", versions: [], events: [], latest: undefined, stages: {} },
    ];
    const files = pages(catalog);
    for (const file of files.slice(1)) {
      expect(file.content).not.toContain('id="compare"');
      expect(cspOf(file.content)).toContain("script-src 'none'");
      expect(file.content).not.toContain("NaN");
    }
    expect(byPath(files, "models/empty.html")).toContain("No version records metrics");
  });

  it("an empty catalog says how to start", () => {
    const files = pages({
      title: "x",
      generatedAt: "2026-01-01T00:00:00Z",
      repos: [{ id: "x", models: [], warnings: [] }],
    });
    expect(files).toHaveLength(1);
    expect(files[0]!.content).toContain("No model is registered yet");
  });
});

describe("charts", () => {
  it("a sparkline has one point per version and a labelled summary; one point or flat values give no NaN", () => {
    const svg = sparkline(
      [
        { label: "v1", value: 0.8 },
        { label: "v2", value: 0.9 },
        { label: "v3", value: 0.85 },
      ],
      "accuracy",
    );
    expect(/points="([^"]+)"/.exec(svg)![1]!.split(" ")).toHaveLength(3);
    expect(svg).toContain('aria-label="accuracy: 0.8 (v1) to 0.85 (v3) over 3 versions"');
    for (const points of [
      [{ label: "v1", value: 1 }],
      [
        { label: "v1", value: 2 },
        { label: "v2", value: 2 },
      ],
    ])
      expect(sparkline(points, "m")).not.toContain("NaN");
    expect(sparkline([], "m")).toBe("");
  });

  it("a metric chart rings stage holders, names stages in the legend, escapes labels", () => {
    const svg = metricChart(
      "<b>",
      [
        { label: "v1", value: 1 },
        { label: "v2", value: 3, stages: ["production"] },
        { label: "<v3>", value: 2, stages: ["staging"] },
      ],
      ["staging", "production"],
    );
    expect(svg.match(/class="stage-marker"/g)).toHaveLength(2);
    expect(svg).toContain(">staging</text>");
    expect(svg).toContain(">production</text>");
    expect(svg).toContain("&lt;v3&gt;");
    expect(svg).not.toContain("<b>");
    expect(svg).not.toContain("NaN");
    expect(svg).toContain('role="img"');
  });
});

describe("a version holding two stages at once", () => {
  it("is ringed in both stages' colours, concentric, its tooltip naming both, the legend both", () => {
    const svg = metricChart(
      "accuracy",
      [
        { label: "v1", value: 0.8 },
        { label: "v2", value: 0.9, stages: ["production", "staging"] },
      ],
      ["staging", "production"],
    );
    const v2 = [
      ...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)" r="([\d.]+)"[^>]*stroke="(#[0-9a-f]+)"[^>]*>/g),
    ]
      .filter((m) => /stage-(marker|ring)/.test(m[0]))
      .map(([, cx, cy, r, stroke]) => ({ at: `${cx},${cy}`, r: Number(r), stroke }));
    expect(v2).toHaveLength(2);
    expect(v2[0]!.at).toBe(v2[1]!.at);
    // Outer ring the first stage in the model's order (staging), the inner one the next (production).
    expect(v2[0]!.r).toBeGreaterThan(v2[1]!.r);
    const legendColor = (stage: string) =>
      new RegExp(`stroke="(#[0-9a-f]+)" stroke-width="2"/><text[^>]*>${stage}</text>`).exec(svg)?.[1];
    expect(v2.map((ring) => ring.stroke)).toEqual([legendColor("staging"), legendColor("production")]);
    expect(legendColor("staging")).not.toBe(legendColor("production"));
    expect(svg).toContain("<title>v2: 0.9 (staging, production)</title>");
    // One marker (and one tooltip) per version still.
    expect(svg.match(/class="stage-marker"/g)).toHaveLength(1);
    expect(svg.match(/<title>/g)).toHaveLength(2);
  });
});

describe("the model card's markdown", () => {
  it("renders headings, lists, tables, code and http(s) links; everything else is text", () => {
    const html = renderMarkdown(
      [
        "# Title <b>",
        "",
        "Text with **bold**, `code <i>` and [a link](https://example.com/a?b=1&c=2).",
        "[bad](javascript:alert(1)) [data](data:text/html,x)",
        "<script>alert(1)</script>",
        "",
        "- one",
        "- two &#124; three",
        "",
        "| a | b \\| c |",
        "|---|---|",
        "| 1 | 2 |",
        "",
        "```",
        "</code></pre><script>",
        "```",
      ].join("\n"),
    );
    expect(html).toContain("<h3>Title &lt;b&gt;</h3>");
    expect(html).toContain("<strong>bold</strong>");
    expect(html).toContain("<code>code &lt;i&gt;</code>");
    expect(html).toContain(
      '<a href="https://example.com/a?b=1&amp;c=2" rel="noopener noreferrer">a link</a>',
    );
    expect(html).not.toMatch(/href="(javascript|data):/);
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain("<li>two | three</li>");
    expect(html).toContain("<th>b | c</th>");
    expect(html).toContain('<pre tabindex="0"><code>&lt;/code&gt;&lt;/pre&gt;&lt;script&gt;</code></pre>');
    expect(html).not.toMatch(/<script|<b>|<i>/);
  });
});

describe("catalog data from the registry", () => {
  const record = (tag: string, date: number, commit: string, message = "m"): TagRecord => ({
    tag,
    annotated: true,
    commit,
    date,
    taggerName: "Ada",
    taggerEmail: "ada@example.com",
    message,
  });
  const c1 = "1".repeat(40);
  const c2 = "2".repeat(40);

  it("versions oldest first with their trailers; a promotion of an older version is a rollback", () => {
    const state = replay([
      record(
        "m@v1.0.0",
        100,
        c1,
        'Registering artifact m version v1.0.0\n\nGitml-Metrics: {"acc":0.8}\nGitml-Pr: 3',
      ),
      record("m#prod#1", 110, c1),
      record(
        "m@v1.1.0",
        200,
        c2,
        'Registering artifact m version v1.1.0\n\nGitml-Metrics: {"acc":0.9,"f1":0.5}\nGitml-Metrics-Omitted: 12',
      ),
      record("m#prod#2", 210, c2),
      record("m#prod#3", 300, c1),
    ]);
    const model = catalogModel(state.models.get("m")!, {
      description: "d",
      owners: ["@o"],
      stages: ["staging", "prod"],
    });
    expect(model.versions.map((v) => [v.version, v.metrics, v.pr, v.stages, v.metricsOmitted])).toEqual([
      ["v1.0.0", { acc: 0.8 }, 3, ["prod"], undefined],
      ["v1.1.0", { acc: 0.9, f1: 0.5 }, undefined, [], 12],
    ]);
    expect(model.events.map((e) => e.kind)).toEqual([
      "register",
      "promote",
      "register",
      "promote",
      "rollback",
    ]);
    expect(model.events[4]).toMatchObject({
      version: "v1.0.0",
      previous: "v1.1.0",
      stage: "prod",
      author: "Ada",
    });
    expect(model.stages).toEqual({ prod: "v1.0.0" });
    expect(model.stageOrder).toEqual(["staging", "prod"]);
    // No gate: the metric most versions record.
    expect(model.headlineMetric).toBe("acc");
    expect(catalogModel(state.models.get("m")!, { gatedMetrics: ["f1"] }).headlineMetric).toBe("f1");
  });

  it("page names are unique and stay in their folder whatever the model is called", () => {
    const names = ["a/b", "a_2fb", "dir:name", "../x", "A", "a"];
    const slugs = names.map(slug);
    expect(new Set(slugs).size).toBe(names.length);
    for (const s of slugs) expect(s).toMatch(/^[A-Za-z0-9_-]+$/);
    const catalog = sampleCatalog();
    expect(
      modelPagePath(catalog, catalog.repos[0]!, { ...catalog.repos[0]!.models[0]!, name: "../../etc" }),
    ).toBe("models/_2e_2e_2f_2e_2e_2fetc.html");
  });
});
