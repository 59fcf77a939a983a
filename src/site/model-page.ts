/**
 * A model's page: what it is and who owns it, how to fetch a version, its monitoring (status and the
 * drift history), a chart per metric across versions with stage markers, a side-by-side comparison of
 * any two versions (metrics with deltas, params, data fingerprints, digests), every version, the
 * registry timeline and the model card. The comparison is rendered for the latest version against the
 * one before it; the inline script re-renders it from the page's embedded JSON when another pair is
 * picked (with JavaScript off, the default pair stays).
 */
import { summariseImportances } from "../evaluate/importances";
import { formatParamValue, paramValuesEqual } from "../evaluate/metrics";
import { formatDelta, formatNumber } from "../report/format";
import { metricChart } from "./charts";
import { compareSemver } from "./catalog";
import { embedJson, esc, formatDate, link, page } from "./html";
import { renderMarkdown } from "./markdown";
import { describeEvent, monitoringSummary, percent, runFindings } from "./summary";
import type {
  Catalog,
  CatalogEvent,
  CatalogModel,
  CatalogRepo,
  CatalogVersion,
  MonitoringRun,
} from "./types";

/** At most this many metrics get a chart (the comparison still lists every metric). */
export const MAX_CHARTS = 24;

export interface ModelPageInput {
  catalog: Catalog;
  repo: CatalogRepo;
  model: CatalogModel;
  /** From the page to the site's root, e.g. `../`. */
  root: string;
}

export function renderModelPage(input: ModelPageInput): string {
  const { catalog, repo, model, root } = input;
  const sections = [
    overview(repo, model, catalog.repos.length > 1),
    howToFetch(repo, model),
    monitoringSection(model),
    chartsSection(model),
    compareSection(model),
    importancesSection(model),
    versionsSection(repo, model),
    timelineSection(repo, model),
    modelCardSection(model),
  ];
  return page({
    title: `${model.name} · ${catalog.title}`,
    siteTitle: catalog.title,
    root,
    body: sections.filter(Boolean).join("\n"),
    script: model.versions.length > 1 ? COMPARE_SCRIPT : undefined,
    generatedAt: catalog.generatedAt,
  });
}

function overview(repo: CatalogRepo, model: CatalogModel, manyRepos: boolean): string {
  const parts: string[] = [];
  parts.push(
    `<p><a href="../index.html">← all models</a></p><h1>${esc(model.name)}${model.deprecated ? ' <span class="badge b-dep">deprecated</span>' : ""}</h1>`,
  );
  if (model.description) parts.push(`<p>${esc(model.description)}</p>`);
  const facts: [string, string][] = [];
  if (manyRepos || repo.webUrl)
    facts.push(["Repository", repo.webUrl ? link(repo.webUrl, esc(repo.id)) : esc(repo.id)]);
  facts.push([
    "Owners",
    model.owners.length > 0 ? model.owners.map(esc).join(", ") : '<span class="muted">not documented</span>',
  ]);
  facts.push(["Latest", model.latest ? esc(model.latest) : '<span class="muted">no active version</span>']);
  for (const stage of model.stageOrder) {
    const holder = model.stages[stage];
    facts.push([esc(stage), holder ? esc(holder) : '<span class="muted">none</span>']);
  }
  const monitoring = monitoringSummary(model);
  facts.push([
    "Monitoring",
    `${esc(monitoring.label)}${monitoring.alertOpen ? " · alert open" : ""}${monitoring.lastRun ? ` · last run ${esc(formatDate(monitoring.lastRun.date))}` : ""}`,
  ]);
  parts.push(`<dl class="facts">${facts.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join("")}</dl>`);
  return parts.join("\n");
}

