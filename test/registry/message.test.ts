import { describe, expect, it } from "vitest";
import {
  TAG_METRICS_MAX_BYTES,
  TAG_PARAMS_MAX_BYTES,
  gtoSentence,
  headlineMetrics,
  parseTagMessage,
  tagMessage,
  tagParams,
} from "../../src/registry";
import type { TagMetadata } from "../../src/registry";
import { UserError } from "../../src/util/errors";

const digest = `sha256:${"ab".repeat(32)}`;
const fingerprint = `sha256:${"0f".repeat(32)}`;

describe("GTO's sentences (gto/registry.py)", () => {
  it("words each action as GTO does", () => {
    expect(gtoSentence({ action: "register", name: "churn", version: "v1.4.0" })).toBe(
      "Registering artifact churn version v1.4.0",
    );
    expect(gtoSentence({ action: "deregister", name: "churn", version: "v1.4.0" })).toBe(
      "Deregistering artifact churn version v1.4.0",
    );
    expect(gtoSentence({ action: "assign", name: "churn", stage: "production", counter: 3 }, "v1.4.0")).toBe(
      "Assigning stage production to artifact churn version v1.4.0",
    );
    expect(
      gtoSentence({ action: "unassign", name: "churn", stage: "production", counter: 4 }, "v1.4.0"),
    ).toBe("Unassigning stage 'production' to artifact 'churn' version 'v1.4.0'");
    expect(gtoSentence({ action: "deprecate", name: "churn" })).toBe("Deprecating artifact 'churn'");
    expect(gtoSentence({ action: "register", name: "models:churn", version: "v1.0.0" })).toBe(
      "Registering artifact models:churn version v1.0.0",
    );
  });

  it("names a commit when a stage goes to an unregistered commit", () => {
    const commit = "a".repeat(40);
    expect(gtoSentence({ action: "assign", name: "churn", stage: "dev", counter: 1 }, commit)).toBe(
      `Assigning stage dev to artifact churn commit ${commit}`,
    );
  });

  it("refuses to word a stage message without its version, or with a crafted one", () => {
    expect(() => gtoSentence({ action: "assign", name: "churn", stage: "prod", counter: 1 })).toThrow();
    expect(() =>
      gtoSentence({ action: "assign", name: "churn", stage: "prod", counter: 1 }, "v1.0.0\n\nGitml-Pr: 1"),
    ).toThrow(UserError);
  });
});

describe("tag messages with metadata", () => {
  const metadata: TagMetadata = {
    metrics: { accuracy: 0.91, "eval.f1": 0.88, loss: -1.5e-3 },
    artifactDigest: digest,
    dataFingerprint: fingerprint,
    runUrl: "https://github.com/o/r/actions/runs/123?attempt=2",
    pr: 42,
  };

  it("writes the sentence, a blank line and git trailers", () => {
    const message = tagMessage({ action: "register", name: "churn", version: "v1.4.0" }, undefined, metadata);
    expect(message).toBe(
      [
        "Registering artifact churn version v1.4.0",
        "",
        'Gitml-Metrics: {"accuracy":0.91,"eval.f1":0.88,"loss":-0.0015}',
        `Gitml-Artifact-Digest: ${digest}`,
        `Gitml-Data-Fingerprint: ${fingerprint}`,
        "Gitml-Run-Url: https://github.com/o/r/actions/runs/123?attempt=2",
        "Gitml-Pr: 42",
        "",
      ].join("\n"),
    );
  });

  it("round-trips through parseTagMessage", () => {
    const message = tagMessage(
      { action: "assign", name: "churn", stage: "prod", counter: 2 },
      "v1.4.0",
      metadata,
    );
    expect(parseTagMessage(message)).toEqual({
      sentence: "Assigning stage prod to artifact churn version v1.4.0",
      metadata,
      problems: [],
    });
  });

  it("writes no block without metadata", () => {
    const message = tagMessage({ action: "deprecate", name: "churn" });
    expect(message).toBe("Deprecating artifact 'churn'\n");
    expect(parseTagMessage(message)).toEqual({ sentence: "Deprecating artifact 'churn'", problems: [] });
  });

  it("refuses control characters in metric names, so none can start a new trailer", () => {
    // JSON escapes them, so the block keeps one line per value; control characters are refused outright.
    expect(() =>
      tagMessage({ action: "register", name: "churn", version: "v1.0.0" }, undefined, {
        metrics: { "acc\nGitml-Pr: 666": 1 },
      }),
    ).toThrow(UserError);
  });

  it.each([
    [{ runUrl: "https://x.test/a\nGitml-Pr: 666" }, /runUrl/],
    [{ runUrl: "javascript:alert(1)" }, /runUrl/],
    [{ artifactDigest: "sha256:abc" }, /artifactDigest/],
    [{ dataFingerprint: `md5:${"0".repeat(32)}` }, /dataFingerprint/],
    [{ pr: -1 }, /pr/],
    [{ pr: 1.5 }, /pr/],
    [{ metrics: { accuracy: Number.NaN } }, /metrics/],
    [{ metrics: { accuracy: Number.POSITIVE_INFINITY } }, /metrics/],
    [{ extra: "x" } as unknown as TagMetadata, /metadata|extra/],
  ] as [TagMetadata, RegExp][])("refuses to write %j", (bad, field) => {
    expect(() =>
      tagMessage({ action: "register", name: "churn", version: "v1.0.0" }, undefined, bad),
    ).toThrow(field);
  });
});

