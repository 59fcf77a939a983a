import { readdir, readFile } from "node:fs/promises";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import {
  globFiles,
  openDataEngine,
  queryRows,
  quoteIdent,
  quoteString,
  tableReaderSql,
  textReaderSql,
} from "../../src/monitor/read/engine";

const SRC = path.resolve(__dirname, "../../src");
const ENGINE = path.join("monitor", "read", "engine.ts");

async function sourceFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await sourceFiles(full)));
    else if (entry.name.endsWith(".ts")) files.push(full);
  }
  return files;
}

/** Code lines that load the package (a static import, `import type`, or a dynamic import), comments aside. */
function importsDuckDb(text: string): boolean {
  return text
    .split("\n")
    .filter((line) => !/^\s*(\*|\/\/|\/\*)/.test(line))
    .some((line) => /from\s+["']@duckdb\/node-api["']|import\(\s*["']@duckdb\/node-api["']\s*\)/.test(line));
}

describe("the data engine", () => {
  it("is the only module that imports @duckdb/node-api", async () => {
    const importers: string[] = [];
    for (const file of await sourceFiles(SRC))
      if (importsDuckDb(await readFile(file, "utf8"))) importers.push(path.relative(SRC, file));
    expect(importers).toEqual([ENGINE]);
  });

  it("the import check sees static, type-only and dynamic imports but not comments", () => {
    expect(importsDuckDb('import type { DuckDBConnection } from "@duckdb/node-api";')).toBe(true);
    expect(importsDuckDb('  const d = await import("@duckdb/node-api");')).toBe(true);
    expect(importsDuckDb(' * so that `import("@duckdb/node-api")` loads it')).toBe(false);
  });

  it("applies its settings to the instance and to every connection", async () => {
    const engine = await openDataEngine({ memoryLimit: "512MB", threads: 1, anyRowOrder: true });
    try {
      const second = await engine.connect();
      for (const connection of [engine.connection, second]) {
        const [row] = await queryRows(
          connection,
          "SELECT current_setting('threads')::DOUBLE AS threads, current_setting('preserve_insertion_order') AS ordered, current_setting('memory_limit') AS memory",
        );
        expect(row).toMatchObject({ threads: 1, ordered: false });
        expect(String(row!.memory)).toMatch(/^(488\.2 MiB|512\.0 MB|512MB)$/);
      }
    } finally {
      engine.close();
    }
  });

  it("quotes identifiers and strings so that user names cannot end them", async () => {
    const engine = await openDataEngine();
    try {
      const name = `a "quoted" it's`;
      const [row] = await queryRows(engine.connection, `SELECT ${quoteString(name)} AS ${quoteIdent(name)}`);
      expect(row).toEqual({ [name]: name });
      expect(await globFiles(engine.connection, path.join(SRC, "monitor", "read", "engine.*"))).toEqual([
        path.join(SRC, ENGINE),
      ]);
    } finally {
      engine.close();
    }
  });

  it("reads CSV strictly for tables and as text for labelled data", () => {
    expect(tableReaderSql("csv", "it's.csv", false)).toBe(
      "read_csv('it''s.csv', header = true, strict_mode = true, null_padding = false, ignore_errors = false, union_by_name = true)",
    );
    expect(textReaderSql("tsv", "x.tsv")).toContain("all_varchar = true, filename = true, delim = '\\t'");
  });
});
