import * as path from "node:path";
import type { ModelConfig } from "../config";
import { readMetrics } from "../evaluate/metrics";

/** The model's metrics, flattened, for the tag's machine-readable block (so reports need no download). */
export async function loadMetricsSummary(
  root: string,
  model: ModelConfig,
): Promise<Record<string, number> | undefined> {
  if (!model.outputs.metrics) return undefined;
  return readMetrics(path.resolve(root, model.path, model.outputs.metrics));
}
