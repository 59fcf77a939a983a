/**
 * The structured PR report as JSON (schema-checked): what a fork's read-only run saves for the trusted
 * follow-up job, which renders it with the same renderer and escaping as every other report instead of
 * posting markdown someone else wrote. Every field is data; nothing in it is shown unescaped.
 */
import { z } from "zod";
import type { EvaluationReport } from "./types";

const finite = z.number().finite();
const metrics = z.record(z.string(), finite);
const paramValue = z.union([z.string(), finite, z.boolean(), z.null(), z.array(z.unknown()).readonly()]);
const params = z.record(z.string(), paramValue);
const direction = z.enum(["higher", "lower"]);
const share = finite.min(0).max(1);
const cell = z.union([z.string(), finite, z.boolean(), z.null()]);

const GateResultSchema = z.object({
  metric: z.string(),
  rule: z.string(),
  passed: z.boolean(),
  severity: z.enum(["error", "warning"]),
  skipped: z.string().optional(),
  candidate: finite.optional(),
  baseline: finite.optional(),
  direction,
  detail: z.string(),
});

const CheckResultSchema = z.object({
  id: z.string(),
  kind: z.enum(["expectation", "slice", "fairness", "train_test"]),
  name: z.string(),
  suite: z.string(),
  data: z.string().optional(),
  column: z.string().optional(),
  status: z.enum(["pass", "fail", "error"]),
  severity: z.enum(["error", "warning"]),
  observed: finite.optional(),
  rule: z.string(),
  detail: z.string(),
  failingFraction: finite.optional(),
  examples: z.array(cell).max(5).optional(),
});

const SliceTableSchema = z.object({
  column: z.string(),
  metrics: z.array(z.string()),
  rows: z.array(
    z.object({
      value: z.string(),
      rows: z.number().int().nonnegative(),
      metrics: z.record(z.string(), finite.nullable()),
      weakest: z.boolean(),
      small: z.boolean(),
    }),
  ),
  fairness: z.record(z.string(), finite).optional(),
});

export const EvaluationReportSchema = z.object({
  model: z.string().min(1),
  marker: z.string(),
  compareTo: z.string(),
  candidate: z.object({
    version: z.string(),
    digest: z.string().optional(),
    metrics,
    params: params.optional(),
  }),
  baseline: z
    .object({ version: z.string(), stage: z.string(), metrics, params: params.optional() })
    .optional(),
  gates: z.object({
    overall: z.enum(["pass", "fail"]),
    gates: z.array(GateResultSchema),
    failed: z.number().int().nonnegative(),
    warned: z.number().int().nonnegative(),
  }),
  comparison: z.array(
    z.object({
      name: z.string(),
      candidate: finite.optional(),
      baseline: finite.optional(),
      delta: finite.optional(),
      deltaPct: finite.optional(),
      direction,
      better: z.boolean().optional(),
      gated: z.boolean(),
    }),
  ),
  paramsDiff: z
    .array(
      z.object({
        key: z.string(),
        candidate: paramValue.optional(),
        baseline: paramValue.optional(),
        change: z.enum(["added", "removed", "changed", "same"]),
      }),
    )
    .optional(),
  trend: z.array(z.object({ version: z.string(), metrics })),
  links: z.object({ runUrl: z.string().optional(), fullReportUrl: z.string().optional() }),
  fingerprints: z.record(z.string(), z.string()).optional(),
  suite: z
    .object({
      checks: z.array(CheckResultSchema),
      slices: z.array(SliceTableSchema),
      sources: z.array(z.object({ name: z.string(), commit: z.string().optional() })),
    })
    .optional(),
  confusionMatrix: z
    .object({ labels: z.array(z.string()), matrix: z.array(z.array(z.number().int().nonnegative())) })
    .optional(),
  importances: z
    .object({
      k: z.number().int().positive().max(100),
      method: z.string().optional(),
      candidateFeatures: z.number().int().nonnegative(),
      rows: z
        .array(
          z.object({
            feature: z.string(),
            candidateRank: z.number().int().positive().optional(),
            candidateShare: share.optional(),
            candidateMeanAbsShap: finite.min(0).optional(),
            baselineRank: z.number().int().positive().optional(),
            baselineShare: share.optional(),
            entered: z.boolean(),
            left: z.boolean(),
          }),
        )
        .max(200),
      hasBaseline: z.boolean(),
    })
    .optional(),
}) satisfies z.ZodType<EvaluationReport>;

/** What a read-only (fork) run saves as `report.json` in the `gitml-report-<model>` artifact. */
export const FORK_REPORT_SCHEMA = "gitml.fork-report/v1";

export const ForkReportSchema = z.object({
  schema: z.literal(FORK_REPORT_SCHEMA),
  repository: z.string(),
  pr: z.number().int().positive(),
  headSha: z.string().regex(/^[0-9a-f]{40,64}$/),
  runId: z.number().int().positive(),
  model: z.string().min(1),
  marker: z.string(),
  report: EvaluationReportSchema,
});
export type ForkReport = z.infer<typeof ForkReportSchema>;
