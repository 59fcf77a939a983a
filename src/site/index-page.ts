/**
 * index.html: every model in one table — description, owners, the version in each stage, the latest
 * version, the headline metric with its trend, monitoring status and the last change. Without
 * JavaScript it is a plain table; the inline script adds a text filter, a status filter and sorting by
 * any column (narrow screens show each row as a card).
 */
import { formatDelta, formatNumber } from "../report/format";
import { sparkline } from "./charts";
import { esc, formatDate, page } from "./html";
import { describeEvent, lastChange, monitoringSummary } from "./summary";
import type { Catalog, CatalogModel, CatalogRepo, CatalogVersion } from "./types";

/** How many of the latest versions the index's sparkline shows (the model page shows them all). */
export const SPARKLINE_POINTS = 20;

export interface IndexEntry {
  repo: CatalogRepo;
  model: CatalogModel;
  /** The model page, relative to the site's root. */
  href: string;
}

export function renderIndex(catalog: Catalog, entries: readonly IndexEntry[]): string {
  const manyRepos = catalog.repos.length > 1;
  const versions = entries.reduce((n, e) => n + e.model.versions.length, 0);
  const drifting = entries.filter((e) => monitoringSummary(e.model).status === "drift").length;
  const parts: string[] = [];
  parts.push(`<h1>${esc(catalog.title)}</h1>`);
  parts.push(
    `<p class="muted">${entries.length} model${entries.length === 1 ? "" : "s"}, ${versions} version${versions === 1 ? "" : "s"}` +
      (manyRepos ? ` in ${catalog.repos.length} repositories` : "") +
      (drifting > 0 ? ` · <strong>${drifting} drifting</strong>` : "") +
      "</p>",
  );
  for (const repo of catalog.repos) {
    if (repo.warnings.length === 0) continue;
    parts.push(
      `<div class="warnings"><p><strong>${esc(repo.id)}</strong>: some of it could not be read</p><ul>${repo.warnings.map((w) => `<li>${esc(w)}</li>`).join("")}</ul></div>`,
    );
  }
  if (entries.length === 0) {
    parts.push(
      "<p>No model is registered yet. Register one with <code>gitml register &lt;model&gt;</code>, then build the site again.</p>",
    );
  } else {
    parts.push(
      `<div class="controls" id="controls" hidden>` +
        `<label>Filter <input type="search" id="filter" placeholder="name, owner, description…" autocomplete="off"></label>` +
        `<label>Monitoring <select id="status"><option value="">any</option><option value="drift">drift</option><option value="ok">ok</option><option value="error">run failed</option><option value="pending">no run yet</option><option value="none">not monitored</option></select></label>` +
        `<span id="count" class="muted" role="status" aria-live="polite"></span></div>`,
    );
    const headers = [
      ["Model", "text"],
      ...(manyRepos ? [["Repository", "text"]] : []),
      ["Stages", "text"],
      ["Latest", "text"],
      ["Headline metric", "number"],
      ["Trend", "none"],
      ["Monitoring", "text"],
      ["Last change", "number"],
    ] as const;
    parts.push(
      `<table class="catalog${manyRepos ? " org" : ""}" id="catalog"><thead><tr>` +
        headers
          .map(([label, kind]) =>
            kind === "none"
              ? `<th scope="col">${label}</th>`
              : `<th scope="col" data-kind="${kind}"><button type="button">${label}</button></th>`,
          )
          .join("") +
        "</tr></thead><tbody>",
    );
    for (const entry of entries) parts.push(indexRow(entry, manyRepos));
    parts.push("</tbody></table>");
  }
  return page({
    title: catalog.title,
    siteTitle: catalog.title,
    root: "",
    body: parts.join("\n"),
    script: entries.length > 0 ? INDEX_SCRIPT : undefined,
    generatedAt: catalog.generatedAt,
  });
}

function indexRow(entry: IndexEntry, manyRepos: boolean): string {
  const { model, repo } = entry;
  const cells: string[] = [];
  const owners =
    model.owners.length > 0
      ? `<br><span class="muted">owners: ${model.owners.map(esc).join(", ")}</span>`
      : "";
  const description = model.description ? `<br>${esc(model.description)}` : "";
  const deprecated = model.deprecated ? ' <span class="badge b-dep">deprecated</span>' : "";
  cells.push(
    `<td class="name" data-sort="${esc(model.name.toLowerCase())}"><a href="${entry.href}"><strong>${esc(model.name)}</strong></a>${deprecated}${description}${owners}</td>`,
  );
  if (manyRepos) cells.push(`<td>${esc(repo.id)}</td>`);

  const held = model.stageOrder.filter((stage) => model.stages[stage] !== undefined);
  cells.push(
    `<td data-sort="${esc(held.map((s) => `${s} ${model.stages[s]}`).join(" "))}">` +
      (held.length === 0
        ? '<span class="muted">none</span>'
        : held
            .map(
              (stage) =>
                `<span class="badge b-stage">${esc(stage)}</span> ${esc(shortVersion(model.stages[stage]!))}`,
            )
            .join("<br>")) +
      "</td>",
  );
  cells.push(
    `<td data-sort="${esc(versionSortKey(model.latest))}">${model.latest ? esc(model.latest) : '<span class="muted">none</span>'}</td>`,
  );

  const metric = model.headlineMetric;
  const series = metric
    ? model.versions
        .filter((v) => v.active && Object.hasOwn(v.metrics, metric))
        .map((v) => ({ label: v.version, value: v.metrics[metric]! }))
    : [];
  const headline = metric ? headlineOf(model, metric) : undefined;
  const change =
    headline?.previous !== undefined
      ? `<br><span class="muted">${esc(formatDelta(headline.value - headline.previous.value))} vs ${esc(headline.previous.version)}</span>`
      : "";
  cells.push(
    `<td class="num" data-sort="${headline?.value ?? ""}">` +
      (metric && headline
        ? `${esc(formatNumber(headline.value))} <span class="muted">${esc(metric)}</span>${change}`
        : '<span class="muted">—</span>') +
      "</td>",
  );
  cells.push(`<td>${metric ? sparkline(series.slice(-SPARKLINE_POINTS), metric) : ""}</td>`);

  const monitoring = monitoringSummary(model);
  const badge = { drift: "b-drift", ok: "b-ok", error: "b-dep", pending: "b-none", none: "b-none" }[
    monitoring.status
  ];
  const lastRun = monitoring.lastRun
    ? `<br><span class="muted">last run ${esc(formatDate(monitoring.lastRun.date))}</span>`
    : "";
  const alert = monitoring.alertOpen ? ' <span class="badge b-drift">alert open</span>' : "";
  cells.push(
    `<td data-sort="${monitoring.status}"><span class="badge ${badge}">${esc(monitoring.label)}</span>${alert}` +
      (monitoring.detail ? `<br>${esc(monitoring.detail)}` : "") +
      `${lastRun}</td>`,
  );

  const last = lastChange(model);
  cells.push(
    `<td data-sort="${last?.date ?? 0}">` +
      (last
        ? `${esc(formatDate(last.date))}<br><span class="muted">${esc(describeEvent(last))}</span>`
        : "—") +
      "</td>",
  );
  return `<tr data-status="${monitoring.status}">${cells.join("")}</tr>`;
}

