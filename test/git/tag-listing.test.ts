import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { GitCli } from "../../src/git/git";
import {
  parseTagRefs,
  prefetchStartedTagRead,
  prefetchTagListing,
  TagObjectParser,
} from "../../src/git/tag-listing";
import { startTagRead } from "../../src/git/tag-read-start";
import type { TagRecord } from "../../src/registry/types";
// The benchmark's generator: 10,000 registry tags in one `git fast-import`.
import { generateRegistryRepo } from "../../bench/registry.mjs";
import { createRepo, git, gitEnv, tempDir, type TestRepo } from "../helpers/repo";

let repo: TestRepo | undefined;
let dir: string | undefined;
afterEach(async () => {
  await repo?.cleanup();
  repo = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Writes an object from raw bytes, as git would never write it itself (`--literally`: no fsck). */
function writeObject(cwd: string, type: string, content: Buffer | string): string {
  return execFileSync("git", ["hash-object", "-t", type, "-w", "--stdin", "--literally"], {
    cwd,
    env: gitEnv(),
    input: content,
    encoding: "utf8",
  }).trim();
}

const SEPARATOR = "\u0000";

/**
 * Every field as ONE `git for-each-ref` gives it (how gitml read tags before): the reference the
 * two-process listing must match, parsed here as plainly as possible.
 */
function forEachRefFields(cwd: string): Array<Omit<TagRecord, "action">> {
  const format = [
    "%(refname:strip=2)",
    "%(objecttype)",
    "%(objectname)",
    "%(*objectname)",
    "%(creatordate:raw)",
    "%(taggername)",
    "%(taggeremail:trim)",
    "%(contents)",
  ].join("%00");
  const output = execFileSync("git", ["for-each-ref", `--format=${format}%00`, "refs/tags"], {
    cwd,
    env: gitEnv(),
    encoding: "utf8",
  });
  const fields = output.split(`${SEPARATOR}\n`).filter((record) => record !== "");
  return fields.map((record) => {
    const [tag, type, object, peeled, date, taggerName, taggerEmail, contents] = record.split(SEPARATOR);
    const zone = /^\d+ ([+-])(\d\d)(\d\d)$/.exec(date!);
    const offset = zone ? Number(zone[2]) * 3600 + Number(zone[3]) * 60 : 0;
    return {
      tag: tag!,
      annotated: type === "tag",
      commit: type === "tag" ? peeled! : object!,
      date: Number(date!.split(" ")[0]) || 0,
      utcOffset: zone?.[1] === "-" && offset !== 0 ? -offset : offset,
      taggerName: taggerName!,
      taggerEmail: taggerEmail!,
      message: contents!.endsWith("\n") ? contents!.slice(0, -1) : contents!,
    };
  });
}

function plain(records: readonly TagRecord[]): Array<Omit<TagRecord, "action">> {
  return records.map((r) => ({
    tag: r.tag,
    annotated: r.annotated,
    commit: r.commit,
    date: r.date,
    utcOffset: r.utcOffset ?? 0,
    taggerName: r.taggerName,
    taggerEmail: r.taggerEmail,
    message: r.message,
  }));
}

/** Tags of every shape git can hold, well-formed or not, with the bytes another tool might write. */
function makeOddTags(cwd: string): void {
  const head = git(cwd, ["rev-parse", "HEAD"]);
  const tree = git(cwd, ["rev-parse", "HEAD^{tree}"]);
  const blob = writeObject(cwd, "blob", "some bytes\n");
  const tagObject = (lines: string) => writeObject(cwd, "tag", lines);
  const tag = (name: string, object: string) => git(cwd, ["update-ref", `refs/tags/${name}`, object]);

  git(cwd, ["tag", "-a", "-m", "Registering artifact churn version v1.0.0", "churn@v1.0.0"], {
    GIT_COMMITTER_DATE: "1700000000 +0530",
  });
  git(cwd, ["tag", "-a", "--cleanup=verbatim", "-m", "line\n\n\n  indented\n\n", "churn#prod#1"], {
    GIT_COMMITTER_DATE: "1700000001 -0000",
  });
  git(cwd, ["tag", "-a", "-m", "Ünïcödé 名前 message", "-m", "second paragraph", "ünï@v1.0.0"], {
    GIT_COMMITTER_NAME: "Zoë 名前",
    GIT_COMMITTER_DATE: "1700000002 -0930",
  });
  git(cwd, ["tag", "-a", "-m", "a tag of a tag", "nested@v1.0.0", "churn@v1.0.0"]);
  git(cwd, ["tag", "-a", "-m", "a tag of a blob", "blobby@v1.0.0", blob]);
  tag("light@v1.0.0", head);
  tag("light-blob", blob);
  tag("light-tree", tree);
  const header = (name: string) => `object ${head}\ntype commit\ntag ${name}\n`;
  tag("no-tagger", tagObject(`${header("no-tagger")}\nno tagger line\n`));
  tag("no-date", tagObject(`${header("no-date")}tagger Some One <one@example.com>\n\nno date\n`));
  tag("no-email", tagObject(`${header("no-email")}tagger Some One 1700000000 +0000\n\nno email\n`));
  tag("odd-zone", tagObject(`${header("odd-zone")}tagger A <a@b> 1700000000 +05\n\nshort zone\n`));
  tag("long-zone", tagObject(`${header("long-zone")}tagger A <a@b> 1700000000 +123456\n\nlong zone\n`));
  tag("no-zone", tagObject(`${header("no-zone")}tagger A <a@b> 1700000000\n\nno zone\n`));
  tag("header-only", tagObject(`${header("header-only")}tagger A <a@b> 1700000000 +0100\n`));
  tag("empty-message", tagObject(`${header("empty-message")}tagger A <a@b> 1700000000 +0100\n\n`));
  tag("blank-lines", tagObject(`${header("blank-lines")}tagger A <a@b> 1 +0100\n\n\n\n\nafter blanks\n`));
  tag("crlf", tagObject(`${header("crlf")}tagger A <a@b> 1700000000 +0000\r\n\r\nwindows\r\nlines\r\n`));
  tag(
    "two-taggers",
    tagObject(`${header("two-taggers")}tagger First <1@x> 1000 +0100\ntagger Second <2@x> 2000 +0200\n\nm\n`),
  );
  tag("extra-header", tagObject(`${header("extra-header")}tagger A <a@b> 5 +0000\nencoding latin1\n\nm\n`));
  tag(
    "nul-in-message",
    tagObject(`${header("nul-in-message")}tagger A <a@b> 1700000000 +0000\n\nbefore\u0000after\n`),
  );
  tag(
    "signed",
    tagObject(
      `${header("signed")}tagger A <a@b> 1700000000 +0000\n\nsigned\n-----BEGIN PGP SIGNATURE-----\n\nabc\n-----END PGP SIGNATURE-----\n`,
    ),
  );
  tag(
    "latin1-bytes",
    writeObject(
      cwd,
      "tag",
      Buffer.concat([
        Buffer.from(`${header("latin1-bytes")}tagger Jos`),
        Buffer.from([0xe9]),
        Buffer.from(" <j@x> 1700000000 +0000\n\nd"),
        Buffer.from([0xe9, 0xe0, 0x80]),
        Buffer.from("j\n"),
      ]),
    ),
  );
  const commitWithBytes = writeObject(
    cwd,
    "commit",
    Buffer.concat([
      Buffer.from(`tree ${tree}\nauthor A <a@b> 1 +0000\ncommitter C <c@d> 1600000005 -0100\n\nmsg `),
      Buffer.from([0xff]),
      Buffer.from("\n"),
    ]),
  );
  tag("light-odd-commit", commitWithBytes);
}

describe("the tag listing (for-each-ref, then cat-file --batch)", () => {
  it("reads every field exactly as one git for-each-ref of the same fields does, odd and malformed tags included", async () => {
    repo = await createRepo();
    makeOddTags(repo.work);
    const expected = forEachRefFields(repo.work);
    expect(expected).toHaveLength(24);

    const read = await new GitCli(repo.work, gitEnv()).readTags();
    expect(plain(read)).toEqual(expected);

    const prefetched = await prefetchTagListing(repo.work).take();
    expect(plain(prefetched!)).toEqual(expected);
    // What replay is handed: the name's registry action, parsed while git printed.
    const byName = new Map(read.map((r) => [r.tag, r]));
    expect(byName.get("churn@v1.0.0")!.action).toEqual({
      action: "register",
      name: "churn",
      version: "v1.0.0",
    });
    expect(byName.get("churn#prod#1")!.action).toEqual({
      action: "assign",
      name: "churn",
      stage: "prod",
      counter: 1,
    });
    expect(byName.get("no-tagger")!.action).toBeNull();
  });

  it("gives the same records whatever the chunks cat-file's output arrives in", async () => {
    repo = await createRepo();
    makeOddTags(repo.work);
    // A tag message of 1 MB arrives in many chunks.
    const big = `${"x".repeat(1 << 20)}\n`;
    const messageFile = path.join(repo.root, "big-message.txt");
    writeFileSync(messageFile, big);
    git(repo.work, ["tag", "-a", "--cleanup=verbatim", "-F", messageFile, "big@v1.0.0"]);
    const refs = parseTagRefs(
      git(repo.work, [
        "for-each-ref",
        "--format=%(objectname) %(objecttype) %(refname:strip=2)",
        "refs/tags",
      ]),
    );
    const requests = refs.filter((r) => r.type === "tag" || r.type === "commit").map((r) => r.object);
    const output = execFileSync("git", ["cat-file", "--batch"], {
      cwd: repo.work,
      env: gitEnv(),
      input: `${requests.join("\n")}\n`,
      maxBuffer: 1 << 26,
    });
    const whole = new TagObjectParser(refs);
    whole.push(output);
    const expected = plain(whole.end());
    expect(expected.find((r) => r.tag === "big@v1.0.0")!.message).toBe(big.slice(0, -1));

    for (const size of [1, 7, 4096, 65_536]) {
      const parser = new TagObjectParser(refs);
      for (let start = 0; start < output.length; start += size)
        parser.push(output.subarray(start, start + size));
      expect(plain(parser.end()), `chunks of ${size} bytes`).toEqual(expected);
    }
    const truncated = new TagObjectParser(refs);
    truncated.push(output.subarray(0, output.length - 10));
    expect(() => truncated.end()).toThrow(/ended before printing tag/);
  });

  it("reports an object cat-file cannot find instead of skipping its tag", () => {
    const refs = parseTagRefs(`${"1".repeat(40)} tag gone@v1.0.0\n`);
    const parser = new TagObjectParser(refs);
    expect(() => parser.push(Buffer.from(`${"1".repeat(40)} missing\n`))).toThrow(
      /missing \(tag gone@v1\.0\.0\)/,
    );
  });

  it("streams a listing of many chunks to cat-file as it arrives, and still reads every tag", async () => {
    dir = await tempDir("gitml-listing-");
    expect(generateRegistryRepo(dir)).toBe(10_000); // a listing of ~650 kB: many chunks
    const prefetched = await prefetchTagListing(dir).take();
    const read = await new GitCli(dir, gitEnv()).readTags();
    expect(prefetched).toHaveLength(10_000);
    expect(plain(prefetched!)).toEqual(plain(read));
    expect(prefetched!.map((r) => r.action)).toEqual(read.map((r) => r.action));
  });

  it("reads a listing that ended before its reader was loaded (the CLI starts git first)", async () => {
    repo = await createRepo();
    git(repo.work, ["tag", "-a", "-m", "first", "churn@v1.0.0"]);
    for (const tags of [1, 0]) {
      if (tags === 0) git(repo.work, ["tag", "-d", "churn@v1.0.0"]);
      const started = startTagRead(repo.work);
      // Long enough for git to list a tag or two and exit: Node drains what nobody reads by then.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const records = await prefetchStartedTagRead(started).take();
      expect(records?.map((r) => r.tag)).toEqual(tags ? ["churn@v1.0.0"] : []);
    }
  });

  it("reads an empty registry (GitCli without starting cat-file)", async () => {
    repo = await createRepo();
    expect(await new GitCli(repo.work, gitEnv()).readTags()).toEqual([]);
    expect(await prefetchTagListing(repo.work).take()).toEqual([]);
  });
});
