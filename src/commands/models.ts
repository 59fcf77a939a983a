import * as path from "node:path";
import { didYouMean, loadConfig, type ModelConfig } from "../config";
import { UserError } from "../util/errors";
import { gitOf } from "./command-git";
import type { CommandContext } from "./context";

export interface ModelsOptions {
  /** Only the models a change since this ref touches (their folder, or gitml.yaml itself). */
  since?: string;
  /** The other end of the change; default HEAD. */
  until?: string;
  /** Only these models (space- or comma-separated names); an unknown name is a user error. */
  only?: string;
  /** Only models with a `monitor` block. */
  monitored?: boolean;
}

export interface ListedModel {
  name: string;
  path: string;
  monitored: boolean;
}

/**
 * The models gitml.yaml declares, narrowed as a workflow needs them: the ones a pull request or push
 * touches (a matrix of jobs), the ones named, or the monitored ones.
 */
export async function models(context: CommandContext, options: ModelsOptions = {}): Promise<ListedModel[]> {
  // Only the configuration: no registry, no store (listing models needs no token).
  const git = gitOf(context);
  const root = await git.topLevel();
  const config = await loadConfig({ cwd: root });
  if (!config) throw new UserError(`no gitml.yaml in ${root} (gitml init writes one)`);
  const project = { root, config };
  const declared = Object.entries(config.config.models) as Array<[string, ModelConfig]>;
  let picked = declared;
  const wanted = (options.only ?? "").split(/[\s,]+/).filter(Boolean);
  if (wanted.length > 0) {
    const names = declared.map(([name]) => name);
    const unknown = wanted.filter((name) => !names.includes(name));
    if (unknown.length > 0) {
      throw new UserError(
        `not in gitml.yaml: ${unknown.join(", ")} (its models: ${names.join(", ") || "none"})${didYouMean(unknown[0]!, names)}`,
        { where: project.config.file },
      );
    }
    picked = declared.filter(([name]) => wanted.includes(name));
  } else if (options.since !== undefined) {
    const changed = await git.changedFiles(options.since, options.until ?? "HEAD");
    const configFile = path.relative(project.root, project.config.file).split(path.sep).join("/");
    if (!changed.includes(configFile)) {
      picked = declared.filter(([, model]) => {
        const folder = model.path.replace(/^\.\/|\/+$/g, "");
        return (
          folder === "" ||
          folder === "." ||
          changed.some((file) => file === folder || file.startsWith(`${folder}/`))
        );
      });
    }
  }
  if (options.monitored) picked = picked.filter(([, model]) => model.monitor !== undefined);
  return picked.map(([name, model]) => ({ name, path: model.path, monitored: model.monitor !== undefined }));
}
