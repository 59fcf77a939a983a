import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { githubSlugOf, openProject } from "../../src/commands/context";
import { GitHubReleasesStore } from "../../src/github/release-store";
import { isUserError } from "../../src/util/errors";
import { silentLogger } from "../../src/util/logger";
import { createRepo, git, type TestRepo } from "../helpers/repo";

describe("store.type github from the CLI", () => {
  let repo: TestRepo;
  beforeEach(async () => {
    repo = await createRepo({ withOrigin: false });
    await fs.writeFile(
      path.join(repo.work, "gitml.yaml"),
      "models:\n  churn:\n    path: .\n    outputs:\n      model: model.bin\nstore:\n  type: github\n",
    );
    for (const name of ["GITHUB_TOKEN", "GH_TOKEN", "GITHUB_REPOSITORY"]) vi.stubEnv(name, "");
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    await repo.cleanup();
  });

  it("reads owner/name from GitHub remote URLs of every shape, and nothing else", () => {
    expect(githubSlugOf("https://github.com/acme/models.git")).toBe("acme/models");
    expect(githubSlugOf("https://x-access-token:abc@github.com/acme/models")).toBe("acme/models");
    expect(githubSlugOf("git@github.com:acme/models.git")).toBe("acme/models");
    expect(githubSlugOf("ssh://git@github.com/acme/models.git")).toBe("acme/models");
    expect(githubSlugOf("/srv/git/models.git")).toBeUndefined();
    expect(githubSlugOf("file:///srv/git/models.git")).toBeUndefined();
    expect(githubSlugOf(undefined)).toBeUndefined();
  });

  it("needs a token, then finds the repository from GITHUB_REPOSITORY or the origin URL", async () => {
    const missing = await openProject({ cwd: repo.work, logger: silentLogger }).catch((e: unknown) => e);
    expect(isUserError(missing)).toBe(true);
    expect((missing as Error).message).toMatch(/GITHUB_TOKEN/);

    vi.stubEnv("GH_TOKEN", "ghp_cli");
    const unknownRepo = await openProject({ cwd: repo.work, logger: silentLogger }).catch((e: unknown) => e);
    expect((unknownRepo as Error).message).toMatch(/GITHUB_REPOSITORY/);

    git(repo.work, ["remote", "add", "origin", "git@github.com:acme/models.git"]);
    const project = await openProject({ cwd: repo.work, logger: silentLogger, push: false });
    expect(project.store).toBeInstanceOf(GitHubReleasesStore);
    expect(project.store.kind).toBe("github");
  });
});
