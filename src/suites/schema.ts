/**
 * The `suite` block of a model in gitml.yaml, and the same shape as a standalone suite file that
 * `extends:` pulls in. Expectation names and arguments are Great Expectations' (the `expect_` prefix is
 * optional), so a team can port a GX suite key for key.
 */
import { z } from "zod";
import { PREDICTION_METRIC_NAMES } from "../evaluate/metric-names";
import { testDefaults, type TestName } from "../monitor/tests/stattests";

const nonEmpty = () => z.string().min(1);
const fraction = () => z.number().gt(0).max(1);
const maxShare = (description: string) => z.number().min(0).max(1).default(0).describe(description);

const mostly = fraction()
  .optional()
  .describe(
    "Share of the (non-null) values that must pass, in (0, 1]; default 1 (every value). Great Expectations' `mostly`.",
  );
const required = z
  .boolean()
  .default(true)
  .describe("When true (default) a failure fails the pull request; when false it only warns.");
const column = nonEmpty().describe("The column the expectation is about.");
const minValue = z.number().optional().describe("Lower bound (inclusive unless `strict_min`).");
const maxValue = z.number().optional().describe("Upper bound (inclusive unless `strict_max`).");
const strictMin = z.boolean().default(false).describe("Make `min_value` exclusive.");
const strictMax = z.boolean().default(false).describe("Make `max_value` exclusive.");
const Scalar = z.union([z.string(), z.number(), z.boolean()]);

/** The type names `column_values_to_be_of_type` accepts (GX's backend names map onto these). */
export const EXPECTED_TYPES = [
  "integer",
  "float",
  "number",
  "string",
  "boolean",
  "date",
  "timestamp",
] as const;

function expectation<T extends string, S extends z.ZodRawShape>(name: T, description: string, shape: S) {
  return z
    .strictObject({ expect: z.literal(name), required, ...shape })
    .describe(`expect_${name}: ${description}`);
}

function withBounds<T extends string, S extends z.ZodRawShape>(name: T, description: string, shape: S) {
  return expectation(name, description, {
    ...shape,
    min_value: minValue,
    max_value: maxValue,
    strict_min: strictMin,
    strict_max: strictMax,
  }).superRefine((value, ctx) => {
    const v = value as { min_value?: number; max_value?: number };
    if (v.min_value === undefined && v.max_value === undefined)
      ctx.addIssue({ code: "custom", message: "give `min_value`, `max_value` or both", path: [] });
    else if (v.min_value !== undefined && v.max_value !== undefined && v.min_value > v.max_value)
      ctx.addIssue({
        code: "custom",
        message: `min_value (${v.min_value}) is greater than max_value (${v.max_value}), so nothing can pass`,
        path: ["min_value"],
      });
  });
}

export const ExpectationSchema = z.discriminatedUnion("expect", [
  expectation("column_to_exist", "the column is present.", { column }),
  expectation("table_columns_to_match_set", "the file's columns are exactly (or include) a set.", {
    column_set: z.array(nonEmpty()).min(1).describe("The expected column names."),
    exact_match: z
      .boolean()
      .default(true)
      .describe("True (default): no other column may exist; false: these must exist, others may."),
  }),
  expectation("column_values_to_not_be_null", "no missing values.", { column, mostly }),
  withBounds("column_values_to_be_between", "every non-null value within bounds.", { column, mostly }),
  expectation("column_values_to_be_in_set", "every non-null value is one of a set.", {
    column,
    value_set: z.array(Scalar).min(1).describe("The allowed values."),
    mostly,
  }),
  expectation("column_values_to_be_unique", "no non-null value occurs twice.", { column, mostly }),
  expectation("column_values_to_match_regex", "every non-null value matches a regular expression.", {
    column,
    regex: nonEmpty().describe("A regular expression (RE2 syntax, as DuckDB's regexp_matches); unanchored."),
    mostly,
  }),
  expectation("column_values_to_be_of_type", "the column's values are of a type.", {
    column,
    type_: z
      .enum(EXPECTED_TYPES)
      .describe("integer, float, number (integer or float), string, boolean, date or timestamp."),
  }),
  withBounds("column_value_lengths_to_be_between", "the text length of every non-null value within bounds.", {
    column,
    mostly,
  }),
  withBounds("column_mean_to_be_between", "the column's mean within bounds.", { column }),
  withBounds("column_median_to_be_between", "the column's median within bounds.", { column }),
  expectation("column_quantile_values_to_be_between", "given quantiles each within bounds.", {
    column,
    quantile_ranges: z
      .strictObject({
        quantiles: z.array(z.number().min(0).max(1)).min(1).describe("Quantiles in [0, 1]."),
        value_ranges: z
          .array(z.tuple([z.number().nullable(), z.number().nullable()]))
          .min(1)
          .describe("[min, max] per quantile; null leaves that side open."),
      })
      .refine((q) => q.quantiles.length === q.value_ranges.length, {
        message: "`quantiles` and `value_ranges` must have the same length",
      })
      .describe("Great Expectations' quantile_ranges."),
  }),
  withBounds("table_row_count_to_be_between", "the file's row count within bounds.", {}),
]);

