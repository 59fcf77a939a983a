import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SuiteData } from "../../src/suites/data";
import { describeUserError, UserError } from "../../src/util/errors";

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "gitml-suite-data-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("SuiteData", () => {
  it("answers queries issued at once, on tables every connection sees", async () => {
    const rows = (n: number, offset: number) =>
      `k,v\n${Array.from({ length: n }, (_, i) => `${offset + i},${(offset + i) % 7}`).join("\n")}\n`;
    await writeFile(join(dir, "a.csv"), rows(3000, 0));
    await writeFile(join(dir, "b.csv"), rows(500, 10_000));
    const data = await SuiteData.open({ baseDir: dir, files: { a: "a.csv", b: "b.csv" } });
    try {
      const [a, b] = await Promise.all([data.table("a"), data.table("b")]);
      expect([a.rows, b.rows]).toEqual([3000, 500]);
      // More concurrent statements than connections: they queue, and each gets its own answer.
      const sums = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          data.query(`SELECT sum(k)::DOUBLE AS s FROM ${i % 2 ? b.sql : a.sql} WHERE v = ${i}`),
        ),
      );
      const expected = (n: number, offset: number, v: number) =>
        Array.from({ length: n }, (_, i) => offset + i)
          .filter((k) => k % 7 === v)
          .reduce((sum, k) => sum + k, 0);
      expect(sums.map(([row]) => row!.s)).toEqual(
        Array.from({ length: 6 }, (_, i) => (i % 2 ? expected(500, 10_000, i) : expected(3000, 0, i))),
      );
    } finally {
      data.close();
    }
  });

  it("a malformed file is a user error naming it as the suite does, with the line", async () => {
    const row = (i: number) => `${i},${i % 7},${i % 2 ? "a" : "b"}`;
    const rows = (n: number, bad: number, text: string) =>
      `k,v,w\n${Array.from({ length: n }, (_, i) => (i === bad ? text : row(i))).join("\n")}\n`;
    await writeFile(join(dir, "short.csv"), rows(200, 100, "100,2"));
    // Beyond the first MiB (checked in JavaScript), DuckDB's strict reader finds the row.
    await writeFile(join(dir, "late.csv"), rows(120_000, 110_000, '110000,"x,1'));
    await writeFile(join(dir, "header.csv"), "k,v,w\n");
    await writeFile(join(dir, "empty.parquet"), "");
    const data = await SuiteData.open({
      baseDir: dir,
      files: { short: "short.csv", late: "late.csv", header: "header.csv", empty: "empty.parquet" },
    });
    const message = (name: string) =>
      data.table(name).then(
        () => "read",
        (error: unknown) => (error instanceof UserError ? describeUserError(error) : String(error)),
      );
    try {
      expect(await message("short")).toBe(
        "short.csv:102: this row has 2 values but the header has 3 columns (a short or cut-off row)",
      );
      expect(await message("late")).toMatch(/^late\.csv:110002: a quoted value is never closed/);
      expect(await message("header")).toBe("header.csv:1: the file has a header but no data rows");
      expect(await message("empty")).toBe("empty.parquet: the file is empty");
    } finally {
      data.close();
    }
  });
});
