/**
 * A real browser for the catalog's tests: Debian's Chromium driven by puppeteer-core (which never downloads
 * a browser of its own), headless, with nothing that reaches the network by itself, and a fresh profile per
 * launch. Each page is opened with request interception: the site may load files from its own folder and
 * nothing else; anything else is refused and recorded, as are console errors, uncaught exceptions and failed
 * requests. The checks over a loaded page (links, horizontal scroll, accessibility) are plain functions here
 * so that their own test can show each one failing on a page built to fail it.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { repoRoot } from "../helpers/repo";

/** Where Chromium is: `GITML_CHROMIUM` when set, else Debian's package (`apt-get install chromium`). */
export const CHROMIUM_ENV = "GITML_CHROMIUM";
const DEBIAN_CHROMIUM = "/usr/bin/chromium";

/** Screenshots the tests keep (gitignored; CI can keep the folder as an artefact). */
export const SCREENSHOTS = path.join(repoRoot, "test-artifacts", "screenshots");

/**
 * The Chromium binary to drive. Fails loudly, saying why and what to do, when there is none: the browser
 * tests are part of the suite and never skip themselves quietly.
 */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env[CHROMIUM_ENV];
  const candidate = configured || DEBIAN_CHROMIUM;
  const why = configured
    ? `${CHROMIUM_ENV}=${configured}`
    : `the default ${DEBIAN_CHROMIUM} (set ${CHROMIUM_ENV} to use another)`;
  if (!existsSync(candidate))
    throw new Error(
      `The browser tests need Chromium, and there is none at ${why}. ` +
        `Install Debian's package (apt-get install chromium, as .ci/run does) or point ${CHROMIUM_ENV} at a Chromium binary.`,
    );
  const stat = statSync(candidate);
  if (!stat.isFile() || (stat.mode & 0o111) === 0)
    throw new Error(`The browser tests need Chromium, and ${why} is not an executable file.`);
  return candidate;
}

export interface LaunchedBrowser {
  browser: Browser;
  close(): Promise<void>;
}

