import * as fs from "node:fs/promises";
import * as path from "node:path";
import { UserError } from "../util/errors";
import type { ArtifactInput } from "./types";

/**
 * What the store needs of a model's configuration: its folder and declared outputs (a structural slice of
 * config's ModelConfig, so the store sits below config in the layers).
 */
export interface ModelOutputPaths {
  path: string;
  outputs: { model: string; metrics?: string; params?: string; reference?: string };
}

/**
 * The files a model's `outputs` declare, as they will be stored: the model (a file or a whole folder)
 * under `model/`, and each other declared output under its role's name. Paths in gitml.yaml are
 * relative to the model's `path`, which is relative to the repository root.
 */
export async function collectModelArtifacts(options: {
  root: string;
  modelName: string;
  model: ModelOutputPaths;
  configFile: string;
}): Promise<ArtifactInput[]> {
  const { root, model, modelName } = options;
  const modelDir = path.resolve(root, model.path);
  const declared: Array<{ key: string; role: ArtifactInput["role"]; relative?: string; folder: string }> = [
    { key: "model", role: "model", relative: model.outputs.model, folder: "model" },
    { key: "metrics", role: "metrics", relative: model.outputs.metrics, folder: "metrics" },
    { key: "params", role: "params", relative: model.outputs.params, folder: "params" },
    { key: "reference", role: "reference", relative: model.outputs.reference, folder: "reference" },
  ];
  const inputs: ArtifactInput[] = [];
  for (const { key, role, relative, folder } of declared) {
    if (relative === undefined) continue;
    const source = path.resolve(modelDir, relative);
    const stat = await fs.stat(source).catch(() => undefined);
    if (!stat) {
      throw new UserError(
        `models.${modelName}.outputs.${key} is '${relative}', but ${path.relative(root, source) || "."} does not exist (did the train command run?)`,
        { where: options.configFile },
      );
    }
    if (stat.isDirectory()) {
      for (const file of await listFiles(source)) {
        inputs.push({ source: path.join(source, file), path: `${folder}/${file}`, role });
      }
    } else {
      inputs.push({ source, path: `${folder}/${path.basename(source)}`, role });
    }
  }
  return inputs;
}

/** Every file below a folder, as sorted POSIX-style relative paths. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join("/"))
    .sort();
}
