/**
 * GitHub's published OpenAPI description (npm @octokit/openapi, api.github.com) turned into a router and
 * ajv validators. We load the non-dereferenced variant: it parses in a fraction of the time of the 70 MB
 * dereferenced one, and keeping `$ref`s lets ajv compile each shared component once.
 */
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface ParameterSpec {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required: boolean;
  schema: JsonObject;
}

export interface ResponseSpec {
  /** Schema of the application/json body, if the response documents one. */
  jsonSchema?: JsonObject;
  contentTypes: string[];
}

export interface OperationSpec {
  operationId: string;
  method: string;
  pathTemplate: string;
  parameters: ParameterSpec[];
  requestBody?: { required: boolean; contentTypes: string[]; jsonSchema?: JsonObject };
  responses: Map<string, ResponseSpec>;
  /** Served from the uploads origin (uploads.github.com) rather than the API origin. */
  uploads: boolean;
  /** GitHub's docs category and subcategory (`x-github`), e.g. "issues" / "comments". */
  category: string;
  subcategory: string;
}

export interface RouteMatch {
  operation: OperationSpec;
  pathParams: Record<string, string>;
}

export interface SpecValidationError {
  where: string;
  message: string;
}

const SCHEMA_DOC_ID = "github-openapi";

/** OpenAPI 3.0 `nullable: true` has no meaning in JSON Schema; rewrite it as an explicit null type. */
function toJsonSchema(node: Json): Json {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (node === null || typeof node !== "object") return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "example" || key === "examples" || key.startsWith("x-")) continue;
    if (key === "$ref" && typeof value === "string" && value.startsWith("#/components/schemas/")) {
      out[key] = `${SCHEMA_DOC_ID}${value}`;
      continue;
    }
    // `properties` maps names to schemas; a property may itself be called "example".
    if (key === "properties" && value && typeof value === "object" && !Array.isArray(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonSchema(v)]));
      continue;
    }
    out[key] = toJsonSchema(value);
  }
  if (out.nullable === true) {
    delete out.nullable;
    if (typeof out.type === "string") {
      out.type = [out.type, "null"];
      if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
      return out;
    }
    return { anyOf: [out, { type: "null" }] };
  }
  delete out.nullable;
  return out;
}

function collectFormats(node: Json, into: Set<string>): void {
  if (Array.isArray(node)) node.forEach((n) => collectFormats(n, into));
  else if (node && typeof node === "object") {
    for (const [key, value] of Object.entries(node)) {
      if (key === "format" && typeof value === "string") into.add(value);
      else collectFormats(value, into);
    }
  }
}

interface CompiledRoute {
  method: string;
  regex: RegExp;
  paramNames: string[];
  literalSegments: number;
  operation: OperationSpec;
}

export class GitHubSpec {
  readonly operations = new Map<string, OperationSpec>();
  private readonly routes: CompiledRoute[] = [];
  private readonly ajv: Ajv;
  private readonly paramAjv: Ajv;
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly doc: JsonObject;

  constructor(doc: JsonObject) {
    this.doc = doc;
    const components = doc.components as JsonObject;
    const schemas = toJsonSchema(components.schemas) as JsonObject;
    const formats = new Set<string>();
    collectFormats(doc, formats);
    const makeAjv = (coerceTypes: boolean): Ajv => {
      const ajv = new Ajv({ strict: false, allErrors: true, coerceTypes, validateFormats: true });
      const addFormats = addFormatsModule as unknown as (a: Ajv) => Ajv;
      addFormats(ajv);
      for (const format of formats) if (!ajv.formats[format]) ajv.addFormat(format, true);
      ajv.addSchema({ $id: SCHEMA_DOC_ID, components: { schemas } });
      return ajv;
    };
    this.ajv = makeAjv(false);
    this.paramAjv = makeAjv(true);

    for (const [pathTemplate, item] of Object.entries(doc.paths as JsonObject)) {
      const pathItem = item as JsonObject;
      const sharedParams = (pathItem.parameters as Json[] | undefined) ?? [];
      for (const [method, opJson] of Object.entries(pathItem)) {
        if (!["get", "post", "put", "patch", "delete", "head"].includes(method)) continue;
        const op = opJson as JsonObject;
        const operation = this.buildOperation(method.toUpperCase(), pathTemplate, op, sharedParams);
        this.operations.set(operation.operationId, operation);
        this.routes.push(this.compileRoute(operation));
      }
    }
    // A literal segment beats a parameter: /releases/latest before /releases/{release_id}.
    this.routes.sort((a, b) => b.literalSegments - a.literalSegments);
  }

