/**
 * GitHub Pages as the Pages actions use it: actions/configure-pages reads the site (`pages: read`; 404 when
 * Pages is not enabled), actions/deploy-pages creates a deployment of an uploaded artifact with the run's
 * OIDC token (`pages: write`) and polls its status. The site must publish from GitHub Actions
 * (`build_type: workflow`), as GitHub requires for a deployment from a workflow.
 */
import { pagesJson, repoApiUrl } from "../fixtures";
import { GitHubHttpError, type HandlerTable, bodyOf, notFound, repoOf, validationFailed } from "../http";

export const pagesHandlers: HandlerTable = {
  "repos/get-pages": (ctx) => {
    const repo = repoOf(ctx);
    if (!repo.pages) throw notFound();
    return { status: 200, body: pagesJson(ctx.state, repo, repo.pages) };
  },

  "repos/create-pages-deployment": (ctx) => {
    const repo = repoOf(ctx);
    if (!repo.pages) throw notFound();
    if (repo.pages.buildType !== "workflow")
      throw new GitHubHttpError(400, "The Pages site is not configured to build from GitHub Actions.");
    const body = bodyOf<{
      artifact_id?: number;
      artifact_url?: string;
      environment?: string;
      pages_build_version: string;
      oidc_token: string;
    }>(ctx);
    if (body.artifact_id === undefined)
      throw validationFailed(
        "PagesDeployment",
        "artifact_id",
        "missing_field",
        "artifact_id is required here",
      );
    if (!repo.artifacts.some((a) => a.id === body.artifact_id))
      throw new GitHubHttpError(400, `Artifact ${body.artifact_id} does not belong to this repository.`);
    if (!body.oidc_token) throw validationFailed("PagesDeployment", "oidc_token", "missing_field");
    const deployment = {
      id: body.pages_build_version,
      artifactId: body.artifact_id,
      environment: body.environment ?? "github-pages",
      buildVersion: body.pages_build_version,
      oidcToken: body.oidc_token,
    };
    repo.pages.deployments.push(deployment);
    return {
      status: 200,
      body: {
        id: deployment.id,
        status_url: `${repoApiUrl(ctx.state, repo)}/pages/deployments/${deployment.id}`,
        page_url: repo.pages.htmlUrl,
      },
    };
  },

  "repos/get-pages-deployment": (ctx) => {
    const repo = repoOf(ctx);
    const id = String(ctx.params.pages_deployment_id);
    if (!repo.pages?.deployments.some((d) => d.id === id)) throw notFound();
    return { status: 200, body: { status: "succeed" } };
  },
};
