/**
 * `${{ }}` expressions evaluated with GitHub's own evaluator (npm @actions/expressions), and template
 * tokens of @actions/workflow-parser turned into plain values against the run's contexts.
 */
import { data, Evaluator, Lexer, Parser } from "@actions/expressions";
import type { FunctionDefinition } from "@actions/expressions/funcs/info";
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface Contexts {
  github: Record<string, Json>;
  inputs: Record<string, Json>;
  env: Record<string, string>;
  steps: Record<string, { outputs: Record<string, string>; outcome: string; conclusion: string }>;
  needs: Record<string, { result: string; outputs: Record<string, string> }>;
  matrix: Record<string, Json>;
  secrets: Record<string, string>;
  vars: Record<string, string>;
  strategy: Record<string, Json>;
  job: Record<string, Json>;
  runner: Record<string, Json>;
}

/** What success(), failure(), always() and cancelled() answer where the expression is evaluated. */
export interface Status {
  failed: boolean;
}

function statusFunctions(status: Status): Map<string, FunctionDefinition> {
  const fn = (name: string, value: () => boolean): [string, FunctionDefinition] => [
    name,
    { name, minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(value()) },
  ];
  return new Map([
    fn("success", () => !status.failed),
    fn("failure", () => status.failed),
    fn("always", () => true),
    fn("cancelled", () => false),
  ]);
}

export function evaluateExpression(expression: string, contexts: Partial<Contexts>, status: Status): Json {
  const lexed = new Lexer(expression).lex();
  const functions = statusFunctions(status);
  const parsed = new Parser(lexed.tokens, Object.keys(contexts), [...functions.values()]).parse();
  const context = JSON.parse(JSON.stringify(contexts), data.reviver) as data.Dictionary;
  const result = new Evaluator(parsed, context, functions).evaluate();
  return JSON.parse(JSON.stringify(result, data.replacer) ?? "null") as Json;
}

/** Truthiness as GitHub decides an `if:` (empty string, 0, null and false are false). */
export function truthy(value: Json): boolean {
  return !(value === null || value === false || value === 0 || value === "");
}

interface TokenLike {
  templateTokenType: number;
}

function tokenKind(token: TemplateToken): string {
  return token.constructor.name.replace(/^_/, "");
}

/** A template token's value: literals as they are, expressions evaluated, mappings and sequences deep. */
export function evaluateToken(
  token: TemplateToken | undefined,
  contexts: Partial<Contexts>,
  status: Status,
): Json {
  if (!token) return null;
  const kind = tokenKind(token);
  const t = token as unknown as TokenLike & Record<string, unknown>;
  switch (kind) {
    case "StringToken":
    case "NumberToken":
    case "BooleanToken":
      return t.value as Json;
    case "NullToken":
      return null;
    case "BasicExpressionToken":
      return evaluateExpression(String(t.expression), contexts, status);
    case "SequenceToken": {
      const sequence = token as unknown as { count: number; get(i: number): TemplateToken };
      return Array.from({ length: sequence.count }, (_, i) =>
        evaluateToken(sequence.get(i), contexts, status),
      );
    }
    case "MappingToken": {
      const result: Record<string, Json> = {};
      for (const [key, value] of mappingEntries(token)) result[key] = evaluateToken(value, contexts, status);
      return result;
    }
    default:
      throw new Error(`cannot evaluate a ${kind}`);
  }
}

/** The entries of a mapping token, keys as strings (keys are literals in workflows). */
export function mappingEntries(token: TemplateToken | undefined): Array<[string, TemplateToken]> {
  if (!token || tokenKind(token) !== "MappingToken") return [];
  const mapping = token as unknown as {
    count: number;
    get(i: number): { key: { toString(): string; value?: unknown }; value: TemplateToken };
  };
  return Array.from({ length: mapping.count }, (_, i) => {
    const pair = mapping.get(i);
    return [String(pair.key.value ?? pair.key.toString()), pair.value];
  });
}

export function mappingValue(token: TemplateToken | undefined, key: string): TemplateToken | undefined {
  return mappingEntries(token).find(([k]) => k === key)?.[1];
}

export function sequenceItems(token: TemplateToken | undefined): TemplateToken[] {
  if (!token || tokenKind(token) !== "SequenceToken") return [];
  const sequence = token as unknown as { count: number; get(i: number): TemplateToken };
  return Array.from({ length: sequence.count }, (_, i) => sequence.get(i));
}

/** How the runner turns a value into an environment variable or an action input. */
export function asString(value: Json): string {
  if (value === null) return "";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}
