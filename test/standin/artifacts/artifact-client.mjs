// Drives the real @actions/artifact in a child process, as an action step would, for the stand-in's tests.
// ARTIFACT_CLIENT_ARGS (JSON array): upload <name> <root> <files...> | list | get <name> | delete <name> | download <id> <dir> | download-run <runId> <name> <dir>
import { DefaultArtifactClient } from "@actions/artifact";
import { appendFileSync } from "node:fs";

const client = new DefaultArtifactClient();
const [command, ...args] = JSON.parse(process.env.ARTIFACT_CLIENT_ARGS);
const [owner, repo] = process.env.GITHUB_REPOSITORY.split("/");
const token = process.env.INPUT_TOKEN;
let result;
if (command === "upload") {
  const [name, root, ...files] = args;
  result = await client.uploadArtifact(name, files, root, { retentionDays: 3 });
} else if (command === "list") {
  result = await client.listArtifacts();
} else if (command === "get") {
  result = await client.getArtifact(args[0]);
} else if (command === "delete") {
  result = await client.deleteArtifact(args[0]);
} else if (command === "download") {
  result = await client.downloadArtifact(Number(args[0]), { path: args[1] });
} else if (command === "download-run") {
  const [runId, name, dir] = args;
  const findBy = { token, workflowRunId: Number(runId), repositoryOwner: owner, repositoryName: repo };
  const { artifact } = await client.getArtifact(name, { findBy });
  const listed = await client.listArtifacts({ findBy, latest: true });
  const downloaded = await client.downloadArtifact(artifact.id, { path: dir, findBy });
  result = { artifact, listed: listed.artifacts.map((a) => a.name), downloaded };
} else {
  throw new Error(`unknown command ${command}`);
}
appendFileSync(process.env.GITHUB_OUTPUT, `result<<EOF_RESULT\n${JSON.stringify(result)}\nEOF_RESULT\n`);