export type Expectation = z.output<typeof ExpectationSchema>;
export type ExpectationName = Expectation["expect"];

/** `expect_column_to_exist` and `column_to_exist` both name the same expectation. */
const ExpectationInputSchema = z.preprocess(
  (value) =>
    value &&
    typeof value === "object" &&
    !Array.isArray(value) &&
    typeof (value as { expect?: unknown }).expect === "string"
      ? { ...value, expect: (value as { expect: string }).expect.replace(/^expect_/, "") }
      : value,
  ExpectationSchema,
);

const SliceMetricSchema = z.enum(PREDICTION_METRIC_NAMES);

export const FAIRNESS_MEASURES = [
  "demographic_parity_difference",
  "demographic_parity_ratio",
  "equalized_odds_difference",
  "equalized_odds_ratio",
] as const;
export type FairnessMeasure = (typeof FAIRNESS_MEASURES)[number];

const BoundSchema = z
  .strictObject({
    min: z.number().optional().describe("Fail below this value."),
    max: z.number().optional().describe("Fail above this value."),
    required,
  })
  .refine((b) => b.min !== undefined || b.max !== undefined, { message: "give `min`, `max` or both" });

export const SlicesSchema = z
  .strictObject({
    columns: z
      .array(nonEmpty())
      .min(1)
      .optional()
      .describe(
        "Segment columns of the predictions file; every value of each column is one slice. Required once the suites are merged: a suite extending another may leave it to the base.",
      ),
    metrics: z
      .array(SliceMetricSchema)
      .min(1)
      .optional()
      .describe(
        "Metrics computed per slice. Default: accuracy and f1 (classification) or mae and rmse (regression).",
      ),
    min_rows: z
      .int()
      .min(1)
      .default(30)
      .describe("Slices with fewer rows are shown but not gated (too few rows to judge). Default 30."),
    weakest: z
      .int()
      .min(0)
      .default(3)
      .describe("How many weakest slices per column the report lists. Default 3."),
    min: z
      .partialRecord(SliceMetricSchema, z.number())
      .optional()
      .describe("Per-slice minimum of a metric (maximum for lower-is-better metrics such as mae)."),
    max_gap: z
      .partialRecord(SliceMetricSchema, z.number().min(0))
      .optional()
      .describe("Largest allowed difference of a metric between the best and the worst slice of a column."),
    fairness: z
      .partialRecord(z.enum(FAIRNESS_MEASURES), BoundSchema)
      .optional()
      .describe(
        "Fairlearn's between-group measures over each slice column (binary classification): demographic parity difference/ratio, equalized odds difference/ratio, each with `min`/`max`.",
      ),
    required,
  })
  .describe("Per-segment metrics of the predictions, their gates, and fairness measures.");

