/**
 * Core logic logs through this interface so that it runs the same under the CLI (stderr) and under
 * Actions (@actions/core), as codeql-action's Logger does.
 */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warning() {}, error() {} };

/** Logs to stderr so that stdout stays clean for --json output. */
export function stderrLogger(options: { verbose?: boolean } = {}): Logger {
  return {
    debug: (m) => {
      if (options.verbose) process.stderr.write(`debug: ${m}\n`);
    },
    info: (m) => process.stderr.write(`${m}\n`),
    warning: (m) => process.stderr.write(`warning: ${m}\n`),
    error: (m) => process.stderr.write(`error: ${m}\n`),
  };
}