/** A shell word: bare when it holds only safe characters, else single-quoted. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9@._/:=+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function howToFetch(repo: CatalogRepo, model: CatalogModel): string {
  if (!model.latest && Object.keys(model.stages).length === 0) return "";
  const lines: string[] = [];
  if (repo.cloneUrl) lines.push(`git clone ${shellWord(repo.cloneUrl)} && cd ${shellWord(repoFolder(repo))}`);
  if (model.latest) lines.push(`gitml get ${shellWord(`${model.name}@${model.latest}`)}`);
  for (const stage of model.stageOrder) {
    if (model.stages[stage] !== undefined) lines.push(`gitml get ${shellWord(`${model.name}#${stage}`)}`);
  }
  return (
    `<h2 id="fetch">How to fetch a version</h2>` +
    `<p>Every file is verified against the manifest the version's tag records. In a clone of the repository:</p>` +
    `<pre tabindex="0"><code>${lines.map(esc).join("\n")}</code></pre>` +
    storedFiles(repo, model)
  );
}

/** At most this many of a version's stored files are listed (a model folder can hold thousands). */
const MAX_FILES_LISTED = 20;

function storedFiles(repo: CatalogRepo, model: CatalogModel): string {
  const artifacts = model.artifacts;
  if (!artifacts) return "";
  const tag = `${model.name.replace(/:/g, "=")}@${artifacts.version}`;
  const where =
    artifacts.store === "github" && repo.webUrl
      ? `in its ${link(`${repo.webUrl}/releases/tag/${encodeURIComponent(tag)}`, "GitHub Release")}`
      : `in the ${artifacts.store === "github" ? "GitHub Releases" : "local"} store`;
  const shown = artifacts.files.slice(0, MAX_FILES_LISTED);
  const more = artifacts.files.length - shown.length;
  return (
    `<p>${esc(artifacts.version)} is stored ${where}:</p><ul>` +
    shown
      .map(
        (f) =>
          `<li><code>${esc(f.path)}</code> <span class="muted">${esc(f.role)}, ${esc(formatBytes(f.size))}</span></li>`,
      )
      .join("") +
    (more > 0 ? `<li class="muted">and ${more} more file${more === 1 ? "" : "s"}</li>` : "") +
    "</ul>"
  );
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 100 ? Math.round(value) : Number(value.toPrecision(3))} ${units[unit]}`;
}

function repoFolder(repo: CatalogRepo): string {
  return (repo.id.split("/").pop() ?? repo.id).replace(/\.git$/, "");
}

function monitoringSection(model: CatalogModel): string {
  const parts = [`<h2 id="monitoring">Monitoring</h2>`];
  const monitoring = model.monitoring;
  if (!monitoring) {
    parts.push(
      "<p>Not monitored: the model has no <code>monitor</code> block in gitml.yaml and no recorded run.</p>",
    );
    return parts.join("\n");
  }
  const summary = monitoringSummary(model);
  if (monitoring.alertOpen)
    parts.push(
      `<p><span class="badge b-drift">alert open</span> ${monitoring.alertUrl ? link(monitoring.alertUrl, "the alert") : ""}</p>`,
    );
  if (!monitoring.configured)
    parts.push(
      '<p class="muted">gitml.yaml no longer has a monitor block for this model; these are its past runs.</p>',
    );
  if (monitoring.runs.length === 0) {
    parts.push("<p>Monitored, but no run has been recorded yet.</p>");
    return parts.join("\n");
  }
  parts.push(`<p>Last run: <strong>${esc(summary.label)}</strong> — ${esc(summary.detail ?? "")}</p>`);
  parts.push(
    '<h3>Drift history</h3><div class="scroll" tabindex="0"><table class="stack"><thead><tr><th scope="col">When</th><th scope="col">Version</th><th scope="col">Drifted columns</th><th scope="col">Top drifted columns</th><th scope="col">Performance</th><th scope="col">Verdict</th></tr></thead><tbody>',
  );
  for (const run of monitoring.runs) {
    const top = run.topDrifted.length
      ? run.topDrifted
          .map(
            (c) =>
              `${esc(c.name)}${c.score !== undefined ? ` <span class="muted">(${driftScore(c)})</span>` : ""}`,
          )
          .join(", ")
      : '<span class="muted">none</span>';
    const performance = run.performance
      ? `${esc(run.performance.metric)} ${esc(formatNumber(run.performance.current ?? undefined))}` +
        (run.performance.reference !== null
          ? ` <span class="muted">vs ${esc(formatNumber(run.performance.reference))}</span>`
          : "") +
        (run.performance.decayed ? ' <span class="worse">decayed</span>' : "")
      : '<span class="muted">no labels</span>';
    const when = link(run.runUrl, esc(formatDate(run.date)));
    parts.push(
      `<tr><td>${when}</td><td data-label="Version">${esc(run.version ?? "—")}${run.stage ? ` <span class="muted">(${esc(run.stage)})</span>` : ""}</td>` +
        `<td class="num" data-label="Drifted columns">${run.driftedColumns}/${run.columns} (${esc(percent(run.driftedShare))})</td><td data-label="Top drifted">${top}</td><td data-label="Performance">${performance}</td>` +
        `<td data-label="Verdict"><span class="badge ${run.error !== undefined ? "b-dep" : run.alerting ? "b-drift" : "b-ok"}">${run.error !== undefined ? "failed" : run.alerting ? "alert" : "ok"}</span> ${esc(runFindings(run))}</td></tr>`,
    );
  }
  parts.push("</tbody></table></div>");
  return parts.join("\n");
}

/** `ks, p = 2.2e-16` for a p-value test, `psi 0.41` for a distance: what the threshold was compared with. */
function driftScore(column: MonitoringRun["topDrifted"][number]): string {
  const score = esc(formatNumber(column.score));
  const test = column.test ? esc(column.test) : "";
  if (column.pValue) return test ? `${test}, p = ${score}` : `p = ${score}`;
  return test ? `${test} ${score}` : score;
}

/** Every metric some version records, in first-seen order (oldest version first). */
function metricNames(model: CatalogModel): string[] {
  const names = new Set<string>();
  for (const version of model.versions) for (const name of Object.keys(version.metrics)) names.add(name);
  const all = [...names];
  // The headline first.
  return model.headlineMetric && names.has(model.headlineMetric)
    ? [model.headlineMetric, ...all.filter((n) => n !== model.headlineMetric)]
    : all;
}

function chartsSection(model: CatalogModel): string {
  const metrics = metricNames(model);
  const parts = [`<h2 id="metrics">Metrics across versions</h2>`];
  if (metrics.length === 0) {
    parts.push("<p>No version records metrics in its tag.</p>");
    return parts.join("\n");
  }
  parts.push(
    '<p class="muted">Active versions in registration order; a ringed point is a version that holds a stage now.</p><div class="charts">',
  );
  for (const metric of metrics.slice(0, MAX_CHARTS)) {
    const points = model.versions
      .filter((v) => v.active && Object.hasOwn(v.metrics, metric))
      .map((v) => ({ label: v.version, value: v.metrics[metric]!, stages: v.stages }));
    if (points.length === 0) continue;
    parts.push(
      `<figure><figcaption>${esc(metric)}</figcaption>${metricChart(metric, points, model.stageOrder)}</figure>`,
    );
  }
  parts.push("</div>");
  const trimmed = model.versions.filter((v) => v.metricsOmitted);
  if (trimmed.length > 0)
    parts.push(
      `<p class="muted">${trimmed.length} version${trimmed.length === 1 ? "'s tag carries" : "s' tags carry"} only the headline metrics (at most 4 KB of them, the gated ones first); the others are in each version's stored metrics.json.</p>`,
    );
  if (metrics.length > MAX_CHARTS)
    parts.push(
      `<p class="muted">${metrics.length - MAX_CHARTS} more metric${metrics.length - MAX_CHARTS === 1 ? "" : "s"} without a chart; the comparison below lists them all.</p>`,
    );
  return parts.join("\n");
}

