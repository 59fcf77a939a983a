/**
 * The catalog site in a real browser (Debian's Chromium via puppeteer-core), loaded from file:// as a
 * user opens it from disk: every page of a one-repository site and of an organisation's, at 1280 and at
 * 400 px, loads with no console error, no failed request and no request outside the site's folder; its
 * links resolve; it does not scroll sideways at 400 px; axe-core finds nothing serious; the hostile strings
 * the sample catalog carries run nothing. Then what the pages do: the index's filter and sort, the charts
 * (SVG with a point per version), the model page's version comparison. Screenshots of the index and a
 * model page at both widths are kept in test-artifacts/screenshots/.
 */
import * as fs from "node:fs/promises";
import type { Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSampleSite, type SampleSite } from "../helpers/catalog";
import {
  checkSitePage,
  launchChromium,
  openSitePage,
  screenshot,
  type LaunchedBrowser,
  type SitePage,
} from "./browser";

const WIDTHS = [1280, 400] as const;

let chromium: LaunchedBrowser;
let single: SampleSite;
let org: SampleSite;

beforeAll(async () => {
  [single, org] = await Promise.all([buildSampleSite(), buildSampleSite({ org: true })]);
  chromium = await launchChromium();
});
afterAll(async () => {
  await chromium?.close();
  for (const site of [single, org]) if (site) await fs.rm(site.dir, { recursive: true, force: true });
});

describe.each([
  ["one repository", () => single],
  ["an organisation's catalog", () => org],
])("every page of %s", (_label, siteOf) => {
  it.each(WIDTHS)("loads clean, links resolve, fits, is accessible at %i px", async (width) => {
    const site = siteOf();
    expect(site.pages.length).toBeGreaterThanOrEqual(3);
    const tab = await openSitePage(chromium.browser, site.dir, { width });
    try {
      const problems: string[] = [];
      for (const page of site.pages) problems.push(...(await checkSitePage(tab, site.dir, page)));
      expect(problems).toEqual([]);
    } finally {
      await tab.page.close();
    }
  });
});

describe("the index", () => {
  let tab: SitePage;
  beforeAll(async () => {
    tab = await openSitePage(chromium.browser, single.dir);
    await tab.goto("index.html");
  });
  afterAll(async () => {
    expect(tab.takeProblems()).toEqual([]);
    await tab.page.close();
  });

  const visibleModels = (page: Page) =>
    page.$$eval("#catalog tbody tr", (rows) =>
      rows
        .filter((row) => !(row as unknown as { hidden: boolean }).hidden)
        .map((row) => (row as unknown as { cells: Array<{ getAttribute(n: string): string }> }).cells[0]!)
        .map((cell) => cell.getAttribute("data-sort")),
    );
  const countText = (page: Page) =>
    page.$eval("#count", (e) => (e as unknown as { textContent: string }).textContent);

  it("shows its controls when scripts run (a plain table without them)", async () => {
    expect(await tab.page.$eval("#controls", (e) => (e as unknown as { hidden: boolean }).hidden)).toBe(
      false,
    );
    expect(await visibleModels(tab.page)).toHaveLength(single.catalog.repos[0]!.models.length);
    expect(await countText(tab.page)).toBe("3 of 3 models");
  });

  it("filters by typed words (name, owner, description) and by monitoring status", async () => {
    const { page } = tab;
    await page.type("#filter", "fraud");
    expect(await visibleModels(page)).toEqual(["risk/fraud"]);
    expect(await countText(page)).toBe("1 of 3 models");
    await page.click("#filter", { count: 3 });
    await page.keyboard.press("Backspace");
    await page.type("#filter", "@ada");
    expect(await visibleModels(page)).toEqual(["churn"]);
    await page.click("#filter", { count: 3 });
    await page.keyboard.press("Backspace");
    expect(await visibleModels(page)).toHaveLength(3);

    await page.select("#status", "drift");
    expect(await visibleModels(page)).toEqual(["churn"]);
    await page.select("#status", "none");
    expect(await visibleModels(page)).toEqual(["legacy-forecast"]);
    await page.select("#status", "");
    expect(await countText(page)).toBe("3 of 3 models");
  });

  it("sorts by a column, ascending then descending, marking the column for assistive technology", async () => {
    const { page } = tab;
    const order = () =>
      page.$$eval("#catalog tbody tr", (rows) =>
        rows.map((row) => {
          const cells = (row as unknown as { cells: Array<{ getAttribute(n: string): string }> }).cells;
          return {
            name: cells[0]!.getAttribute("data-sort"),
            change: Number(cells[6]!.getAttribute("data-sort")),
          };
        }),
      );
    const header = "#catalog thead th:nth-child(7)";
    await page.click(`${header} button`);
    expect(await page.$eval(header, (th) => th.getAttribute("aria-sort"))).toBe("ascending");
    const ascending = await order();
    expect(ascending.map((r) => r.change)).toEqual([...ascending.map((r) => r.change)].sort((a, b) => a - b));
    await page.click(`${header} button`);
    expect(await page.$eval(header, (th) => th.getAttribute("aria-sort"))).toBe("descending");
    const descending = await order();
    expect(descending.map((r) => r.name)).toEqual(ascending.map((r) => r.name).reverse());

    await page.click("#catalog thead th:nth-child(1) button");
    expect((await order()).map((r) => r.name)).toEqual(["churn", "legacy-forecast", "risk/fraud"]);
    expect(await page.$eval(header, (th) => th.getAttribute("aria-sort"))).toBeNull();
  });

  it("draws each model's trend as an SVG line with a point per version", async () => {
    const sparks = await tab.page.$$eval("#catalog svg.spark", (svgs) =>
      svgs.map((svg) => ({
        points: (svg.querySelector("polyline")?.getAttribute("points") ?? "").trim().split(/\s+/).length,
        width: svg.getBoundingClientRect().width,
        label: svg.getAttribute("aria-label"),
      })),
    );
    const churn = single.catalog.repos[0]!.models.find((m) => m.name === "churn")!;
    expect(sparks.length).toBeGreaterThanOrEqual(2);
    expect(sparks[0]!.points).toBe(churn.versions.filter((v) => v.active).length);
    for (const spark of sparks) {
      expect(spark.width).toBeGreaterThan(0);
      expect(spark.label).toBeTruthy();
    }
  });
});

