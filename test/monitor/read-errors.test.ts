/**
 * Malformed data is the user's error, at its file and line: never a profile of the wrong columns (one
 * short row used to make DuckDB's sniffer read the whole header as one column) nor of part of the rows
 * (a streamed scan that fails part-way used to end like a finished one).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { profileData } from "../../src/monitor/read";
import { UserError, describeUserError } from "../../src/util/errors";
import { tempDir } from "./helpers";

const { dir, cleanup } = tempDir();
afterAll(cleanup);

/** A CSV of `rows` rows of four columns; `edit` may replace any row's text (0-based data row). */
export function csvText(rows: number, edit: (row: number, text: string) => string = (_, t) => t): string {
  const lines = ["id,amount,city,flag"];
  for (let i = 0; i < rows; i++)
    lines.push(edit(i, `${i},${((i * 7919) % 1000) / 10},${["Lyon", "Oslo", "Lima"][i % 3]},${i % 2 === 0}`));
  return `${lines.join("\n")}\n`;
}

function write(name: string, content: string | Buffer): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

async function readError(paths: string[], partition?: { index: number; count: number }): Promise<string> {
  try {
    await profileData({ paths, partition });
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return describeUserError(error as UserError);
  }
  throw new Error(`${paths.join(", ")} was read without an error`);
}

