/**
 * The page shell every catalog page shares: one inline stylesheet and at most one inline script, both
 * allowed by hash in a strict Content-Security-Policy (nothing else may load or run: no other script,
 * style, font, frame or request, from this host or another), and the escaping every user string goes
 * through.
 */
import { createHash } from "node:crypto";
import { escapeHtml, oneLine, safeUrl, showInvisible } from "../report/format";

/** A user string as one line of HTML text (or an attribute value): escaped, controls and invisibles shown. */
export const esc = (text: string): string => escapeHtml(oneLine(String(text)));

/** A multi-line user string (a model card's code block): escaped, invisible characters shown. */
export const escBlock = (text: string): string => escapeHtml(showInvisible(String(text)));

/** An http(s) link, or the text alone when the URL is anything else. */
export function link(url: string | undefined, text: string): string {
  const safe = safeUrl(url);
  return safe ? `<a href="${escapeHtml(safe)}" rel="noopener noreferrer">${text}</a>` : text;
}

/**
 * JSON for a `<script type="application/json">` block: `<`, `>` and `&` as \u escapes (so no `</script>`
 * or `<!--` can end or bend the block), U+2028 and U+2029 too (older parsers end lines there).
 */
export function embedJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** Every page says gitml built it: a rebuild replaces only a folder whose index.html says so. */
export const GENERATOR_META = '<meta name="generator" content="gitml site">';

export const CSS = `
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{font:14px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Helvetica,Arial,sans-serif;color:#1f2328;background:#fff;max-width:1200px;margin:0 auto;padding:0 1rem 2rem;overflow-wrap:anywhere}
header.top{display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:baseline;border-bottom:1px solid #d1d9e0;padding:.75rem 0;margin-bottom:1rem}
header.top .brand{font-weight:600;color:#1f2328;text-decoration:none}
h1{font-size:1.5rem;margin:.25rem 0 .5rem}h2{font-size:1.15rem;margin:1.75rem 0 .5rem}h3{font-size:1rem;margin:1rem 0 .25rem}
a{color:#0550ae}
p{margin:.4rem 0}
.muted{color:#59636e}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;margin:.5rem 0;font-variant-numeric:tabular-nums}
th,td{border:1px solid #d1d9e0;padding:4px 8px;text-align:left;vertical-align:top;overflow-wrap:break-word}
th{background:#f6f8fa;overflow-wrap:normal}
td code{overflow-wrap:anywhere}
td.num{text-align:right;white-space:nowrap}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px;background:#f6f8fa;padding:0 3px;border-radius:4px}
pre{background:#f6f8fa;padding:.5rem;overflow-x:auto;max-width:100%}
pre code{background:none;padding:0}
.badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600;white-space:nowrap;border:1px solid transparent}
.b-drift{background:#ffebe9;color:#82071e;border-color:#ffcecb}
.b-ok{background:#dafbe1;color:#116329;border-color:#aceebb}
.b-none{background:#f6f8fa;color:#59636e;border-color:#d1d9e0}
.b-stage{background:#ddf4ff;color:#0550ae;border-color:#b6e3ff}
.b-dep{background:#fff8c5;color:#7d4e00;border-color:#f5e0a0}
.b-new{background:#ddf4ff;color:#0a3069;border-color:#b6e3ff}
.better{color:#116329}.worse{color:#a40e26}
svg{max-width:100%;height:auto}
svg.spark{width:100px;height:24px}svg.spark polyline{fill:none;stroke:#0969da;stroke-width:1.5}svg.spark circle{fill:#0969da}
svg.chart{background:#fff;border:1px solid #d1d9e0;border-radius:6px}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,340px),1fr));gap:.75rem}
figure{margin:0}figcaption{font-weight:600;margin-bottom:.25rem}
.controls{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;margin:.5rem 0}
.controls label{display:flex;gap:.4rem;align-items:center}
input,select,button{font:inherit;max-width:100%}
input[type=search]{width:16rem;max-width:100%;padding:3px 6px}
th button{background:none;border:0;padding:0;font:inherit;font-weight:600;color:#0550ae;cursor:pointer;text-align:left}
th[aria-sort=ascending] button::after{content:" \\25B2"}th[aria-sort=descending] button::after{content:" \\25BC"}
[hidden]{display:none!important}
.card{border:1px solid #d1d9e0;border-radius:6px;padding:.5rem 1rem;margin:.5rem 0}
.card h1{font-size:1.3rem}.card h2{font-size:1.1rem}
blockquote{margin:.5rem 0;padding:0 .75rem;border-left:4px solid #d1d9e0;color:#59636e}
ol.timeline{list-style:none;padding:0;margin:0}
ol.timeline li{border-left:3px solid #d1d9e0;padding:.25rem 0 .5rem .75rem;margin-left:.25rem}
ol.timeline li.k-rollback{border-left-color:#bf8700}ol.timeline li.k-deregister,ol.timeline li.k-deprecate{border-left-color:#cf222e}
ol.timeline li.k-promote{border-left-color:#0969da}ol.timeline li.k-register{border-left-color:#1a7f37}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:.5rem 0}
dl.facts dt{font-weight:600}dl.facts dd{margin:0}
.warnings{background:#fff8c5;border:1px solid #f5e0a0;border-radius:6px;padding:.25rem .75rem}
@media (max-width:700px){
 table.catalog thead{display:none}
 table.catalog,table.catalog tbody,table.catalog tr,table.catalog td{display:block;width:100%}
 table.catalog tr{border:1px solid #d1d9e0;border-radius:6px;margin:.5rem 0;padding:.25rem .5rem}
 table.catalog td{border:0;padding:2px 0;text-align:left}
 table.catalog td::before{font-weight:600;color:#59636e}
 table.catalog td:nth-child(2)::before{content:"Stages: "}table.catalog td:nth-child(3)::before{content:"Latest: "}
 table.catalog td:nth-child(4)::before{content:"Headline metric: "}table.catalog td:nth-child(5)::before{content:"Trend: "}
 table.catalog td:nth-child(6)::before{content:"Monitoring: "}table.catalog td:nth-child(7)::before{content:"Last change: "}
 table.catalog.org td:nth-child(2)::before{content:"Repository: "}table.catalog.org td:nth-child(3)::before{content:"Stages: "}
 table.catalog.org td:nth-child(4)::before{content:"Latest: "}table.catalog.org td:nth-child(5)::before{content:"Headline metric: "}
 table.catalog.org td:nth-child(6)::before{content:"Trend: "}table.catalog.org td:nth-child(7)::before{content:"Monitoring: "}
 table.catalog.org td:nth-child(8)::before{content:"Last change: "}
 table.stack thead{display:none}
 table.stack,table.stack tbody,table.stack tr,table.stack td{display:block;width:100%}
 table.stack tr{border:1px solid #d1d9e0;border-radius:6px;margin:.5rem 0;padding:.25rem .5rem}
 table.stack td{border:0;padding:2px 0;text-align:left;white-space:normal}
 table.stack td:first-child{font-weight:600}
 table.stack td:empty{display:none}
 table.stack td[data-label]::before{content:attr(data-label) ": ";font-weight:600;color:#59636e}
 table.importances .drawn{display:none}
 table.importances .badge{white-space:normal}
 table.importances td{overflow-wrap:anywhere}
}
`;

