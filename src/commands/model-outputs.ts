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
import { IMPORTANCES_FILE, importancesToJson, type Importances } from "../evaluate/importances";
import { readImportancesFile } from "../evaluate/importances-file";
import { profileData, profileDataInChunks, profileToJson, type DatasetProfile } from "../monitor";
import { DEFAULT_CHUNKS } from "../monitor/tests/thresholds";
import { collectModelArtifacts } from "../store/collect";
import { sha256File, type Digest } from "../store/digest";
import type { ArtifactInput } from "../store/types";
import { UserError } from "../util/errors";
import type { Logger } from "../util/logger";

export interface ModelOutputs {
  /**
   * Every declared output, plus `profile.json` (the reference data's profile) when there is reference data
   * and `importances.json` (the importances, normalised) when the model declares them.
   */
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
  /** `outputs.importances`, checked and normalised (stored as `importances.json`). */
  importances?: Importances;
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
  if (!model.outputs.reference && !model.outputs.importances)
    return { files, metrics, predictions, predictionTable, cleanup: async () => {} };

  const kept = options.profileDir !== undefined;
  const scratch = options.profileDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), "gitml-profile-")));
  await fs.mkdir(scratch, { recursive: true });
  const cleanup = kept ? async () => {} : () => fs.rm(scratch, { recursive: true, force: true });
  try {
    const generated: ArtifactInput[] = [];
    let profile: DatasetProfile | undefined;
    let dataFingerprint: Digest | undefined;
    if (model.outputs.reference) {
      const referencePath = path.resolve(modelDir, model.outputs.reference);
      await options.prepareDataEngine?.();
      // With data-driven drift thresholds the reference is profiled in chunks, whose statistics it keeps.
      const monitorConfig = model.monitor;
      profile =
        monitorConfig?.thresholds === "data"
          ? await profileDataInChunks({
              paths: [referencePath],
              chunks: monitorConfig.chunks ?? DEFAULT_CHUNKS,
              logger: options.logger,
            })
          : await profileData({ paths: [referencePath], logger: options.logger });
      const profileFile = path.join(scratch, "profile.json");
      await fs.writeFile(profileFile, `${profileToJson(profile)}\n`);
      generated.push({ source: profileFile, path: "profile.json", role: "profile" });
      dataFingerprint = (await sha256File(referencePath)).digest;
    }
    let importances: Importances | undefined;
    if (model.outputs.importances) {
      importances = await readDeclaredImportances(options, profile);
      const importancesFile = path.join(scratch, IMPORTANCES_FILE);
      await fs.writeFile(importancesFile, importancesToJson(importances));
      generated.push({ source: importancesFile, path: IMPORTANCES_FILE, role: "importances" });
    }
    return {
      files: [...files, ...generated],
      metrics,
      predictions,
      predictionTable,
      importances,
      ...(dataFingerprint ? { dataFingerprint } : {}),
      cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/**
 * `outputs.importances`, read and checked: every feature must be a column of the reference data (when
 * there is any), so a report never ranks a feature the model was not trained on.
 */
async function readDeclaredImportances(
  options: { root: string; name: string; model: ModelConfig; configFile: string },
  reference: DatasetProfile | undefined,
): Promise<Importances> {
  const { root, model, name } = options;
  const relative = model.outputs.importances!;
  const file = path.resolve(root, model.path, relative);
  const isFile = await fs.stat(file).then(
    (stat) => stat.isFile(),
    () => false,
  );
  if (!isFile) {
    throw new UserError(
      `models.${name}.outputs.importances is '${relative}', but ${path.relative(root, file) || "."} is not a file (did the train command run?)`,
      { where: options.configFile },
    );
  }
  return readImportancesFile(file, {
    name: path.relative(root, file),
    columns: reference?.columns.map((column) => column.name),
    columnsFrom: model.outputs.reference,
  });
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