interface CompareVersion {
  v: string;
  m: Record<string, number>;
  p?: Record<string, unknown>;
  d?: string;
  f?: string;
  c: string;
}

function compareData(model: CatalogModel): CompareVersion[] {
  return model.versions.map((v) => ({
    v: v.version,
    m: v.metrics,
    ...(v.params ? { p: v.params } : {}),
    ...(v.artifactDigest ? { d: v.artifactDigest } : {}),
    ...(v.dataFingerprint ? { f: v.dataFingerprint } : {}),
    c: v.commit,
  }));
}

function compareSection(model: CatalogModel): string {
  if (model.versions.length < 2) return "";
  const byVersion = [...model.versions].sort((a, b) => compareSemver(a.version, b.version));
  const b = byVersion.find((v) => v.version === model.latest) ?? byVersion[byVersion.length - 1]!;
  const a = byVersion.filter((v) => v !== b).pop() ?? byVersion[0]!;
  const options = (selected: string) =>
    byVersion
      .map(
        (v) =>
          `<option value="${esc(v.version)}"${v.version === selected ? " selected" : ""}>${esc(v.version)}${v.active ? "" : " (deregistered)"}</option>`,
      )
      .join("");
  return [
    `<h2 id="compare">Compare two versions</h2>`,
    `<div class="controls"><label>A <select id="cmp-a">${options(a.version)}</select></label><label>B <select id="cmp-b">${options(b.version)}</select></label></div>`,
    `<div id="cmp-out">${compareTables(a, b)}</div>`,
    `<script type="application/json" id="versions-data">${embedJson(compareData(model))}</script>`,
  ].join("\n");
}