/** Headless Chromium with a fresh profile that is removed on close. */
export async function launchChromium(): Promise<LaunchedBrowser> {
  const executablePath = chromiumPath();
  const profile = await fs.mkdtemp(path.join(os.tmpdir(), "gitml-chromium-"));
  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    // No sandbox: CI runs as root in a container, where Chromium's sandbox cannot start. The rest keeps the
    // browser from reaching out on its own (updates, sync, QUIC probes), so the only requests are the page's.
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${profile}`,
    ],
  });
  return {
    browser,
    close: async () => {
      await browser.close();
      await fs.rm(profile, { recursive: true, force: true });
    },
  };
}

/** What went wrong while a page loaded and ran; all empty for a good page. */
export interface PageProblems {
  consoleErrors: string[];
  pageErrors: string[];
  failedRequests: string[];
  /** Requests to anything but a file inside the site's folder (refused). */
  foreignRequests: string[];
}

export interface SitePage {
  page: Page;
  problems: PageProblems;
  /** Loads a page of the site (a path relative to its folder), keeping the problems recorded so far. */
  goto(relative: string): Promise<void>;
  /** The problems recorded so far, as one list of lines (empty: none), and forgets them. */
  takeProblems(): string[];
}

/**
 * A tab that may load only files under `siteRoot`. Everything the page does wrong is recorded in `problems`
 * for the test to assert empty.
 */
export async function openSitePage(
  browser: Browser,
  siteRoot: string,
  viewport: { width: number; height?: number } = { width: 1280 },
): Promise<SitePage> {
  const root = pathToFileURL(siteRoot.endsWith(path.sep) ? siteRoot : siteRoot + path.sep).href;
  const page = await browser.newPage();
  await page.setViewport({ width: viewport.width, height: viewport.height ?? 900 });
  const problems: PageProblems = {
    consoleErrors: [],
    pageErrors: [],
    failedRequests: [],
    foreignRequests: [],
  };
  page.on("console", (message) => {
    if (message.type() === "error") problems.consoleErrors.push(`${page.url()}: ${message.text()}`);
  });
  page.on("pageerror", (error) =>
    problems.pageErrors.push(`${page.url()}: ${(error as Error).message ?? String(error)}`),
  );
  page.on("requestfailed", (request) => {
    if (!problems.foreignRequests.includes(request.url()))
      problems.failedRequests.push(`${request.url()}: ${request.failure()?.errorText ?? "failed"}`);
  });
  await page.setRequestInterception(true);
  page.on("request", (request) => {
    const url = request.url();
    if (url.startsWith(root) || url.startsWith("data:")) return void request.continue();
    problems.foreignRequests.push(url);
    void request.abort("blockedbyclient");
  });
  return {
    page,
    problems,
    goto: async (relative: string) => {
      const response = await page.goto(new URL(relative, root).href, { waitUntil: "load" });
      if (response && !response.ok() && response.status() !== 0)
        problems.failedRequests.push(`${response.url()}: HTTP ${response.status()}`);
    },
    takeProblems: () => {
      const lines = [
        ...problems.consoleErrors.map((p) => `console error: ${p}`),
        ...problems.pageErrors.map((p) => `uncaught: ${p}`),
        ...problems.failedRequests.map((p) => `failed request: ${p}`),
        ...problems.foreignRequests.map((p) => `request outside the site: ${p}`),
      ];
      for (const list of Object.values(problems)) list.length = 0;
      return lines;
    },
  };
}

/** Links, stylesheets, images and scripts of the page, as the document resolves them. */
export async function linksOf(page: Page): Promise<string[]> {
  return page.$$eval("a[href], link[href], img[src], script[src], use[href], iframe[src]", (elements) =>
    elements.map((element) => {
      const e = element as unknown as {
        href?: string | { baseVal: string };
        src?: string;
        getAttribute(name: string): string | null;
        ownerDocument: { baseURI: string };
      };
      const raw = e.getAttribute("href") ?? e.getAttribute("src") ?? "";
      return new URL(raw, e.ownerDocument.baseURI).href;
    }),
  );
}

/**
 * Links that do not resolve: a file of the site that does not exist (or lies outside its folder), a
 * fragment with no element of that id on its page, or a scheme a catalog has no business linking
 * (javascript:, a plain http: page). https links to the forge (commits, PRs, runs) are not followed.
 */
export async function brokenLinks(page: Page, siteRoot: string): Promise<string[]> {
  const root = path.resolve(siteRoot);
  const broken: string[] = [];
  const idsByFile = new Map<string, Set<string>>();
  for (const link of await linksOf(page)) {
    const url = new URL(link);
    if (url.protocol === "https:" || url.protocol === "mailto:") continue;
    if (url.protocol !== "file:") {
      broken.push(`${link}: ${url.protocol} links are not allowed`);
      continue;
    }
    const file = fileURLToPath(new URL(url.pathname, "file:///"));
    if (file !== root && !file.startsWith(root + path.sep)) {
      broken.push(`${link}: outside the site's folder`);
      continue;
    }
    const target = existsSync(file) && statSync(file).isDirectory() ? path.join(file, "index.html") : file;
    if (!existsSync(target)) {
      broken.push(`${link}: no such file`);
      continue;
    }
    const fragment = decodeURIComponent(url.hash.slice(1));
    if (!fragment) continue;
    if (!idsByFile.has(target)) idsByFile.set(target, idsIn(readFileSync(target, "utf8")));
    if (!idsByFile.get(target)!.has(fragment)) broken.push(`${link}: no element with id "${fragment}"`);
  }
  return broken;
}

/** The ids (and legacy `<a name>`s) a saved HTML page defines. */
function idsIn(html: string): Set<string> {
  const ids = new Set<string>();
  for (const match of html.matchAll(/\s(?:id|name)=(?:"([^"]*)"|'([^']*)'|([^\s>]+))/g))
    ids.add(unescapeHtml(match[1] ?? match[2] ?? match[3] ?? ""));
  return ids;
}

function unescapeHtml(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_, entity: string) => {
    const lower = entity.toLowerCase();
    if (lower.startsWith("#x")) return String.fromCodePoint(parseInt(lower.slice(2), 16));
    if (lower.startsWith("#")) return String.fromCodePoint(parseInt(lower.slice(1), 10));
    return { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" }[lower]!;
  });
}

/** How far the page scrolls sideways at its current viewport (0 = fits). */
export async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => {
    const root = (globalThis as unknown as { document: { documentElement: Measured; body: Measured } })
      .document;
    return (
      Math.max(root.documentElement.scrollWidth, root.body.scrollWidth) - root.documentElement.clientWidth
    );
  });
}

