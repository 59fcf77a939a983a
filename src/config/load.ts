/**
 * Reading `gitml.yaml`: YAML document -> zod -> typed Config, with every problem reported as
 * `file:line:col: key.path: what was expected, what was found`, all of them at once, one per line.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { UserError } from "../util/errors";
import { ConfigSchema, NEW_VERSION } from "./schema";
import type { Config, ModelConfig } from "./schema";
import { didYouMean } from "../util/suggest";
import { readYaml, validateYaml } from "../util/yaml";
import { exists } from "../util/fs";

// The YAML error reporter lives in util/ (suites read YAML too); config keeps exporting its vocabulary.
export {
  ConfigError,
  formatPath,
  formatProblem,
  readYaml,
  validateYaml,
  type ConfigProblem,
  type YamlSource,
} from "../util/yaml";

export const CONFIG_FILE_NAMES = ["gitml.yaml", "gitml.yml"] as const;

export interface LoadedConfig {
  /** Absolute path of the file read. */
  file: string;
  /** The folder holding the file (the repository root); model paths are relative to it. */
  root: string;
  config: Config;
}

/** Parses and validates config text; `file` is the name used in messages. Throws ConfigError. */
export function parseConfig(text: string, file: string): Config {
  return validateYaml(readYaml(text, file), ConfigSchema, {
    emptyMessage: "the file is empty: expected a mapping with at least `models`",
  });
}

/**
 * Finds and parses `gitml.yaml` (then `gitml.yml`) in `cwd`, or `file` when given (relative to cwd).
 * Undefined when there is no config: registry verbs work without one.
 */
export async function loadConfig(options: { cwd: string; file?: string }): Promise<LoadedConfig | undefined> {
  const cwd = path.resolve(options.cwd);
  let file: string;
  if (options.file !== undefined) {
    file = path.resolve(cwd, options.file);
    if (!(await exists(file))) throw new UserError(`config file not found: ${options.file}`, { where: file });
  } else {
    const present: string[] = [];
    for (const name of CONFIG_FILE_NAMES) {
      if (await exists(path.join(cwd, name))) present.push(name);
    }
    if (present.length === 0) return undefined;
    if (present.length > 1) {
      throw new UserError(`both ${present.join(" and ")} exist; keep one so it is clear which applies`, {
        where: cwd,
      });
    }
    file = path.join(cwd, present[0] as string);
  }
  const text = await readFile(file, "utf8");
  const shown = path.relative(cwd, file);
  const display = shown.startsWith("..") || path.isAbsolute(shown) ? file : shown;
  return { file, root: path.dirname(file), config: parseConfig(text, display) };
}

/** The named model's config, or a UserError listing the configured names. */
export function modelConfig(loaded: LoadedConfig, name: string): ModelConfig {
  const model = loaded.config.models[name];
  if (model !== undefined) return model;
  const names = Object.keys(loaded.config.models);
  const list = names.length === 0 ? "no models are configured" : `configured models: ${names.join(", ")}`;
  throw new UserError(
    `model \`${name}\` is not in ${path.basename(loaded.file)} (${list})${didYouMean(name, names)}`,
    {
      where: loaded.file,
    },
  );
}

export function firstStage(model: ModelConfig): string {
  const stage = model.stages[0];
  if (stage === undefined) throw new Error("schema guarantees at least one stage");
  return stage;
}

/** The sources (stages, or `new`) a version may be promoted from into `toStage`. */
export function promotionSources(
  model: ModelConfig,
  toStage: string,
  options: { model?: string } = {},
): string[] {
  checkStage(model, toStage, options.model);
  return model.promotions[toStage] ?? [];
}

/**
 * Whether a version whose furthest stage is `fromStage` (undefined: it holds no stage yet) may be
 * promoted to `toStage`. Moving to a stage the version already reached is always allowed, which is
 * what a rollback does. Unknown stages are a UserError.
 */
export function isPromotionAllowed(
  model: ModelConfig,
  fromStage: string | undefined,
  toStage: string,
  options: { model?: string } = {},
): boolean {
  const sources = promotionSources(model, toStage, options);
  if (fromStage === undefined) return sources.includes(NEW_VERSION);
  checkStage(model, fromStage, options.model);
  return fromStage === toStage || sources.includes(fromStage);
}

/** Throws a UserError naming the allowed transitions when `isPromotionAllowed` says no. */
export function assertPromotionAllowed(
  model: ModelConfig,
  fromStage: string | undefined,
  toStage: string,
  options: { model?: string } = {},
): void {
  if (isPromotionAllowed(model, fromStage, toStage, options)) return;
  const from = fromStage === undefined ? "a version with no stage" : `\`${fromStage}\``;
  const sources = promotionSources(model, toStage).map((source) =>
    source === NEW_VERSION ? "a version with no stage" : `\`${source}\``,
  );
  const into =
    sources.length === 0 ? "nothing may be promoted into it" : `allowed from: ${sources.join(", ")}`;
  throw new UserError(
    `${modelLabel(options.model)}cannot promote from ${from} to \`${toStage}\`: ${into}` +
      ` (allowed transitions: ${describePromotions(model)})`,
  );
}

/** `new -> staging, staging -> production`: the rules in one line, for messages. */
export function describePromotions(model: ModelConfig): string {
  return model.stages
    .flatMap((stage) => (model.promotions[stage] ?? []).map((source) => `${source} -> ${stage}`))
    .join(", ");
}

function checkStage(model: ModelConfig, stage: string, modelName: string | undefined): void {
  if (model.stages.includes(stage)) return;
  throw new UserError(
    `${modelLabel(modelName)}unknown stage \`${stage}\`; configured stages: ${model.stages.join(", ")}` +
      didYouMean(stage, model.stages),
  );
}

const modelLabel = (name: string | undefined) => (name === undefined ? "" : `model \`${name}\`: `);
