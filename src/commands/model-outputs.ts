import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import type { ModelConfig } from "../config";
import { readMetrics } from "../evaluate/metrics";
import {
  combineMetrics,
  computePredictionMetrics,
  predictionMetricsFromFile,
  readPredictions,
  type PredictionMetricsOptions,
  type PredictionMetricsResult,
  type PredictionTable,
} from "../evaluate/predictions";
import { profileData, profileDataInChunks, profileToJson } from "../monitor";
import { DEFAULT_CHUNKS } from "../monitor/tests/thresholds";
import { collectModelArtifacts } from "../store/collect";
import { sha256File, type Digest } from "../store/digest";
import type { ArtifactInput } from "../store/types";
import { UserError } from "../util/errors";
import type { Logger } from "../util/logger";

export interface ModelOutputs {
  /** Every declared output, plus `profile.json` (the reference data's profile) when there is reference data. */
  files: ArtifactInput[];
  /**
   * The flattened metrics, for the tag's metadata block and the report: those computed from
   * `outputs.predictions` with the metrics file's on top (the file wins on a name clash).
   */
  metrics?: Record<string, number>;
  /** What was computed from `outputs.predictions` (task, confusion matrix, metrics left out and why). */
  predictions?: PredictionMetricsResult;
  /** The parsed predictions (with the requested segment columns), for slicing. */
  predictionTable?: PredictionTable;
  /** sha256 of the reference data. */
  dataFingerprint?: Digest;
  /** Removes the generated files; call when the files have been stored or uploaded. */
  cleanup(): Promise<void>;
}

/**
 * A trained model's outputs as the artifacts a version is made of. The reference profile is made here, at
 * training time, so that monitoring later compares production data with exactly what the model saw.
 */
export async function readModelOutputs(options: {
  root: string;
  name: string;
  model: ModelConfig;
  configFile: string;
  logger: Logger;
  /** Where to write profile.json to keep it (a report folder); default a temporary folder. */
  profileDir?: string;
  /** Columns of the predictions file to keep beside the labels (a suite's slice columns). */
  segments?: readonly string[];
  /** Called before the reference data is profiled (see CommandContext.prepareDataEngine). */
  prepareDataEngine?: () => Promise<void>;
}): Promise<ModelOutputs> {
  const { root, model } = options;
  const modelDir = path.resolve(root, model.path);
  const files = await collectModelArtifacts({
    root,
    modelName: options.name,
    model,
    configFile: options.configFile,
  });
  const fileMetrics = model.outputs.metrics
    ? await readMetrics(path.resolve(modelDir, model.outputs.metrics), { logger: options.logger })
    : undefined;
  const computed = await computedMetrics(options);
  const predictions = computed?.result;
  const predictionTable = computed?.table;
  const metrics = combineMetrics(fileMetrics, predictions?.metrics);
  if (!model.outputs.reference)
    return { files, metrics, predictions, predictionTable, cleanup: async () => {} };

  const referencePath = path.resolve(modelDir, model.outputs.reference);
  const kept = options.profileDir !== undefined;
  const scratch = options.profileDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), "gitml-profile-")));
  await fs.mkdir(scratch, { recursive: true });
  const cleanup = kept ? async () => {} : () => fs.rm(scratch, { recursive: true, force: true });
  try {
    await options.prepareDataEngine?.();
    // With data-driven drift thresholds the reference is profiled in chunks, whose statistics it keeps.
    const monitorConfig = model.monitor;
    const profile =
      monitorConfig?.thresholds === "data"
        ? await profileDataInChunks({
            paths: [referencePath],
            chunks: monitorConfig.chunks ?? DEFAULT_CHUNKS,
            logger: options.logger,
          })
        : await profileData({ paths: [referencePath], logger: options.logger });
    const profileFile = path.join(scratch, "profile.json");
    await fs.writeFile(profileFile, `${profileToJson(profile)}\n`);
    const fingerprint = (await sha256File(referencePath)).digest;
    return {
      files: [...files, { source: profileFile, path: "profile.json", role: "profile" }],
      metrics,
      predictions,
      predictionTable,
      dataFingerprint: fingerprint,
      cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

async function computedMetrics(options: {
  root: string;
  name: string;
  model: ModelConfig;
  configFile: string;
  logger: Logger;
  segments?: readonly string[];
}): Promise<{ result: PredictionMetricsResult; table?: PredictionTable } | undefined> {
  const { root, model, name } = options;
  const relative = model.outputs.predictions;
  if (relative === undefined) return undefined;
  const file = path.resolve(root, model.path, relative);
  const exists = await fs.stat(file).then(
    (stat) => stat.isFile(),
    () => false,
  );
  if (!exists) {
    throw new UserError(
      `models.${name}.outputs.predictions is '${relative}', but ${path.relative(root, file) || "."} is not a file (did the train command run?)`,
      { where: options.configFile },
    );
  }
  // Slices need every row's segments in memory; the metrics alone are computed from columns read as a
  // stream (memory bounded at 10M rows, see readPredictionVectors).
  const table = options.segments ? await readPredictions(file, { segments: options.segments }) : undefined;
  const result = table
    ? computePredictionMetrics(table, predictionMetricsOptions(model))
    : await predictionMetricsFromFile(file, predictionMetricsOptions(model));
  for (const { metric, reason } of result.omitted) {
    options.logger.debug(`${relative}: ${metric} not computed: ${reason}`);
  }
  return { result, table };
}

/** The model's `outputs.predictions` options as the metrics computation takes them. */
export function predictionMetricsOptions(model: ModelConfig): PredictionMetricsOptions {
  const options = model.prediction_options;
  return { task: options?.task, positiveClass: options?.positive_class, classes: options?.classes };
}
