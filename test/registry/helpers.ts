import type { TagRecord } from "../../src/registry/types";

/** A 40-hex commit id derived from a short label, so tests can name commits readably. */
export function sha(label: string): string {
  let hex = "";
  for (const char of label) hex += char.charCodeAt(0).toString(16).padStart(2, "0");
  return hex.padEnd(40, "0").slice(0, 40);
}

export function record(tag: string, commit: string, date: number, extra: Partial<TagRecord> = {}): TagRecord {
  return {
    tag,
    annotated: true,
    commit: sha(commit),
    date,
    taggerName: "Ada",
    taggerEmail: "ada@example.com",
    message: `message of ${tag}\n`,
    ...extra,
  };
}
