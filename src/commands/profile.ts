import * as fs from "node:fs/promises";
import * as path from "node:path";
import {
  mergeAllProfiles,
  parsePartition,
  profileData,
  profileDataInChunks,
  profileFromJson,
  profileToJson,
  type DatasetProfile,
  type ProfileDataOptions,
  type ProfileProgress,
} from "../monitor";
import { loadConfig, modelConfig } from "../config";
import { checkChunkCount, concatChunkStatistics } from "../monitor/tests/thresholds";
import { UserError } from "../util/errors";
import type { CommandContext } from "./context";

export interface ProfileOptions {
  /** Data files or globs (CSV, TSV, JSON Lines, Parquet). */
  data: string[];
  /**
   * Instead of `data`: this model's `monitor.current` in gitml.yaml (after its `current_command`), what
   * `gitml monitor` compares; with `partition`, one part of it for a matrix of jobs.
   */
  model?: string;
  /** `i/N`: profile only the i-th of N parts, for a matrix of jobs whose profiles are merged. */
  partition?: string;
  /**
   * Also profile the data as this many row ranges and keep, per column and test, each range's statistic
   * against the rest: what `monitor.thresholds: data` needs. One read of the data per chunk.
   */
  chunks?: number | string;
  output?: string;
  /** Rows profiled so far, for a progress display. */
  onProgress?: (progress: ProfileProgress) => void;
}

/** Profiles data into mergeable column statistics (`profile.json`), the input of every drift test. */
export async function profile(
  context: CommandContext,
  options: ProfileOptions,
): Promise<{ profile: DatasetProfile; output?: string }> {
  if (!options.model && options.data.length === 0)
    throw new UserError(
      "give the data to profile (files or globs), or --model <name> for its monitor.current",
    );
  const read: ProfileDataOptions = {
    paths: options.model
      ? [await modelCurrentData(context, options.model, options.data)]
      : options.data.map((p) => path.resolve(context.cwd, p)),
    partition: options.partition === undefined ? undefined : parsePartition(options.partition),
    logger: context.logger,
    onProgress: options.onProgress,
  };
  const result =
    options.chunks === undefined
      ? await profileData(read)
      : await profileDataInChunks({ ...read, chunks: parseChunkCount(options.chunks) });
  return { profile: result, output: await writeProfile(context, result, options.output) };
}

async function modelCurrentData(context: CommandContext, model: string, data: string[]): Promise<string> {
  if (data.length > 0)
    throw new UserError(
      `give data or --model ${model}, not both (--model profiles the model's monitor.current)`,
    );
  const config = await loadConfig({ cwd: context.cwd });
  if (!config)
    throw new UserError(`no gitml.yaml here: --model needs the model's config`, { where: context.cwd });
  // Imported here: the monitor command pulls in the store and the registry, which plain profiling needs not.
  const { currentData } = await import("./monitor");
  return currentData({ root: config.root, config }, model, modelConfig(config, model), context);
}

function parseChunkCount(value: number | string): number {
  const chunks = typeof value === "number" ? value : /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  checkChunkCount(chunks);
  return chunks;
}

/** Merges partition profiles into the profile of the whole data. */
export async function mergeProfileFiles(
  context: CommandContext,
  options: { inputs: string[]; output?: string },
): Promise<{ profile: DatasetProfile; output?: string }> {
  if (options.inputs.length === 0) throw new UserError("give the profiles to merge");
  const profiles = await Promise.all(
    options.inputs.map((file) => readProfileFile(path.resolve(context.cwd, file))),
  );
  const merged = mergeAllProfiles(profiles);
  // Partitions profiled with chunks keep their null samples; if any partition lacks them, none is kept.
  if (profiles.every((p) => p.chunks))
    merged.chunks = profiles.map((p) => p.chunks!).reduce(concatChunkStatistics);
  else if (profiles.some((p) => p.chunks))
    context.logger.warning("some profiles have chunk statistics and some not: the merged profile has none");
  return { profile: merged, output: await writeProfile(context, merged, options.output) };
}

export async function readProfileFile(file: string): Promise<DatasetProfile> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch {
    throw new UserError(`cannot read the profile`, { where: file });
  }
  try {
    return profileFromJson(text, file);
  } catch (error) {
    if (error instanceof SyntaxError)
      throw new UserError(`the profile is not valid JSON (${error.message})`, { where: file });
    throw error;
  }
}

async function writeProfile(
  context: CommandContext,
  profile: DatasetProfile,
  output: string | undefined,
): Promise<string | undefined> {
  if (output === undefined) return undefined;
  const file = path.resolve(context.cwd, output);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, `${profileToJson(profile)}\n`);
  return file;
}