interface Headline {
  value: number;
  /** The active version registered before it that has the metric, for the change. */
  previous?: { version: string; value: number };
}

/**
 * The latest version's value of the metric (else the newest active version's that has it), and the
 * value of the active version registered before that one.
 */
function headlineOf(model: CatalogModel, metric: string): Headline | undefined {
  const has = (v: CatalogVersion) => v.active && Object.hasOwn(v.metrics, metric);
  let at = model.versions.findIndex((v) => v.version === model.latest && has(v));
  if (at === -1) at = model.versions.findLastIndex(has);
  if (at === -1) return undefined;
  const before = model.versions.slice(0, at).findLast(has);
  return {
    value: model.versions[at]!.metrics[metric]!,
    ...(before ? { previous: { version: before.version, value: before.metrics[metric]! } } : {}),
  };
}

/** A commit-named ("discovered") stage holder shortened to 12 hex digits. */
function shortVersion(version: string): string {
  return /^[0-9a-f]{40,64}$/.test(version) ? version.slice(0, 12) : version;
}

/** A string that sorts as the semver does (`v1.10.0` after `v1.9.0`; parts up to 6 digits). */
export function versionSortKey(version: string | undefined): string {
  if (!version) return "";
  const match = /^v(\d+)\.(\d+)\.(\d+)(.*)$/.exec(version);
  if (!match) return version;
  const pad = (n: string) => n.padStart(6, "0");
  return `${pad(match[1]!)}.${pad(match[2]!)}.${pad(match[3]!)}${match[4] ? `-${match[4]}` : "~"}`;
}

/**
 * Filter and sort; it only reads the table and moves or hides its rows (no HTML is ever built from
 * data). A column sorts by each cell's data-sort (numerically for number columns), ties by model name.
 */
const INDEX_SCRIPT = `(function(){
"use strict";
var table=document.getElementById("catalog");if(!table)return;
var body=table.tBodies[0],rows=Array.prototype.slice.call(body.rows);
var filter=document.getElementById("filter"),status=document.getElementById("status"),count=document.getElementById("count");
document.getElementById("controls").hidden=false;
function apply(){var words=filter.value.toLowerCase().split(/\\s+/).filter(Boolean),want=status.value,shown=0;
rows.forEach(function(row){var text=row.textContent.toLowerCase();var ok=words.every(function(w){return text.indexOf(w)!==-1;})&&(!want||row.getAttribute("data-status")===want);row.hidden=!ok;if(ok)shown++;});
count.textContent=shown+" of "+rows.length+" models";}
filter.addEventListener("input",apply);status.addEventListener("change",apply);
var headers=table.tHead.rows[0].cells;
Array.prototype.forEach.call(headers,function(th,column){var button=th.querySelector("button");if(!button)return;
button.addEventListener("click",function(){var descending=th.getAttribute("aria-sort")==="ascending";
Array.prototype.forEach.call(headers,function(h){h.removeAttribute("aria-sort");});
th.setAttribute("aria-sort",descending?"descending":"ascending");
var numeric=th.getAttribute("data-kind")==="number";
function key(row){var cell=row.cells[column];var v=cell.hasAttribute("data-sort")?cell.getAttribute("data-sort"):cell.textContent;return numeric?(v===""?NaN:Number(v)):v;}
function name(row){return row.cells[0].getAttribute("data-sort");}
rows.sort(function(a,b){var ka=key(a),kb=key(b),c;
if(numeric){if(isNaN(ka)&&isNaN(kb))c=0;else if(isNaN(ka))return 1;else if(isNaN(kb))return -1;else c=ka-kb;}
else c=ka<kb?-1:ka>kb?1:0;
if(descending)c=-c;return c||(name(a)<name(b)?-1:name(a)>name(b)?1:0);});
rows.forEach(function(row){body.appendChild(row);});});});
apply();})();`;
