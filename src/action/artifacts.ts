/**
 * Workflow artifacts through @actions/artifact, loaded only when an upload happens: it is the heaviest
 * dependency of the bundle, and most of its code is never needed before the first API call.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import type { Logger } from "../util/logger";

export interface StagedFile {
  /** Where the bytes are now. */
  source: string;
  /** Its path inside the artifact (POSIX separators). */
  path: string;
}

export interface UploadedArtifact {
  id: number;
  name: string;
  size: number;
  digest: string | undefined;
}

/** Artifact names may not contain these (actions/toolkit's validation), nor path separators. */
export function artifactNameFor(prefix: string, model: string): string {
  return `${prefix}-${model.replace(/[":<>|*?\r\n\\/]/g, "-")}`;
}

/** True when the runner gave this job access to the artifact service (not, e.g., under `act`). */
export function artifactServiceAvailable(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.ACTIONS_RUNTIME_TOKEN && env.ACTIONS_RESULTS_URL);
}

/**
 * Copies (hard-links when possible) the files into a fresh folder laid out as the artifact, adds the
 * extra generated files, and uploads the folder as one artifact.
 */
export async function uploadFiles(options: {
  name: string;
  files: StagedFile[];
  generated?: Record<string, string>;
  stagingRoot: string;
  retentionDays?: number;
  logger: Logger;
}): Promise<UploadedArtifact> {
  const staging = await fs.mkdtemp(path.join(options.stagingRoot, "gitml-artifact-"));
  try {
    const staged: string[] = [];
    for (const file of options.files) {
      const target = path.join(staging, ...file.path.split("/"));
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.link(file.source, target).catch(() => fs.copyFile(file.source, target));
      staged.push(target);
    }
    for (const [relative, content] of Object.entries(options.generated ?? {})) {
      const target = path.join(staging, ...relative.split("/"));
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.writeFile(target, content);
      staged.push(target);
    }
    const { DefaultArtifactClient } = await import("@actions/artifact");
    const client = new DefaultArtifactClient();
    const result = await client.uploadArtifact(options.name, staged, staging, {
      ...(options.retentionDays !== undefined ? { retentionDays: options.retentionDays } : {}),
    });
    if (result.id === undefined) throw new Error(`uploading the artifact ${options.name} returned no id`);
    options.logger.info(`Uploaded artifact ${options.name} (id ${result.id}, ${result.size ?? 0} bytes).`);
    return { id: result.id, name: options.name, size: result.size ?? 0, digest: result.digest };
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}