describe("with JavaScript off", () => {
  it("the index is the plain table of every model, without controls that would do nothing", async () => {
    const tab = await openSitePage(chromium.browser, single.dir);
    try {
      await tab.page.setJavaScriptEnabled(false);
      await tab.goto("index.html");
      expect(await tab.page.$eval("#controls", (e) => (e as unknown as { hidden: boolean }).hidden)).toBe(
        true,
      );
      const rows = await tab.page.$$eval("#catalog tbody tr", (trs) => trs.length);
      expect(rows).toBe(single.catalog.repos[0]!.models.length);
      await tab.goto("models/churn.html");
      // The comparison shows the default pair, rendered at build time.
      expect(await tab.page.$eval("#cmp-out", (e) => e.textContent ?? "")).toContain("accuracy");
      expect(tab.takeProblems()).toEqual([]);
    } finally {
      await tab.page.close();
    }
  });
});

describe("a model page", () => {
  let tab: SitePage;
  const page = () => tab.page;
  beforeAll(async () => {
    tab = await openSitePage(chromium.browser, single.dir);
    await tab.goto("models/churn.html");
  });
  afterAll(async () => {
    expect(tab.takeProblems()).toEqual([]);
    await tab.page.close();
  });

  it("draws a chart per metric, a point per version, the versions holding a stage ringed", async () => {
    const churn = single.catalog.repos[0]!.models.find((m) => m.name === "churn")!;
    const metrics = new Set(churn.versions.flatMap((v) => Object.keys(v.metrics ?? {})));
    const charts = await page().$$eval("svg.chart", (svgs) =>
      svgs.map((svg) => {
        const box = svg.getBoundingClientRect();
        return {
          label: svg.getAttribute("aria-label") ?? "",
          points: svg.querySelectorAll("circle title").length,
          markers: svg.querySelectorAll("circle.stage-marker").length,
          line: (svg.querySelector("polyline")?.getAttribute("points") ?? "").trim().split(/\s+/).length,
          width: box.width,
          height: box.height,
        };
      }),
    );
    expect(charts.map((c) => c.label.split(" ")[0])).toEqual(expect.arrayContaining([...metrics]));
    const active = churn.versions.filter((v) => v.active).length;
    for (const chart of charts) {
      expect(chart.points, chart.label).toBe(active);
      expect(chart.line, chart.label).toBe(active);
      expect(chart.markers, chart.label).toBe(2); // staging and production
      expect(chart.width).toBeGreaterThan(100);
      expect(chart.height).toBeGreaterThan(50);
    }
  });

  it("compares any two versions: metrics with deltas, params that changed, digests", async () => {
    const cells = () =>
      page().$$eval("#cmp-out table", (tables) =>
        tables.map((t) =>
          Array.from(
            (t as unknown as { rows: ArrayLike<{ cells: ArrayLike<{ textContent: string }> }> }).rows,
          ).map((row) => Array.from(row.cells).map((cell) => cell.textContent)),
        ),
      );
    const [metricsBefore] = await cells();
    expect(metricsBefore![0]).toEqual(["metric", "A v1.6.0", "B v1.7.0", "B − A"]);

    await page().select("#cmp-a", "v1.0.0");
    await page().select("#cmp-b", "v1.5.0");
    const [metrics, params, artifacts] = await cells();
    expect(metrics![0]).toEqual(["metric", "A v1.0.0", "B v1.5.0", "B − A"]);
    expect(metrics).toContainEqual(["accuracy", "0.8", "0.82", "+0.02"]);
    expect(metrics).toContainEqual(["latency_ms", "40", "35", "-5"]);
    expect(params).toContainEqual(["criterion", "gini", "entropy", "changed"]);
    expect(params).toContainEqual(["max_depth", "6", "6", ""]);
    const churn = single.catalog.repos[0]!.models.find((m) => m.name === "churn")!;
    const [a, b] = ["v1.0.0", "v1.5.0"].map((v) => churn.versions.find((x) => x.version === v)!);
    expect(artifacts).toContainEqual(["artifact digest", a!.artifactDigest, b!.artifactDigest, "differs"]);
    expect(artifacts).toContainEqual(["commit", a!.commit, b!.commit, "differs"]);
  });
});

