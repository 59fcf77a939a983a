/**
 * A small, realistic catalog and the site rendered from it, for the rendering tests and the browser
 * tests: three models (one monitored and drifting with an open alert, one ok, one never monitored and
 * deprecated), a dozen versions with metrics, params, digests, stage moves and a rollback, a model card,
 * and hostile strings in every field a user controls. In-process (no git, no child process), so unit
 * tests can use it as well.
 */
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import {
  renderSite,
  type Catalog,
  type CatalogEvent,
  type CatalogModel,
  type CatalogVersion,
} from "../../src/site";

/** Strings that would break out of HTML, attributes, scripts or JSON if anything were left unescaped. */
export const HOSTILE = {
  script: `</script><script>window.__pwned=1</script>`,
  attribute: `" onmouseover="window.__pwned=1" x="`,
  tag: `<img src=x onerror="window.__pwned=1">`,
  separators: "line\u2028sep\u2029para",
  bidi: "acc\u202Eycarucca",
  comment: "<!-- -->",
};

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0) / 1000;
const DAY = 86400;
const hex = (seed: number, length = 64) =>
  Array.from({ length }, (_, i) => "0123456789abcdef"[(seed * 7 + i * 13) % 16]).join("");

function versions(
  count: number,
  base: (i: number) => Record<string, number>,
  params: (i: number) => Record<string, number | string>,
): CatalogVersion[] {
  return Array.from({ length: count }, (_, i) => ({
    version: `v1.${i}.0`,
    commit: hex(i + 1, 40),
    date: T0 + i * 7 * DAY,
    author: i % 2 ? "Ada Lovelace" : "github-actions[bot]",
    active: true,
    stages: [],
    metrics: base(i),
    params: params(i),
    artifactDigest: `sha256:${hex(i + 100)}`,
    dataFingerprint: `sha256:${hex(i % 3)}`,
    runUrl: `https://github.com/acme/models/actions/runs/${1000 + i}`,
    pr: 10 + i,
  }));
}

function registrations(model: string, list: CatalogVersion[]): CatalogEvent[] {
  return list.map((v) => ({
    kind: "register" as const,
    version: v.version,
    date: v.date,
    author: v.author,
    tag: `${model}@${v.version}`,
    commit: v.commit,
    runUrl: v.runUrl!,
    pr: v.pr!,
  }));
}

function churn(): CatalogModel {
  const list = versions(
    8,
    (i) => ({ accuracy: 0.8 + i * 0.012 - (i === 5 ? 0.04 : 0), f1: 0.7 + i * 0.01, latency_ms: 40 - i }),
    (i) => ({ n_estimators: 50 + i * 10, max_depth: 6, criterion: i > 3 ? "entropy" : "gini" }),
  );
  list[7]!.stages = ["staging"];
  list[6]!.stages = ["production"];
  // Importances as the registration tags carry them: tenure gains a rank, a hostile feature enters the top.
  list[6]!.importances = { charges: 0.4, tenure_months: 0.3, contract: 0.2, region: 0.1 };
  list[7]!.importances = { tenure_months: 0.45, charges: 0.3, [HOSTILE.tag]: 0.15, contract: 0.1 };
  const events = registrations("churn", list);
  const at = (i: number) => list[i]!;
  events.push(
    {
      kind: "promote",
      version: "v1.6.0",
      stage: "production",
      date: at(6).date + 3600,
      author: "Ada Lovelace",
      tag: "churn#production#20",
      commit: at(6).commit,
    },
    {
      kind: "promote",
      version: "v1.7.0",
      stage: "production",
      previous: "v1.6.0",
      date: at(7).date + 3600,
      author: "Ada Lovelace",
      tag: "churn#production#22",
      commit: at(7).commit,
    },
    {
      kind: "rollback",
      version: "v1.6.0",
      stage: "production",
      previous: "v1.7.0",
      date: at(7).date + 7200,
      author: "On Call",
      tag: "churn#production#23",
      commit: at(6).commit,
    },
    {
      kind: "promote",
      version: "v1.7.0",
      stage: "staging",
      date: at(7).date + 60,
      author: "github-actions[bot]",
      tag: "churn#staging#21",
      commit: at(7).commit,
    },
  );
  events.sort((a, b) => a.date - b.date);
  return {
    name: "churn",
    description: "Predicts which customers leave next month.",
    owners: ["@acme/ml-team", "@ada"],
    stageOrder: ["staging", "production"],
    headlineMetric: "accuracy",
    deprecated: false,
    versions: list,
    stages: { staging: "v1.7.0", production: "v1.6.0" },
    latest: "v1.7.0",
    events,
    artifacts: {
      version: "v1.7.0",
      store: "github",
      files: [
        { path: "model.tar.gz", role: "model", size: 12_582_912 },
        { path: "metrics.json", role: "metrics", size: 87 },
        { path: `${HOSTILE.tag}.json`, role: "other", size: 2048 },
        { path: "model-card.md", role: "model-card", size: 1500 },
      ],
    },
    modelCard: {
      version: "v1.7.0",
      markdown: [
        "# churn v1.7.0",
        "",
        "Predicts which customers leave next month.",
        "",
        "## Metrics",
        "",
        "| metric | value |",
        "|---|---:|",
        "| accuracy | 0.884 |",
        `| ${HOSTILE.tag.replace(/</g, "&#60;")} | 1 |`,
        "",
        "## Lineage",
        "",
        "- Commit: [`abc123`](https://github.com/acme/models/commit/abc123)",
        "- Run: [run](javascript:window.__pwned=1)",
        `- Note: ${HOSTILE.script}`,
        "",
        "> [!WARNING]",
        "> **Retrained** at merge.",
        "",
        "```",
        HOSTILE.tag,
        "```",
      ].join("\n"),
    },
    monitoring: {
      configured: true,
      alertOpen: true,
      alertUrl: "https://github.com/acme/models/issues/7",
      runs: [
        {
          date: T0 + 60 * DAY,
          version: "v1.6.0",
          stage: "production",
          datasetDrift: true,
          schemaDrift: false,
          driftedShare: 0.6,
          columns: 5,
          driftedColumns: 3,
          topDrifted: [
            { name: "tenure_months", score: 0.41, test: "psi" },
            { name: HOSTILE.attribute, score: 0.33, test: "wasserstein" },
            { name: "plan", score: 0.002, pValue: true, test: "chisquare" },
          ],
          performance: { metric: "accuracy", current: 0.79, reference: 0.872, decayed: true },
          alerting: true,
          runUrl: "https://github.com/acme/models/actions/runs/2001",
        },
        {
          date: T0 + 53 * DAY,
          version: "v1.6.0",
          stage: "production",
          datasetDrift: false,
          schemaDrift: false,
          driftedShare: 0.2,
          columns: 5,
          driftedColumns: 1,
          topDrifted: [{ name: "plan", score: 0.12, test: "chisquare" }],
          alerting: false,
        },
      ],
    },
  };
}