describe("malformed data files", () => {
  it("a short row is an error at its line, not a one-column profile", async () => {
    const file = write(
      "short.csv",
      csvText(200, (i, t) => (i === 100 ? "100,12.5" : t)),
    );
    expect(await readError([file])).toBe(
      `${file}:102: this row has 2 values but the header has 4 columns (a short or cut-off row)`,
    );
  });

  it("a cut-off last line is an error at its line", async () => {
    const file = write("cut.csv", `${csvText(200)}200,33`);
    expect(await readError([file])).toMatch(new RegExp(`^${file}:202: this row has 2 values`));
  });

  it("a row with too many values is an error at its line", async () => {
    const file = write(
      "long.csv",
      csvText(50, (i, t) => (i === 7 ? `${t},extra` : t)),
    );
    expect(await readError([file])).toMatch(
      new RegExp(`^${file}:9: this row has 5 values but the header has 4`),
    );
  });

  it("an unclosed quote is an error, not a literal value", async () => {
    const file = write(
      "quote.csv",
      csvText(20, (i, t) => (i === 3 ? '3,1.5,"Lyon,true' : t)),
    );
    expect(await readError([file])).toMatch(
      new RegExp(`^${file}:5: a quoted value opened on line 5 is never closed`),
    );
  });

  it("header-only and empty files are errors", async () => {
    const header = write("header.csv", "id,amount,city,flag\n");
    expect(await readError([header])).toBe(`${header}:1: the file has a header but no data rows`);
    const empty = write("empty.csv", "");
    expect(await readError([empty])).toBe(`${empty}: the file is empty`);
    const blank = write("blank.csv", "\n\n");
    expect(await readError([blank])).toBe(`${blank}: the file is empty (no header, no rows)`);
    const emptyParquet = write("empty.parquet", "");
    expect(await readError([emptyParquet])).toBe(`${emptyParquet}: the file is empty`);
  });

  it("bytes that are not UTF-8 are an error at their line and offset", async () => {
    const text = Buffer.from(csvText(5));
    const at = text.indexOf("Lima");
    text[at + 1] = 0xe9;
    const file = write("latin1.csv", text);
    expect(await readError([file])).toBe(
      `${file}:4: byte ${at + 1} (0xe9) is not UTF-8 text: save the file as UTF-8`,
    );
  });

  it("a corrupt Parquet file says what is wrong without DuckDB's dump", async () => {
    const file = write("corrupt.parquet", Buffer.concat([Buffer.from("PAR1"), Buffer.alloc(64)]));
    const message = await readError([file]);
    expect(message).toBe(`${file}: not a Parquet file, or a cut-off one: its PAR1 footer is missing`);
  });

  it("malformed JSON Lines are an error naming the line", async () => {
    const file = write("bad.jsonl", '{"a": 1}\n{"a": 2\n{"a": 3}\n');
    expect(await readError([file])).toMatch(
      new RegExp(`^${file}: malformed JSON at or just before line \\d`),
    );
  });

  // Beyond the first MiB, which is checked in JavaScript, DuckDB's strict reader finds the row: both
  // inside its sniffing sample and after it (where a streamed scan used to stop silently).
  const big = (badRow: number, bad: string) => csvText(60_000, (i, t) => (i === badRow ? bad : t));
  it("finds a bad row inside DuckDB's sniffing sample of a large file", async () => {
    const file = write("big-early.csv", big(15_000, "15000,1"));
    expect(await readError([file])).toMatch(new RegExp(`^${file}:15002: this row has 2 values`));
  });

  it("finds a bad row after the sample instead of profiling the rows before it", async () => {
    const file = write("big-late.csv", big(50_000, "50000,1"));
    expect(await readError([file])).toMatch(new RegExp(`^${file}:50002: this row has 2 values`));
    const quoted = write("big-quote.csv", big(50_000, '50000,1,"Lyon,true'));
    expect(await readError([quoted])).toMatch(new RegExp(`^${quoted}:50002: a quoted value is never closed`));
    const gz = write("big-late.csv.gz", gzipSync(big(50_000, "50000,1")));
    expect(await readError([gz])).toMatch(new RegExp(`^${gz}:50002: this row has 2 values`));
  });

  it("files of different columns (read by name, where DuckDB keeps no rejects) are checked too", async () => {
    const a = write("union-a.csv", "id,amount\n1,2.5\n2,3.5\n");
    const b = write("union-b.csv", "amount,id,city\n4.5,3,Oslo\n");
    const profile = await profileData({ paths: [a, b] });
    expect(profile.rows).toBe(3);
    expect(profile.columns.map((c) => c.name).sort()).toEqual(["amount", "city", "id"]);
    const late = write("union-late.csv", big(50_000, "50000,1"));
    expect(await readError([a, late])).toMatch(new RegExp(`^${late}:50002: this row has 2 values`));
  });

  it("a row-range partition reports the source file's line", async () => {
    const file = write("big-parts.csv", big(50_000, "50000,1"));
    const messages: string[] = [];
    for (let index = 0; index < 4; index++) {
      try {
        await profileData({ paths: [file], partition: { index, count: 4 } });
      } catch (error) {
        messages.push(describeUserError(error as UserError));
      }
    }
    expect(messages).toEqual([
      `${file}:50002: this row has 2 values but the header has 4 columns (a short or cut-off row)`,
    ]);
    const header = write("header-parts.csv", "id,amount,city,flag\n");
    expect(await readError([header], { index: 1, count: 4 })).toBe(
      `${header}:1: the file has a header but no data rows`,
    );
  });

  it("still reads well-formed files: semicolons, quotes with delimiters and newlines, CRLF, a BOM", async () => {
    const semicolon = write("semi.csv", "a;b\n1;x\n2;y\n");
    expect((await profileData({ paths: [semicolon] })).columns.map((c) => c.name)).toEqual(["a", "b"]);
    const quoted = write("quoted.csv", '\uFEFFa,b\r\n1,"x, ""y""\r\nz"\r\n2,w\r\n');
    const profile = await profileData({ paths: [quoted] });
    expect(profile.rows).toBe(2);
    expect(profile.columns.map((c) => c.name)).toEqual(["a", "b"]);
    const mac = write("mac.csv", "a,b\r1,x\r2,y\r");
    expect((await profileData({ paths: [mac] })).rows).toBe(2);
    const inch = write("inch.csv", 'a,b\n1,12" screen\n2,ok\n');
    expect((await profileData({ paths: [inch] })).rows).toBe(2);
  });
});