interface Measured {
  scrollWidth: number;
  clientWidth: number;
}

/** The elements wider than the viewport, to say *what* overflows when a page does. */
export async function overflowingElements(page: Page): Promise<string[]> {
  return page.$$eval("body *", (elements) => {
    const width = (globalThis as unknown as { innerWidth: number }).innerWidth;
    return elements
      .map((element) => {
        const e = element as unknown as {
          getBoundingClientRect(): { right: number };
          tagName: string;
          id: string;
          className: string | { baseVal: string };
        };
        const className = typeof e.className === "string" ? e.className : e.className.baseVal;
        return {
          right: e.getBoundingClientRect().right,
          what: `${e.tagName.toLowerCase()}#${e.id}.${className}`,
        };
      })
      .filter((e) => e.right > width + 0.5)
      .map((e) => `${e.what} ends at ${Math.round(e.right)} px`)
      .slice(0, 10);
  });
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

const AXE_SOURCE = path.join(repoRoot, "node_modules", "axe-core", "axe.min.js");

/**
 * axe-core's violations of the page, run inside the page from node_modules (evaluated through the DevTools
 * protocol, so the page's own Content-Security-Policy stays in force for everything else).
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  const loaded = await page.evaluate(() => typeof (globalThis as { axe?: unknown }).axe !== "undefined");
  if (!loaded) await page.evaluate(readFileSync(AXE_SOURCE, "utf8"));
  return page.evaluate(async () => {
    const { axe, document } = globalThis as unknown as { axe: AxeApi; document: object };
    const result = await axe.run(document, { resultTypes: ["violations"] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(" ")),
    }));
  });
}

interface AxeApi {
  run(
    context: object,
    options: object,
  ): Promise<{
    violations: Array<{
      id: string;
      impact: string | null;
      help: string;
      nodes: Array<{ target: string[] }>;
    }>;
  }>;
}

/** The violations a catalog page must not have (axe's "serious" and "critical"), one line each. */
export function seriousViolations(violations: AxeViolation[]): string[] {
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact}: ${v.id} (${v.help}) at ${v.targets.slice(0, 3).join(", ")}`);
}

/** A screenshot kept under test-artifacts/screenshots/: the whole page unless `fullPage: false`. */
export async function screenshot(
  page: Page,
  name: string,
  options: { fullPage?: boolean } = {},
): Promise<string> {
  await fs.mkdir(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file as `${string}.png`, fullPage: options.fullPage ?? true });
  return file;
}

/**
 * Everything a catalog page must be, whatever it shows, as one line per problem naming the page and the
 * width: loads with no console error, uncaught exception, failed request or request outside the site;
 * its links resolve; it does not scroll sideways; axe-core finds nothing serious or critical; no string
 * from the catalog ran as script (the sample catalog's hostile strings set `window.__pwned`).
 */
export async function checkSitePage(tab: SitePage, siteRoot: string, page: string): Promise<string[]> {
  const width = tab.page.viewport()?.width ?? 0;
  const relative = path.relative(siteRoot, path.resolve(siteRoot, page));
  await tab.goto(relative);
  const found: string[] = tab.takeProblems();
  found.push(...(await brokenLinks(tab.page, siteRoot)).map((l) => `broken link: ${l}`));
  const overflow = await horizontalOverflow(tab.page);
  if (overflow > 0)
    found.push(
      `scrolls ${overflow} px sideways: ${(await overflowingElements(tab.page)).join("; ") || "(no single element)"}`,
    );
  found.push(...seriousViolations(await axeViolations(tab.page)).map((v) => `axe ${v}`));
  if (await tab.page.evaluate(() => (globalThis as { __pwned?: unknown }).__pwned !== undefined))
    found.push("a string from the catalog ran as script");
  return found.map((problem) => `${relative} at ${width} px: ${problem}`);
}

/** Every HTML page under `siteRoot`, index.html first. */
export async function sitePages(siteRoot: string): Promise<string[]> {
  const pages: string[] = [];
  for (const entry of await fs.readdir(siteRoot, { recursive: true, withFileTypes: true }))
    if (entry.isFile() && entry.name.endsWith(".html"))
      pages.push(path.relative(siteRoot, path.join(entry.parentPath, entry.name)));
  return pages.sort((a, b) => (a === "index.html" ? -1 : b === "index.html" ? 1 : a.localeCompare(b)));
}