  private resolve(node: Json): JsonObject {
    let current = node as JsonObject;
    while (current && typeof current.$ref === "string") {
      const pointer = (current.$ref as string).replace(/^#\//, "").split("/");
      let target: Json = this.doc;
      for (const part of pointer)
        target = (target as JsonObject)[part.replace(/~1/g, "/").replace(/~0/g, "~")];
      current = target as JsonObject;
    }
    return current;
  }

  private buildOperation(
    method: string,
    pathTemplate: string,
    op: JsonObject,
    shared: Json[],
  ): OperationSpec {
    const parameters: ParameterSpec[] = [];
    for (const raw of [...shared, ...((op.parameters as Json[] | undefined) ?? [])]) {
      const p = this.resolve(raw);
      parameters.push({
        name: p.name as string,
        in: p.in as ParameterSpec["in"],
        required: p.required === true,
        schema: toJsonSchema(p.schema ?? {}) as JsonObject,
      });
    }
    let requestBody: OperationSpec["requestBody"];
    if (op.requestBody) {
      const body = this.resolve(op.requestBody);
      const content = (body.content ?? {}) as JsonObject;
      const json = content["application/json"] as JsonObject | undefined;
      requestBody = {
        required: body.required === true,
        contentTypes: Object.keys(content),
        jsonSchema: json?.schema ? (toJsonSchema(json.schema) as JsonObject) : undefined,
      };
    }
    const responses = new Map<string, ResponseSpec>();
    for (const [status, raw] of Object.entries((op.responses ?? {}) as JsonObject)) {
      const response = this.resolve(raw);
      const content = (response.content ?? {}) as JsonObject;
      const json = content["application/json"] as JsonObject | undefined;
      responses.set(status, {
        contentTypes: Object.keys(content),
        jsonSchema: json?.schema ? (toJsonSchema(json.schema) as JsonObject) : undefined,
      });
    }
    const servers = op.servers as JsonObject[] | undefined;
    return {
      operationId: op.operationId as string,
      method,
      pathTemplate,
      parameters,
      requestBody,
      responses,
      uploads: Boolean(servers?.some((s) => String(s.url).includes("uploads.github.com"))),
      category: String((op["x-github"] as JsonObject | undefined)?.category ?? ""),
      subcategory: String((op["x-github"] as JsonObject | undefined)?.subcategory ?? ""),
    };
  }

  private compileRoute(operation: OperationSpec): CompiledRoute {
    const paramNames: string[] = [];
    let literalSegments = 0;
    const segments = operation.pathTemplate.split("/").slice(1);
    const pattern = segments
      .map((segment, index) => {
        const m = /^\{(.+)\}$/.exec(segment);
        if (!m) {
          literalSegments++;
          return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        }
        paramNames.push(m[1]);
        // Git refs ("heads/main") may arrive with raw slashes when they are the last segment.
        const greedy = index === segments.length - 1 && (m[1] === "ref" || m[1] === "path");
        return greedy ? "(.+)" : "([^/]+)";
      })
      .join("/");
    return {
      method: operation.method,
      regex: new RegExp(`^/${pattern}$`),
      paramNames,
      literalSegments,
      operation,
    };
  }

  match(method: string, pathname: string): RouteMatch | undefined {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const m = route.regex.exec(pathname);
      if (!m) continue;
      const pathParams: Record<string, string> = {};
      route.paramNames.forEach((name, i) => (pathParams[name] = decodeURIComponent(m[i + 1])));
      return { operation: route.operation, pathParams };
    }
    return undefined;
  }

