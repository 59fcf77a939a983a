/**
 * The reviewed candidate, fetched from the pull request's evaluation run with @actions/artifact's
 * cross-run download: the files `evaluate` uploaded, and the digest its report published.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { z } from "zod";
import type { Candidate, CandidateSource, MergedPullRequest } from "../commands/register-on-merge";
import type { GitHubClient } from "../github/client";
import { findEvaluationRun } from "../github/runs";
import { isDigest } from "../store/digest";
import { FILE_ROLES, safeRelativePath } from "../store/manifest";
import { UserError } from "../util/errors";
import type { Logger } from "../util/logger";
import { artifactNameFor } from "./artifacts";

export const CANDIDATE_ARTIFACT_PREFIX = "gitml-candidate";

const CandidateManifestSchema = z.object({
  model: z.string(),
  candidateDigest: z.string().refine(isDigest, "must be sha256:<hex>"),
  runUrl: z.string().optional(),
  // The artifact is untrusted: a path must never lead the release job outside the download folder.
  files: z.array(z.object({ path: safeRelativePath, role: z.enum(FILE_ROLES) })),
  gates: z
    .array(
      z.object({ metric: z.string(), rule: z.string(), passed: z.boolean(), detail: z.string().optional() }),
    )
    .optional(),
});

export class ArtifactCandidateSource implements CandidateSource {
  constructor(
    private readonly options: {
      octokit: GitHubClient;
      token: string;
      owner: string;
      repo: string;
      /** The workflow (file name or id) whose pull_request runs evaluate and upload candidates. */
      workflow: string;
      logger: Logger;
      /** How long to wait for an evaluation still running when the pull request was merged. */
      waitMs?: number;
    },
  ) {}

  async find(request: {
    model: string;
    pull: MergedPullRequest;
    into: string;
  }): Promise<Candidate | undefined> {
    const { octokit, owner, repo, logger } = this.options;
    const name = artifactNameFor(CANDIDATE_ARTIFACT_PREFIX, request.model);
    const run = await findEvaluationRun({
      octokit,
      owner,
      repo,
      workflow: this.options.workflow,
      headSha: request.pull.headSha,
      model: request.model,
      pullLabel: `PR #${request.pull.number}`,
      logger,
      waitMs: this.options.waitMs,
    });
    if (!run) {
      logger.warning(
        `no run of ${this.options.workflow} evaluated ${request.model} for PR #${request.pull.number}'s head ${request.pull.headSha.slice(0, 12)}`,
      );
      return undefined;
    }
    const { DefaultArtifactClient } = await import("@actions/artifact");
    const client = new DefaultArtifactClient();
    const findBy = {
      token: this.options.token,
      workflowRunId: run.runId,
      repositoryOwner: owner,
      repositoryName: repo,
    };
    let artifactId: number;
    try {
      // A re-run uploads the same name again: the newest (highest id) is the latest attempt's.
      artifactId = (await client.getArtifact(name, { findBy })).artifact.id;
      await client.downloadArtifact(artifactId, { path: request.into, findBy });
    } catch (error) {
      // Expired artifacts are listed but answer 410 (or 404) on download; or it was never uploaded.
      logger.warning(
        `artifact ${name} of run ${run.runId} could not be found or downloaded (${(error as Error).message}): it expired or was never uploaded`,
      );
      return undefined;
    }
    const manifestFile = path.join(request.into, "manifest.json");
    const parsed = CandidateManifestSchema.safeParse(
      JSON.parse(await fs.readFile(manifestFile, "utf8").catch(() => "null")),
    );
    if (!parsed.success || parsed.data.model !== request.model) {
      const problems = parsed.success
        ? `it is for ${JSON.stringify(parsed.data.model)}`
        : parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
      throw new UserError(
        `artifact ${name} of run ${run.runId} (PR #${request.pull.number}) has no valid manifest.json for ${request.model} (${problems}): refusing a candidate that gitml's evaluate step did not write`,
      );
    }
    const files = parsed.data.files.map((f) => ({
      source: path.join(request.into, ...f.path.split("/")),
      path: f.path,
      role: f.role,
    }));
    return { files, runId: run.runId, runUrl: run.runUrl, gates: parsed.data.gates };
  }
}
