/**
 * The `gitml.yaml` schema. One zod schema is the single source of truth for three things: the parsed,
 * defaulted `Config` every command consumes, the JSON Schema editors use (json-schema.ts), and the
 * messages a user sees for a mistake (load.ts maps zod issues to file:line:col).
 *
 * Conventions that keep it growable: every object is strict (an unknown key is an error, so typos are
 * caught), every key carries a description (it becomes editor help), defaults are applied here so
 * consumers never re-derive them, and cross-field rules live in one `superRefine` per object with
 * issue paths pointing at the offending key.
 */
import { z } from "zod";
import { PREDICTION_METRIC_NAMES } from "../evaluate/metric-names";
import { assertValidName, assertValidStage } from "../registry";
import { SuiteSchema } from "../suites/schema";
import { UserError } from "../util/errors";
import { didYouMean } from "../util/suggest";

/** GTO's name grammar (gto/constants.py `name`), for the JSON Schema; validation uses the registry's own checks. */
export const GTO_NAME_PATTERN = "[a-zA-Z0-9]([a-zA-Z0-9-/_]*[a-zA-Z0-9])?";
/** GTO's folder prefix for a model kept in a sub-folder: `dir:name` (written `dir=name` in tags). */
export const GTO_DIRNAME_PATTERN = "[a-zA-Z0-9-_./]+";

export const DEFAULT_STAGES: readonly string[] = Object.freeze(["staging", "production"]);
/** In `promotions`, the source that means "a registered version that holds no stage yet". */
export const NEW_VERSION = "new";
export const DEFAULT_STORE_PATH = ".gitml/store";

const NAME_RULE = "letters, digits, '-', '_' and '/', starting and ending with a letter or digit";

const nonEmpty = () => z.string().min(1);

/** The registry's reason a name is invalid: config accepts exactly the names that can become tags. */
function registryProblem(check: (value: string) => void, value: string): string | undefined {
  try {
    check(value);
    return undefined;
  } catch (error) {
    if (error instanceof UserError) return error.message;
    throw error;
  }
}

