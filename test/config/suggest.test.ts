import { describe, expect, it } from "vitest";
import { nearest } from "../../src/config";

const modelKeys = [
  "path",
  "train",
  "outputs",
  "stages",
  "promotions",
  "compare_to",
  "bump",
  "gates",
  "monitor",
  "owners",
];

describe("nearest", () => {
  it("matches case, separators and spelling slips", () => {
    expect(nearest("compareTo", modelKeys)).toBe("compare_to");
    expect(nearest("compare-to", modelKeys)).toBe("compare_to");
    expect(nearest("compare_too", modelKeys)).toBe("compare_to");
    expect(nearest("stage", modelKeys)).toBe("stages");
    expect(nearest("gaets", modelKeys)).toBe("gates");
    expect(nearest("mni", ["min", "max", "metric"])).toBe("min");
    expect(nearest("prod", ["staging", "production"])).toBe("production");
  });

  it("stays quiet when nothing is close", () => {
    expect(nearest("version", modelKeys)).toBeUndefined();
    expect(nearest("x", modelKeys)).toBeUndefined();
    expect(nearest("pr", ["production", "preprod"])).toBeUndefined();
  });
});
