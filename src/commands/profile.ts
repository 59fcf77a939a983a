import * as fs from "node:fs/promises";
import * as path from "node:path";
import {
  mergeAllProfiles,
  parsePartition,
  profileData,
  profileFromJson,
  profileToJson,
  type DatasetProfile,
} from "../monitor";
import { UserError } from "../util/errors";
import type { CommandContext } from "./context";

export interface ProfileOptions {
  /** Data files or globs (CSV, TSV, JSON Lines, Parquet). */
  data: string[];
  /** `i/N`: profile only the i-th of N parts, for a matrix of jobs whose profiles are merged. */
  partition?: string;
  output?: string;
}

/** Profiles data into mergeable column statistics (`profile.json`), the input of every drift test. */
export async function profile(
  context: CommandContext,
  options: ProfileOptions,
): Promise<{ profile: DatasetProfile; output?: string }> {
  const result = await profileData({
    paths: options.data.map((p) => path.resolve(context.cwd, p)),
    partition: options.partition === undefined ? undefined : parsePartition(options.partition),
    logger: context.logger,
  });
  return { profile: result, output: await writeProfile(context, result, options.output) };
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