describe("the model page on a phone (400 px)", () => {
  it("shows versions and drift history as cards, and every other table whole, no column squeezed to a word", async () => {
    const tab = await openSitePage(chromium.browser, single.dir, { width: 400 });
    try {
      await tab.goto("models/churn.html");
      const layout = await tab.page.evaluate(() => {
        // The page's DOM, typed as far as this check reads it (the tests compile without the DOM lib).
        interface Box {
          width: number;
        }
        interface Node {
          textContent: string | null;
          scrollWidth: number;
          clientWidth: number;
          previousElementSibling: Node | null;
          parentElement: Node;
          cells: Node[];
          getBoundingClientRect(): Box;
          querySelector(selector: string): Node;
          querySelectorAll(selector: string): Iterable<Node>;
        }
        const { document: doc, getComputedStyle: style } = globalThis as unknown as {
          document: Node;
          getComputedStyle(node: Node, pseudo?: string): { display: string; content: string };
        };
        const all = (selector: string, within: Node = doc) => Array.from(within.querySelectorAll(selector));
        return {
          // A table wider than its box hides columns behind a sideways scroll.
          cut: all(".scroll")
            .filter((box) => box.scrollWidth > box.clientWidth + 1)
            .map((box) => box.previousElementSibling?.textContent ?? "?"),
          // A cell of a table laid out as a table: narrower than 40 px stacks its text a word (or less) a line.
          narrow: all("table:not(.stack) td")
            .filter((td) => style(td).display === "table-cell")
            .filter((td) => td.getBoundingClientRect().width < 40)
            .map((td) => td.textContent),
          cards: all("table.stack").map((table) => {
            const rows = all("tbody tr", table);
            const box = table.parentElement.getBoundingClientRect();
            return {
              rows: rows.length,
              fullWidth: rows.every((tr) => tr.getBoundingClientRect().width >= box.width - 2),
              head: style(table.querySelector("thead")).display,
              label: style(rows[0]!.cells[2]!, "::before").content,
            };
          }),
        };
      });
      expect(layout.cut).toEqual([]);
      expect(layout.narrow).toEqual([]);
      const churn = single.catalog.repos[0]!.models.find((m) => m.name === "churn")!;
      expect(layout.cards).toEqual([
        { rows: churn.monitoring!.runs.length, fullWidth: true, head: "none", label: '"Drifted columns: "' },
        { rows: churn.versions.length, fullWidth: true, head: "none", label: '"Registered: "' },
      ]);
      expect(tab.takeProblems()).toEqual([]);
    } finally {
      await tab.page.close();
    }
  });
});

describe("screenshots (kept in test-artifacts/screenshots/)", () => {
  it.each(WIDTHS)("of the index and a model page at %i px", async (width) => {
    const tab = await openSitePage(chromium.browser, single.dir, { width });
    try {
      for (const [page, name] of [
        ["index.html", "catalog-index"],
        ["models/churn.html", "catalog-model"],
      ] as const) {
        await tab.goto(page);
        const file = await screenshot(tab.page, `${name}-${width}`);
        const png = await fs.readFile(file);
        expect(png.subarray(1, 4).toString()).toBe("PNG");
        expect(png.readUInt32BE(16)).toBe(width); // IHDR width: the page did not grow sideways
      }
      expect(tab.takeProblems()).toEqual([]);
    } finally {
      await tab.page.close();
    }
  });
});
