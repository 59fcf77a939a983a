import * as fs from "node:fs/promises";
import * as path from "node:path";
import type { AlertSink } from "./alerts";

export type AlertAction = "opened" | "updated" | "closed" | "none";

export interface LocalAlertOptions {
  /** Folder holding the alerts, e.g. `.gitml/alerts`. */
  dir: string;
  model: string;
  alerting: boolean;
  /** The run's report, appended while the alert is open. */
  body: string;
  now?: Date;
}

const OPEN_MARKER = "<!-- gitml:alert status=open -->";

/**
 * The laptop's stand-in for the monitoring issue, with the same lifecycle: one open alert file per
 * model, opened on drift, a section added per run while drift persists, closed (moved to `closed/`) when
 * the data recovers. Nothing is written while all is well.
 */
export async function updateLocalAlert(
  options: LocalAlertOptions,
): Promise<{ action: AlertAction; file?: string }> {
  const name = options.model.replace(/[^\w.-]/g, "_");
  const file = path.join(options.dir, `${name}.md`);
  const when = (options.now ?? new Date()).toISOString();
  const open = await fs.readFile(file, "utf8").then(
    (text) => text.startsWith(OPEN_MARKER),
    () => false,
  );
  if (options.alerting && !open) {
    await fs.mkdir(options.dir, { recursive: true });
    await fs.writeFile(
      file,
      `${OPEN_MARKER}\n# Drift alert: ${options.model}\n\nOpened ${when}.\n\n## ${when}\n\n${options.body}\n`,
    );
    return { action: "opened", file };
  }
  if (options.alerting && open) {
    await fs.appendFile(file, `\n## ${when}\n\n${options.body}\n`);
    return { action: "updated", file };
  }
  if (!options.alerting && open) {
    await fs.appendFile(file, `\n## ${when}: recovered\n\n${options.body}\n`);
    const closedDir = path.join(options.dir, "closed");
    await fs.mkdir(closedDir, { recursive: true });
    const closed = path.join(closedDir, `${name}-${when.replace(/[:.]/g, "-")}.md`);
    await fs.rename(file, closed);
    return { action: "closed", file: closed };
  }
  return { action: "none" };
}

/** The local alert files in `dir` (e.g. `.gitml/alerts`) as monitoring's alert sink. */
export function localAlertSink(dir: string): AlertSink {
  return {
    name: "alert file",
    update: (verdict) =>
      updateLocalAlert({ dir, model: verdict.model, alerting: verdict.alerting, body: verdict.markdown }),
  };
}