/** The comparison of A and B, exactly as the page's script renders it for another pair. */
/** Features shown in the importances section (the registration tag carries at most 20). */
export const IMPORTANCES_SHOWN = 10;

/**
 * The top features of the newest active version that recorded importances, beside the version before it
 * that did: rank moves, and the features that entered or left the top. Read from the registration tags,
 * so an organisation's catalog shows them without the store.
 */
function importancesSection(model: CatalogModel): string {
  const withImportances = [...model.versions]
    .filter((v) => v.importances !== undefined)
    .sort((a, b) => compareSemver(a.version, b.version));
  const active = withImportances.filter((v) => v.active);
  const current = active.find((v) => v.version === model.latest) ?? active[active.length - 1];
  if (!current?.importances) return "";
  const previous = withImportances.filter((v) => compareSemver(v.version, current.version) < 0).pop();
  const top = summariseImportances(current.importances, IMPORTANCES_SHOWN);
  const before = previous?.importances
    ? summariseImportances(previous.importances, IMPORTANCES_SHOWN)
    : undefined;
  const rankBefore = new Map(before?.top.map((f) => [f.feature, f.rank]));
  const topNames = new Set(top.top.map((f) => f.feature));
  const maxShare = Math.max(...top.top.map((f) => f.share), Number.MIN_VALUE);
  const move = (feature: string, rank: number): string => {
    if (!before) return "";
    const was = rankBefore.get(feature);
    if (was === undefined) return `<span class="badge b-new">entered the top ${IMPORTANCES_SHOWN}</span>`;
    if (was === rank) return '<span class="muted">=</span>';
    return was > rank ? `▲ ${was - rank} (was ${was})` : `▼ ${rank - was} (was ${was})`;
  };
  const bar = (share: number): string => {
    const width = Math.max(1, Math.round((share / maxShare) * 100));
    return `<svg class="bar" width="100" height="10" viewBox="0 0 100 10" aria-hidden="true"><rect width="${width}" height="10" fill="#0969da"/></svg>`;
  };
  const rows = top.top.map(
    (f) =>
      `<tr><td class="num">${f.rank}</td><td>${esc(f.feature)}</td><td class="num">${esc(percent(f.share))}</td><td class="drawn">${bar(f.share)}</td>${before ? `<td>${move(f.feature, f.rank)}</td>` : ""}</tr>`,
  );
  const left = before ? before.top.filter((f) => !topNames.has(f.feature)) : [];
  const comparedWith = previous ? ` compared with ${esc(previous.version)}` : "";
  return [
    `<h2 id="importances">Feature importances</h2>`,
    `<p>The features ${esc(current.version)} leans on most, as its training measured them${comparedWith}; ` +
      `the top ${top.top.length} hold ${esc(percent(1 - top.restShare))} of the model's importance.</p>`,
    `<div class="scroll" tabindex="0"><table class="importances"><thead><tr><th scope="col" class="num">Rank</th><th scope="col">Feature</th>` +
      `<th scope="col" class="num">Share</th><th scope="col" class="drawn">Share, drawn</th>${before ? `<th scope="col">Since ${esc(previous!.version)}</th>` : ""}</tr></thead>` +
      `<tbody>${rows.join("")}</tbody></table></div>`,
    left.length > 0
      ? `<p>Left the top ${IMPORTANCES_SHOWN} since ${esc(previous!.version)}: ${left.map((f) => `${esc(f.feature)} (was ${f.rank})`).join(", ")}.</p>`
      : "",
  ]
    .filter(Boolean)
    .join("\n");
}