function fraud(): CatalogModel {
  const list = versions(
    3,
    (i) => ({ roc_auc: 0.9 + i * 0.01, [HOSTILE.script]: i }),
    (i) => ({ [HOSTILE.attribute]: `${HOSTILE.separators}-${i}`, learning_rate: 0.1 / (i + 1) }),
  );
  list[2]!.stages = ["production"];
  const events = registrations("risk/fraud", list);
  events.push({
    kind: "promote",
    version: "v1.2.0",
    stage: "production",
    date: list[2]!.date + 600,
    author: HOSTILE.tag,
    tag: "risk/fraud#production#4",
    commit: list[2]!.commit,
  });
  return {
    name: "risk/fraud",
    description: `Flags card transactions. ${HOSTILE.tag} ${HOSTILE.bidi}`,
    owners: [HOSTILE.attribute],
    stageOrder: ["production"],
    headlineMetric: "roc_auc",
    deprecated: false,
    versions: list,
    stages: { production: "v1.2.0" },
    latest: "v1.2.0",
    events,
    monitoring: {
      configured: true,
      alertOpen: false,
      runs: [
        {
          date: T0 + 40 * DAY,
          version: "v1.2.0",
          stage: "production",
          datasetDrift: false,
          schemaDrift: false,
          driftedShare: 0,
          columns: 12,
          driftedColumns: 0,
          topDrifted: [],
          alerting: false,
        },
      ],
    },
  };
}

function legacy(): CatalogModel {
  const list = versions(
    2,
    (i) => ({ rmse: 3.2 - i * 0.4 }),
    () => ({ alpha: 0.5 }),
  );
  list[0]!.active = false;
  const events = registrations("legacy-forecast", list);
  events.push(
    {
      kind: "deregister",
      version: "v1.0.0",
      date: list[1]!.date + 100,
      author: "Ada Lovelace",
      tag: "legacy-forecast@v1.0.0!",
      commit: list[0]!.commit,
    },
    {
      kind: "deprecate",
      date: list[1]!.date + 200,
      author: "Ada Lovelace",
      tag: "legacy-forecast@deprecated",
      commit: list[1]!.commit,
    },
  );
  return {
    name: "legacy-forecast",
    owners: [],
    stageOrder: ["staging", "production"],
    headlineMetric: "rmse",
    deprecated: true,
    versions: list,
    stages: {},
    latest: "v1.1.0",
    events,
  };
}

/** The sample catalog: one repository, or (`org`) the same models split over two repositories. */
export function sampleCatalog(options: { org?: boolean } = {}): Catalog {
  const generatedAt = "2026-03-01T12:00:00.000Z";
  if (!options.org) {
    return {
      title: "acme/models",
      generatedAt,
      repos: [
        {
          id: "acme/models",
          webUrl: "https://github.com/acme/models",
          models: [churn(), fraud(), legacy()],
          warnings: [],
        },
      ],
    };
  }
  return {
    title: `Acme ${HOSTILE.tag}`,
    generatedAt,
    repos: [
      {
        id: "acme/churn",
        webUrl: "https://github.com/acme/churn",
        cloneUrl: "https://github.com/acme/churn.git",
        models: [churn(), legacy()],
        warnings: [],
      },
      {
        id: "risk/fraud-models",
        webUrl: "https://github.com/risk/fraud-models",
        cloneUrl: "https://github.com/risk/fraud-models.git",
        models: [fraud()],
        warnings: [`model cards are read from risk/fraud-models's Releases: set GITHUB_TOKEN ${HOSTILE.tag}`],
      },
    ],
  };
}

export interface SampleSite {
  dir: string;
  /** Absolute path of index.html. */
  index: string;
  /** Every page, absolute paths, index.html first. */
  pages: string[];
  catalog: Catalog;
}

/** Renders the sample catalog into `dir` (default: a new temporary folder). */
export async function buildSampleSite(options: { dir?: string; org?: boolean } = {}): Promise<SampleSite> {
  const dir = options.dir ?? (await fs.mkdtemp(path.join(os.tmpdir(), "gitml-site-")));
  const catalog = sampleCatalog(options);
  const files = renderSite(catalog);
  for (const file of files) {
    const target = path.join(dir, ...file.path.split("/"));
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.writeFile(target, file.content);
  }
  return {
    dir,
    index: path.join(dir, "index.html"),
    pages: files.map((f) => path.join(dir, ...f.path.split("/"))),
    catalog,
  };
}
