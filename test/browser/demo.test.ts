/**
 * The catalog as users first meet it: the site `gitml demo` (the real CLI, end to end) builds and points
 * at, every page checked in Chromium as the sample site is (catalog.test.ts). The index's
 * screenshot at 1280 px is the README's picture: `GITML_README_SCREENSHOT=1` writes it to
 * docs/img/catalog.png (and the model page's to docs/img/catalog-model.png) instead of only to
 * test-artifacts/screenshots/.
 */
import { copyFile, mkdir, readFile, rm } from "node:fs/promises";
import * as path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { repoRoot, runCli, tempDir } from "../helpers/repo";
import {
  checkSitePage,
  launchChromium,
  openSitePage,
  screenshot,
  sitePages,
  type LaunchedBrowser,
} from "./browser";

let chromium: LaunchedBrowser;
let scratch: string;
let site: string;

beforeAll(async () => {
  scratch = await tempDir("gitml-demo-site-");
  const demo = path.join(scratch, "demo");
  const ran = await runCli(["demo", "--dir", demo], { cwd: scratch });
  expect(ran.code, ran.stderr).toBe(0);
  // The demo ends by building the catalog and saying where it is: that site is the one checked here.
  const printed = /^\s*model catalog \(site\):\s+(\S+)$/m.exec(ran.stdout);
  expect(printed, ran.stdout).not.toBeNull();
  site = path.dirname(printed![1]!);
  expect(site.startsWith(demo + path.sep)).toBe(true);
  chromium = await launchChromium();
}, 180_000);
afterAll(async () => {
  await chromium?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

it.each([1280, 400])(
  "every page of the demo's catalog loads clean, fits and is accessible at %i px",
  async (width) => {
    const pages = await sitePages(site);
    expect(pages[0]).toBe("index.html");
    expect(pages.length).toBeGreaterThanOrEqual(2);
    const tab = await openSitePage(chromium.browser, site, { width });
    try {
      const problems: string[] = [];
      for (const page of pages) problems.push(...(await checkSitePage(tab, site, page)));
      expect(problems).toEqual([]);
    } finally {
      await tab.page.close();
    }
  },
);

it("shows the demo's model with its registered version and a chart, screenshot kept", async () => {
  // A short viewport, so the index's full-page picture ends where the page does.
  const tab = await openSitePage(chromium.browser, site, { width: 1280, height: 200 });
  try {
    await tab.goto("index.html");
    const rows = await tab.page.$$eval("#catalog tbody tr", (trs) => trs.map((tr) => tr.textContent ?? ""));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain("iris");
    expect(rows[0]).toContain("v0.1.0");
    const index = await screenshot(tab.page, "demo-catalog-index-1280");
    const modelLink = await tab.page.$eval("#catalog tbody a", (a) => a.getAttribute("href")!);
    await tab.goto(modelLink);
    expect(await tab.page.$$eval("svg.chart", (svgs) => svgs.length)).toBeGreaterThan(0);
    // The top of the model page (facts, how to fetch, the first charts): the README's second picture.
    await tab.page.setViewport({ width: 1280, height: 1000 });
    const model = await screenshot(tab.page, "demo-catalog-model-1280", { fullPage: false });
    expect(tab.takeProblems()).toEqual([]);
    for (const file of [index, model]) expect((await readFile(file)).subarray(1, 4).toString()).toBe("PNG");
    if (process.env.GITML_README_SCREENSHOT === "1") {
      await mkdir(path.join(repoRoot, "docs", "img"), { recursive: true });
      await copyFile(index, path.join(repoRoot, "docs", "img", "catalog.png"));
      await copyFile(model, path.join(repoRoot, "docs", "img", "catalog-model.png"));
    }
  } finally {
    await tab.page.close();
  }
});
