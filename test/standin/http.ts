/** What a resource module sees of a request, and the shape of what it answers. */
import type { RepoRecord, StandinState, StoredFile } from "./state";

/** A request body the server streamed to disk (uploads origin); unclaimed files are removed after the reply. */
export interface ReceivedUpload extends StoredFile {
  /** Set by a handler that keeps the file (it now belongs to a record). */
  claimed: boolean;
}

export interface HandlerContext {
  state: StandinState;
  operationId: string;
  /** Path and query parameters, coerced to their documented types. */
  params: Record<string, unknown>;
  body: unknown;
  /** The request body; empty for uploads, whose body is streamed to `upload` instead. */
  rawBody: Buffer;
  /** The body of a request to the uploads origin, on disk. */
  upload?: ReceivedUpload;
  headers: Record<string, string | string[] | undefined>;
  /** The request URL as the client addressed it (for Link headers). */
  url: URL;
  /** Set when an injected fault asks the upload to leave a broken, empty asset behind. */
  breakUpload: boolean;
}

export interface HandlerResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Handler = (ctx: HandlerContext) => HandlerResult;
export type HandlerTable = Record<string, Handler>;

/** An answer GitHub gives as an error; the server validates it against the operation like any response. */
export class GitHubHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: Array<{ resource?: string; field?: string; code: string; message?: string }>,
  ) {
    super(message);
  }
}

export function notFound(): GitHubHttpError {
  return new GitHubHttpError(404, "Not Found");
}

export function validationFailed(
  resource: string,
  field: string,
  code: string,
  message?: string,
): GitHubHttpError {
  return new GitHubHttpError(422, "Validation Failed", [
    { resource, field, code, ...(message ? { message } : {}) },
  ]);
}

export function repoOf(ctx: HandlerContext): RepoRecord {
  const repo = ctx.state.findRepo(String(ctx.params.owner), String(ctx.params.repo));
  if (!repo) throw notFound();
  return repo;
}

export function intParam(ctx: HandlerContext, name: string): number {
  return Number(ctx.params[name]);
}

export function bodyOf<T>(ctx: HandlerContext): T {
  return (ctx.body ?? {}) as T;
}

/**
 * One page of `items` as GitHub serves it: `per_page` (default 30, max 100) and `page` (1-based), with a
 * Link header carrying next/last and prev/first relations built from the request URL.
 */
export function paginate<T>(ctx: HandlerContext, items: T[], render: (item: T) => unknown): HandlerResult {
  const perPage = Math.min(Math.max(Number(ctx.params.per_page ?? 30) || 30, 1), 100);
  const page = Math.max(Number(ctx.params.page ?? 1) || 1, 1);
  const lastPage = Math.max(Math.ceil(items.length / perPage), 1);
  const slice = items.slice((page - 1) * perPage, page * perPage);
  const linkTo = (n: number) => {
    const url = new URL(ctx.url.href);
    url.searchParams.set("per_page", String(perPage));
    url.searchParams.set("page", String(n));
    return url.href;
  };
  const links: string[] = [];
  if (page > 1) links.push(`<${linkTo(page - 1)}>; rel="prev"`);
  if (page < lastPage) links.push(`<${linkTo(page + 1)}>; rel="next"`, `<${linkTo(lastPage)}>; rel="last"`);
  if (page > 1) links.push(`<${linkTo(1)}>; rel="first"`);
  return {
    status: 200,
    body: slice.map(render),
    headers: links.length > 0 ? { link: links.join(", ") } : {},
  };
}

/** Pagination for endpoints that wrap the page in an object with `total_count` (actions runs, artifacts). */
export function paginateWrapped<T>(
  ctx: HandlerContext,
  items: T[],
  key: string,
  render: (item: T) => unknown,
): HandlerResult {
  const page = paginate(ctx, items, render);
  return { ...page, body: { total_count: items.length, [key]: page.body } };
}
