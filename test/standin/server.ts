/**
 * A local stand-in for GitHub's REST API. Routes come from GitHub's OpenAPI description, every request
 * and every response is validated against it, and anything that does not conform is recorded as a
 * violation that `assertNoViolations()` turns into a test failure.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { pipeline } from "node:stream/promises";
import { type ActiveFault, FaultInjector } from "./faults";
import {
  GitHubHttpError,
  type Handler,
  type HandlerContext,
  type HandlerResult,
  type HandlerTable,
  type ReceivedUpload,
} from "./http";
import { actionsHandlers } from "./handlers/actions";
import { checkHandlers } from "./handlers/checks";
import { gitHandlers } from "./handlers/git";
import { issueHandlers } from "./handlers/issues";
import { pagesHandlers } from "./handlers/pages";
import { releaseHandlers } from "./handlers/releases";
import { repoHandlers } from "./handlers/repos";
import { NOT_ACCESSIBLE, TokenRegistry, covers, scopeNeeded } from "./scopes";
import { type GitHubSpec, type OperationSpec, type SpecValidationError, loadGitHubSpec } from "./spec";
import { StandinState, type StoredFile } from "./state";

const HANDLERS: HandlerTable = {
  ...repoHandlers,
  ...issueHandlers,
  ...checkHandlers,
  ...releaseHandlers,
  ...gitHandlers,
  ...actionsHandlers,
  ...pagesHandlers,
};

/** Answers GitHub gives on any endpoint, whether or not the operation lists them. */
const PLATFORM_WIDE_STATUSES = new Set([401, 403, 404, 429, 500, 502, 503]);
const UPLOADS_PREFIX = "/_uploads";
const WEB_PREFIX = "/_web";
const DOCS = "https://docs.github.com/rest";

export interface Violation {
  kind: "route" | "request" | "response" | "handler";
  method: string;
  path: string;
  operationId?: string;
  status?: number;
  errors: SpecValidationError[];
}

export interface CallRecord {
  method: string;
  path: string;
  operationId: string;
  status: number;
}

export class CallCounter {
  total = 0;
  byOperation: Record<string, number> = {};
  log: CallRecord[] = [];

  count(operationId: string): number {
    return this.byOperation[operationId] ?? 0;
  }

  record(call: CallRecord): void {
    this.total++;
    this.byOperation[call.operationId] = this.count(call.operationId) + 1;
    this.log.push(call);
  }

  reset(): void {
    this.total = 0;
    this.byOperation = {};
    this.log = [];
  }
}

export interface StandinOptions {
  /** Tokens that may only read: writes get 403 "Resource not accessible by integration" (fork PRs). */
  readOnlyTokens?: string[];
  /** When set, any other token gets 401 "Bad credentials". */
  validTokens?: string[];
  /** Seed of the RNG behind probabilistic faults. */
  faultSeed?: number;
}

export interface Standin {
  /** API base URL (what https://api.github.com is). */
  url: string;
  /** Uploads base URL (what https://uploads.github.com is); release `upload_url`s point here. */
  uploadUrl: string;
  /** Web base URL (what https://github.com is); html_url and asset downloads live here. */
  webUrl: string;
  state: StandinState;
  calls: CallCounter;
  faults: FaultInjector;
  violations: Violation[];
  spec: GitHubSpec;
  /** Issues job tokens whose scopes are exactly a grant (a workflow job's `permissions:`). */
  tokens: TokenRegistry;
  resetCalls(): void;
  /** Replaces the stand-in's behaviour for one operation (its answers are still validated). */
  overrideHandler(operationId: string, handler: Handler): void;
  assertNoViolations(): void;
  close(): Promise<void>;
}

interface Reply {
  status: number;
  body?: unknown;
  rawBody?: Buffer;
  /** Streamed from disk (asset downloads). */
  file?: StoredFile;
  headers: Record<string, string>;
}

function errorBody(
  status: number,
  message: string,
  extra: Partial<Record<string, unknown>> = {},
): Record<string, unknown> {
  return { message, documentation_url: DOCS, status: String(status), ...extra };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Streams a request body to `path`, hashing and counting as it goes, so an upload of any size costs the
 * stand-in a few chunks of memory. A failed or aborted body leaves no file behind.
 */
async function receiveToFile(req: IncomingMessage, path: string): Promise<ReceivedUpload> {
  const hash = createHash("sha256");
  let size = 0;
  try {
    await pipeline(
      req,
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          hash.update(chunk);
          size += chunk.length;
          yield chunk;
        }
      },
      createWriteStream(path, { highWaterMark: 1024 * 1024 }),
    );
  } catch (error) {
    await rm(path, { force: true });
    throw error;
  }
  return { path, size, sha256: hash.digest("hex"), claimed: false };
}

