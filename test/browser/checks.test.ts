/**
 * The browser checks themselves, on two small pages written here: a clean one passes every check, and a
 * page built to break each rule is caught by each (so a green catalog test means something). Also: no
 * Chromium is a loud failure, never a skip.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/repo";
import {
  axeViolations,
  brokenLinks,
  chromiumPath,
  CHROMIUM_ENV,
  horizontalOverflow,
  launchChromium,
  openSitePage,
  overflowingElements,
  seriousViolations,
  type LaunchedBrowser,
} from "./browser";

const CSP = `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src 'self'">`;

const GOOD = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">${CSP}
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Good</title></head>
<body><main><h1>Models</h1>
<p><a href="other.html#top">other page</a> · <a href="#here">here</a> · <a href="https://github.com/acme/models/commit/abc">commit</a></p>
<svg viewBox="0 0 10 10" width="100" height="40" role="img" aria-label="trend"><circle cx="5" cy="5" r="2"/></svg>
<p id="here">A table that fits:</p><table><thead><tr><th scope="col">model</th></tr></thead><tbody><tr><td>churn</td></tr></tbody></table>
</main></body></html>`;

const OTHER = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Other</title></head>
<body><main><h1 id="top">Other</h1></main></body></html>`;

// Each line breaks one rule: a console error, an uncaught exception, a missing image, a script from another
// host, links to a missing file / a missing fragment / javascript:, something 900 px wide, an image without
// alt text and a button without a name (both "critical" for axe).
const BAD = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bad</title>
<script src="https://cdn.example.invalid/lib.js"></script></head>
<body><main><h1>Bad</h1>
<script>console.error("boom from the page"); setTimeout(() => { throw new Error("uncaught in a timer"); });</script>
<img src="missing.png">
<a href="nowhere.html">missing file</a> <a href="other.html#absent">missing fragment</a>
<a href="javascript:alert(1)">script link</a>
<div id="wide" style="width: 900px">wide</div>
<button></button>
</main></body></html>`;

describe("the browser checks", () => {
  let site: string;
  let chromium: LaunchedBrowser;

  beforeAll(async () => {
    site = await tempDir("gitml-browser-checks-");
    mkdirSync(site, { recursive: true });
    writeFileSync(path.join(site, "good.html"), GOOD);
    writeFileSync(path.join(site, "other.html"), OTHER);
    writeFileSync(path.join(site, "bad.html"), BAD);
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
    await fs.rm(site, { recursive: true, force: true });
  });

  it("find nothing wrong with a clean page, at 1280 and at 400 px", async () => {
    const tab = await openSitePage(chromium.browser, site, { width: 400 });
    await tab.goto("good.html");
    expect(tab.problems).toEqual({
      consoleErrors: [],
      pageErrors: [],
      failedRequests: [],
      foreignRequests: [],
    });
    expect(await brokenLinks(tab.page, site)).toEqual([]);
    expect(await horizontalOverflow(tab.page)).toBeLessThanOrEqual(0);
    expect(seriousViolations(await axeViolations(tab.page))).toEqual([]);
    await tab.page.close();
  });

  it("catch every kind of problem on a page built to have them", async () => {
    const tab = await openSitePage(chromium.browser, site, { width: 400 });
    await tab.goto("bad.html");
    await new Promise((resolve) => setTimeout(resolve, 100));
    const { problems } = tab;
    expect(problems.foreignRequests).toEqual(["https://cdn.example.invalid/lib.js"]);
    expect(problems.consoleErrors.join("\n")).toContain("boom from the page");
    expect(problems.pageErrors.join("\n")).toContain("uncaught in a timer");
    expect(problems.failedRequests.join("\n")).toContain("missing.png");

    const broken = await brokenLinks(tab.page, site);
    expect(broken).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/nowhere\.html: no such file$/),
        expect.stringMatching(/other\.html#absent: no element with id "absent"$/),
        expect.stringMatching(/^javascript:alert\(1\): javascript: links are not allowed$/),
        expect.stringMatching(/missing\.png: no such file$/),
      ]),
    );
    expect(broken.join("\n")).not.toContain("cdn.example.invalid"); // https is not followed

    expect(await horizontalOverflow(tab.page)).toBeGreaterThan(400);
    expect((await overflowingElements(tab.page)).join("\n")).toContain("div#wide");

    const serious = seriousViolations(await axeViolations(tab.page));
    expect(serious.join("\n")).toContain("image-alt");
    expect(serious.join("\n")).toContain("button-name");
    await tab.page.close();
  });

  it("report a script the page's own Content-Security-Policy blocks as a console error", async () => {
    writeFileSync(
      path.join(site, "csp.html"),
      `<!doctype html><html lang="en"><head><meta charset="utf-8">${CSP}<title>CSP</title></head>` +
        `<body><main><h1>CSP</h1><script>document.title = "ran";</script></main></body></html>`,
    );
    const tab = await openSitePage(chromium.browser, site);
    await tab.goto("csp.html");
    expect(await tab.page.title()).toBe("CSP");
    expect(tab.problems.consoleErrors.join("\n")).toMatch(/Content Security Policy/);
    await tab.page.close();
  });

  it("refuse a link out of the site's folder", async () => {
    const inner = path.join(site, "inner");
    mkdirSync(inner, { recursive: true });
    writeFileSync(
      path.join(inner, "index.html"),
      `<!doctype html><html lang="en"><head><title>x</title></head><body><a href="../good.html">up</a></body></html>`,
    );
    const tab = await openSitePage(chromium.browser, inner);
    await tab.goto("index.html");
    expect(await brokenLinks(tab.page, inner)).toEqual([
      expect.stringMatching(/good\.html: outside the site's folder$/),
    ]);
    await tab.page.close();
  });
});

describe("finding Chromium", () => {
  it("fails loudly, saying what to install, when the binary is missing", () => {
    expect(() => chromiumPath({ [CHROMIUM_ENV]: "/nonexistent/chromium" })).toThrow(
      /no(ne| Chromium) at GITML_CHROMIUM=\/nonexistent\/chromium.*apt-get install chromium/,
    );
  });

  it("fails when the path is not an executable file", async () => {
    const dir = await tempDir("gitml-no-chromium-");
    writeFileSync(path.join(dir, "chromium"), "not a browser\n", { mode: 0o644 });
    try {
      expect(() => chromiumPath({ [CHROMIUM_ENV]: path.join(dir, "chromium") })).toThrow(
        /not an executable file/,
      );
      expect(() => chromiumPath({ [CHROMIUM_ENV]: dir })).toThrow(/not an executable file/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