export function compareTables(a: CatalogVersion, b: CatalogVersion): string {
  const metrics = [...new Set([...Object.keys(a.metrics), ...Object.keys(b.metrics)])];
  const metricRows = metrics.map((name) => {
    const va = a.metrics[name];
    const vb = b.metrics[name];
    const delta = va !== undefined && vb !== undefined ? vb - va : undefined;
    return `<tr><td>${esc(name)}</td><td class="num">${esc(formatNumber(va))}</td><td class="num">${esc(formatNumber(vb))}</td><td class="num">${esc(formatDelta(delta))}</td></tr>`;
  });
  const pa = a.params ?? {};
  const pb = b.params ?? {};
  const keys = [...new Set([...Object.keys(pa), ...Object.keys(pb)])].sort();
  const paramRows = keys.map((key) => {
    const inA = Object.hasOwn(pa, key);
    const inB = Object.hasOwn(pb, key);
    const changed = !inA || !inB || !paramValuesEqual(pa[key]!, pb[key]!);
    return `<tr${changed ? ' class="changed"' : ""}><td>${esc(key)}</td><td>${inA ? esc(formatParamValue(pa[key])) : "—"}</td><td>${inB ? esc(formatParamValue(pb[key])) : "—"}</td><td>${changed ? "changed" : ""}</td></tr>`;
  });
  const same = (x?: string, y?: string) => (x && y ? (x === y ? "same" : "differs") : "");
  const identityRows = [
    ["commit", a.commit, b.commit],
    ["data fingerprint", a.dataFingerprint, b.dataFingerprint],
    ["artifact digest", a.artifactDigest, b.artifactDigest],
  ].map(
    ([what, x, y]) =>
      `<tr><td>${what}</td><td><code>${esc(x ?? "—")}</code></td><td><code>${esc(y ?? "—")}</code></td><td>${same(x, y)}</td></tr>`,
  );
  const head = (first: string, last: string) =>
    `<thead><tr><th scope="col">${first}</th><th scope="col">A ${esc(a.version)}</th><th scope="col">B ${esc(b.version)}</th><th scope="col">${last}</th></tr></thead>`;
  return (
    `<h3>Metrics</h3>` +
    (metricRows.length
      ? `<div class="scroll" tabindex="0"><table>${head("metric", "B − A")}<tbody>${metricRows.join("")}</tbody></table></div>`
      : "<p>Neither version records metrics.</p>") +
    `<h3>Params</h3>` +
    (paramRows.length
      ? `<div class="scroll" tabindex="0"><table>${head("param", "")}<tbody>${paramRows.join("")}</tbody></table></div>`
      : "<p>Neither version's tag records params.</p>") +
    `<h3>Data and artifacts</h3><div class="scroll" tabindex="0"><table>${head("", "")}<tbody>${identityRows.join("")}</tbody></table></div>`
  );
}

