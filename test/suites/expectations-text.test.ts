import { describe, expect, it } from "vitest";
import {
  formatCount,
  formatSet,
  formatShare,
  mostlySuffix,
  rangePhrase,
  withinBounds,
} from "../../src/suites/expectations/text";

describe("expectation wording", () => {
  it("shares never round a partial failure to 0% or 100%", () => {
    expect(formatShare(0)).toBe("0%");
    expect(formatShare(1)).toBe("100%");
    expect(formatShare(0.0123)).toBe("1.23%");
    expect(formatShare(1e-7)).toBe("<0.01%");
    expect(formatShare(1 - 1e-7)).toBe(">99.99%");
  });

  it("ranges read as words, strictness included", () => {
    expect(rangePhrase({ min: 0, max: 120 })).toBe("between 0 and 120");
    expect(rangePhrase({ min: 9, max: 9 })).toBe("exactly 9");
    expect(rangePhrase({ min: 0, max: 1, strictMin: true })).toBe("greater than 0 and at most 1");
    expect(rangePhrase({ max: 0.5, strictMax: true })).toBe("less than 0.5");
    expect(rangePhrase({ min: 1234567 })).toBe("at least 1234567");
    expect(rangePhrase({})).toBe("any value");
  });

  it("bounds apply strictness, and NaN is never within bounds", () => {
    expect(withinBounds(0, { min: 0 })).toBe(true);
    expect(withinBounds(0, { min: 0, strictMin: true })).toBe(false);
    expect(withinBounds(1, { max: 1, strictMax: true })).toBe(false);
    expect(withinBounds(NaN, { min: 0 })).toBe(false);
    expect(withinBounds(NaN, {})).toBe(false);
  });

  it("counts, sets and `mostly`", () => {
    expect(formatCount(1234567)).toBe("1,234,567");
    expect(formatSet(["a", 1, true])).toBe('{"a", 1, true}');
    expect(formatSet(Array.from({ length: 12 }, (_, i) => i))).toBe(
      "{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, … (2 more)}",
    );
    expect(mostlySuffix(1)).toBe("");
    expect(mostlySuffix(0.99, "rows")).toBe(" for ≥ 99% of rows");
  });
});
