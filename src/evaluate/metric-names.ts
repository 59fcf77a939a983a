/**
 * The metrics gitml computes from labels and predictions (src/evaluate/predictions.ts). A module of its own
 * so that the config schema can name them without loading the predictions reader.
 */
export const PREDICTION_METRIC_NAMES = [
  "accuracy",
  "precision",
  "recall",
  "f1",
  "precision_macro",
  "recall_macro",
  "f1_macro",
  "precision_weighted",
  "recall_weighted",
  "f1_weighted",
  "roc_auc",
  "log_loss",
  "mae",
  "rmse",
  "r2",
] as const;

export type PredictionMetricName = (typeof PREDICTION_METRIC_NAMES)[number];