function commitLink(repo: CatalogRepo, commit: string): string {
  const short = `<code>${esc(commit.slice(0, 12))}</code>`;
  return repo.webUrl ? link(`${repo.webUrl}/commit/${commit}`, short) : short;
}

function prLink(repo: CatalogRepo, pr: number | undefined): string {
  if (pr === undefined) return "";
  return repo.webUrl ? link(`${repo.webUrl}/pull/${pr}`, `#${pr}`) : `#${pr}`;
}

function versionsSection(repo: CatalogRepo, model: CatalogModel): string {
  if (model.versions.length === 0) return "";
  const rows = [...model.versions].reverse().map((v) => {
    const stages = v.stages.map((s) => `<span class="badge b-stage">${esc(s)}</span>`).join(" ");
    return (
      `<tr><td>${esc(v.version)}${v.active ? "" : ' <span class="badge b-dep">deregistered</span>'}</td><td data-label="Stages">${stages}</td>` +
      `<td data-label="Registered">${esc(formatDate(v.date))}</td><td data-label="By">${esc(v.author)}</td><td data-label="Commit">${commitLink(repo, v.commit)}</td>` +
      `<td data-label="PR">${prLink(repo, v.pr)}</td><td data-label="Run">${v.runUrl ? link(v.runUrl, "run") : ""}</td>` +
      `<td data-label="Manifest">${v.artifactDigest ? `<code>${esc(v.artifactDigest.slice(0, 19))}…</code>` : '<span class="muted">no artifacts</span>'}</td></tr>`
    );
  });
  return (
    `<h2 id="versions">Versions</h2><div class="scroll" tabindex="0"><table class="stack"><thead><tr><th scope="col">Version</th><th scope="col">Stages</th><th scope="col">Registered</th><th scope="col">By</th><th scope="col">Commit</th><th scope="col">PR</th><th scope="col">Run</th><th scope="col">Manifest digest</th></tr></thead><tbody>` +
    rows.join("") +
    "</tbody></table></div>"
  );
}

const KIND_LABEL: Record<CatalogEvent["kind"], string> = {
  register: "registered",
  promote: "promoted",
  rollback: "rollback",
  unassign: "unassigned",
  deregister: "deregistered",
  deprecate: "deprecated",
};

function timelineSection(repo: CatalogRepo, model: CatalogModel): string {
  if (model.events.length === 0) return "";
  const items = [...model.events].reverse().map((event) => {
    const links = [
      `tag <code>${esc(event.tag)}</code>`,
      `commit ${commitLink(repo, event.commit)}`,
      event.pr !== undefined ? `PR ${prLink(repo, event.pr)}` : "",
      event.runUrl ? link(event.runUrl, "run") : "",
    ].filter(Boolean);
    return (
      `<li class="k-${event.kind}"><strong>${KIND_LABEL[event.kind]}</strong> · ${esc(describeEvent(event))}<br>` +
      `<span class="muted">${esc(formatDate(event.date))} by ${esc(event.author || "unknown")}</span> · ${links.join(" · ")}</li>`
    );
  });
  return `<h2 id="timeline">Timeline</h2><ol class="timeline">${items.join("")}</ol>`;
}

function modelCardSection(model: CatalogModel): string {
  if (!model.modelCard)
    return `<h2 id="card">Model card</h2><p class="muted">No stored model card (versions registered without artifacts, or a store this build could not read).</p>`;
  return `<h2 id="card">Model card <span class="muted">(${esc(model.modelCard.version)})</span></h2><div class="card">${renderMarkdown(model.modelCard.markdown)}</div>`;
}

/**
 * Re-renders the comparison for the picked pair from the embedded JSON; builds elements with
 * textContent only, so no value from the data can become markup.
 */
