/**
 * Approvals that fail closed: a protected stage is entered only from a job bound to a GitHub Environment
 * that really carries a protection rule. GitHub creates an environment a job names on the fly, with no
 * rules, and private repositories on the Free, Pro and Team plans cannot have required reviewers at all:
 * without this check a missing or misconfigured environment would let a promotion through unasked.
 */
import { UserError } from "../util/errors";
import { type GitHubClient, httpStatusOf, rethrowPermission } from "./client";

export interface EnvironmentProtection {
  environment: string;
  /** The rules found, e.g. `required reviewers (2)`, `wait timer (30 min)`, `custom rule (app)`. */
  rules: string[];
  /** API requests made (1, or 2 when only a custom rule can protect it). */
  requests: number;
}

function howToProtect(options: { owner: string; repo: string; repositoryUrl?: string }): string {
  const settings = `${options.repositoryUrl ?? `https://github.com/${options.owner}/${options.repo}`}/settings/environments`;
  return `Add required reviewers, a wait timer or a custom deployment protection rule to it in Settings → Environments (${settings}), or, knowing that nobody will be asked, set the promote action's \`allow-unprotected-environment: true\` (the reusable workflows' input of the same name).`;
}

/** Throws a UserError unless the environment exists and carries at least one protection rule. */
export async function assertProtectedEnvironment(options: {
  octokit: GitHubClient;
  owner: string;
  repo: string;
  environment: string;
  /** What is being protected, for the messages, e.g. "promoting churn to production". */
  purpose: string;
  /** Web URL of the repository, for the settings link (default on github.com). */
  repositoryUrl?: string;
}): Promise<EnvironmentProtection> {
  const { octokit, owner, repo, environment } = options;
  let data;
  try {
    ({ data } = await octokit.rest.repos.getEnvironment({ owner, repo, environment_name: environment }));
  } catch (error) {
    if (httpStatusOf(error) === 404) {
      throw new UserError(
        `${options.purpose} needs the GitHub Environment \`${environment}\` with a protection rule, but ${owner}/${repo} has no environment of that name. ${howToProtect(options)}`,
      );
    }
    rethrowPermission(error, `read the environment ${environment} of ${owner}/${repo}`, "actions: read");
  }
  const rules: string[] = [];
  for (const rule of data.protection_rules ?? []) {
    if (rule.type === "required_reviewers" && "reviewers" in rule && (rule.reviewers?.length ?? 0) > 0)
      rules.push(`required reviewers (${rule.reviewers!.length})`);
    else if (rule.type === "wait_timer" && "wait_timer" in rule && (rule.wait_timer ?? 0) > 0)
      rules.push(`wait timer (${rule.wait_timer} min)`);
    // A branch policy decides which branches may deploy; it asks nobody, so it does not count.
  }
  if (rules.length > 0) return { environment, rules, requests: 1 };

  let custom;
  try {
    ({ data: custom } = await octokit.rest.repos.getAllDeploymentProtectionRules({
      owner,
      repo,
      environment_name: environment,
    }));
  } catch (error) {
    rethrowPermission(
      error,
      `read the deployment protection rules of the environment ${environment} of ${owner}/${repo}`,
      "actions: read",
    );
  }
  for (const rule of custom.custom_deployment_protection_rules ?? [])
    if (rule.enabled) rules.push(`custom rule (${rule.app.slug})`);
  if (rules.length > 0) return { environment, rules, requests: 2 };
  throw new UserError(
    `${options.purpose} needs the GitHub Environment \`${environment}\` to carry a protection rule, but it has none, so the promotion would go through with nobody asked (GitHub creates an environment a job names without any rule; on private repositories of the Free, Pro and Team plans required reviewers are not available). ${howToProtect(options)}`,
  );
}