  private validator(key: string, schema: JsonObject, coerce: boolean): ValidateFunction {
    const cacheKey = `${coerce ? "coerce" : "strict"}:${key}`;
    let fn = this.validators.get(cacheKey);
    if (!fn) {
      fn = (coerce ? this.paramAjv : this.ajv).compile(schema);
      this.validators.set(cacheKey, fn);
    }
    return fn;
  }

  /**
   * Validates path and query parameters (coercing their string form to the documented type) and
   * returns the coerced values alongside any problems found.
   */
  validateParameters(
    operation: OperationSpec,
    pathParams: Record<string, string>,
    query: URLSearchParams,
  ): { values: Record<string, unknown>; errors: SpecValidationError[] } {
    const errors: SpecValidationError[] = [];
    const values: Record<string, unknown> = {};
    const known = new Set<string>();
    for (const param of operation.parameters) {
      if (param.in !== "path" && param.in !== "query") continue;
      if (param.in === "query") known.add(param.name);
      let raw: unknown;
      if (param.in === "path") raw = pathParams[param.name];
      else if (param.schema.type === "array")
        raw = query.has(param.name) ? query.getAll(param.name) : undefined;
      else raw = query.get(param.name) ?? undefined;
      if (raw === undefined) {
        if (param.required) errors.push({ where: `${param.in}.${param.name}`, message: "is required" });
        continue;
      }
      const holder = { value: raw };
      const fn = this.validator(
        `${operation.operationId}:${param.in}:${param.name}`,
        { type: "object", properties: { value: param.schema } },
        true,
      );
      if (!fn(holder)) errors.push(...formatErrors(`${param.in}.${param.name}`, fn.errors));
      values[param.name] = holder.value;
    }
    for (const name of new Set(query.keys())) {
      if (!known.has(name)) errors.push({ where: `query.${name}`, message: "is not a documented parameter" });
    }
    return { values, errors };
  }

  validateRequestBody(operation: OperationSpec, body: unknown): SpecValidationError[] {
    const spec = operation.requestBody;
    if (!spec?.jsonSchema) return [];
    if (body === undefined) return spec.required ? [{ where: "body", message: "is required" }] : [];
    const fn = this.validator(`${operation.operationId}:request`, spec.jsonSchema, false);
    return fn(body) ? [] : formatErrors("body", fn.errors);
  }

  validateResponse(operation: OperationSpec, status: number, body: unknown): SpecValidationError[] {
    const documented = operation.responses.get(String(status)) ?? operation.responses.get("default");
    if (!documented) {
      return [
        {
          where: `status ${status}`,
          message: `is not documented (${[...operation.responses.keys()].join(", ")})`,
        },
      ];
    }
    return this.validateAgainst(`${operation.operationId}:${status}`, documented, body);
  }

  validateAgainst(key: string, documented: ResponseSpec, body: unknown): SpecValidationError[] {
    if (!documented.jsonSchema) {
      return body === undefined
        ? []
        : [{ where: "body", message: "response documents no JSON body but one was sent" }];
    }
    const fn = this.validator(`${key}:response`, documented.jsonSchema, false);
    return fn(body) ? [] : formatErrors("body", fn.errors);
  }

  /** GitHub's generic error body, for platform-wide answers (auth, rate limits) an operation need not list. */
  get basicError(): ResponseSpec {
    return {
      contentTypes: ["application/json"],
      jsonSchema: { $ref: `${SCHEMA_DOC_ID}#/components/schemas/basic-error` },
    };
  }
}

function formatErrors(prefix: string, errors: ErrorObject[] | null | undefined): SpecValidationError[] {
  return (errors ?? []).slice(0, 40).map((e) => ({
    where: `${prefix}${e.instancePath}`,
    message: `${e.message ?? "invalid"}${e.params ? ` ${JSON.stringify(e.params)}` : ""}`,
  }));
}

let cached: GitHubSpec | undefined;

/** The spec is large; parse and index it once per process (each vitest fork pays it once). */
export function loadGitHubSpec(): GitHubSpec {
  if (!cached) {
    const require = createRequire(import.meta.url);
    const file = require.resolve("@octokit/openapi/generated/api.github.com.json");
    cached = new GitHubSpec(JSON.parse(readFileSync(file, "utf8")) as JsonObject);
  }
  return cached;
}