const COMPARE_SCRIPT = `(function(){
"use strict";
var data=JSON.parse(document.getElementById("versions-data").textContent);
var byVersion={};data.forEach(function(v){byVersion[v.v]=v;});
var selA=document.getElementById("cmp-a"),selB=document.getElementById("cmp-b"),out=document.getElementById("cmp-out");
function num(x){if(x===undefined)return "\\u2014";if(!isFinite(x))return String(x);if(x===0)return "0";var m=Math.abs(x);
if(Number.isInteger(x)&&m<1e15)return String(x);if(m>=1e6||m<1e-4)return x.toExponential(3).replace(/\\.?0+e/,"e").replace("e+","e");
if(m>=1e4)return String(Math.round(x));return String(Number(x.toPrecision(4)));}
function delta(x){if(x===undefined)return "\\u2014";if(x===0)return "0";return (x>0?"+":"")+num(x);}
function param(x){if(x===undefined)return "\\u2014";return typeof x==="string"?x:JSON.stringify(x);}
function el(tag,text,cls){var e=document.createElement(tag);if(text!==undefined)e.textContent=text;if(cls)e.className=cls;return e;}
function table(first,last,a,b,rows){var wrap=el("div",undefined,"scroll");wrap.tabIndex=0;var t=el("table"),head=el("thead"),tr=el("tr");
[first,"A "+a.v,"B "+b.v,last].forEach(function(h){var th=el("th",h);th.scope="col";tr.appendChild(th);});head.appendChild(tr);t.appendChild(head);
var body=el("tbody");rows.forEach(function(r){var row=el("tr");if(r.changed)row.className="changed";r.cells.forEach(function(c,i){var td=el("td");
if(r.code&&i>0&&i<3){td.appendChild(el("code",c));}else td.textContent=c;if(r.num&&i>0)td.className="num";row.appendChild(td);});body.appendChild(row);});
t.appendChild(body);wrap.appendChild(t);return wrap;}
function keys(x,y){var seen={},list=[];[x,y].forEach(function(o){Object.keys(o||{}).forEach(function(k){if(!seen.hasOwnProperty(k)){seen[k]=1;list.push(k);}});});return list;}
function render(){var a=byVersion[selA.value],b=byVersion[selB.value];if(!a||!b)return;
while(out.firstChild)out.removeChild(out.firstChild);
out.appendChild(el("h3","Metrics"));var metrics=keys(a.m,b.m);
if(metrics.length)out.appendChild(table("metric","B \\u2212 A",a,b,metrics.map(function(k){var va=a.m[k],vb=b.m[k];
return {num:true,cells:[k,num(va),num(vb),delta(va!==undefined&&vb!==undefined?vb-va:undefined)]};})));
else out.appendChild(el("p","Neither version records metrics."));
out.appendChild(el("h3","Params"));var pa=a.p||{},pb=b.p||{},params=keys(pa,pb).sort(function(x,y){return x<y?-1:x>y?1:0;});
if(params.length)out.appendChild(table("param","",a,b,params.map(function(k){var inA=pa.hasOwnProperty(k),inB=pb.hasOwnProperty(k);
var changed=!inA||!inB||JSON.stringify(pa[k])!==JSON.stringify(pb[k]);return {changed:changed,cells:[k,param(pa[k]),param(pb[k]),changed?"changed":""]};})));
else out.appendChild(el("p","Neither version's tag records params."));
out.appendChild(el("h3","Data and artifacts"));
function same(x,y){return x&&y?(x===y?"same":"differs"):"";}
out.appendChild(table("","",a,b,[["commit",a.c,b.c],["data fingerprint",a.f,b.f],["artifact digest",a.d,b.d]].map(function(r){
return {code:true,cells:[r[0],r[1]||"\\u2014",r[2]||"\\u2014",same(r[1],r[2])]};})));}
selA.addEventListener("change",render);selB.addEventListener("change",render);})();`;