function tokenOf(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  const m = header ? /^(?:token|bearer)\s+(\S+)$/i.exec(header) : null;
  return m?.[1];
}

export async function startStandin(options: StandinOptions = {}): Promise<Standin> {
  const spec = loadGitHubSpec();
  const violations: Violation[] = [];
  const calls = new CallCounter();
  const faults = new FaultInjector(options.faultSeed ?? 1);
  const readOnly = new Set(options.readOnlyTokens ?? []);
  const valid = options.validTokens ? new Set(options.validTokens) : undefined;
  const overrides = new Map<string, Handler>();
  const tokens = new TokenRegistry();

  /** Whether the issue (or issue comment) a call addresses belongs to a pull request. */
  function addressesPullRequest(pathParams: Record<string, string>): boolean {
    const repo = state.findRepo(pathParams.owner ?? "", pathParams.repo ?? "");
    if (!repo) return false;
    if (pathParams.issue_number) return repo.issues.get(Number(pathParams.issue_number))?.isPull ?? false;
    if (pathParams.comment_id) {
      const comment = repo.comments.get(Number(pathParams.comment_id));
      return comment ? (repo.issues.get(comment.issueNumber)?.isPull ?? false) : false;
    }
    return false;
  }

  /** An error answer: the documented shape when the operation lists the status, GitHub's basic error otherwise. */
  function errorReply(
    operation: OperationSpec,
    status: number,
    body: Record<string, unknown>,
    headers: Record<string, string> = {},
  ): Reply {
    const documented = operation.responses.get(String(status));
    if (documented && !documented.jsonSchema) return { status, headers };
    return { status, body, headers };
  }

  function validateReply(
    operation: OperationSpec,
    reply: Reply,
    context: { method: string; path: string },
  ): void {
    const documented = operation.responses.get(String(reply.status));
    let errors: SpecValidationError[];
    if (!documented && PLATFORM_WIDE_STATUSES.has(reply.status)) {
      errors = spec.validateAgainst("basic-error", spec.basicError, reply.body);
    } else {
      errors = spec.validateResponse(operation, reply.status, reply.body);
    }
    if (errors.length > 0) {
      violations.push({
        kind: "response",
        ...context,
        operationId: operation.operationId,
        status: reply.status,
        errors,
      });
    }
  }

  async function handleApi(
    req: IncomingMessage,
    url: URL,
    pathname: string,
    onUploads: boolean,
  ): Promise<Reply> {
    const method = (req.method ?? "GET").toUpperCase();
    const match = spec.match(method, pathname);
    const where = { method, path: pathname };
    if (!match) {
      violations.push({
        kind: "route",
        ...where,
        errors: [{ where: "route", message: "no such operation in GitHub's API description" }],
      });
      calls.record({ ...where, operationId: "(unknown)", status: 404 });
      return { status: 404, body: errorBody(404, "Not Found"), headers: {} };
    }
    const { operation } = match;
    // Upload bodies (release assets, up to 2 GiB each at GitHub) go to disk, never into one Buffer.
    const upload = operation.uploads ? await receiveToFile(req, state.newFilePath()) : undefined;
    const rawBody = upload ? Buffer.alloc(0) : await readBody(req);
    let reply: Reply;
    try {
      reply = await answer(req, url, operation, match.pathParams, rawBody, upload, onUploads, where);
    } finally {
      if (upload && !upload.claimed) state.removeFile(upload.path);
    }
    calls.record({ ...where, operationId: operation.operationId, status: reply.status });
    validateReply(operation, reply, where);
    return reply;
  }

  async function answer(
    req: IncomingMessage,
    url: URL,
    operation: OperationSpec,
    pathParams: Record<string, string>,
    rawBody: Buffer,
    upload: ReceivedUpload | undefined,
    onUploads: boolean,
    where: { method: string; path: string },
  ): Promise<Reply> {
    if (onUploads !== operation.uploads) {
      violations.push({
        kind: "route",
        ...where,
        operationId: operation.operationId,
        errors: [
          {
            where: "origin",
            message: operation.uploads
              ? "must be sent to the uploads origin"
              : "must be sent to the API origin, not uploads",
          },
        ],
      });
      return errorReply(operation, 404, errorBody(404, "Not Found"));
    }

    const token = tokenOf(req);
    const isWrite = where.method !== "GET" && where.method !== "HEAD";
    if (token === undefined && isWrite)
      return errorReply(operation, 401, errorBody(401, "Requires authentication"));
    if (token !== undefined && valid && !valid.has(token))
      return errorReply(operation, 401, errorBody(401, "Bad credentials"));
    if (token !== undefined && isWrite && readOnly.has(token)) {
      return errorReply(operation, 403, errorBody(403, NOT_ACCESSIBLE));
    }
    const grant = tokens.grantOf(token);
    if (grant) {
      const need = scopeNeeded(operation, addressesPullRequest(pathParams));
      if (need === undefined || (need && !need.anyOf.some((scope) => covers(grant[scope], need.level))))
        return errorReply(operation, 403, errorBody(403, NOT_ACCESSIBLE));
    }

    const { values, errors: paramErrors } = spec.validateParameters(operation, pathParams, url.searchParams);
    let body: unknown;
    const requestErrors = [...paramErrors];
    const contentType = String(req.headers["content-type"] ?? "");
    if (
      rawBody.length > 0 &&
      (contentType.includes("json") || (!contentType && operation.requestBody?.jsonSchema))
    ) {
      try {
        body = JSON.parse(rawBody.toString("utf8"));
      } catch {
        requestErrors.push({ where: "body", message: "is not valid JSON" });
      }
    }
    if (operation.requestBody?.jsonSchema) requestErrors.push(...spec.validateRequestBody(operation, body));
    else if (body !== undefined && !operation.requestBody)
      requestErrors.push({ where: "body", message: "operation takes no body" });
    if (operation.uploads && (upload?.size ?? rawBody.length) === 0 && !req.headers["content-length"]) {
      requestErrors.push({ where: "body", message: "upload has no content-length" });
    }
    if (requestErrors.length > 0) {
      violations.push({
        kind: "request",
        ...where,
        operationId: operation.operationId,
        errors: requestErrors,
      });
      return {
        status: 422,
        body: errorBody(422, "Invalid request (stand-in)", {
          errors: requestErrors.map((e) => ({ code: "invalid", field: e.where, message: e.message })),
        }),
        headers: {},
      };
    }

    const fault = faults.pick({
      operationId: operation.operationId,
      method: where.method,
      pathname: where.path,
    });
    if (fault && (fault.phase ?? (fault.leaveEmptyAsset ? "after" : "before")) === "before")
      return faultReply(operation, fault);

    const ctx: HandlerContext = {
      state,
      operationId: operation.operationId,
      params: values,
      body,
      rawBody,
      upload,
      headers: req.headers,
      url,
      breakUpload: Boolean(fault?.leaveEmptyAsset),
    };
    const handler = overrides.get(operation.operationId) ?? HANDLERS[operation.operationId];
    let result: HandlerResult;
    if (!handler) {
      violations.push({
        kind: "handler",
        ...where,
        operationId: operation.operationId,
        errors: [
          { where: "stand-in", message: "operation is documented but the stand-in does not implement it" },
        ],
      });
      return { status: 404, body: errorBody(404, "Not Found"), headers: {} };
    }
    try {
      result = handler(ctx);
    } catch (error) {
      if (error instanceof GitHubHttpError) {
        const reply = errorReply(
          operation,
          error.status,
          errorBody(error.status, error.message, error.errors ? { errors: error.errors } : {}),
        );
        if (!operation.responses.has(String(error.status)) && !PLATFORM_WIDE_STATUSES.has(error.status)) {
          violations.push({
            kind: "response",
            ...where,
            operationId: operation.operationId,
            status: error.status,
            errors: [
              {
                where: `status ${error.status}`,
                message: "stand-in answered with a status the operation does not document",
              },
            ],
          });
        }
        return reply;
      }
      throw error;
    }
    if (fault) return faultReply(operation, fault);
    return { status: result.status, body: result.body, headers: result.headers ?? {} };
  }

  function faultReply(operation: OperationSpec, fault: ActiveFault): Reply {
    if (fault.secondaryRateLimit) {
      return errorReply(
        operation,
        403,
        errorBody(
          403,
          "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000:0000:0000.",
          {
            documentation_url:
              "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
          },
        ),
        { "retry-after": String(fault.secondaryRateLimit.retryAfterSeconds) },
      );
    }
    if (fault.primaryRateLimit) {
      const reset = Math.ceil(Date.now() / 1000) + fault.primaryRateLimit.resetAfterSeconds;
      return errorReply(
        operation,
        403,
        errorBody(
          403,
          "API rate limit exceeded for installation. If you reach out to GitHub Support for help, please include the request ID 0000.",
          {
            documentation_url:
              "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limit",
          },
        ),
        {
          "x-ratelimit-limit": "5000",
          "x-ratelimit-remaining": "0",
          "x-ratelimit-used": "5000",
          "x-ratelimit-reset": String(reset),
          "x-ratelimit-resource": "core",
        },
      );
    }
    const status = fault.status ?? 500;
    const messages: Record<number, string> = {
      500: "Server Error",
      502: "Server Error",
      503: "Service Unavailable",
      404: "Not Found",
      422: "Validation Failed",
    };
    return errorReply(operation, status, errorBody(status, messages[status] ?? "Error"));
  }

  function handleWeb(pathname: string): Reply | undefined {
    const s = state;
    const storage = /^\/_storage\/([^/]+)\/([^/]+)\/assets\/(\d+)$/.exec(pathname);
    const download = /^\/([^/]+)\/([^/]+)\/releases\/download\/([^/]+)\/([^/]+)$/.exec(pathname);
    const m = storage ?? download;
    if (!m) return undefined;
    const repo = s.findRepo(decodeURIComponent(m[1]), decodeURIComponent(m[2]));
    const asset = repo
      ? storage
        ? repo.assets.get(Number(m[3]))
        : [...repo.assets.values()].find(
            (a) =>
              a.name === decodeURIComponent(m[4]) &&
              repo.releases.get(a.releaseId)?.tagName === decodeURIComponent(m[3]),
          )
      : undefined;
    if (!asset)
      return { status: 404, rawBody: Buffer.from("Not Found"), headers: { "content-type": "text/plain" } };
    return { status: 200, file: asset, headers: { "content-type": asset.contentType } };
  }

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "127.0.0.1"}`);
    let reply: Reply | undefined;
    if (url.pathname.startsWith(`${WEB_PREFIX}/`)) {
      await readBody(req);
      reply = handleWeb(url.pathname.slice(WEB_PREFIX.length));
      if (!reply) {
        violations.push({
          kind: "route",
          method: req.method ?? "GET",
          path: url.pathname,
          errors: [{ where: "route", message: "unknown web path" }],
        });
        reply = { status: 404, rawBody: Buffer.from("Not Found"), headers: {} };
      }
    } else if (url.pathname.startsWith(`${UPLOADS_PREFIX}/`)) {
      reply = await handleApi(req, url, url.pathname.slice(UPLOADS_PREFIX.length), true);
    } else {
      reply = await handleApi(req, url, url.pathname, false);
    }
    const headers: Record<string, string> = {
      "x-github-request-id": `STANDIN:${calls.total}`,
      "x-github-media-type": "github.v3; format=json",
      ...reply.headers,
    };
    if (reply.file) {
      res.writeHead(reply.status, { ...headers, "content-length": String(reply.file.size) });
      try {
        await pipeline(createReadStream(reply.file.path, { highWaterMark: 1024 * 1024 }), res);
      } catch (error) {
        // A client that stops reading a download is its own business, not a stand-in failure.
        if ((error as NodeJS.ErrnoException).code !== "ERR_STREAM_PREMATURE_CLOSE") throw error;
      }
      return;
    }
    let payload: Buffer | undefined = reply.rawBody;
    if (payload === undefined && reply.body !== undefined) {
      payload = Buffer.from(JSON.stringify(reply.body));
      headers["content-type"] = "application/json; charset=utf-8";
    }
    res.writeHead(reply.status, { ...headers, "content-length": String(payload?.length ?? 0) });
    res.end(payload);
  }

  const server = createServer((req, res) => {
    dispatch(req, res).catch((error: unknown) => {
      violations.push({
        kind: "handler",
        method: req.method ?? "GET",
        path: req.url ?? "",
        errors: [
          {
            where: "stand-in",
            message: error instanceof Error ? (error.stack ?? error.message) : String(error),
          },
        ],
      });
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify(errorBody(500, "stand-in crashed")));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Handlers only run once a request arrives, which needs the port this state's URLs are built from.
  const state = new StandinState({
    api: origin,
    uploads: `${origin}${UPLOADS_PREFIX}`,
    web: `${origin}${WEB_PREFIX}`,
  });

  return {
    url: origin,
    uploadUrl: state.urls.uploads,
    webUrl: state.urls.web,
    state,
    calls,
    faults,
    violations,
    spec,
    tokens,
    resetCalls: () => calls.reset(),
    overrideHandler: (operationId, handler) => {
      if (!spec.operations.has(operationId))
        throw new Error(`stand-in: no operation ${operationId} in GitHub's API description`);
      overrides.set(operationId, handler);
    },
    assertNoViolations() {
      if (violations.length === 0) return;
      const lines = violations.map(
        (v) =>
          `- ${v.kind}: ${v.method} ${v.path}${v.operationId ? ` (${v.operationId}${v.status ? ` → ${v.status}` : ""})` : ""}\n` +
          v.errors.map((e) => `    ${e.where}: ${e.message}`).join("\n"),
      );
      throw new Error(
        `GitHub stand-in recorded ${violations.length} violation(s) of GitHub's API description:\n${lines.join("\n")}`,
      );
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => {
          state.removeFiles();
          if (error) reject(error);
          else resolve();
        });
      }),
  };
}