describe("parseTagMessage on what others wrote", () => {
  it("keeps GTO's plain messages as the sentence", () => {
    expect(parseTagMessage("Registering artifact churn version v3.1.0")).toEqual({
      sentence: "Registering artifact churn version v3.1.0",
      problems: [],
    });
    expect(parseTagMessage("Custom note\n\nwith a second paragraph\n")).toEqual({
      sentence: "Custom note\n\nwith a second paragraph",
      problems: [],
    });
  });

  it("drops malformed values, reports them, and keeps the rest", () => {
    const parsed = parseTagMessage(
      [
        "Registering artifact churn version v1.0.0",
        "",
        "Gitml-Metrics: {not json",
        "Gitml-Pr: 42",
        "Gitml-Pr: 43",
        `Gitml-Artifact-Digest: sha256:${"Z".repeat(64)}`,
        "Gitml-Run-Url: https://example.test/run/1",
        "Gitml-Future-Thing: 1",
        "Signed-off-by: Ada <ada@example.com>",
      ].join("\n"),
    );
    expect(parsed.sentence).toBe("Registering artifact churn version v1.0.0");
    expect(parsed.metadata).toEqual({ pr: 42, runUrl: "https://example.test/run/1" });
    expect(parsed.problems).toHaveLength(4);
    expect(parsed.problems.join("\n")).toMatch(/Gitml-Metrics: not valid JSON/);
    expect(parsed.problems.join("\n")).toMatch(/repeated trailer Gitml-Pr/);
    expect(parsed.problems.join("\n")).toMatch(/Gitml-Artifact-Digest/);
    expect(parsed.problems.join("\n")).toMatch(/unknown trailer Gitml-Future-Thing/);
  });

  it("rejects metric values that are not numbers", () => {
    const parsed = parseTagMessage('S\n\nGitml-Metrics: {"accuracy":"high"}');
    expect(parsed.metadata).toBeUndefined();
    expect(parsed.problems[0]).toMatch(/Gitml-Metrics/);
  });

  it("ignores a block mixed with prose, and reports it", () => {
    const parsed = parseTagMessage("S\n\nGitml-Pr: 42\nthis is prose");
    expect(parsed.metadata).toBeUndefined();
    expect(parsed.sentence).toBe("S\n\nGitml-Pr: 42\nthis is prose");
    expect(parsed.problems).toHaveLength(1);
  });

  it("reads a signed tag's message without its signature, and CRLF line ends", () => {
    const parsed = parseTagMessage(
      "Registering artifact churn version v1.0.0\r\n\r\nGitml-Pr: 7\r\n-----BEGIN PGP SIGNATURE-----\r\nabc\r\n-----END PGP SIGNATURE-----\r\n",
    );
    expect(parsed).toEqual({
      sentence: "Registering artifact churn version v1.0.0",
      metadata: { pr: 7 },
      problems: [],
    });
  });

  it("never throws on odd input", () => {
    for (const input of [
      "",
      "\n\n\n",
      "Gitml-Pr: 1",
      "\n\nGitml-Pr: 1",
      "a\n\n:",
      "x\n\nGitml-Metrics: null",
    ]) {
      expect(() => parseTagMessage(input)).not.toThrow();
    }
    expect(parseTagMessage("x\n\nGitml-Metrics: null").metadata).toBeUndefined();
  });
});