export const StageNameSchema = z
  .string()
  .superRefine((stage, ctx) => {
    const problem = registryProblem(assertValidStage, stage);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .describe(`A stage name (GTO grammar: ${NAME_RULE}).`);

/** Names that would reach a JavaScript object's prototype rather than name an entry: refused as names. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

const reservedNameProblem = (name: string, what: string): string | undefined =>
  RESERVED_NAMES.has(name)
    ? `\`${name}\` cannot be a ${what} name: it is reserved (it would reach JavaScript's object prototype); rename it`
    : undefined;

export const ModelNameSchema = z
  .string()
  .superRefine((name, ctx) => {
    const problem =
      reservedNameProblem(name.split(":").pop() ?? name, "model") ?? registryProblem(assertValidName, name);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .describe("A model name (GTO grammar), optionally `dir:name` for a model kept in a sub-folder.");

// Integer, not number: JSON Schema then has `anyOf` rather than a type list, which strict validators reject.
const LabelSchema = z.union([z.string(), z.int(), z.boolean()]);

const PredictionsObjectSchema = z
  .strictObject({
    path: nonEmpty().describe("The predictions CSV, relative to the model's `path`."),
    task: z
      .enum(["classification", "regression"])
      .optional()
      .describe(
        "What the predictions are. Default: regression when y_true and y_pred are numbers and some are not integers or y_true has more than 20 distinct values, otherwise classification.",
      ),
    positive_class: LabelSchema.optional().describe(
      "The positive class of a binary classification (precision, recall, f1, roc_auc, log_loss are of this class). Default 1 (or true).",
    ),
    classes: z
      .array(LabelSchema)
      .min(2)
      .optional()
      .describe(
        "The declared classes: a label outside them is an error. Two classes make the task binary; they also order the confusion matrix.",
      ),
  })
  .describe(
    "Predictions CSV given as `{ path, task, positive_class, classes }`, when it needs saying how to read it; otherwise just the path.",
  );

/** How `outputs.predictions` is read; kept beside the outputs so that every output stays a path. */
export type PredictionOptions = Omit<z.output<typeof PredictionsObjectSchema>, "path">;

const OutputsSchema = z
  .strictObject({
    model: nonEmpty().describe(
      "File or folder, relative to the model's `path`, stored as the registered artifact.",
    ),
    metrics: nonEmpty()
      .optional()
      .describe("Metrics file (JSON, YAML or CSV; nested as DVC writes it), relative to `path`."),
    params: nonEmpty()
      .optional()
      .describe("Parameters file (e.g. params.yaml), relative to `path`; diffed in the PR report."),
    predictions: z
      .union([nonEmpty(), PredictionsObjectSchema])
      .optional()
      .describe(
        "Predictions CSV, relative to `path` (or `{ path, task, positive_class, classes }`): y_true, y_pred, y_score (the positive class's score; multiclass: one y_score_<class> probability column per class) and segment columns. gitml computes metrics from it (accuracy, precision, recall, f1 or their _macro/_weighted variants, roc_auc, log_loss; mae, rmse, r2); with a metrics file too, the file's values win on a name clash.",
      ),
    reference: nonEmpty()
      .optional()
      .describe("Reference (training) data the monitoring profile is built from, relative to `path`."),
    importances: nonEmpty()
      .optional()
      .describe(
        "Global feature importances the training writes, relative to `path`: JSON (`{feature: importance}`, or `{method, importances, per_class, mean_abs_shap}`) or CSV (`feature,importance[,mean_abs_shap][,importance.<class>…]`); values finite and ≥ 0, each feature a column of the reference data (docs/importances.md). Shown in the PR report beside production's, gated by `importance` gates, stored with the version as `importances.json`, and used by the monitor to weigh drifted columns.",
      ),
  })
  .describe("What training produces, relative to the model's `path`.");

export const NoRegressionSchema = z
  .strictObject({
    tolerance: z
      .number()
      .min(0)
      .optional()
      .describe("Absolute drop allowed against the baseline, in the metric's units (e.g. 0.01)."),
    relative: z
      .number()
      .min(0)
      .optional()
      .describe("Relative drop allowed against the baseline, as a fraction (0.02 = 2%)."),
  })
  .superRefine((value, ctx) => {
    if (value.tolerance !== undefined && value.relative !== undefined) {
      ctx.addIssue({
        code: "custom",
        message: "give either `tolerance` (absolute) or `relative`, not both",
        path: ["relative"],
      });
    }
  })
  .describe(
    "Fail when the candidate is worse than the model in `compare_to`. `{}` allows no drop at all; `tolerance` allows an absolute drop, `relative` a fractional one.",
  );

const shareSchema = () => z.number().min(0).max(1);

export const ImportanceRuleSchema = z
  .strictObject({
    max_single: z
      .number()
      .gt(0)
      .max(1)
      .optional()
      .describe(
        "Fail when one feature holds more than this share of the importance (e.g. 0.5): a model leaning on one feature is often a leak.",
      ),
    features: z
      .array(nonEmpty())
      .min(1)
      .optional()
      .describe("With `min_share`: the features expected to carry the model (an allow-list)."),
    min_share: shareSchema()
      .optional()
      .describe(
        "With `features`: fail when those features together hold less than this share of the importance.",
      ),
  })
  .superRefine((rule, ctx) => {
    if (rule.max_single === undefined && rule.min_share === undefined) {
      ctx.addIssue({
        code: "custom",
        message: "give `max_single`, or `features` with `min_share`",
        path: [],
      });
    }
    if ((rule.features === undefined) !== (rule.min_share === undefined)) {
      ctx.addIssue({
        code: "custom",
        message: "`features` and `min_share` go together: the share the listed features must hold",
        path: [rule.features === undefined ? "min_share" : "features"],
      });
    }
  })
  .describe(
    "A gate on the candidate's feature importances (`outputs.importances`): `max_single`, and/or `features` with `min_share`.",
  );

export const GateObjectSchema = z
  .strictObject({
    metric: nonEmpty()
      .superRefine((name, ctx) => {
        const reserved = name.split(".").find((part) => RESERVED_NAMES.has(part));
        const problem = reserved === undefined ? undefined : reservedNameProblem(reserved, "metric");
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      })
      .optional()
      .describe("Metric name; nested metrics use dots (`eval.f1`), as flattened from the metrics file."),
    importance: ImportanceRuleSchema.optional(),
    min: z.number().optional().describe("Fail when the metric is below this value."),
    max: z.number().optional().describe("Fail when the metric is above this value."),
    no_regression: NoRegressionSchema.optional(),
    required: z
      .boolean()
      .default(true)
      .describe(
        "When true (default), a missing metric (or importances file) fails the gate; when false it is skipped.",
      ),
    direction: z
      .enum(["higher", "lower"])
      .optional()
      .describe(
        "Which way is better, for `no_regression` and deltas. Default: `lower` when only `max` is set, otherwise `higher`.",
      ),
  })
  .superRefine(
    (gate, ctx) => {
      if (gate.importance !== undefined) {
        const metricKeys = (["metric", "min", "max", "no_regression", "direction"] as const).filter(
          (key) => gate[key] !== undefined,
        );
        for (const key of metricKeys) {
          ctx.addIssue({
            code: "custom",
            message: `an \`importance\` gate takes no \`${key}\`: write the metric gate as a separate entry`,
            path: [key],
          });
        }
        return;
      }
      if (gate.metric === undefined) {
        ctx.addIssue({
          code: "custom",
          message: "a gate names a `metric` (or is an `importance` gate)",
          path: [],
        });
        return;
      }
      if (gate.min === undefined && gate.max === undefined && gate.no_regression === undefined) {
        ctx.addIssue({
          code: "custom",
          message: `gate for \`${gate.metric}\` has no rule: give at least one of \`min\`, \`max\`, \`no_regression\``,
          path: [],
        });
      }
      if (gate.min !== undefined && gate.max !== undefined && gate.min > gate.max) {
        ctx.addIssue({
          code: "custom",
          message: `min (${gate.min}) is greater than max (${gate.max}), so no value can pass`,
          path: ["min"],
        });
      }
    },
    { when: (payload) => payload.issues.length === 0 },
  )
  .describe(
    "A check on one metric (at least one rule: `min`, `max` or `no_regression`), or on the feature importances (`importance`).",
  );

type ImportanceRule = z.output<typeof ImportanceRuleSchema>;

const GateSchema = GateObjectSchema.transform((gate) => ({
  ...gate,
  direction: gate.direction ?? (gate.max !== undefined && gate.min === undefined ? "lower" : "higher"),
}));

/** Metrics `monitor.performance.metric` may name: those computed from labels and predictions. */
export const PERFORMANCE_METRICS = PREDICTION_METRIC_NAMES;

const MonitorSchema = z
  .strictObject({
    current: nonEmpty().describe(
      "Recent production data to compare with the reference: a file or glob relative to the model's `path` (e.g. `data/live/*.parquet`). With `current_command`, the file that command writes.",
    ),
    current_command: nonEmpty()
      .optional()
      .describe(
        "Shell command run in the model's `path` before reading `current`, for data that must be fetched or exported first.",
      ),
    drift_share: z
      .number()
      .gt(0)
      .max(1)
      .default(0.5)
      .describe("Share of drifted columns, in (0, 1], at which the dataset counts as drifted. Default 0.5."),
    importance_drift_share: z
      .number()
      .gt(0)
      .max(1)
      .optional()
      .describe(
        "Share of the model's feature importance, in (0, 1], held by drifted columns at which the dataset counts as drifted, instead of `drift_share`'s column count: a drifted column the model ignores raises no alert, an important one does. Needs the monitored version's importances (`outputs.importances`); without them the column count decides and the report says why.",
      ),
    thresholds: z
      .enum(["fixed", "data"])
      .optional()
      .describe(
        "`fixed`: each test's default threshold (Evidently's). `data`: per column, mean + 3σ of the statistic between chunks of the reference and the rest of it, rescaled to the sizes compared (against false alarms on large samples); needs a reference profile made with chunks (`chunks`, or `gitml profile --chunks k`), else the fixed threshold is used and the report says why. Default `fixed`.",
      ),
    chunks: z
      .int()
      .min(3)
      .max(1000)
      .optional()
      .describe(
        "With `thresholds: data`: how many row ranges the reference data is split into when its profile is made (one read per chunk). Best about the reference's length over one monitoring window. Default 10.",
      ),
    label: nonEmpty()
      .optional()
      .describe(
        "Column of the current data holding the true label, once known; rows where it is empty are left out of performance. Default `y_true`.",
      ),
    prediction: nonEmpty()
      .optional()
      .describe(
        "Column of the current data holding the model's prediction; its drift is the prediction drift. Default `y_pred`.",
      ),
    score: nonEmpty()
      .optional()
      .describe(
        "Column of the current data holding the positive class's score (for roc_auc). Default `y_score`.",
      ),
    performance: z
      .strictObject({
        metric: z
          .enum(PERFORMANCE_METRICS)
          .optional()
          .describe(
            "Metric computed on the labelled current data and compared with the monitored version's metric of the same name. Default `accuracy` (classification) or `rmse` (regression).",
          ),
        tolerance: z
          .number()
          .min(0)
          .default(0.05)
          .describe(
            "How much worse than the version's own value the metric may get (absolute) before it counts as decay. Default 0.05.",
          ),
      })
      .optional()
      .describe(
        "Performance decay, checked whenever the current data has the label and prediction columns (without this block: the default metric and tolerance).",
      ),
  })
  .describe("Scheduled drift monitoring of the model in production.");

export const StagesSchema = z
  .array(StageNameSchema)
  .min(1)
  .default(() => [...DEFAULT_STAGES])
  .describe(
    "Ordered lifecycle stages. A version is promoted along this order unless `promotions` says otherwise. Default [staging, production].",
  );

const PromotionsSchema = z
  .record(z.string(), z.array(z.string()).describe(`Stages a version may come from, or \`${NEW_VERSION}\`.`))
  .describe(
    `Allowed promotions, per target stage: \`stage: [from, ...]\`, where a source is a stage or \`${NEW_VERSION}\` (a version holding no stage yet). Stages left out follow \`stages\` order: the first stage is entered from \`${NEW_VERSION}\`, each later one from the one before. Re-assigning a stage a version already reached (rollback) is always allowed.`,
  );

const ModelObjectSchema = z
  .strictObject({
    path: nonEmpty().describe(
      "The model's folder, relative to the repository root; the other paths are relative to it and `train` runs in it.",
    ),
    train: nonEmpty()
      .optional()
      .describe("Shell command that trains and evaluates the model, run in `path`."),
    outputs: OutputsSchema,
    stages: StagesSchema,
    promotions: PromotionsSchema.optional(),
    compare_to: z
      .string()
      .optional()
      .describe(
        "The stage whose model the PR report compares against (must be in `stages`). Default `production` when listed, otherwise the last stage.",
      ),
    protected_stages: z
      .array(StageNameSchema)
      .optional()
      .describe(
        "Stages entered only through a GitHub Environment that carries a protection rule (required reviewers, a wait timer or a custom rule): the promote action checks it through the API before promoting, rollbacks included, and stops otherwise. Default: the last stage. `[]` protects none.",
      ),
    bump: z
      .enum(["major", "minor", "patch"])
      .default("minor")
      .describe("Semver part bumped when a merge registers a new version. Default minor."),
    gates: z
      .array(GateSchema)
      .default(() => [])
      .describe("Checks the candidate must pass on every pull request."),
    on_gate_failure: z
      .enum(["fail", "warn"])
      .default("fail")
      .describe("`fail` (default) fails the check when a required gate fails; `warn` only reports it."),
    monitor: MonitorSchema.optional(),
    suite: SuiteSchema.optional(),
    description: z.string().optional().describe("One-line description, shown in reports and the model card."),
    owners: z
      .array(nonEmpty())
      .optional()
      .describe(
        "People or teams responsible (e.g. GitHub handles); mentioned on alert issues and in the model card.",
      ),
    intended_use: z.string().optional().describe("Intended use and known limitations, for the model card."),
  })
  .superRefine(checkModelCrossFields, {
    // Run even when other keys of the model are wrong, so that all problems are reported at once,
    // but only when the keys this rule reads parsed cleanly.
    when: (payload) =>
      !payload.issues.some((issue) =>
        ["stages", "promotions", "compare_to", "protected_stages", "path"].includes(String(issue.path?.[0])),
      ),
  })
  .describe("One model: where it lives, how it is trained, its gates, stages and monitoring.");

/** Stages entered only through a protected GitHub Environment: `protected_stages`, default the last stage. */
export function protectedStages(
  model: { stages: readonly string[]; protected_stages?: string[] } | undefined,
): string[] {
  if (!model) return [DEFAULT_STAGES.at(-1)!];
  return model.protected_stages ?? [model.stages.at(-1)!];
}

interface ModelCrossFields {
  path: string;
  stages: string[];
  promotions?: Record<string, string[]>;
  compare_to?: string;
  protected_stages?: string[];
}

function checkModelCrossFields(model: ModelCrossFields, ctx: z.RefinementCtx): void {
  if (model.path.startsWith("/") || /^[a-zA-Z]:[\\/]/.test(model.path)) {
    ctx.addIssue({ code: "custom", message: "must be relative to the repository root", path: ["path"] });
  } else if (model.path.split(/[\\/]/).filter((part) => part !== "" && part !== ".")[0] === "..") {
    ctx.addIssue({
      code: "custom",
      message: "must stay inside the repository (no leading `..`)",
      path: ["path"],
    });
  }

  const stages = model.stages;
  const seen = new Set<string>();
  stages.forEach((stage, index) => {
    if (stage === NEW_VERSION) {
      ctx.addIssue({
        code: "custom",
        message: `\`${NEW_VERSION}\` is reserved (in \`promotions\` it means a version with no stage yet); choose another stage name`,
        path: ["stages", index],
      });
    }
    if (seen.has(stage)) {
      ctx.addIssue({
        code: "custom",
        message: `stage \`${stage}\` is listed twice`,
        path: ["stages", index],
      });
    }
    seen.add(stage);
  });
  const known = `known stages: ${[...seen].join(", ")}`;

  if (model.compare_to !== undefined && !seen.has(model.compare_to)) {
    ctx.addIssue({
      code: "custom",
      message: `\`${model.compare_to}\` is not one of the model's stages (${known})${didYouMean(model.compare_to, seen)}`,
      path: ["compare_to"],
    });
  }

  (model.protected_stages ?? []).forEach((stage, index) => {
    if (!seen.has(stage)) {
      ctx.addIssue({
        code: "custom",
        message: `\`${stage}\` is not one of the model's stages (${known})${didYouMean(stage, seen)}`,
        path: ["protected_stages", index],
      });
    }
  });

  for (const [target, sources] of Object.entries(model.promotions ?? {})) {
    if (!seen.has(target)) {
      // Marked as a key problem so that the position is the key itself.
      ctx.addIssue({
        code: "custom",
        message: `\`${target}\` is not one of the model's stages (${known})${didYouMean(target, seen)}`,
        path: ["promotions", target],
        params: { atKey: true },
      });
    }
    sources.forEach((source, index) => {
      if (source !== NEW_VERSION && !seen.has(source)) {
        ctx.addIssue({
          code: "custom",
          message:
            `\`${source}\` is neither one of the model's stages (${known}) nor \`${NEW_VERSION}\`` +
            didYouMean(source, [...seen, NEW_VERSION]),
          path: ["promotions", target, index],
        });
      }
    });
  }
}

/** Fills the defaults that depend on other keys, so every consumer sees the same complete rules. */
function completeModel<T extends ModelCrossFields>(model: T) {
  const stages = model.stages;
  const promotions: Record<string, string[]> = {};
  stages.forEach((stage, index) => {
    promotions[stage] = model.promotions?.[stage] ?? [index === 0 ? NEW_VERSION : stages[index - 1]];
  });
  const compareTo =
    model.compare_to ?? (stages.includes("production") ? "production" : stages[stages.length - 1]);
  return { ...model, compare_to: compareTo, promotions };
}

/**
 * `outputs.predictions` may be a path or `{ path, ...options }`: the parsed config keeps every output a
 * path and moves the options to the model's `prediction_options`.
 */
function liftPredictionOptions<T extends { outputs: { predictions?: string | { path: string } } }>(model: T) {
  const predictions = model.outputs.predictions;
  if (predictions === undefined || typeof predictions === "string") {
    return model as Omit<T, "outputs"> & {
      outputs: Omit<T["outputs"], "predictions"> & { predictions?: string };
      prediction_options?: PredictionOptions;
    };
  }
  const { path, ...options } = predictions;
  return {
    ...model,
    outputs: { ...model.outputs, predictions: path },
    prediction_options: options as PredictionOptions,
  };
}

/**
 * Gates on metrics and gates on importances share the `gates` list in gitml.yaml; the parsed config
 * keeps metric gates in `gates` (each with its `metric`) and moves the others to `importance_gates`.
 */
type MetricGate = Omit<z.output<typeof GateSchema>, "metric" | "importance"> & { metric: string };

function liftImportanceGates<T extends { gates: Array<z.output<typeof GateSchema>> }>(model: T) {
  const gates: MetricGate[] = [];
  const importanceGates: Array<{ importance: ImportanceRule; required: boolean }> = [];
  for (const { importance, metric, ...rest } of model.gates) {
    if (importance !== undefined) importanceGates.push({ importance, required: rest.required });
    else gates.push({ ...rest, metric: metric! });
  }
  return {
    ...model,
    gates,
    ...(importanceGates.length > 0 ? { importance_gates: importanceGates } : {}),
  } as Omit<T, "gates"> & {
    gates: MetricGate[];
    /** Present when the model has any. */
    importance_gates?: typeof importanceGates;
  };
}

const ModelSchema = ModelObjectSchema.superRefine((model, ctx) => {
  model.gates.forEach((gate, index) => {
    if (gate.importance !== undefined && model.outputs.importances === undefined) {
      ctx.addIssue({
        code: "custom",
        message: "an `importance` gate needs the importances file: declare `outputs.importances`",
        path: ["gates", index, "importance"],
      });
    }
  });
})
  .transform(completeModel)
  .transform(liftPredictionOptions)
  .transform(liftImportanceGates);

/**
 * Names are checked by a refinement rather than as the record's key schema because zod skips the value
 * of a record entry whose key is invalid; this way a misnamed model still gets its own problems reported.
 * json-schema.ts restores the name pattern as `propertyNames`.
 */
export const ModelsSchema = z
  .record(z.string(), ModelSchema)
  .superRefine(
    (models, ctx) => {
      // With `when` always true this also runs after a type error, so the value may be anything.
      if (typeof models !== "object" || models === null || Array.isArray(models)) return;
      for (const name of Object.keys(models)) {
        const problem = ModelNameSchema.safeParse(name).error?.issues[0];
        if (problem)
          ctx.addIssue({ code: "custom", message: problem.message, path: [name], params: { atKey: true } });
      }
    },
    { when: () => true },
  )
  .describe("The models in this repository, by GTO name (`dir:name` for a model in a sub-folder).");

const StoreSchema = z
  .strictObject({
    type: z
      .enum(["local", "github"])
      .default("local")
      .describe("`local`: a directory (see `path`); `github`: assets of GitHub Releases. Default local."),
    path: nonEmpty()
      .default(DEFAULT_STORE_PATH)
      .describe(
        `Directory of the local store, relative to the repository root. Default ${DEFAULT_STORE_PATH}.`,
      ),
  })
  .describe("Where registered artifacts are kept.");

export const ConfigSchema = z
  .strictObject({
    models: ModelsSchema,
    store: StoreSchema.default(() => ({ type: "local" as const, path: DEFAULT_STORE_PATH })),
  })
  .describe(
    "gitml configuration (gitml.yaml): models, their gates, stages and monitoring, and the artifact store.",
  );

export type Config = z.output<typeof ConfigSchema>;
/** What a user may write (defaults optional); what json-schema.ts describes. */
export type ConfigInput = z.input<typeof ConfigSchema>;
export type ModelConfig = Config["models"][string];
export type GateConfig = ModelConfig["gates"][number];
export type ImportanceGateConfig = NonNullable<ModelConfig["importance_gates"]>[number];
export type NoRegressionConfig = NonNullable<GateConfig["no_regression"]>;
export type MonitorConfig = NonNullable<ModelConfig["monitor"]>;
export type StoreConfig = Config["store"];
export type OutputsConfig = ModelConfig["outputs"];
