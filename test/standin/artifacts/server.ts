/**
 * A local stand-in for the Actions results service that `@actions/artifact` (v2+) talks to: its Twirp JSON
 * API (CreateArtifact, FinalizeArtifact, ListArtifacts, GetSignedArtifactURL, DeleteArtifact) and the
 * Azure block-blob endpoints its signed URLs point at (PUT ?comp=block, PUT ?comp=blocklist, GET).
 * Artifacts are held per workflow run; linked to the REST stand-in, every finalized artifact also appears
 * in GitHub's REST API (list by run, get, download as a 302 to the blob), so a later run can fetch it.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { artifactArchives } from "../handlers/actions";
import type { Standin } from "../server";
import type { ArtifactRecord } from "../state";
import { readZip } from "./zip";
import { seededRandom } from "../faults";

const SERVICE = "github.actions.results.api.v1.ArtifactService";
export const TWIRP_METHODS = [
  "CreateArtifact",
  "FinalizeArtifact",
  "ListArtifacts",
  "GetSignedArtifactURL",
  "DeleteArtifact",
] as const;
export type TwirpMethod = (typeof TWIRP_METHODS)[number];
export type BlobOperation = "PutBlock" | "PutBlockList" | "PutBlob" | "GetBlob";
export type ArtifactOperation = TwirpMethod | BlobOperation;

export interface StoredArtifact {
  id: number;
  /** GitHub's run id (GITHUB_RUN_ID) the artifact belongs to. */
  runId: number;
  workflowRunBackendId: string;
  workflowJobRunBackendId: string;
  name: string;
  mimeType: string | undefined;
  createdAt: string;
  expiresAt: string | undefined;
  finalized: boolean;
  /** What FinalizeArtifact reported. */
  size: number;
  digest: string | undefined;
  /** The committed blob; undefined until the block list is committed. */
  blob: Buffer | undefined;
  blobContentType: string | undefined;
  /** Staged, not yet committed blocks by block id. */
  blocks: Map<string, Buffer>;
}

export interface ArtifactFault {
  operation?: ArtifactOperation;
  /** Default 500 (Twirp answers `{"code":"internal"}`; blob storage an XML error). */
  status?: 400 | 404 | 409 | 429 | 500 | 502 | 503;
  times?: number;
  probability?: number;
}

export interface ArtifactCall {
  operation: ArtifactOperation | "(unknown)";
  status: number;
  path: string;
}

export interface ArtifactServiceOptions {
  /** The REST stand-in: finalized artifacts are mirrored into its repository so the REST API serves them. */
  github?: Standin;
  /** owner/repo the artifacts belong to in the REST stand-in (required with `github`). */
  repository?: string;
  faultSeed?: number;
}

export interface RunTokenOptions {
  /** GitHub's run id; with a linked REST stand-in it must be a run seeded there (state.seedWorkflowRun). */
  runId: number;
  /** Distinguishes jobs of one run (default "job"). */
  job?: string;
}

export interface ArtifactService {
  /** ACTIONS_RESULTS_URL */
  url: string;
  /** An ACTIONS_RUNTIME_TOKEN for a job of run `runId`: a JWT whose `scp` names the run's backend ids. */
  runtimeToken(options: RunTokenOptions): string;
  /** What `runActionBundle(..., { artifacts })` takes. */
  runnerEnv(options: RunTokenOptions): { resultsUrl: string; runtimeToken: string };
  artifacts: StoredArtifact[];
  /** Finalized artifacts of a run, optionally by name. */
  artifactsOf(runId: number, name?: string): StoredArtifact[];
  /** The files in a finalized zip artifact. */
  files(artifact: StoredArtifact): Map<string, Buffer>;
  calls: { total: number; log: ArtifactCall[]; count(operation: ArtifactOperation): number; reset(): void };
  addFault(fault: ArtifactFault): void;
  clearFaults(): void;
  /** Requests the stand-in could not make sense of: a test should expect none. */
  problems: string[];
  close(): Promise<void>;
}