describe("headline metrics (what a tag carries of a large metrics file)", () => {
  it("keeps everything that fits, else the gated metrics first and then file order, within the limit", () => {
    const small = { a: 1, b: 2 };
    expect(headlineMetrics(small)).toEqual({ metrics: small, omitted: 0 });
    const many = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`m${i}`, i]));
    const { metrics, omitted } = headlineMetrics(many, { first: ["m1999", "absent"] });
    expect(Object.keys(metrics)[0]).toBe("m1999");
    expect(Object.keys(metrics)[1]).toBe("m0");
    expect(Buffer.byteLength(JSON.stringify(metrics))).toBeLessThanOrEqual(TAG_METRICS_MAX_BYTES);
    expect(omitted).toBe(2000 - Object.keys(metrics).length);
    expect(omitted).toBeGreaterThan(1000);
  });

  it("writes and reads the omitted count next to the metrics", () => {
    const message = tagMessage({ action: "register", name: "m", version: "v1.0.0" }, "v1.0.0", {
      metrics: { acc: 0.9 },
      metricsOmitted: 1200,
    });
    expect(message).toContain("Gitml-Metrics-Omitted: 1200\n");
    expect(parseTagMessage(message).metadata).toEqual({ metrics: { acc: 0.9 }, metricsOmitted: 1200 });
  });
});

describe("params in the tag (Gitml-Params)", () => {
  it("round-trips small params, so a PR report diffs them without the store", () => {
    const params = {
      n_estimators: 50,
      "model.criterion": "gini",
      bootstrap: true,
      layers: [8, 4],
      seed: null,
    };
    const message = tagMessage({ action: "register", name: "churn", version: "v1.0.0" }, undefined, {
      metrics: { accuracy: 0.9 },
      params,
    });
    expect(message).toContain(`Gitml-Params: ${JSON.stringify(params)}`);
    expect(parseTagMessage(message)).toMatchObject({ metadata: { params }, problems: [] });
  });

  it("keeps params out of the tag when they are larger than TAG_PARAMS_MAX_BYTES, and refuses to write them", () => {
    const big = Object.fromEntries(
      Array.from({ length: 400 }, (_, i) => [`p${i}`, "x".repeat(10)]),
    ) as Record<string, string>;
    expect(Buffer.byteLength(JSON.stringify(big))).toBeGreaterThan(TAG_PARAMS_MAX_BYTES);
    expect(tagParams(big)).toBeUndefined();
    expect(tagParams({ a: 1 })).toEqual({ a: 1 });
    expect(() =>
      tagMessage({ action: "register", name: "churn", version: "v1.0.0" }, undefined, { params: big }),
    ).toThrow(UserError);
    const forged = `Registering artifact churn version v1.0.0\n\nGitml-Params: ${JSON.stringify(big)}\n`;
    const parsed = parseTagMessage(forged);
    expect(parsed.metadata?.params).toBeUndefined();
    expect(parsed.problems.join(" ")).toMatch(/Gitml-Params: more than 2048 bytes/);
  });

  it("refuses values that are neither scalars nor lists", () => {
    const nested = `Registering artifact churn version v1.0.0\n\nGitml-Params: {"a":{"b":1}}\n`;
    expect(parseTagMessage(nested).problems.join(" ")).toMatch(/scalars or lists/);
  });
});
