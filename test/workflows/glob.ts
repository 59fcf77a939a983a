/** Name patterns as actions/download-artifact's `pattern` uses them (`*` and `?`; no path separators). */
export function minimatch(name: string, pattern: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${source}$`).test(name);
}