export const TrainTestSchema = z
  .strictObject({
    train: nonEmpty().default("train").describe("Data name of the training set. Default `train`."),
    test: nonEmpty().default("test").describe("Data name of the test set. Default `test`."),
    label: nonEmpty().optional().describe("The label column, for the label drift check."),
    new_categories: z
      .strictObject({
        max_share: maxShare("Largest share of test rows with a category unseen in training. Default 0."),
        required,
      })
      .optional()
      .describe("Categories in the test set that training never saw, per categorical column."),
    label_drift: z
      .strictObject({
        test: z
          .enum(Object.keys(testDefaults) as [TestName, ...TestName[]])
          .optional()
          .describe("Drift test (default: chosen as monitoring does)."),
        threshold: z.number().min(0).optional().describe("The test's threshold (default: the test's own)."),
        required,
      })
      .optional()
      .describe("Distribution drift of the label between train and test, with monitoring's drift tests."),
    leakage: z
      .strictObject({
        max_share: maxShare("Largest share of test rows that also occur in train. Default 0."),
        ignore_columns: z
          .array(nonEmpty())
          .optional()
          .describe("Columns left out of the comparison, such as a row id that makes every row unique."),
        required,
      })
      .optional()
      .describe(
        "Test rows identical to a training row (over the columns both files share, less `ignore_columns`).",
      ),
    size_ratio: z
      .strictObject({
        min: z.number().min(0).optional().describe("Smallest allowed test rows / train rows."),
        max: z.number().min(0).optional().describe("Largest allowed test rows / train rows."),
        required,
      })
      .refine((b) => b.min !== undefined || b.max !== undefined, { message: "give `min`, `max` or both" })
      .optional()
      .describe("Test set size relative to the training set."),
  })
  .describe(
    "Checks between the training and the test set. Each check runs when its key is present; `{}` for a check takes its defaults.",
  );

export const SharedSuiteRefSchema = z
  .union([
    nonEmpty().describe("A suite file in this repository, relative to the repository root."),
    z
      .strictObject({
        repo: nonEmpty().describe("Another repository: `owner/name` (on GitHub) or a git URL."),
        ref: nonEmpty().describe("The tag, branch or commit to use; a tag or commit keeps the suite pinned."),
        path: nonEmpty().describe("The suite file inside that repository."),
      })
      .describe("A suite file in another repository at a ref, fetched with git and cached."),
  ])
  .describe("A suite to include.");

export const SuiteSchema = z
  .strictObject({
    extends: z
      .array(SharedSuiteRefSchema)
      .optional()
      .describe("Suites this one builds on, applied in order; this suite's own keys override theirs."),
    data: z
      .record(nonEmpty(), nonEmpty())
      .optional()
      .describe(
        "Data files the checks read, by name, relative to the model's `path` (CSV, TSV, JSON Lines or Parquet; a glob reads several). `predictions` and `reference` default to the model's outputs of those names.",
      ),
    expectations: z
      .record(nonEmpty(), z.array(ExpectationInputSchema))
      .optional()
      .describe(
        "Great Expectations-style expectations, per data name: `train: [{ expect: column_values_to_not_be_null, column: age, mostly: 0.99 }]`.",
      ),
    slices: SlicesSchema.optional(),
    train_test: TrainTestSchema.optional(),
  })
  .describe("Test suite run by `gitml evaluate`: data expectations, slices and fairness, train/test checks.");

/** `slices` once the suites are merged: the slice columns must be known by then. */
export const MergedSlicesSchema = SlicesSchema.required({ columns: true });

/** The suite after `extends` are merged: what the checks run from. */
export const MergedSuiteSchema = SuiteSchema.extend({ slices: MergedSlicesSchema.optional() });

export type SuiteConfig = z.output<typeof SuiteSchema>;
export type SuiteInput = z.input<typeof SuiteSchema>;
export type SlicesConfig = z.output<typeof MergedSlicesSchema>;
export type TrainTestConfig = z.output<typeof TrainTestSchema>;
export type SharedSuiteRef = z.output<typeof SharedSuiteRefSchema>;
