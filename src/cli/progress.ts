/**
 * A one-line progress bar on a terminal's stderr for long profiling runs (`gitml monitor`, `gitml
 * profile`): rewritten in place with \r and cleared at the end, so nothing of it stays in the output.
 * On anything that is not a terminal it writes nothing at all: logs and pipes get no control
 * characters, and stdout is never touched.
 */
import type { ProfileProgress } from "../monitor/read/files";

export interface ProgressLine {
  /** What is being done, e.g. "profiling". */
  label: string;
  progress: ProfileProgress;
  elapsedMs: number;
  /** Terminal width: the line never reaches the last column (a terminal would wrap it there). */
  columns: number;
}

const BAR_WIDTH = 24;

const count = (n: number): string => Math.round(n).toLocaleString("en-US");

function duration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/** The bar's text (no control characters): label, bar and share when the total is known, rows, time. */
export function renderProgressLine(line: ProgressLine): string {
  const { rowsDone, rowsTotal } = line.progress;
  const parts = [line.label];
  if (rowsTotal !== undefined && rowsTotal > 0) {
    const share = Math.min(1, Math.max(0, rowsDone / rowsTotal));
    const filled = Math.floor(share * BAR_WIDTH);
    parts.push(
      `[${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}]`,
      `${Math.floor(share * 100)
        .toString()
        .padStart(3)} %`,
      `${count(rowsDone)} / ${count(rowsTotal)} rows`,
    );
  } else parts.push(`${count(rowsDone)} rows`);
  parts.push(duration(line.elapsedMs));
  const text = parts.join("  ");
  const room = Math.max(10, line.columns - 1);
  return text.length <= room ? text : `${text.slice(0, room - 1)}…`;
}

/** The part of a writable stream the bar needs (process.stderr is one). */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

export interface ProgressBar {
  /** Pass as `onProgress` to a command. */
  update: (progress: ProfileProgress) => void;
  /** Clears the line (call it whether the command succeeded or not). */
  done: () => void;
}

/**
 * A progress bar on `stream`, or undefined when it should show nothing: the stream is not a
 * terminal, or `quiet` (e.g. --json with stdout piped, where a script reads the output).
 */
export function progressBar(options: {
  stream: ProgressStream;
  label?: string;
  quiet?: boolean;
  /** Least time between two redraws (default 100 ms). */
  intervalMs?: number;
  now?: () => number;
}): ProgressBar | undefined {
  const { stream } = options;
  if (!stream.isTTY || options.quiet) return undefined;
  const now = options.now ?? Date.now;
  const started = now();
  const interval = options.intervalMs ?? 100;
  let drawn = false;
  let last = -Infinity;
  return {
    update: (progress) => {
      const time = now();
      if (time - last < interval) return;
      last = time;
      const line = renderProgressLine({
        label: options.label ?? "profiling",
        progress,
        elapsedMs: time - started,
        columns: stream.columns || 80, // 0 when the terminal does not say
      });
      // \x1b[K erases what a longer previous line left to the right.
      stream.write(`\r${line}\x1b[K`);
      drawn = true;
    },
    done: () => {
      if (drawn) stream.write("\r\x1b[K");
      drawn = false;
    },
  };
}

/** Runs `work` with a progress bar on stderr (when it is a terminal and not `quiet`), cleared at the end. */
export async function withProgressBar<T>(
  options: { quiet: boolean },
  work: (onProgress: ((progress: ProfileProgress) => void) | undefined) => Promise<T>,
): Promise<T> {
  const bar = progressBar({ stream: process.stderr, quiet: options.quiet });
  try {
    return await work(bar?.update);
  } finally {
    bar?.done();
  }
}
