import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runActionBundle } from "../../runner/run-action";
import { useStandin } from "../index";
import { type ArtifactService, startArtifactService } from "./index";

const CLIENT = path.join(path.dirname(fileURLToPath(import.meta.url)), "artifact-client.mjs");
const TOKEN = "ghs_artifacts";

describe("artifact results-service stand-in, driven by the real @actions/artifact", () => {
  const github = useStandin();
  let service: ArtifactService;
  let work: string;

  beforeEach(async () => {
    github.current.state.seedRepo({ owner: "acme", name: "ml" });
    service = await startArtifactService({ github: github.current, repository: "acme/ml" });
    work = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), "gitml-artifacts-")));
  });
  afterEach(async () => {
    expect(service.problems).toEqual([]);
    await service.close();
    await fs.rm(work, { recursive: true, force: true });
  });

  function spawnClient(runId: number, args: string[]) {
    return runActionBundle("artifact-client", {
      bundle: CLIENT,
      cwd: work,
      inputs: {},
      token: TOKEN,
      eventName: "push",
      payload: {},
      repository: "acme/ml",
      apiUrl: github.current.url,
      runId,
      artifacts: service.runnerEnv({ runId }),
      env: { ACTIONS_ARTIFACT_UPLOAD_CONCURRENCY: "2", ARTIFACT_CLIENT_ARGS: JSON.stringify(args) },
    });
  }

  async function client(runId: number, args: string[]) {
    const run = await spawnClient(runId, args);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    return JSON.parse(run.outputs.result!) as Record<string, unknown>;
  }

  it("uploads in blocks, lists, and serves the same bytes to another run through the REST API", async () => {
    const repo = github.current.state.findRepo("acme", "ml")!;
    const producer = github.current.state.seedWorkflowRun(repo, {
      workflowFile: "pr.yml",
      headSha: "a".repeat(40),
    });
    const consumer = github.current.state.seedWorkflowRun(repo, {
      workflowFile: "merge.yml",
      headSha: "b".repeat(40),
    });
    await fs.mkdir(path.join(work, "out/nested"), { recursive: true });
    await fs.writeFile(path.join(work, "out/model.bin"), Buffer.alloc(300_000, 7));
    await fs.writeFile(path.join(work, "out/nested/metrics.json"), '{"accuracy":0.9}');

    const uploaded = await client(producer.id, [
      "upload",
      "gitml-candidate-churn",
      path.join(work, "out"),
      path.join(work, "out/model.bin"),
      path.join(work, "out/nested/metrics.json"),
    ]);
    const [stored] = service.artifactsOf(producer.id, "gitml-candidate-churn");
    expect(stored).toBeDefined();
    expect(uploaded.id).toBe(stored!.id);
    expect(stored!.digest).toBe(`sha256:${String(uploaded.digest)}`);
    const files = service.files(stored!);
    expect([...files.keys()].sort()).toEqual(["model.bin", "nested/metrics.json"]);
    expect(files.get("model.bin")!.equals(Buffer.alloc(300_000, 7))).toBe(true);
    expect(service.calls.count("PutBlock")).toBeGreaterThanOrEqual(1);
    expect(service.calls.count("PutBlockList")).toBe(1);

    // Same run: found through the Twirp API.
    const own = await client(producer.id, ["get", "gitml-candidate-churn"]);
    expect(own).toMatchObject({ artifact: { id: stored!.id, name: "gitml-candidate-churn" } });
    const ownDownload = path.join(work, "own");
    await client(producer.id, ["download", String(stored!.id), ownDownload]);
    expect(await fs.readFile(path.join(ownDownload, "nested/metrics.json"), "utf8")).toBe('{"accuracy":0.9}');

    // Another run: through the REST API (findBy), which redirects to the blob.
    github.current.resetCalls();
    const dir = path.join(work, "fetched");
    const cross = await client(consumer.id, [
      "download-run",
      String(producer.id),
      "gitml-candidate-churn",
      dir,
    ]);
    expect(cross).toMatchObject({ artifact: { id: stored!.id }, listed: ["gitml-candidate-churn"] });
    expect((await fs.readFile(path.join(dir, "model.bin"))).equals(Buffer.alloc(300_000, 7))).toBe(true);
    expect(github.current.calls.count("actions/download-artifact")).toBe(1);
    expect(github.current.calls.count("actions/list-workflow-run-artifacts")).toBe(2);
  });

  it("retries a failed Twirp call and refuses a duplicate name in one run", async () => {
    const repo = github.current.state.findRepo("acme", "ml")!;
    const run = github.current.state.seedWorkflowRun(repo, {
      workflowFile: "pr.yml",
      headSha: "c".repeat(40),
    });
    await fs.writeFile(path.join(work, "report.md"), "# report\n");
    service.addFault({ operation: "CreateArtifact", status: 503, times: 1 });
    await client(run.id, ["upload", "gitml-report", work, path.join(work, "report.md")]);
    expect(service.calls.log.filter((c) => c.operation === "CreateArtifact").map((c) => c.status)).toEqual([
      503, 200,
    ]);
    expect(service.artifactsOf(run.id)).toHaveLength(1);

    const again = await spawnClient(run.id, ["upload", "gitml-report", work, path.join(work, "report.md")]);
    expect(again.code).not.toBe(0);
    expect(again.stdout + again.stderr).toMatch(/already exists/);
    expect(service.artifactsOf(run.id)).toHaveLength(1);
  }, 30_000);
});