function base64url(value: string): string {
  return Buffer.from(value).toString("base64url");
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Protobuf JSON accepts both the proto field name and its lowerCamelCase JSON name. */
function field(body: Record<string, unknown>, protoName: string): unknown {
  const camel = protoName.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  return body[protoName] ?? body[camel];
}

class TwirpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startArtifactService(options: ArtifactServiceOptions = {}): Promise<ArtifactService> {
  if (options.github && !options.repository)
    throw new Error("artifact stand-in: `repository` is needed with `github`");
  const artifacts: StoredArtifact[] = [];
  const runsByBackendId = new Map<string, number>();
  const log: ArtifactCall[] = [];
  const problems: string[] = [];
  const faults: Array<ArtifactFault & { fired: number }> = [];
  const random = seededRandom(options.faultSeed ?? 1);
  let ownIds = 5_000_000;
  let clock = Date.parse("2024-01-01T00:00:00Z");
  let origin = "";

  const now = () => new Date((clock += 1000)).toISOString();
  const nextId = () => options.github?.state.nextId() ?? ++ownIds;

  function pickFault(operation: ArtifactOperation): ArtifactFault | undefined {
    for (const fault of faults) {
      if (fault.times !== undefined && fault.fired >= fault.times) continue;
      if (fault.operation && fault.operation !== operation) continue;
      if (fault.probability !== undefined && random() >= fault.probability) continue;
      fault.fired++;
      return fault;
    }
    return undefined;
  }

  function backendRun(body: Record<string, unknown>): {
    runBackendId: string;
    jobBackendId: string;
    runId: number;
  } {
    const runBackendId = String(field(body, "workflow_run_backend_id") ?? "");
    const jobBackendId = String(field(body, "workflow_job_run_backend_id") ?? "");
    const runId = runsByBackendId.get(runBackendId);
    if (runId === undefined || jobBackendId === "")
      throw new TwirpError(400, "invalid_argument", "unknown workflow run/job backend id");
    return { runBackendId, jobBackendId, runId };
  }

  function signed(path: string, permissions: string): string {
    const expiry = new Date(clock + 3_600_000).toISOString();
    return `${origin}${path}?sv=2023-11-03&se=${encodeURIComponent(expiry)}&sp=${permissions}&sig=${randomUUID()}`;
  }

  function blobPath(artifact: StoredArtifact): string {
    return `/blob/actions-results/${artifact.workflowRunBackendId}/${artifact.id}/${encodeURIComponent(artifact.name)}.zip`;
  }

  function mirror(artifact: StoredArtifact): void {
    if (!options.github || !options.repository) return;
    const [owner, name] = options.repository.split("/") as [string, string];
    const repo = options.github.state.findRepo(owner, name);
    if (!repo) throw new TwirpError(500, "internal", `REST stand-in has no repository ${options.repository}`);
    const record: ArtifactRecord = {
      id: artifact.id,
      runId: artifact.runId,
      name: artifact.name,
      sizeInBytes: artifact.size,
      createdAt: artifact.createdAt.replace(/\.\d{3}Z$/, "Z"),
    };
    repo.artifacts.push(record);
    artifactArchives.set(record, () => signed(blobPath(artifact), "r"));
  }

  function twirp(method: TwirpMethod, body: Record<string, unknown>): unknown {
    switch (method) {
      case "CreateArtifact": {
        const { runBackendId, jobBackendId, runId } = backendRun(body);
        const name = String(field(body, "name") ?? "");
        if (!name) throw new TwirpError(400, "invalid_argument", "name is required");
        if (Number(field(body, "version")) < 4)
          throw new TwirpError(400, "invalid_argument", "unsupported artifact version");
        if (artifacts.some((a) => a.runId === runId && a.name === name && a.finalized)) {
          throw new TwirpError(
            409,
            "already_exists",
            "an artifact with this name already exists on the workflow run",
          );
        }
        const mime = field(body, "mime_type");
        const expires = field(body, "expires_at");
        const artifact: StoredArtifact = {
          id: nextId(),
          runId,
          workflowRunBackendId: runBackendId,
          workflowJobRunBackendId: jobBackendId,
          name,
          mimeType: typeof mime === "string" ? mime : undefined,
          createdAt: now(),
          expiresAt: typeof expires === "string" ? expires : undefined,
          finalized: false,
          size: 0,
          digest: undefined,
          blob: undefined,
          blobContentType: undefined,
          blocks: new Map(),
        };
        // A retried create replaces the unfinished one, as the service does.
        const stale = artifacts.findIndex((a) => a.runId === runId && a.name === name && !a.finalized);
        if (stale >= 0) artifacts.splice(stale, 1);
        artifacts.push(artifact);
        return { ok: true, signed_upload_url: signed(blobPath(artifact), "cw") };
      }
      case "FinalizeArtifact": {
        const { runId } = backendRun(body);
        const name = String(field(body, "name") ?? "");
        const artifact = artifacts.find((a) => a.runId === runId && a.name === name && !a.finalized);
        if (!artifact) throw new TwirpError(404, "not_found", `no artifact ${name} being uploaded`);
        if (!artifact.blob) throw new TwirpError(400, "failed_precondition", "the blob was never committed");
        const size = Number(field(body, "size") ?? 0);
        if (size !== artifact.blob.length) {
          problems.push(
            `FinalizeArtifact ${name}: size ${size} but the blob holds ${artifact.blob.length} bytes`,
          );
        }
        const hash = field(body, "hash");
        artifact.digest = typeof hash === "string" ? hash : undefined;
        artifact.size = size;
        artifact.finalized = true;
        mirror(artifact);
        return { ok: true, artifact_id: String(artifact.id) };
      }
      case "ListArtifacts": {
        const { runId } = backendRun(body);
        const nameFilter = field(body, "name_filter");
        const idFilter = field(body, "id_filter");
        const found = artifacts
          .filter((a) => a.finalized && a.runId === runId)
          .filter((a) => typeof nameFilter !== "string" || a.name === nameFilter)
          .filter((a) => idFilter === undefined || String(a.id) === String(idFilter));
        return {
          artifacts: found.map((a) => ({
            workflow_run_backend_id: a.workflowRunBackendId,
            workflow_job_run_backend_id: a.workflowJobRunBackendId,
            database_id: String(a.id),
            name: a.name,
            size: String(a.size),
            created_at: a.createdAt,
            ...(a.digest ? { digest: a.digest } : {}),
          })),
        };
      }
      case "GetSignedArtifactURL": {
        const { runId } = backendRun(body);
        const name = String(field(body, "name") ?? "");
        const artifact = artifacts.find((a) => a.runId === runId && a.name === name && a.finalized);
        if (!artifact) throw new TwirpError(404, "not_found", `no artifact ${name}`);
        return { signed_url: signed(blobPath(artifact), "r") };
      }
      case "DeleteArtifact": {
        const { runId } = backendRun(body);
        const name = String(field(body, "name") ?? "");
        const index = artifacts.findIndex((a) => a.runId === runId && a.name === name && a.finalized);
        if (index < 0) throw new TwirpError(404, "not_found", `no artifact ${name}`);
        const [removed] = artifacts.splice(index, 1);
        if (options.github && options.repository) {
          const [owner, repoName] = options.repository.split("/") as [string, string];
          const repo = options.github.state.findRepo(owner, repoName);
          if (repo) repo.artifacts = repo.artifacts.filter((a) => a.id !== removed!.id);
        }
        return { ok: true, artifact_id: String(removed!.id) };
      }
    }
  }

  function blobOperation(method: string, url: URL): BlobOperation | undefined {
    const comp = url.searchParams.get("comp");
    if (method === "PUT" && comp === "block") return "PutBlock";
    if (method === "PUT" && comp === "blocklist") return "PutBlockList";
    if (method === "PUT" && comp === null) return "PutBlob";
    if (method === "GET" && comp === null) return "GetBlob";
    return undefined;
  }

  function blobError(res: ServerResponse, status: number, code: string, message: string): void {
    const xml = `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;
    res.writeHead(status, {
      "content-type": "application/xml",
      "x-ms-error-code": code,
      "x-ms-request-id": randomUUID(),
      "x-ms-version": "2023-11-03",
    });
    res.end(xml);
  }

  function blobHeaders(extra: Record<string, string> = {}): Record<string, string> {
    return {
      "x-ms-request-id": randomUUID(),
      "x-ms-version": "2023-11-03",
      date: new Date(clock).toUTCString(),
      ...extra,
    };
  }

  async function handleBlob(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    op: BlobOperation,
  ): Promise<number> {
    const body = await readBody(req);
    const m = /^\/blob\/actions-results\/([^/]+)\/(\d+)\/[^/]+$/.exec(url.pathname);
    const artifact = m
      ? artifacts.find((a) => a.id === Number(m[2]) && a.workflowRunBackendId === m[1])
      : undefined;
    if (!url.searchParams.get("sig")) {
      blobError(res, 403, "AuthenticationFailed", "Signature not present in the request URL");
      return 403;
    }
    if (!artifact) {
      blobError(res, 404, "BlobNotFound", "The specified blob does not exist.");
      return 404;
    }
    const etag = `"0x${artifact.id.toString(16).toUpperCase()}${Date.now().toString(16).toUpperCase()}"`;
    switch (op) {
      case "PutBlock": {
        const blockId = url.searchParams.get("blockid");
        if (!blockId) {
          blobError(res, 400, "InvalidQueryParameterValue", "blockid is required");
          return 400;
        }
        artifact.blocks.set(blockId, body);
        res.writeHead(201, blobHeaders({ "x-ms-request-server-encrypted": "true", "content-length": "0" }));
        res.end();
        return 201;
      }
      case "PutBlockList": {
        const ids = [...body.toString("utf8").matchAll(/<(Latest|Uncommitted|Committed)>([^<]*)<\/\1>/g)].map(
          (x) => x[2]!,
        );
        const parts: Buffer[] = [];
        for (const id of ids) {
          const block = artifact.blocks.get(id);
          if (!block) {
            blobError(res, 400, "InvalidBlockList", `block ${id} was never staged`);
            return 400;
          }
          parts.push(block);
        }
        artifact.blob = Buffer.concat(parts);
        artifact.blocks.clear();
        artifact.blobContentType = String(
          req.headers["x-ms-blob-content-type"] ?? "application/octet-stream",
        );
        res.writeHead(
          201,
          blobHeaders({
            etag,
            "last-modified": new Date(clock).toUTCString(),
            "x-ms-request-server-encrypted": "true",
            "content-length": "0",
          }),
        );
        res.end();
        return 201;
      }
      case "PutBlob": {
        if (req.headers["x-ms-blob-type"] !== "BlockBlob") {
          blobError(res, 400, "MissingRequiredHeader", "x-ms-blob-type is required");
          return 400;
        }
        artifact.blob = body;
        artifact.blobContentType = String(
          req.headers["x-ms-blob-content-type"] ?? "application/octet-stream",
        );
        res.writeHead(
          201,
          blobHeaders({ etag, "last-modified": new Date(clock).toUTCString(), "content-length": "0" }),
        );
        res.end();
        return 201;
      }
      case "GetBlob": {
        if (!artifact.finalized || !artifact.blob) {
          blobError(res, 404, "BlobNotFound", "The specified blob does not exist.");
          return 404;
        }
        res.writeHead(
          200,
          blobHeaders({
            "content-type": artifact.blobContentType ?? "application/zip",
            "content-length": String(artifact.blob.length),
            etag,
            "x-ms-blob-type": "BlockBlob",
          }),
        );
        res.end(artifact.blob);
        return 200;
      }
    }
  }

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", origin);
    const method = (req.method ?? "GET").toUpperCase();
    const twirpMatch = new RegExp(`^/twirp/${SERVICE.replace(/\./g, "\\.")}/([A-Za-z]+)$`).exec(url.pathname);
    if (twirpMatch) {
      const name = twirpMatch[1] as TwirpMethod;
      const raw = await readBody(req);
      const reply = (status: number, payload: unknown) => {
        log.push({
          operation: TWIRP_METHODS.includes(name) ? name : "(unknown)",
          status,
          path: url.pathname,
        });
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(payload));
      };
      if (!TWIRP_METHODS.includes(name) || method !== "POST") {
        problems.push(`${method} ${url.pathname}: no such Twirp method`);
        return reply(404, { code: "bad_route", msg: `no handler for ${url.pathname}` });
      }
      if (!/^Bearer \S+$/.test(String(req.headers.authorization ?? ""))) {
        return reply(401, { code: "unauthenticated", msg: "missing bearer token" });
      }
      if (!String(req.headers["content-type"] ?? "").includes("application/json")) {
        problems.push(`${name}: content-type ${String(req.headers["content-type"])}`);
      }
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(raw.toString("utf8")) as Record<string, unknown>;
      } catch {
        problems.push(`${name}: body is not JSON`);
        return reply(400, { code: "malformed", msg: "body is not JSON" });
      }
      const fault = pickFault(name);
      if (fault) {
        const status = fault.status ?? 500;
        return reply(status, {
          code: status >= 500 ? "internal" : "invalid_argument",
          msg: "injected fault",
        });
      }
      try {
        return reply(200, twirp(name, body));
      } catch (error) {
        if (error instanceof TwirpError) return reply(error.status, { code: error.code, msg: error.message });
        throw error;
      }
    }
    if (url.pathname.startsWith("/blob/")) {
      const op = blobOperation(method, url);
      if (!op) {
        problems.push(`${method} ${url.pathname}${url.search}: unsupported blob operation`);
        await readBody(req);
        blobError(res, 400, "UnsupportedQueryParameter", "stand-in does not implement this blob operation");
        log.push({ operation: "(unknown)", status: 400, path: url.pathname });
        return;
      }
      const fault = pickFault(op);
      if (fault) {
        await readBody(req);
        const status = fault.status ?? 500;
        blobError(res, status, status >= 500 ? "InternalError" : "InvalidInput", "injected fault");
        log.push({ operation: op, status, path: url.pathname });
        return;
      }
      const status = await handleBlob(req, res, url, op);
      log.push({ operation: op, status, path: url.pathname });
      return;
    }
    await readBody(req);
    problems.push(`${method} ${url.pathname}: unknown path`);
    res.writeHead(404).end();
  }

  const server = createServer((req, res) => {
    dispatch(req, res).catch((error: unknown) => {
      problems.push(
        `stand-in crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ code: "internal", msg: "stand-in crashed" }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const runtimeToken = ({ runId, job = "job" }: RunTokenOptions): string => {
    let runBackendId = [...runsByBackendId].find(([, id]) => id === runId)?.[0];
    if (!runBackendId) {
      runBackendId = randomUUID();
      runsByBackendId.set(runBackendId, runId);
    }
    const jobBackendId = `${runBackendId.slice(0, 24)}${Buffer.from(job).toString("hex").slice(0, 12).padEnd(12, "0")}`;
    const issued = Math.floor(Date.now() / 1000);
    const claims = {
      scp: `Actions.ExampleScope Actions.Results:${runBackendId}:${jobBackendId}`,
      iat: issued,
      exp: issued + 6 * 3600,
    };
    return `${base64url(JSON.stringify({ alg: "RS256", typ: "JWT" }))}.${base64url(JSON.stringify(claims))}.c3RhbmQtaW4`;
  };

  return {
    url: origin,
    runtimeToken,
    runnerEnv: (o) => ({ resultsUrl: origin, runtimeToken: runtimeToken(o) }),
    artifacts,
    artifactsOf: (runId, name) =>
      artifacts.filter((a) => a.finalized && a.runId === runId && (name === undefined || a.name === name)),
    files: (artifact) => {
      if (!artifact.blob) throw new Error(`artifact ${artifact.name} has no content`);
      return readZip(artifact.blob);
    },
    calls: {
      get total() {
        return log.length;
      },
      log,
      count: (operation) => log.filter((c) => c.operation === operation).length,
      reset: () => {
        log.length = 0;
      },
    },
    addFault: (fault) => {
      faults.push({ ...fault, fired: 0 });
    },
    clearFaults: () => {
      faults.length = 0;
    },
    problems,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
