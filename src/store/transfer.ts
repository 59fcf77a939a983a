import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import { pipeline } from "node:stream/promises";

/** An HTTP answer that was not 2xx, with what GitHub said. */
export class TransferError extends Error {
  override readonly name = "TransferError";
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

function send(
  url: URL,
  options: http.RequestOptions,
): { request: http.ClientRequest; response: Promise<http.IncomingMessage> } {
  const transport = url.protocol === "https:" ? https : http;
  const agent = url.protocol === "https:" ? agents.https : agents.http;
  let request!: http.ClientRequest;
  const response = new Promise<http.IncomingMessage>((resolve, reject) => {
    request = transport.request(url, { agent, ...options }, resolve);
    request.on("error", reject);
  });
  return { request, response };
}

async function readText(response: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function failure(response: http.IncomingMessage, what: string): Promise<TransferError> {
  const text = await readText(response).catch(() => "");
  let message = text.slice(0, 300);
  try {
    message = (JSON.parse(text) as { message?: string }).message ?? message;
  } catch {
    // not JSON: keep the text
  }
  const retryAfter = Number(response.headers["retry-after"]);
  return new TransferError(
    `${what} failed: HTTP ${response.statusCode} ${message}`.trim(),
    response.statusCode,
    Number.isFinite(retryAfter) ? retryAfter : undefined,
  );
}

/**
 * Streams a byte range of a file as the body of a POST (GitHub's asset upload), so a multi-GiB part never
 * sits in memory. Returns the parsed JSON answer.
 */
export async function uploadFileRange(options: {
  url: URL;
  file: string;
  start: number;
  /** Bytes to send. */
  length: number;
  contentType: string;
  headers: Record<string, string>;
}): Promise<unknown> {
  const { request, response } = send(options.url, {
    method: "POST",
    headers: {
      ...options.headers,
      "content-type": options.contentType,
      "content-length": String(options.length),
    },
  });
  const body =
    options.length === 0
      ? undefined
      : createReadStream(options.file, {
          start: options.start,
          end: options.start + options.length - 1,
          highWaterMark: 1024 * 1024,
        });
  const sent = body ? pipeline(body, request) : new Promise<void>((resolve) => request.end(resolve));
  const [answer] = await Promise.all([response, sent.catch(() => undefined)]);
  if (!answer.statusCode || answer.statusCode >= 300)
    throw await failure(answer, `uploading to ${options.url.pathname}`);
  return JSON.parse(await readText(answer)) as unknown;
}

/**
 * Streams a download into a file (appending at `start` when given), following redirects; credentials
 * are only sent to the origin they belong to, as GitHub's signed storage URLs refuse them.
 */
export async function downloadToFile(options: {
  url: URL;
  headers: Record<string, string>;
  file: string;
  /** Append to the file instead of replacing it. */
  append?: boolean;
}): Promise<{ sha256: string; size: number }> {
  let url = options.url;
  let headers = options.headers;
  for (let hop = 0; hop < 5; hop++) {
    const { request, response } = send(url, { method: "GET", headers });
    request.end();
    const answer = await response;
    const status = answer.statusCode ?? 0;
    if (status >= 300 && status < 400 && answer.headers.location) {
      answer.resume();
      const next = new URL(answer.headers.location, url);
      if (next.origin !== options.url.origin) {
        headers = Object.fromEntries(
          Object.entries(headers).filter(([k]) => k.toLowerCase() !== "authorization"),
        );
      }
      url = next;
      continue;
    }
    if (status < 200 || status >= 300) throw await failure(answer, `downloading ${url.pathname}`);
    const hash = createHash("sha256");
    let size = 0;
    await pipeline(
      answer,
      async function* (source) {
        for await (const chunk of source) {
          hash.update(chunk as Buffer);
          size += (chunk as Buffer).length;
          yield chunk;
        }
      },
      createWriteStream(options.file, { flags: options.append ? "a" : "w" }),
    );
    return { sha256: hash.digest("hex"), size };
  }
  throw new TransferError(`downloading ${options.url.pathname}: too many redirects`, undefined);
}
