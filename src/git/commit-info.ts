import { execFile } from "node:child_process";
import type { CommitInfo } from "../registry/types";

const FORMAT = ["%H", "%cd", "%an", "%ae", "%cn", "%ce", "%B"].join("%x00");
const FIELDS = 7;

/**
 * Describes commits the way GTO's `Commit` enrichment does (author, committer, raw message, committer
 * time in the committer's own offset), in one `git log --no-walk` call. Commits git cannot read (a
 * shallow clone, a pruned object) are left out.
 */
export async function describeCommits(
  cwd: string,
  commits: readonly string[],
): Promise<Map<string, CommitInfo>> {
  const wanted = commits.filter((c) => /^[0-9a-f]{40,64}$/.test(c));
  const described = new Map<string, CommitInfo>();
  if (wanted.length === 0) return described;
  const args = [
    "log",
    "--no-walk=unsorted",
    "--ignore-missing",
    "-z",
    "--date=raw",
    `--format=${FORMAT}`,
    ...wanted,
    "--",
  ];
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile("git", args, { cwd, maxBuffer: 256 * 1024 * 1024, encoding: "utf8" }, (error, out, stderr) => {
      if (error)
        reject(new Error(`git ${args.slice(0, 6).join(" ")} … failed: ${stderr.trim() || error.message}`));
      else resolve(out);
    });
  });
  const fields = stdout.split("\0");
  for (let i = 0; i + FIELDS <= fields.length; i += FIELDS) {
    const [commit, raw, authorName, authorEmail, committerName, committerEmail, message] = fields.slice(
      i,
      i + FIELDS,
    ) as [string, string, string, string, string, string, string];
    const date = /^(\d+) ([+-])(\d\d)(\d\d)$/.exec(raw);
    const offset = date ? (Number(date[3]) * 3600 + Number(date[4]) * 60) * (date[2] === "-" ? -1 : 1) : 0;
    described.set(commit, {
      commit,
      date: date ? Number(date[1]) : 0,
      utcOffset: offset,
      authorName,
      authorEmail,
      committerName,
      committerEmail,
      message,
    });
  }
  return described;
}