function cspHash(text: string): string {
  return `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;
}

export interface PageOptions {
  title: string;
  /** Relative path from the page to the site's root (`""` or `"../"`), for the header's links. */
  root: string;
  siteTitle: string;
  body: string;
  /** The page's inline script (constant per page kind, so its hash is too); none: no script may run. */
  script?: string;
  generatedAt: string;
}

export function page(options: PageOptions): string {
  const scriptSrc = options.script ? cspHash(options.script) : "'none'";
  const csp = [
    "default-src 'none'",
    `style-src ${cspHash(CSS)}`,
    `script-src ${scriptSrc}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
${GENERATOR_META}
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="referrer" content="no-referrer">
<title>${esc(options.title)}</title>
<style>${CSS}</style>
</head>
<body>
<header class="top"><a class="brand" href="${options.root}index.html">${esc(options.siteTitle)}</a><span class="muted">model catalog · gitml</span></header>
<main>
${options.body}
</main>
<footer class="muted"><p>Built by gitml from git tags, stored artifacts and monitoring results at ${esc(options.generatedAt)}.</p></footer>
${options.script ? `<script>${options.script}</script>\n` : ""}</body>
</html>
`;
}

/** Seconds since the epoch as `YYYY-MM-DD HH:MM UTC`. */
export function formatDate(seconds: number): string {
  if (!Number.isFinite(seconds)) return "—";
  const iso = new Date(seconds * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** A file-name-safe, reversible slug: letters, digits and `-` as they are, every other character `_xx`. */
export function slug(text: string): string {
  let out = "";
  for (const ch of text) {
    if (/^[A-Za-z0-9-]$/.test(ch)) out += ch;
    else out += [...Buffer.from(ch, "utf8")].map((b) => `_${b.toString(16).padStart(2, "0")}`).join("");
  }
  return out;
}
